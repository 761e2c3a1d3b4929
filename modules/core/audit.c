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

static const struct chain {
	const char	*name;
	const char	*unsealed;	/* content columns of unsealed rows */
	const char	*seal;		/* UPDATE ... SET seq, prev, hash */
	const char	*walk;		/* sealed rows after a seq, in order */
	const char	*count_unsealed;
} chains[] = {
	{ "audit",
	  "SELECT " AUDIT_COLS " FROM audit_events WHERE seq IS NULL "
	  "ORDER BY id LIMIT ?",
	  "UPDATE audit_events SET seq = ?, prev_hash = ?, hash = ? "
	  "WHERE id = ? AND seq IS NULL",
	  "SELECT " AUDIT_COLS ", seq, prev_hash, hash FROM audit_events "
	  "WHERE seq > ? ORDER BY seq LIMIT ?",
	  "SELECT COUNT(*) FROM audit_events WHERE seq IS NULL" },
};

static const struct chain *
chain_find(const char *name)
{
	for (size_t i = 0; i < NPARAMS(chains); i++)
		if (strcmp(chains[i].name, name) == 0)
			return &chains[i];
	return NULL;
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

long
chain_seal(const char *name, int max_rows)
{
	static const char *head_sql =
	    "SELECT seq, hash FROM chain_heads WHERE chain = ? "
	    "FOR UPDATE SKIP LOCKED";
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
		/* Another process holds the head: it is sealing. */
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
