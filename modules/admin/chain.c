/*
 * seal and verify: the hash chains of the audit trail (R10.2) and of the
 * access log (R5.3); access-log purge: the access log's retention (R5.2);
 * checkpoint: each chain's head, signed, to keep outside the database.
 *
 * The modules' own sealing keeps the chain current; seal here links what
 * is left (after a crash, or on a quiet system) and verify walks it all.
 * A chain can only vouch for itself up to its head: whoever can write the
 * database can cut rows off the end and move the head back. A checkpoint
 * kept elsewhere (signed with the server's key, so it cannot be forged
 * either) lets verify --checkpoint catch that. It seals first, waiting for
 * a master's round, so that it covers every row committed before it.
 */
#include <err.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "admin.h"

#define SEAL_BATCH	10000

static const char *const chains[] = { "audit", "access" };

/* Links every unsealed row of one chain; returns the count or -1. A
 * round that links nothing means done, or that another process holds
 * the head and is sealing the rest itself. */
static long
seal_all(const char *chain)
{
	long total = 0, n;

	while ((n = chain_seal(chain, SEAL_BATCH)) > 0)
		total += n;
	if (n < 0) {
		admin_db_check((int)n, "sealing");
		return -1;
	}
	return total;
}

int
cmd_seal(int argc, char **argv)
{
	const struct cmd *c = cmd_find(cmd_seal);
	long n;

	if (opts_parse(c, NULL, 0, argc, argv, NULL, 0, NULL) != 0 ||
	    admin_connect() != 0)
		return -1;
	for (size_t i = 0; i < NPARAMS(chains); i++) {
		if ((n = seal_all(chains[i])) < 0) {
			warnx("%s: sealing failed", chains[i]);
			return -1;
		}
		printf("%s: linked %ld row%s\n", chains[i], n,
		    n == 1 ? "" : "s");
	}
	return 0;
}

/* A chain's entry in a checkpoint: its head then. */
struct head {
	long long	 seq;
	const char	*hash;
};

/* Starts a REPEATABLE READ snapshot: chain_verify() reads the head first
 * and the rows in batches after, and a sealer moving the head in between
 * would otherwise look like rows cut off the end. */
static int
snapshot_begin(void)
{
	static const char *snapshot =
	    "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ";

	if (admin_db_check(db_exec(snapshot, NULL, 0, NULL, NULL),
	    "starting a snapshot") != 0 ||
	    admin_db_check(db_begin(), "starting a snapshot") != 0)
		return -1;
	return 0;
}

/* Walks one chain in a snapshot and, given a checkpoint's head (cp), also
 * checks that the chain still reaches it unchanged. */
static int
verify_one(struct arena *a, const char *chain, const struct head *cp)
{
	struct chain_report rep;
	const char *problem = NULL;
	int st;

	if (snapshot_begin() != 0)
		return -1;
	st = chain_verify(a, chain, &rep);
	if (st == DS_OK && cp != NULL)
		st = chain_check_head(a, chain, cp->seq, cp->hash, &problem);
	else
		problem = rep.problem;
	db_rollback();
	if (st == DS_EINVAL) {
		printf("%s: BROKEN: %s (%lld rows intact before it)\n", chain,
		    problem, rep.rows);
		warnx("%s: the hash chain is broken: %s", chain, problem);
		return -1;
	}
	if (admin_db_check(st, "verifying") != 0)
		return -1;
	printf("%s: intact: %lld rows checked, head seq %lld hash %s, "
	    "%lld unsealed\n", chain, rep.rows, rep.head_seq, rep.head_hash,
	    rep.unsealed);
	if (cp != NULL)
		printf("%s: matches the checkpoint (head seq %lld)\n", chain,
		    cp->seq);
	return 0;
}

#define CHECKPOINT_SUB	"datashare-chain-checkpoint"
#define CHECKPOINT_MAX	(64 * 1024)
#define CHECKPOINT_WAIT	30	/* s a head may stay held: default --wait */

/* Reads a checkpoint file and checks its signature with the public keys
 * in jwt_keys_dir; fills heads[] (one per chain) and *when. */
static int
checkpoint_read(struct arena *a, const char *path, struct head *heads,
    const char **when)
{
	char buf[CHECKPOINT_MAX + 2], err[512];
	const char *why;
	json_object *claims, *v, *chs, *ch;
	size_t n;
	FILE *f;
	int rc = -1;

	if (auth_init(err, sizeof(err)) != DS_OK) {
		warnx("%s", err);
		return -1;
	}
	if ((f = fopen(path, "r")) == NULL) {
		warn("%s", path);
		return -1;
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' ||
	    buf[n - 1] == ' '))
		buf[--n] = '\0';
	if (jws_verify(a, buf, CHECKPOINT_MAX, &claims, &why) != DS_OK) {
		warnx("%s: not a valid checkpoint: %s", path, why);
		return -1;
	}
	if (!json_object_object_get_ex(claims, "sub", &v) ||
	    strcmp(json_object_get_string(v), CHECKPOINT_SUB) != 0 ||
	    !json_object_object_get_ex(claims, "time", &v) ||
	    !json_object_object_get_ex(claims, "chains", &chs)) {
		warnx("%s: signed, but not a chain checkpoint", path);
		goto done;
	}
	*when = arena_strdup(a, json_object_get_string(v));
	for (size_t i = 0; i < NPARAMS(chains); i++) {
		json_object *seq, *hash;

		if (!json_object_object_get_ex(chs, chains[i], &ch) ||
		    !json_object_object_get_ex(ch, "head_seq", &seq) ||
		    !json_object_is_type(seq, json_type_int) ||
		    !json_object_object_get_ex(ch, "head_hash", &hash) ||
		    !json_object_is_type(hash, json_type_string)) {
			warnx("%s: no head for chain %s", path, chains[i]);
			goto done;
		}
		heads[i].seq = json_object_get_int64(seq);
		heads[i].hash = arena_strdup(a, json_object_get_string(hash));
	}
	rc = 0;
done:
	json_object_put(claims);
	return rc;
}

int
cmd_verify(int argc, char **argv)
{
	const struct cmd *c = cmd_find(cmd_verify);
	const char *file, *when = NULL;
	struct opt o[] = {
		{ "checkpoint", false, &file, false },
	};
	struct head heads[NPARAMS(chains)];
	struct arena *a;
	int rc = 0;

	if (opts_parse(c, o, NPARAMS(o), argc, argv, NULL, 0, NULL) != 0)
		return -1;
	a = arena_new();
	if (file != NULL && checkpoint_read(a, file, heads, &when) != 0) {
		arena_free(a);
		return -1;
	}
	if (admin_connect() != 0) {
		arena_free(a);
		return -1;
	}
	if (file != NULL)
		printf("checkpoint %s of %s: signature good\n", file, when);
	/* Every chain is checked, even after a broken one. */
	for (size_t i = 0; i < NPARAMS(chains); i++)
		if (verify_one(a, chains[i], file ? &heads[i] : NULL) != 0)
			rc = -1;
	arena_free(a);
	return rc;
}

/* The signed document: each chain's head in one snapshot, the database's
 * time. A chain that does not verify gets no checkpoint: signing its head
 * would vouch for the tampering. Returns the claims (caller puts). */
static json_object *
checkpoint_claims(struct arena *a)
{
	static const char *now_sql =
	    "SELECT UNIX_TIMESTAMP() AS t, "
	    "  DATE_FORMAT(UTC_TIMESTAMP(), '%Y-%m-%dT%H:%i:%sZ') AS time";
	json_object *claims = NULL, *chs = json_object_new_object();
	struct chain_report rep;
	struct db_rows *now;
	int st;

	if (snapshot_begin() != 0)
		goto fail;
	for (size_t i = 0; i < NPARAMS(chains); i++) {
		json_object *ch = json_object_new_object();

		json_object_object_add(chs, chains[i], ch);
		if ((st = chain_verify(a, chains[i], &rep)) == DS_EINVAL) {
			warnx("%s: the hash chain is broken, no checkpoint: %s",
			    chains[i], rep.problem);
			goto fail;
		}
		if (admin_db_check(st, "verifying") != 0)
			goto fail;
		json_object_object_add(ch, "head_seq",
		    json_object_new_int64(rep.head_seq));
		json_object_object_add(ch, "head_hash",
		    json_object_new_string(rep.head_hash));
		json_object_object_add(ch, "rows",
		    json_object_new_int64(rep.rows));
		json_object_object_add(ch, "unsealed",
		    json_object_new_int64(rep.unsealed));
	}
	if (admin_db_check(db_query(a, now_sql, NULL, 0, &now),
	    "reading the time") != 0)
		goto fail;
	db_rollback();
	claims = json_object_new_object();
	json_object_object_add(claims, "iss", json_object_new_string(
	    conf_str("jwt_issuer", "datashare")));
	json_object_object_add(claims, "sub",
	    json_object_new_string(CHECKPOINT_SUB));
	json_object_object_add(claims, "iat",
	    json_object_new_int64(db_get_int(now, 0, "t")));
	json_object_object_add(claims, "time",
	    json_object_new_string(db_get(now, 0, "time")));
	json_object_object_add(claims, "database", json_object_new_string(
	    conf_str("db_name", "datashare")));
	json_object_object_add(claims, "chains", chs);
	return claims;
fail:
	db_rollback();
	json_object_put(chs);
	return NULL;
}

/*
 * Before the heads are signed: links every row of each chain committed
 * before now, waiting up to wait seconds for a head that a module's
 * master holds mid-round (chain_seal_wait; seal_all would skip it and
 * leave those rows out). A head held longer means no checkpoint: one that
 * silently left out rows committed before it would be taken for complete.
 * linked[i]: the rows linked in chains[i]. Returns 0 or -1 (said why).
 */
static int
seal_before_checkpoint(long long wait, long *linked)
{
	static const char *lock_wait =
	    "SET SESSION innodb_lock_wait_timeout = ?";
	struct db_param p[] = { P_INT(wait) };
	long n;

	if (admin_db_check(db_exec(lock_wait, p, 1, NULL, NULL),
	    "setting the lock wait") != 0)
		return -1;
	for (size_t i = 0; i < NPARAMS(chains); i++) {
		linked[i] = 0;
		/* A round short of a batch has linked all it could see. */
		while ((n = chain_seal_wait(chains[i], SEAL_BATCH)) > 0) {
			linked[i] += n;
			if (n < SEAL_BATCH)
				break;
		}
		if (n == DS_ECONFLICT) {
			warnx("%s: another process held the chain's head for "
			    "more than %lld s: no checkpoint, as rows committed "
			    "before it would not be covered; run it again, or "
			    "with a longer --wait", chains[i], wait);
			return -1;
		}
		if (n < 0) {
			admin_db_check((int)n, "sealing");
			return -1;
		}
	}
	return 0;
}

/* Writes text and a newline to path through a temporary file renamed
 * over it, so a reader never sees half a checkpoint. */
static int
write_file(struct arena *a, const char *path, const char *text)
{
	char *tmp = arena_printf(a, "%s.tmp", path);
	FILE *f;

	if ((f = fopen(tmp, "w")) == NULL) {
		warn("%s", tmp);
		return -1;
	}
	if (fprintf(f, "%s\n", text) < 0 || fflush(f) != 0 ||
	    fsync(fileno(f)) != 0) {
		warn("%s", tmp);
		fclose(f);
		unlink(tmp);
		return -1;
	}
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		warn("%s", path);
		unlink(tmp);
		return -1;
	}
	return 0;
}

int
cmd_checkpoint(int argc, char **argv)
{
	const struct cmd *c = cmd_find(cmd_checkpoint);
	const char *out, *jws, *kid, *wait_s;
	struct opt o[] = {
		{ "out", false, &out, false },
		{ "wait", false, &wait_s, false },
	};
	json_object *claims = NULL, *chs;
	long linked[NPARAMS(chains)];
	long long wait = CHECKPOINT_WAIT;
	struct arena *a;
	int rc = -1;

	if (opts_parse(c, o, NPARAMS(o), argc, argv, NULL, 0, NULL) != 0)
		return -1;
	if (wait_s != NULL && parse_ll(wait_s, 1, 3600, &wait) != 0) {
		warnx("--wait: a whole number of seconds, 1 to 3600");
		return -1;
	}
	if (admin_connect() != 0)
		return -1;
	a = arena_new();
	if (seal_before_checkpoint(wait, linked) != 0 ||
	    (claims = checkpoint_claims(a)) == NULL)
		goto done;
	if ((jws = jws_sign(a, claims, &kid)) == NULL) {
		warnx("cannot sign the checkpoint (jwt_keys_dir: a private "
		    "key <kid>.pem with its <kid>.pub.pem)");
		goto done;
	}
	if (out == NULL) {
		printf("%s\n", jws);
		rc = 0;
		goto done;
	}
	if (write_file(a, out, jws) != 0)
		goto done;
	for (size_t i = 0; i < NPARAMS(chains); i++)
		printf("%s: linked %ld row%s first\n", chains[i], linked[i],
		    linked[i] == 1 ? "" : "s");
	json_object_object_get_ex(claims, "chains", &chs);
	json_object_object_foreach(chs, name, ch) {
		json_object *seq, *hash;

		json_object_object_get_ex(ch, "head_seq", &seq);
		json_object_object_get_ex(ch, "head_hash", &hash);
		printf("%s: head seq %lld hash %s\n", name,
		    (long long)json_object_get_int64(seq),
		    json_object_get_string(hash));
	}
	printf("checkpoint of %s signed with key %s, written to %s\n",
	    json_object_get_string(json_object_object_get(claims, "time")),
	    kid, out);
	rc = 0;
done:
	json_object_put(claims);
	arena_free(a);
	return rc;
}

/*
 * Removes access-log rows older than the retention (--days, else the
 * setting access_log_retention_days, default 365); chain_purge refuses
 * anything below 92 days (R5.2: at least 3 months) and a chain that does
 * not verify, and records the purge so verify still passes afterwards.
 */
int
cmd_access_log_purge(int argc, char **argv)
{
	const struct cmd *c = cmd_find(cmd_access_log_purge);
	const char *days_s;
	struct opt o[] = {
		{ "days", false, &days_s, false },
	};
	struct chain_purge_report rep;
	const char *errstr = NULL;
	struct arena *a;
	long long days;
	int st, rc = -1;

	if (opts_parse(c, o, NPARAMS(o), argc, argv, NULL, 0, NULL) != 0)
		return -1;
	if (days_s != NULL) {
		if (parse_ll(days_s, 1, 1000000, &days) != 0) {
			warnx("--days: a whole number of days, 1 or more");
			return -1;
		}
	} else {
		days = conf_int("access_log_retention_days", 365, 1, 1000000,
		    &errstr);
		if (errstr != NULL) {
			warnx("access_log_retention_days: %s", errstr);
			return -1;
		}
	}
	if (admin_connect() != 0)
		return -1;
	a = arena_new();
	st = chain_purge(a, "access", days, &rep);
	if (st == DS_EINVAL)
		warnx("access-log purge refused: %s", rep.problem);
	else if (admin_db_check(st, "purging the access log") == 0) {
		if (rep.rows == 0)
			printf("access: nothing to purge: no row older than "
			    "%lld days (before %s UTC) beyond seq %lld\n", days,
			    rep.cutoff, rep.up_to_seq);
		else
			printf("access: purged %lld row%s older than %lld days "
			    "(before %s UTC), up to seq %lld; anchor %s\n",
			    rep.rows, rep.rows == 1 ? "" : "s", days,
			    rep.cutoff, rep.up_to_seq, rep.anchor_hash);
		rc = 0;
	}
	arena_free(a);
	return rc;
}
