/*
 * Verifying a hash chain (R5.3, R10.2): the walk from its anchor (the
 * genesis, or where a recorded purge left it) to its head, naming the
 * first row edited, removed or reordered; and the check of the chain
 * against a head kept outside the database (a signed checkpoint of
 * datashare-admin), which catches a chain rewritten whole.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ds.h"
#include "chain_priv.h"

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
