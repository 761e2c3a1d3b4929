/*
 * The caller's agency's notification feed (R9.2): every event that
 * concerns the agency lands here, newest first.
 */
#include "ds.h"
#include "auth.h"

/* The feed is for the agency's people. A consumer system's account (role
 * system, bound to one grant) neither reads it nor marks it read: the
 * notices concern the agency's other grants, disputes and suspensions,
 * and a notice marked read by a machine would look seen by nobody who
 * saw it (Art. 16.2.h). */
#define FEED_ROLES	(ROLE_DIC_ADMIN | ROLE_CHAIRMAN | ROLE_ANY_AGENCY | \
			    ROLE_AUDITOR)

void
notifications_list(struct http_req *r)
{
	static const char *sql =
	    "SELECT id, kind, entity, entity_id, payload_json, created_at, "
	    "  read_at FROM notifications "
	    "WHERE agency_id = ? AND (? = 0 OR id < ?) "
	    "  AND (? = 0 OR read_at IS NULL) "
	    "ORDER BY id DESC LIMIT ?";
	enum { Q_UNREAD, Q__N };
	static const struct field query[Q__N] = {
		[Q_UNREAD] = { "unread", F_BOOL, false, 0, 0, NULL },
	};
	struct fval q[Q__N];
	struct page pg;
	bool unread;

	if (auth_require_role_or_reply(r, FEED_ROLES) ||
	    http_page_or_reply(r, &pg) != DS_OK ||
	    http_query_or_reply(r, query, Q__N, q) != DS_OK)
		return;
	unread = q[Q_UNREAD].i != 0;
	{
		struct db_param p[] = {
			P_INT(r->who.agency_id), P_INT(pg.after),
			P_INT(pg.after), P_INT(unread), P_INT(pg.limit),
		};

		db_reply_page(r, &pg, sql, p, NPARAMS(p));
	}
}

void
notification_read(struct http_req *r)
{
	static const char *mark =
	    "UPDATE notifications SET read_at = UTC_TIMESTAMP(6) "
	    "WHERE id = ? AND agency_id = ? AND read_at IS NULL";
	static const char *show =
	    "SELECT id, kind, entity, entity_id, payload_json, created_at, "
	    "  read_at FROM notifications WHERE id = ? AND agency_id = ?";
	struct db_param p[] = { P_INT(r->captures[0]), P_INT(r->who.agency_id) };
	struct db_rows *rows;
	int st;

	if (auth_require_role_or_reply(r, FEED_ROLES))
		return;
	/* Marking twice is harmless: the first time wins, both answer 200. */
	if ((st = db_exec(mark, p, 2, NULL, NULL)) != DS_OK ||
	    (st = db_query(r->arena, show, p, 2, &rows)) != DS_OK) {
		http_error_status(r, st);
		return;
	}
	if (rows->nrows != 1) {
		http_error_status(r, DS_ENOTFOUND);
		return;
	}
	http_reply(r, 200, db_row_json(rows, 0));
}
