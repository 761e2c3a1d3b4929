/*
 * The hash chains (R5.3, R10.2): which tables they link and which
 * columns, how a row is hashed, and their sealing.
 *
 * Writers only INSERT unsealed rows, so no business transaction waits on
 * a chain-wide lock. A sealer then links committed rows into the chain in
 * batches: it takes the chain head's row lock (skipping if another process
 * holds it), gives each unsealed row the next sequence number, the previous
 * hash and its own hash, and moves the head. The chain's order is the
 * sealing order, so rows committed out of id order cannot fork it.
 * Verification is chain_verify.c, retention chain_purge.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ds.h"
#include "chain_priv.h"

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
	"narrowed, remote_addr, request_id, " ACCESS_TAIL
/* A gateway call's operational-monitoring fields (sql/0012_gateway.sql),
 * hashed as one last column, "tail", that download rows do not have
 * (NULL): chain_content leaves a NULL tail out, so rows sealed before the
 * migration keep their hashes, and a gateway row whose kind or fields are
 * changed no longer matches its own. */
#define ACCESS_TAIL "IF(kind = 'gateway', CONCAT_WS(0x1f, 'gateway', " \
	TAIL_COL("method") ", " TAIL_COL("request_in_ms") ", " \
	TAIL_COL("request_out_ms") ", " TAIL_COL("response_in_ms") ", " \
	TAIL_COL("response_out_ms") ", " TAIL_COL("succeeded") ", " \
	TAIL_COL("fault_code") ", " TAIL_COL("fault_text") ", " \
	TAIL_COL("request_bytes") ", " TAIL_COL("request_sha256") ", " \
	"bodies_kept), NULL) AS tail"
/* A NULL as chain_content writes it, \N (X'5C4E': no backslash escapes
 * in SQL text). */
#define TAIL_COL(c) "COALESCE(" c ", X'5C4E')"

static const struct chain chains[] = {
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

const struct chain *
chain_find(const char *name)
{
	for (size_t i = 0; i < NPARAMS(chains); i++)
		if (strcmp(chains[i].name, name) == 0)
			return &chains[i];
	return NULL;
}

/* One row's content: its first ncols columns, NULL as \N, each followed
 * by US (0x1f), except a last column named "tail" that is NULL, which is
 * left out (ACCESS_TAIL). Sealing and verification build it the same
 * way. */
char *
chain_content(struct arena *a, const struct db_rows *rows, size_t r,
    size_t ncols, size_t *len)
{
	size_t total = 0, c, off = 0;
	char *out;

	if (ncols > 0 && strcmp(rows->names[ncols - 1], "tail") == 0 &&
	    db_cell(rows, r, ncols - 1) == NULL)
		ncols--;
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
