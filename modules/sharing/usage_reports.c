/*
 * Usage reports (R6.1; Art. 16.1.e): the provider requires the consumer
 * of a grant to report how it uses the shared data, by a due date; the
 * consumer answers once; unanswered ones past their date are overdue.
 */
#include <string.h>

#include "ds.h"
#include "sharing.h"

#define REPORT_COLS \
	"u.id, u.grant_id, u.provider_agency_id, u.consumer_agency_id, " \
	"u.question, u.due_at, u.status, u.answer, u.answered_at, " \
	"u.answered_by, u.requested_by, u.created_at, " \
	"(u.status = 'requested' AND u.due_at < UTC_TIMESTAMP(6)) AS overdue_bool"

static const char *sql_show =
    "SELECT " REPORT_COLS " FROM usage_report_requests u WHERE u.id = ?";

void
usage_report_request(struct http_req *r)
{
	enum { UQ_QUESTION, UQ_DUE_AT, UQ__N };
	static const struct field spec[UQ__N] = {
		[UQ_QUESTION] = { "question", F_TEXT, true, 1, 5000, NULL },
		[UQ_DUE_AT] = { "due_at", F_DATETIME, true, 0, 0, NULL },
	};
	static const char *insert =
	    "INSERT INTO usage_report_requests (grant_id, provider_agency_id, "
	    "  consumer_agency_id, question, due_at, requested_by) "
	    "VALUES (?, ?, ?, ?, ?, ?)";
	struct fval v[NPARAMS(spec)];
	struct db_rows *g, *rows;
	unsigned long long id;
	long long consumer;
	const char *now;
	int st;

	if (auth_require_role_or_reply(r, ROLE_ANY_AGENCY) ||
	    grant_load_or_reply(r, r->captures[0], &g))
		return;
	if (r->who.agency_id != db_get_int(g, 0, "provider_agency_id")) {
		http_error(r, 403, "forbidden", "only the grant's provider asks "
		    "for a usage report");
		return;
	}
	if (json_read_or_reply(r, r->json, spec, NPARAMS(spec), v))
		return;
	if ((st = db_now_text(r->arena, &now)) != DS_OK) {
		http_error_status(r, st);
		return;
	}
	if (time_cmp(v[UQ_DUE_AT].s, now) <= 0) {
		json_detail(r, "due_at", "must be in the future");
		json_details_reply(r, "the request has invalid fields");
		return;
	}
	consumer = db_get_int(g, 0, "consumer_agency_id");
	{
		struct db_param p[] = { P_INT(r->captures[0]),
		    P_INT(r->who.agency_id), P_INT(consumer),
		    P_STR(v[UQ_QUESTION].s),
		    P_STR(v[UQ_DUE_AT].s), P_INT(r->who.account_id) };
		struct db_param q[1];

		if ((st = db_begin()) ||
		    (st = db_exec(insert, p, NPARAMS(p), NULL, &id)))
			goto fail;
		q[0] = P_INT((long long)id);
		if ((st = db_query(r->arena, sql_show, q, 1, &rows)))
			goto fail;
	}
	if ((st = notify(consumer, "usage_report.requested", "usage_report",
	    (long long)id, NULL)))
		goto fail;
	tx_commit_reply(r, "usage_report.request", "usage_report",
	    (long long)id, NULL, db_row_json(rows, 0), 201);
	return;
fail:
	tx_fail_reply(r, st);
}

void
grant_usage_reports_list(struct http_req *r)
{
	static const char *sql =
	    "SELECT " REPORT_COLS " FROM usage_report_requests u "
	    "WHERE u.grant_id = ? AND (? = 0 OR u.id > ?) "
	    "ORDER BY u.id LIMIT ?";
	struct db_rows *g, *rows;
	struct page pg;
	int st;

	/* Agency staff and overseers: a consumer system reads no report. */
	if (auth_require_role_or_reply(r, ROLE_ANY_AGENCY | ROLE_OVERSEER) ||
	    grant_load_or_reply(r, r->captures[0], &g) ||
	    http_page_or_reply(r, &pg) ||
	    http_query_or_reply(r, NULL, 0, NULL))
		return;
	{
		struct db_param p[] = { P_INT(r->captures[0]), P_INT(pg.after),
		    P_INT(pg.after), P_INT(pg.limit) };

		if ((st = db_query(r->arena, sql, p, NPARAMS(p), &rows))) {
			http_error_status(r, st);
			return;
		}
	}
	http_reply_page_rows(r, &pg, rows);
}

void
usage_reports_list(struct http_req *r)
{
	static const char *sql =
	    "SELECT " REPORT_COLS " FROM usage_report_requests u "
	    "WHERE (? = 1 OR u.provider_agency_id = ? OR "
	    "    u.consumer_agency_id = ?) "
	    "  AND (? IS NULL OR u.status = ?) "
	    "  AND (? = 0 OR u.grant_id = ?) "
	    "  AND (? = 0 OR (u.status = 'requested' AND "
	    "    u.due_at < UTC_TIMESTAMP(6))) "
	    "  AND (? = 0 OR u.id > ?) "
	    "ORDER BY u.id LIMIT ?";
	static const char *const statuses[] = { "requested", "answered", NULL };
	enum { Q_STATUS, Q_GRANT, Q_OVERDUE, Q__N };
	static const struct field query[Q__N] = {
		[Q_STATUS] = { "status", F_ENUM, false, 0, 0, statuses },
		[Q_GRANT] = { "grant_id", F_ID, false, 0, 0, NULL },
		[Q_OVERDUE] = { "overdue", F_BOOL, false, 0, 0, NULL },
	};
	struct fval q[Q__N];
	const char *status;
	long long grant, me = r->who.agency_id;
	struct db_rows *rows;
	struct page pg;
	bool overdue;
	int st;

	if (auth_require_role_or_reply(r, ROLE_ANY_AGENCY | ROLE_OVERSEER) ||
	    http_query_or_reply(r, query, Q__N, q) ||
	    http_page_or_reply(r, &pg))
		return;
	status = q[Q_STATUS].s;
	grant = q[Q_GRANT].i;
	overdue = q[Q_OVERDUE].i != 0;
	{
		struct db_param p[] = { P_INT(is_overseer(&r->who)), P_INT(me),
		    P_INT(me), P_STR(status), P_STR(status), P_INT(grant),
		    P_INT(grant), P_INT(overdue), P_INT(pg.after),
		    P_INT(pg.after), P_INT(pg.limit) };

		if ((st = db_query(r->arena, sql, p, NPARAMS(p), &rows))) {
			http_error_status(r, st);
			return;
		}
	}
	http_reply_page_rows(r, &pg, rows);
}

/* The usage report in the path, for its two sides' staff and overseers. */
static const struct party_record report_record = {
	&sql_show, { "provider_agency_id", "consumer_agency_id" }, "usage report"
};

void
usage_report_show(struct http_req *r)
{
	struct db_rows *rows;

	if (party_load_or_reply(r, &report_record, &rows) == 0)
		http_reply(r, 200, db_row_json(rows, 0));
}

/* Who answers a usage report: an officer of the grant's consumer. */
#define BY_CONSUMER	(1u << 0)

/*
 * The life of a usage report, as one table (Art. 16.1.e): the provider
 * requires it (usage_report_request), the consumer answers it once.
 *
 *   requested -> answered   the consumer; takes (answer, answered_by)
 */
static const struct transition usage_steps[] = {
	{ "requested", "answered", BY_CONSUMER,
	  "UPDATE usage_report_requests SET status = 'answered', "
	  "answer = ?, answered_at = UTC_TIMESTAMP(6), answered_by = ? "
	  "WHERE id = ? AND status = ?" },
};
static const struct machine usage_life =
    MACHINE("report", "already_answered", usage_steps);

void
usage_report_answer(struct http_req *r)
{
	enum { UA_ANSWER, UA__N };
	static const struct field spec[UA__N] = {
		[UA_ANSWER] = { "answer", F_TEXT, true, 1, 20000, NULL },
	};
	const struct transition *t;
	struct fval v[NPARAMS(spec)];
	struct db_rows *before, *after;
	unsigned who = 0;
	int st;

	if (party_load_or_reply(r, &report_record, &before))
		return;
	if (auth_has_role(&r->who, ROLE_ANY_AGENCY) && r->who.agency_id ==
	    db_get_int(before, 0, "consumer_agency_id"))
		who = BY_CONSUMER;
	if (transition_find_or_reply(r, &usage_life, db_get(before, 0,
	    "status"), "answered", who, &t) ||
	    json_read_or_reply(r, r->json, spec, NPARAMS(spec), v))
		return;
	{
		struct db_param p[] = { P_STR(v[UA_ANSWER].s),
		    P_INT(r->who.account_id) };

		if (transition_begin_or_reply(r, &usage_life, t, r->captures[0],
		    p, NPARAMS(p)))
			return;
	}
	{
		struct db_param p[] = { P_INT(r->captures[0]) };

		if ((st = db_query(r->arena, sql_show, p, 1, &after)) ||
		    (st = notify(db_get_int(before, 0, "provider_agency_id"),
		    "usage_report.answered", "usage_report", r->captures[0],
		    NULL))) {
			tx_fail_reply(r, st);
			return;
		}
	}
	tx_commit_reply(r, "usage_report.answer", "usage_report",
	    r->captures[0], db_row_json(before, 0), db_row_json(after, 0), 200);
}
