/*
 * Comments on a ticket (R8.3): between the filer, the agency handling it
 * (and the one first routed to) and DIC. A comment is never changed or
 * removed: there is no route for it, and the application role may only
 * insert and read them (sql/0005_dispute.sql).
 */
#include <string.h>

#include "ds.h"
#include "dispute.h"

#define COMMENT_COLS \
	"id, dispute_id, author_account_id, author_agency_id, body, created_at"

void
comments_list(struct http_req *r)
{
	static const char *sql =
	    "SELECT " COMMENT_COLS " FROM dispute_comments "
	    "WHERE dispute_id = ? AND id > ? ORDER BY id LIMIT ?";
	struct dispute d;
	struct page pg;

	if (dispute_load_or_reply(r, r->captures[0], &d) ||
	    http_page_or_reply(r, &pg) ||
	    http_query_or_reply(r, NULL, 0, NULL))
		return;
	{
		/* Oldest first: a thread reads in the order it was written. */
		struct db_param p[] = { P_INT(d.id), P_INT(pg.after),
		    P_INT(pg.limit) };

		db_reply_page(r, &pg, sql, p, NPARAMS(p));
	}
}

/* The notification: which ticket, which comment. */
static json_object *
comment_notice(const struct dispute *d, long long comment_id)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "dispute_id", json_object_new_int64(d->id));
	json_object_object_add(o, "comment_id",
	    json_object_new_int64(comment_id));
	json_object_object_add(o, "subject",
	    json_object_new_string(d->subject));
	return o;
}

void
comment_create(struct http_req *r)
{
	enum { CM_BODY, CM__N };
	static const struct field spec[CM__N] = {
		[CM_BODY] = { "body", F_TEXT, true, 1, 10000, NULL },
	};
	static const char *insert =
	    "INSERT INTO dispute_comments (dispute_id, author_account_id, "
	    "  author_agency_id, body) VALUES (?, ?, ?, ?)";
	static const char *show =
	    "SELECT " COMMENT_COLS " FROM dispute_comments WHERE id = ?";
	struct fval v[NPARAMS(spec)];
	struct dispute d;
	struct db_rows *rows;
	unsigned long long id;
	json_object *o;
	int st;

	if (dispute_load_or_reply(r, r->captures[0], &d))
		return;
	if (dispute_parties(&r->who, &d, true) == 0) {
		http_error(r, 403, "forbidden", "only the parties to the "
		    "ticket and DIC may comment on it");
		return;
	}
	if (json_read_or_reply(r, r->json, spec, NPARAMS(spec), v))
		return;
	/* A closed or rejected ticket is done; a new matter is a new one. */
	if (strcmp(d.state, "closed") == 0 || strcmp(d.state, "rejected") == 0) {
		http_error(r, 409, "conflict", "the ticket is %s", d.state);
		return;
	}
	{
		struct db_param p[] = { P_INT(d.id), P_INT(r->who.account_id),
		    P_INT(r->who.agency_id), P_STR(v[CM_BODY].s) };
		struct db_param q[1];

		if ((st = db_begin()) ||
		    (st = db_exec(insert, p, NPARAMS(p), NULL, &id)))
			goto fail;
		q[0] = P_INT((long long)id);
		if ((st = db_query(r->arena, show, q, 1, &rows)))
			goto fail;
	}
	o = db_row_json(rows, 0);
	if ((st = audit_append(&r->who, "dispute.comment", "dispute_comment",
	    (long long)id, NULL, json_object_get(o))) ||
	    (st = dispute_notify_parties(&r->who, &d, "dispute.comment",
	    comment_notice(&d, (long long)id))) || (st = db_commit())) {
		json_object_put(o);
		goto fail;
	}
	http_reply(r, 201, o);
	return;
fail:
	db_rollback();
	http_error_status(r, st);
}
