/*
 * Retention of a hash chain: the sealed rows older than the chain keeps
 * (the access log at least 3 months, R5.2; the audit trail never) are
 * removed from its start, the anchor moves to the last removed row's
 * hash, and the purge is recorded where chain_verify.c checks the anchor,
 * and in the audit trail. A chain that does not verify is never purged.
 */
#include <stdio.h>
#include <string.h>

#include "ds.h"
#include "chain_priv.h"


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
	/* The purge's own audit row, linked now rather than by a master
	 * (datashare-admin runs outside any module). */
	(void)chain_seal("audit", 1000);
	return DS_OK;
fail:
	db_rollback();
	return st;
}
