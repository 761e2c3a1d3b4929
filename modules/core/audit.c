/*
 * The audit trail and the notification outbox, both written inside the
 * caller's transaction, and the hash chains (R5.3, R10.2).
 *
 * Writers only INSERT unsealed rows, so no business transaction waits on
 * a chain-wide lock. A sealer then links committed rows into the chain in
 * batches: it takes the chain head's row lock (skipping if another process
 * holds it), gives each unsealed row the next sequence number, the previous
 * hash and its own hash, and moves the head. The chain's order is the
 * sealing order, so rows committed out of id order cannot fork it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ds.h"

int
audit_append(const struct identity *who, const char *action,
    const char *entity, long long entity_id, json_object *before,
    json_object *after)
{
	static const char *sql =
	    "INSERT INTO audit_events (actor_account_id, actor_agency_id, "
	    "  action, entity, entity_id, before_json, after_json) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?)";
	struct db_param p[] = {
		who != NULL && who->account_id ? P_INT(who->account_id) : P_NULL,
		who != NULL && who->agency_id ? P_INT(who->agency_id) : P_NULL,
		P_STR(action), P_STR(entity), P_INT(entity_id),
		P_STR(before ? json_object_to_json_string_ext(before,
		    JSON_C_TO_STRING_PLAIN) : NULL),
		P_STR(after ? json_object_to_json_string_ext(after,
		    JSON_C_TO_STRING_PLAIN) : NULL),
	};
	int st = db_exec(sql, p, NPARAMS(p), NULL, NULL);

	json_object_put(before);
	json_object_put(after);
	chain_mark("audit");
	return st;
}

int
notify(long long agency_id, const char *kind, const char *entity,
    long long entity_id, json_object *payload)
{
	static const char *sql =
	    "INSERT INTO notifications (agency_id, kind, entity, entity_id, "
	    "  payload_json) VALUES (?, ?, ?, ?, ?)";
	struct db_param p[] = {
		P_INT(agency_id), P_STR(kind), P_STR(entity), P_INT(entity_id),
		P_STR(payload ? json_object_to_json_string_ext(payload,
		    JSON_C_TO_STRING_PLAIN) : NULL),
	};
	int st = db_exec(sql, p, NPARAMS(p), NULL, NULL);

	json_object_put(payload);
	return st;
}

void
chain_row_hash(const char *prev_hex, const char *content, size_t len,
    char out[65])
{
	struct arena *a = arena_new();
	size_t plen = strlen(prev_hex);
	char *buf = arena_alloc(a, plen + 1 + len);

	memcpy(buf, prev_hex, plen);
	buf[plen] = '\n';
	memcpy(buf + plen + 1, content, len);
	sha256_hex(buf, plen + 1 + len, out);
	arena_free(a);
}

/* The chains: which columns are hashed, in which order. */
#define AUDIT_COLS "id, created_at, actor_account_id, actor_agency_id, " \
	"action, entity, entity_id, before_json, after_json"
#define ACCESS_COLS "id, created_at, account_id, agency_id, grant_id, " \
	"provider_agency_id, consumer_agency_id, dataset_id, service_id, " \
	"file_id, request_path, outcome, reason, http_status, bytes, sha256, " \
	"narrowed, remote_addr, request_id"

static const struct chain {
	const char	*name;
	const char	*unsealed;	/* content columns of unsealed rows */
	const char	*seal;		/* UPDATE ... SET seq, prev, hash */
	const char	*walk;		/* sealed rows after a seq, in order */
	const char	*count_unsealed;
	const char	*hash_at;	/* the hash of a row by seq */
	/* Retention (NULL: never purged): the last seq that may go (rows
	 * older than a cutoff, up to the first younger one) and the delete,
	 * which only the owner account may run. */
	const char	*purge_last;
	const char	*purge;
	long long	 min_keep_days;
} chains[] = {
	{ "audit",
	  "SELECT " AUDIT_COLS " FROM audit_events WHERE seq IS NULL "
	  "ORDER BY id LIMIT ?",
	  "UPDATE audit_events SET seq = ?, prev_hash = ?, hash = ? "
	  "WHERE id = ? AND seq IS NULL",
	  "SELECT " AUDIT_COLS ", seq, prev_hash, hash FROM audit_events "
	  "WHERE seq > ? ORDER BY seq LIMIT ?",
	  "SELECT COUNT(*) FROM audit_events WHERE seq IS NULL",
	  "SELECT hash FROM audit_events WHERE seq = ?",
	  NULL, NULL, 0 },
	/* The access log (R5): kept at least 3 months (R5.2). */
	{ "access",
	  "SELECT " ACCESS_COLS " FROM access_log WHERE seq IS NULL "
	  "ORDER BY id LIMIT ?",
	  "UPDATE access_log SET seq = ?, prev_hash = ?, hash = ? "
	  "WHERE id = ? AND seq IS NULL",
	  "SELECT " ACCESS_COLS ", seq, prev_hash, hash FROM access_log "
	  "WHERE seq > ? ORDER BY seq LIMIT ?",
	  "SELECT COUNT(*) FROM access_log WHERE seq IS NULL",
	  "SELECT hash FROM access_log WHERE seq = ?",
	  "SELECT COALESCE((SELECT MIN(seq) - 1 FROM access_log "
	  "  WHERE seq IS NOT NULL AND created_at >= ?), ?) AS last",
	  "DELETE FROM access_log WHERE seq IS NOT NULL AND seq <= ?",
	  92 },
};

/* Chains written to by the current request, sealed after the response
 * (chain_seal_marked). One bit per entry of chains[]. */
static unsigned marked;

static const struct chain *
chain_find(const char *name)
{
	for (size_t i = 0; i < NPARAMS(chains); i++)
		if (strcmp(chains[i].name, name) == 0)
			return &chains[i];
	return NULL;
}

void
chain_mark(const char *name)
{
	const struct chain *ch = chain_find(name);

	if (ch != NULL)
		marked |= 1u << (ch - chains);
}

void
chain_seal_marked(int max_rows)
{
	unsigned todo = marked;

	marked = 0;
	for (size_t i = 0; i < NPARAMS(chains); i++)
		if (todo & (1u << i))
			chain_seal(chains[i].name, max_rows);
}

/* One row's content: its first ncols columns, NULL as \N, each followed
 * by US (0x1f). Sealing and verification build it the same way. */
static char *
chain_content(struct arena *a, const struct db_rows *rows, size_t r,
    size_t ncols, size_t *len)
{
	size_t total = 0, c, off = 0;
	char *out;

	for (c = 0; c < ncols; c++) {
		const char *v = db_cell(rows, r, c);

		total += (v ? rows->lens[r * rows->ncols + c] : 2) + 1;
	}
	out = arena_alloc(a, total + 1);
	for (c = 0; c < ncols; c++) {
		const char *v = db_cell(rows, r, c);
		size_t l = v ? rows->lens[r * rows->ncols + c] : 2;

		memcpy(out + off, v ? v : "\\N", l);
		off += l;
		out[off++] = '\x1f';
	}
	out[off] = '\0';
	*len = off;
	return out;
}

/* One sealing round of chain name: the head taken with head_sql (which
 * skips or waits when another process holds it; no row: nothing to do),
 * then up to max_rows unsealed rows linked. Returns the count or <0. */
static long
seal_round(const char *name, int max_rows, const char *head_sql)
{
	static const char *move_sql =
	    "UPDATE chain_heads SET seq = ?, hash = ? WHERE chain = ?";
	const struct chain *ch = chain_find(name);
	struct arena *a;
	struct db_rows *head, *rows;
	char prev[65], hash[65];
	long long seq;
	size_t r;
	int st;

	if (ch == NULL)
		return DS_ERR;
	if ((st = db_begin()) != DS_OK)
		return st;
	a = arena_new();
	{
		struct db_param p[] = { P_STR(name) };

		if ((st = db_query(a, head_sql, p, 1, &head)) != DS_OK)
			goto fail;
	}
	if (head->nrows == 0) {
		db_rollback();
		arena_free(a);
		return 0;
	}
	seq = db_get_int(head, 0, "seq");
	snprintf(prev, sizeof(prev), "%s", db_get(head, 0, "hash"));
	{
		struct db_param p[] = { P_INT(max_rows) };

		if ((st = db_query(a, ch->unsealed, p, 1, &rows)) != DS_OK)
			goto fail;
	}
	for (r = 0; r < rows->nrows; r++) {
		size_t len;
		char *content = chain_content(a, rows, r, rows->ncols, &len);
		struct db_param p[4];

		chain_row_hash(prev, content, len, hash);
		p[0] = P_INT(++seq);
		p[1] = P_STR(prev);
		p[2] = P_STR(hash);
		p[3] = P_INT(db_get_int(rows, r, "id"));
		if ((st = db_exec(ch->seal, p, 4, NULL, NULL)) != DS_OK)
			goto fail;
		memcpy(prev, hash, sizeof(prev));
	}
	if (rows->nrows > 0) {
		struct db_param p[] = { P_INT(seq), P_STR(prev), P_STR(name) };

		if ((st = db_exec(move_sql, p, 3, NULL, NULL)) != DS_OK)
			goto fail;
	}
	if ((st = db_commit()) != DS_OK)
		goto fail;
	r = rows->nrows;
	arena_free(a);
	return (long)r;
fail:
	db_rollback();
	arena_free(a);
	return st;
}

long
chain_seal(const char *name, int max_rows)
{
	/* No row: another process holds the head, and it is sealing. */
	static const char *skip_sql =
	    "SELECT seq, hash FROM chain_heads WHERE chain = ? "
	    "FOR UPDATE SKIP LOCKED";

	return seal_round(name, max_rows, skip_sql);
}

long
chain_seal_wait(const char *name, int max_rows)
{
	/* Waits out a sealer's round: once the lock is ours, that round
	 * has committed and every row committed before is visible (READ
	 * COMMITTED), so none is left behind. */
	static const char *wait_sql =
	    "SELECT seq, hash FROM chain_heads WHERE chain = ? FOR UPDATE";

	return seal_round(name, max_rows, wait_sql);
}

/* An anchor other than the genesis must be where a recorded purge left
 * it: otherwise rows were cut off the start and the anchor moved. */
static int
anchor_recorded(struct arena *a, const char *name, long long seq,
    const char *hash, struct chain_report *rep)
{
	static const char *sql =
	    "SELECT COUNT(*) FROM chain_purges "
	    "WHERE chain = ? AND up_to_seq = ? AND anchor_hash = ?";
	struct db_param p[] = { P_STR(name), P_INT(seq), P_STR(hash) };
	struct db_rows *rows;
	int st;

	if ((st = db_query(a, sql, p, 3, &rows)) != DS_OK)
		return st;
	if (strtoll(db_cell(rows, 0, 0), NULL, 10) == 0) {
		rep->problem = arena_printf(a, "the chain starts after seq %lld "
		    "but no recorded purge ends there: rows were removed", seq);
		return DS_EINVAL;
	}
	return DS_OK;
}

long
chain_seal_all(int max_rows)
{
	long n, most = 0;

	for (size_t i = 0; i < NPARAMS(chains); i++) {
		if ((n = chain_seal(chains[i].name, max_rows)) < 0)
			return n;
		if (n > most)
			most = n;
	}
	return most;
}

/*
 * Walks a chain from its anchor (the genesis, or the last purge) to its
 * head and reports the first row that was edited, removed or reordered.
 * Returns DS_OK when intact, DS_EINVAL with the problem in report, or a
 * database status. report is an arena string.
 */
int
chain_verify(struct arena *a, const char *name, struct chain_report *rep)
{
	static const char *anchor_sql =
	    "SELECT anchor_seq, anchor_hash, seq, hash FROM chain_heads "
	    "WHERE chain = ?";
	const struct chain *ch = chain_find(name);
	struct db_rows *head, *rows, *cnt;
	char prev[65], hash[65];
	long long expect;
	int st;

	memset(rep, 0, sizeof(*rep));
	if (ch == NULL)
		return DS_ERR;
	{
		struct db_param p[] = { P_STR(name) };

		if ((st = db_query(a, anchor_sql, p, 1, &head)) != DS_OK)
			return st;
	}
	if (head->nrows != 1) {
		rep->problem = "the chain head is missing";
		return DS_EINVAL;
	}
	expect = db_get_int(head, 0, "anchor_seq") + 1;
	snprintf(prev, sizeof(prev), "%s", db_get(head, 0, "anchor_hash"));
	if (expect > 1 && (st = anchor_recorded(a, name, expect - 1, prev,
	    rep)) != DS_OK)
		return st;
	for (;;) {
		struct db_param p[] = { P_INT(expect - 1), P_INT(1000) };
		size_t r, nc;

		if ((st = db_query(a, ch->walk, p, 2, &rows)) != DS_OK)
			return st;
		nc = rows->ncols - 3;
		for (r = 0; r < rows->nrows; r++, expect++) {
			long long seq = db_get_int(rows, r, "seq");
			size_t len;
			char *content;

			rep->last_id = db_get_int(rows, r, "id");
			if (seq != expect) {
				rep->problem = arena_printf(a, "row seq %lld "
				    "is missing (next present: %lld): removed",
				    expect, seq);
				return DS_EINVAL;
			}
			if (strcmp(db_get(rows, r, "prev_hash"), prev) != 0) {
				rep->problem = arena_printf(a, "row id %lld "
				    "(seq %lld) does not follow its predecessor:"
				    " reordered or removed", rep->last_id, seq);
				return DS_EINVAL;
			}
			content = chain_content(a, rows, r, nc, &len);
			chain_row_hash(prev, content, len, hash);
			if (strcmp(hash, db_get(rows, r, "hash")) != 0) {
				rep->problem = arena_printf(a, "row id %lld "
				    "(seq %lld) was edited", rep->last_id, seq);
				return DS_EINVAL;
			}
			memcpy(prev, hash, sizeof(prev));
			rep->rows++;
		}
		if (rows->nrows < 1000)
			break;
	}
	rep->head_seq = expect - 1;
	snprintf(rep->head_hash, sizeof(rep->head_hash), "%s", prev);
	if (db_get_int(head, 0, "seq") != expect - 1 ||
	    strcmp(db_get(head, 0, "hash"), prev) != 0) {
		rep->problem = arena_printf(a, "the chain ends at seq %lld but "
		    "its head says %s: rows were cut off the end", expect - 1,
		    db_get(head, 0, "seq"));
		return DS_EINVAL;
	}
	if ((st = db_query(a, ch->count_unsealed, NULL, 0, &cnt)) != DS_OK)
		return st;
	rep->unsealed = strtoll(db_cell(cnt, 0, 0), NULL, 10);
	return DS_OK;
}

int
chain_check_head(struct arena *a, const char *name, long long seq,
    const char *hash, const char **problem)
{
	static const char *head_sql =
	    "SELECT seq, anchor_seq, anchor_hash FROM chain_heads "
	    "WHERE chain = ?";
	const struct chain *ch = chain_find(name);
	struct db_rows *head, *rows;
	long long now_seq, anchor;
	int st;

	*problem = NULL;
	if (ch == NULL)
		return DS_ERR;
	{
		struct db_param p[] = { P_STR(name) };

		if ((st = db_query(a, head_sql, p, 1, &head)) != DS_OK)
			return st;
	}
	if (head->nrows != 1) {
		*problem = "the chain head is missing";
		return DS_EINVAL;
	}
	now_seq = db_get_int(head, 0, "seq");
	anchor = db_get_int(head, 0, "anchor_seq");
	if (now_seq < seq) {
		*problem = arena_printf(a, "the chain ends at seq %lld, before "
		    "the checkpoint's head seq %lld: rows were cut off the end",
		    now_seq, seq);
		return DS_EINVAL;
	}
	/* Purged since the checkpoint: chain_verify has matched the anchor
	 * with its recorded purge; where the purge stopped at seq, the
	 * anchor is that row's hash. */
	if (seq < anchor || seq == 0)
		return DS_OK;
	if (seq == anchor) {
		if (strcmp(db_get(head, 0, "anchor_hash"), hash) == 0)
			return DS_OK;
		*problem = arena_printf(a, "the purge anchor at seq %lld has "
		    "another hash than the checkpoint's head: the chain was "
		    "rewritten", seq);
		return DS_EINVAL;
	}
	{
		struct db_param p[] = { P_INT(seq) };

		if ((st = db_query(a, ch->hash_at, p, 1, &rows)) != DS_OK)
			return st;
	}
	if (rows->nrows != 1 || strcmp(db_cell(rows, 0, 0), hash) != 0) {
		*problem = arena_printf(a, "row seq %lld does not have the "
		    "checkpoint's head hash: the chain was rewritten from "
		    "there", seq);
		return DS_EINVAL;
	}
	return DS_OK;
}

/* The purge, inside its transaction: the rows up to last go, the anchor
 * moves to the last one's hash, and the purge is recorded twice (its own
 * table for verification, the audit trail for people). */
static int
purge_rows(struct arena *a, const struct chain *ch, long long anchor,
    long long last, struct chain_purge_report *rep)
{
	static const char *anchor_sql =
	    "UPDATE chain_heads SET anchor_seq = ?, anchor_hash = ? "
	    "WHERE chain = ?";
	static const char *record_sql =
	    "INSERT INTO chain_purges (chain, from_seq, up_to_seq, "
	    "  rows_removed, anchor_hash, keep_days, cutoff) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?)";
	struct db_rows *rows;
	unsigned long long n, id;
	json_object *o;
	int st;

	{
		struct db_param p[] = { P_INT(last) };

		if ((st = db_query(a, ch->hash_at, p, 1, &rows)) != DS_OK)
			return st;
		if (rows->nrows != 1)
			return DS_ERR;
		snprintf(rep->anchor_hash, sizeof(rep->anchor_hash), "%s",
		    db_cell(rows, 0, 0));
		if ((st = db_exec(ch->purge, p, 1, &n, NULL)) != DS_OK)
			return st;
	}
	rep->rows = (long long)n;
	rep->up_to_seq = last;
	{
		struct db_param p[] = { P_INT(last), P_STR(rep->anchor_hash),
		    P_STR(ch->name) };
		struct db_param q[] = { P_STR(ch->name), P_INT(anchor + 1),
		    P_INT(last), P_INT((long long)n), P_STR(rep->anchor_hash),
		    P_INT(rep->keep_days), P_STR(rep->cutoff) };

		if ((st = db_exec(anchor_sql, p, 3, NULL, NULL)) != DS_OK ||
		    (st = db_exec(record_sql, q, 7, NULL, &id)) != DS_OK)
			return st;
	}
	o = json_object_new_object();
	json_object_object_add(o, "chain", json_object_new_string(ch->name));
	json_object_object_add(o, "from_seq", json_object_new_int64(anchor + 1));
	json_object_object_add(o, "up_to_seq", json_object_new_int64(last));
	json_object_object_add(o, "rows_removed",
	    json_object_new_int64((long long)n));
	json_object_object_add(o, "anchor_hash",
	    json_object_new_string(rep->anchor_hash));
	json_object_object_add(o, "keep_days",
	    json_object_new_int64(rep->keep_days));
	json_object_object_add(o, "cutoff", json_object_new_string(rep->cutoff));
	return audit_append(NULL, "chain.purge", "chain_purge", (long long)id,
	    NULL, o);
}

int
chain_purge(struct arena *a, const char *name, long long keep_days,
    struct chain_purge_report *rep)
{
	static const char *lock_sql =
	    "SELECT seq, anchor_seq, "
	    "  DATE_FORMAT(UTC_TIMESTAMP(6) - INTERVAL ? DAY, "
	    "  '%Y-%m-%d %H:%i:%s.%f') AS cutoff "
	    "FROM chain_heads WHERE chain = ? FOR UPDATE";
	static const char *snapshot =
	    "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ";
	const struct chain *ch = chain_find(name);
	struct chain_report vr;
	struct db_rows *head, *rows;
	long long anchor, last;
	int st;

	memset(rep, 0, sizeof(*rep));
	rep->keep_days = keep_days;
	if (ch == NULL || ch->purge == NULL) {
		rep->problem = "this chain is never purged";
		return DS_EINVAL;
	}
	if (keep_days < ch->min_keep_days) {
		rep->problem = arena_printf(a, "a retention of %lld days is "
		    "below the minimum of %lld days", keep_days,
		    ch->min_keep_days);
		return DS_EINVAL;
	}
	/* Purging a tampered chain would destroy the evidence. The walk
	 * reads one snapshot, or a sealer moving the head meanwhile would
	 * look like rows cut off the end. */
	if ((st = db_exec(snapshot, NULL, 0, NULL, NULL)) != DS_OK ||
	    (st = db_begin()) != DS_OK)
		return st;
	st = chain_verify(a, name, &vr);
	db_rollback();
	if (st != DS_OK) {
		if (st == DS_EINVAL)
			rep->problem = arena_printf(a, "the chain does not "
			    "verify, nothing purged: %s", vr.problem);
		return st;
	}
	if ((st = db_begin()) != DS_OK)
		return st;
	{
		struct db_param p[] = { P_INT(keep_days), P_STR(name) };

		if ((st = db_query(a, lock_sql, p, 2, &head)) != DS_OK)
			goto fail;
	}
	anchor = db_get_int(head, 0, "anchor_seq");
	rep->up_to_seq = anchor;
	rep->cutoff = db_get(head, 0, "cutoff");
	{
		struct db_param p[] = { P_STR(rep->cutoff),
		    P_INT(db_get_int(head, 0, "seq")) };

		if ((st = db_query(a, ch->purge_last, p, 2, &rows)) != DS_OK)
			goto fail;
	}
	last = db_get_int(rows, 0, "last");
	if (last > anchor && (st = purge_rows(a, ch, anchor, last, rep)) !=
	    DS_OK)
		goto fail;
	if ((st = db_commit()) != DS_OK)
		return st;
	chain_seal_marked(1000);
	return DS_OK;
fail:
	db_rollback();
	return st;
}
