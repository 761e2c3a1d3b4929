/*
 * seal and verify: the hash chains of the audit trail (R10.2) and of the
 * access log (R5.3); access-log purge: the access log's retention (R5.2).
 *
 * The modules' own sealing keeps the chain current; seal here links what
 * is left (after a crash, or on a quiet system) and verify walks it all.
 */
#include <err.h>
#include <stdio.h>

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

/*
 * Walks one chain in a REPEATABLE READ snapshot: chain_verify() reads the
 * head first and the rows in batches after, and a sealer moving the head
 * in between would otherwise look like rows cut off the end.
 */
static int
verify_one(struct arena *a, const char *chain)
{
	static const char *snapshot =
	    "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ";
	struct chain_report rep;
	int st;

	if (admin_db_check(db_exec(snapshot, NULL, 0, NULL, NULL),
	    "starting a snapshot") != 0 ||
	    admin_db_check(db_begin(), "starting a snapshot") != 0)
		return -1;
	st = chain_verify(a, chain, &rep);
	db_rollback();
	if (st == DS_EINVAL) {
		printf("%s: BROKEN: %s (%lld rows intact before it)\n", chain,
		    rep.problem, rep.rows);
		warnx("%s: the hash chain is broken: %s", chain, rep.problem);
		return -1;
	}
	if (admin_db_check(st, "verifying") != 0)
		return -1;
	printf("%s: intact: %lld rows checked, head seq %lld hash %s, "
	    "%lld unsealed\n", chain, rep.rows, rep.head_seq, rep.head_hash,
	    rep.unsealed);
	return 0;
}

int
cmd_verify(int argc, char **argv)
{
	const struct cmd *c = cmd_find(cmd_verify);
	struct arena *a;
	int rc = 0;

	if (opts_parse(c, NULL, 0, argc, argv, NULL, 0, NULL) != 0 ||
	    admin_connect() != 0)
		return -1;
	a = arena_new();
	/* Every chain is checked, even after a broken one. */
	for (size_t i = 0; i < NPARAMS(chains); i++)
		if (verify_one(a, chains[i]) != 0)
			rc = -1;
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
