/*
 * Errors in shared data (R6.2; Art. 17.2.c: the consumer reports what it
 * finds wrong, Art. 16.2.d: the provider corrects it). A consumer of the
 * dataset (an agency holding a grant on it, or any agency for open data)
 * files what is wrong, where and the evidence; the provider acknowledges,
 * then marks it corrected, naming the file version that corrects it, or
 * rejects it with a reason. The moves are a table (report_steps) that the
 * core runs: conditional UPDATEs, 409 when the report is not in the state
 * the move starts from.
 */
#include <string.h>

#include "ds.h"
#include "sharing.h"

#define REPORT_COLS \
	"e.id, e.dataset_id, e.file_id, e.grant_id, e.reporter_agency_id, " \
	"e.provider_agency_id, e.what, e.location, e.evidence, e.status, " \
	"e.acknowledged_at, e.corrected_file_id, e.resolution_note, " \
	"e.rejection_reason, e.resolved_at, e.resolved_by, e.created_by, " \
	"e.created_at, e.updated_at"

static const char *sql_show =
    "SELECT " REPORT_COLS " FROM error_reports e WHERE e.id = ?";

static const char *sql_version =
    "SELECT id, version FROM warehouse_files WHERE id = ? AND dataset_id = ?";

/* The error report in the path, for its two sides' staff and overseers. */
static const struct party_record report_record = {
	&sql_show, { "provider_agency_id", "reporter_agency_id" }, "error report"
};

/* The reporter's grant on the dataset (its latest), 0 when none. */
static int
reporter_grant(struct http_req *r, long long dataset, long long *grant)
{
	static const char *sql =
	    "SELECT MAX(id) AS id FROM grants "
	    "WHERE dataset_id = ? AND consumer_agency_id = ?";
	struct db_param p[] = { P_INT(dataset), P_INT(r->who.agency_id) };
	struct db_rows *rows;
	int st;

	if ((st = db_query(r->arena, sql, p, 2, &rows)) != DS_OK)
		return st;
	*grant = db_get_int(rows, 0, "id");
	return DS_OK;
}

enum { ER_DATASET, ER_FILE, ER_WHAT, ER_LOCATION, ER_EVIDENCE, ER__N };

/* Only a consumer of the dataset reports errors in it. */
static int
reporter_or_reply(struct http_req *r, const struct fval *v,
    struct db_rows **d, long long *grant)
{
	const char *why;
	bool open;
	int st;

	if ((st = dataset_load(r->arena, v[ER_DATASET].i, d)) == DS_ENOTFOUND) {
		json_detail(r, "dataset_id", "no such dataset");
		return json_details_reply(r, "the request has invalid fields");
	}
	if (st != DS_OK || (st = reporter_grant(r, v[ER_DATASET].i,
	    grant)) != DS_OK)
		return http_error_status(r, st);
	if (db_get_int(*d, 0, "provider_agency_id") == r->who.agency_id) {
		json_detail(r, "dataset_id", "is your own agency's dataset");
		return json_details_reply(r, "the request has invalid fields");
	}
	open = dataset_unshareable(*d, &why) == NULL &&
	    strcmp(db_get(*d, 0, "classification"), "open") == 0;
	if (*grant == 0 && !open)
		return http_error(r, 403, "forbidden", "only an agency that "
		    "receives this dataset reports errors in it");
	if (v[ER_FILE].present) {
		struct db_param p[] = { P_INT(v[ER_FILE].i),
		    P_INT(v[ER_DATASET].i) };
		struct db_rows *f;

		if ((st = db_query(r->arena, sql_version, p, 2, &f)) != DS_OK)
			return http_error_status(r, st);
		if (f->nrows != 1) {
			json_detail(r, "file_id", "no such file of this "
			    "dataset");
			return json_details_reply(r, "the request has invalid "
			    "fields");
		}
	}
	return 0;
}

void
error_report_create(struct http_req *r)
{
	static const struct field spec[ER__N] = {
		[ER_DATASET] = { "dataset_id", F_ID, true, 0, 0, NULL },
		[ER_FILE] = { "file_id", F_ID, false, 0, 0, NULL },
		[ER_WHAT] = { "what", F_TEXT, true, 1, 5000, NULL },
		[ER_LOCATION] = { "location", F_TEXT, true, 1, 5000, NULL },
		[ER_EVIDENCE] = { "evidence", F_TEXT, false, 1, 20000, NULL },
	};
	static const char *insert =
	    "INSERT INTO error_reports (dataset_id, file_id, grant_id, "
	    "  reporter_agency_id, provider_agency_id, what, location, "
	    "  evidence, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
	struct fval v[NPARAMS(spec)];
	struct db_rows *d, *rows;
	unsigned long long id;
	long long grant = 0, provider;
	int st;

	if (auth_require_role_or_reply(r, ROLE_ANY_AGENCY) ||
	    json_read_or_reply(r, r->json, spec, NPARAMS(spec), v) ||
	    reporter_or_reply(r, v, &d, &grant))
		return;
	provider = db_get_int(d, 0, "provider_agency_id");
	{
		struct db_param p[] = { P_INT(v[ER_DATASET].i),
		    db_param_fval(&v[ER_FILE], F_ID),
		    grant ? P_INT(grant) : P_NULL, P_INT(r->who.agency_id),
		    P_INT(provider), P_STR(v[ER_WHAT].s),
		    P_STR(v[ER_LOCATION].s), P_STR(v[ER_EVIDENCE].s),
		    P_INT(r->who.account_id) };
		struct db_param q[1];

		if ((st = db_begin()) ||
		    (st = db_exec(insert, p, NPARAMS(p), NULL, &id)))
			goto fail;
		q[0] = P_INT((long long)id);
		if ((st = db_query(r->arena, sql_show, q, 1, &rows)))
			goto fail;
	}
	if ((st = notify(provider, "error_report.filed", "error_report",
	    (long long)id, NULL)))
		goto fail;
	tx_commit_reply(r, "error_report.create", "error_report", (long long)id,
	    NULL, db_row_json(rows, 0), 201);
	return;
fail:
	tx_fail_reply(r, st);
}

void
error_reports_list(struct http_req *r)
{
	static const char *sql =
	    "SELECT " REPORT_COLS " FROM error_reports e "
	    "WHERE (? = 1 OR e.provider_agency_id = ? OR "
	    "    e.reporter_agency_id = ?) "
	    "  AND (? IS NULL OR e.status = ?) "
	    "  AND (? = 0 OR e.dataset_id = ?) "
	    "  AND (? = 0 OR e.id > ?) "
	    "ORDER BY e.id LIMIT ?";
	static const char *const statuses[] = {
		"open", "acknowledged", "corrected", "rejected", NULL
	};
	enum { Q_STATUS, Q_DATASET, Q__N };
	static const struct field query[Q__N] = {
		[Q_STATUS] = { "status", F_ENUM, false, 0, 0, statuses },
		[Q_DATASET] = { "dataset_id", F_ID, false, 0, 0, NULL },
	};
	struct fval q[Q__N];
	const char *status;
	long long dataset, me = r->who.agency_id;
	struct page pg;

	if (auth_require_role_or_reply(r, ROLE_ANY_AGENCY | ROLE_OVERSEER) ||
	    http_query_or_reply(r, query, Q__N, q) ||
	    http_page_or_reply(r, &pg))
		return;
	status = q[Q_STATUS].s;
	dataset = q[Q_DATASET].i;
	{
		struct db_param p[] = { P_INT(is_overseer(&r->who)), P_INT(me),
		    P_INT(me), P_STR(status), P_STR(status), P_INT(dataset),
		    P_INT(dataset), P_INT(pg.after), P_INT(pg.after),
		    P_INT(pg.limit) };

		db_reply_page(r, &pg, sql, p, NPARAMS(p));
	}
}

void
error_report_show(struct http_req *r)
{
	struct db_rows *rows;

	if (party_load_or_reply(r, &report_record, &rows) == 0)
		http_reply(r, 200, db_row_json(rows, 0));
}

/* Who moves a report: an officer of the dataset's provider. The reporter
 * and overseers see it but move nothing (403). */
#define BY_PROVIDER	(1u << 0)

#define MOVE	"UPDATE error_reports SET updated_at = UTC_TIMESTAMP(6), "
#define FROM	" WHERE id = ? AND status = ?"

/*
 * The life of an error report, as one table (Art. 17.2.c: the consumer
 * reports; Art. 16.2.d: the provider corrects):
 *
 *   open -> acknowledged -> corrected   naming the correcting version
 *     \____________\-------> rejected   with a reason
 *
 * Correcting takes (file, note, resolver), rejecting (reason, resolver)
 * before the id and state.
 */
static const struct transition report_steps[] = {
	{ "open", "acknowledged", BY_PROVIDER, MOVE "status = 'acknowledged', "
	  "acknowledged_at = UTC_TIMESTAMP(6)" FROM },
	{ "acknowledged", "corrected", BY_PROVIDER,
	  MOVE "status = 'corrected', "
	  "corrected_file_id = ?, resolution_note = ?, "
	  "resolved_at = UTC_TIMESTAMP(6), resolved_by = ?" FROM },
	{ "open", "rejected", BY_PROVIDER, MOVE "status = 'rejected', "
	  "rejection_reason = ?, resolved_at = UTC_TIMESTAMP(6), "
	  "resolved_by = ?" FROM },
	{ "acknowledged", "rejected", BY_PROVIDER, MOVE "status = 'rejected', "
	  "rejection_reason = ?, resolved_at = UTC_TIMESTAMP(6), "
	  "resolved_by = ?" FROM },
};
static const struct machine report_life =
    MACHINE("report", "wrong_state", report_steps);

/* The report in the path and the step to `to` the caller may take: 403
 * but for the provider's officers, 409 from a state with no such step. */
static int
report_step_or_reply(struct http_req *r, const char *to,
    struct db_rows **rows, const struct transition **t)
{
	unsigned who = 0;

	if (party_load_or_reply(r, &report_record, rows))
		return DS_REPLIED;
	if (auth_has_role(&r->who, ROLE_ANY_AGENCY) && r->who.agency_id ==
	    db_get_int(*rows, 0, "provider_agency_id"))
		who = BY_PROVIDER;
	return transition_find_or_reply(r, &report_life, db_get(*rows, 0,
	    "status"), to, who, t);
}

/* Takes step t (params p, before the id and state), with its audit row
 * and the reporter's notification; replies the report after it. */
static void
transition(struct http_req *r, const struct db_rows *before,
    const struct transition *t, const struct db_param *p, size_t n,
    const char *action, const char *kind)
{
	struct db_param q[] = { P_INT(r->captures[0]) };
	struct db_rows *after;
	int st;

	if (transition_begin_or_reply(r, &report_life, t, r->captures[0], p, n))
		return;
	if ((st = db_query(r->arena, sql_show, q, 1, &after)) ||
	    (st = notify(db_get_int(before, 0, "reporter_agency_id"), kind,
	    "error_report", r->captures[0], NULL))) {
		tx_fail_reply(r, st);
		return;
	}
	tx_commit_reply(r, action, "error_report", r->captures[0],
	    db_row_json(before, 0), db_row_json(after, 0), 200);
}

void
error_report_acknowledge(struct http_req *r)
{
	const struct transition *t;
	struct db_rows *before;

	if (report_step_or_reply(r, "acknowledged", &before, &t) == 0)
		transition(r, before, t, NULL, 0, "error_report.acknowledge",
		    "error_report.acknowledged");
}

void
error_report_correct(struct http_req *r)
{
	enum { EC_FILE, EC_NOTE, EC__N };
	static const struct field spec[EC__N] = {
		[EC_FILE] = { "file_id", F_ID, true, 0, 0, NULL },
		[EC_NOTE] = { "note", F_TEXT, false, 1, 5000, NULL },
	};
	const struct transition *t;
	struct fval v[NPARAMS(spec)];
	struct db_rows *before, *f;
	int st;

	if (report_step_or_reply(r, "corrected", &before, &t) ||
	    json_read_or_reply(r, r->json, spec, NPARAMS(spec), v))
		return;
	{
		struct db_param p[] = { P_INT(v[EC_FILE].i),
		    P_INT(db_get_int(before, 0, "dataset_id")) };

		if ((st = db_query(r->arena, sql_version, p, 2, &f)) != DS_OK) {
			http_error_status(r, st);
			return;
		}
	}
	/* The correction is a version uploaded after the report. */
	if (f->nrows != 1 || (db_get(before, 0, "file_id") != NULL &&
	    v[EC_FILE].i <= db_get_int(before, 0, "file_id"))) {
		json_detail(r, "file_id", "must name a version of the dataset "
		    "newer than the one reported");
		json_details_reply(r, "the request has invalid fields");
		return;
	}
	{
		struct db_param p[] = { P_INT(v[EC_FILE].i), P_STR(v[EC_NOTE].s),
		    P_INT(r->who.account_id) };

		transition(r, before, t, p, NPARAMS(p),
		    "error_report.correct", "error_report.corrected");
	}
}

void
error_report_reject(struct http_req *r)
{
	enum { EJ_REASON, EJ__N };
	static const struct field spec[EJ__N] = {
		[EJ_REASON] = { "reason", F_TEXT, true, 1, 5000, NULL },
	};
	const struct transition *t;
	struct fval v[NPARAMS(spec)];
	struct db_rows *before;

	if (report_step_or_reply(r, "rejected", &before, &t) ||
	    json_read_or_reply(r, body_or_empty(r), spec, NPARAMS(spec), v))
		return;
	if (text_blank(v[EJ_REASON].s)) {
		json_detail(r, "reason", "must state a reason");
		json_details_reply(r, "the request has invalid fields");
		return;
	}
	{
		struct db_param p[] = { P_STR(v[EJ_REASON].s),
		    P_INT(r->who.account_id) };

		transition(r, before, t, p, NPARAMS(p),
		    "error_report.reject", "error_report.rejected");
	}
}
