/*
 * Focal points (Art. 15.1.b, R9.1): each agency names one officer in
 * charge of its data sharing. Naming a new one ends the current one's
 * term; the history stays readable with its dates.
 */
#include <string.h>

#include "ds.h"
#include "catalog.h"

#define FOCAL_COLS "id, agency_id, name, title, email, phone, account_id, " \
	"appointed_by, started_at, ended_at"

static const char *sql_agency =
    "SELECT id, is_dic FROM agencies WHERE id = ?";

/* {"agency_id", "current": {...}|null, "history": [newest first]}. */
static int
focal_json(struct http_req *r, long long agency, json_object **out)
{
	static const char *sql =
	    "SELECT " FOCAL_COLS " FROM focal_points WHERE agency_id = ? "
	    "ORDER BY id DESC";
	struct db_param p[] = { P_INT(agency) };
	struct db_rows *rows;
	json_object *o;
	int st;

	if ((st = db_query(r->arena, sql, p, 1, &rows)) != DS_OK)
		return st;
	o = json_object_new_object();
	json_object_object_add(o, "agency_id", json_object_new_int64(agency));
	json_object_object_add(o, "current", rows->nrows > 0 &&
	    db_get(rows, 0, "ended_at") == NULL ? db_row_json(rows, 0) : NULL);
	json_object_object_add(o, "history", db_rows_json(rows));
	*out = o;
	return DS_OK;
}

void
focal_points_show(struct http_req *r)
{
	struct db_rows *ag;
	json_object *o;
	int st;

	if (row_or_reply(r, sql_agency, r->captures[0], "agency", &ag))
		return;
	if ((st = focal_json(r, r->captures[0], &o)) != DS_OK) {
		http_error_status(r, st);
		return;
	}
	http_reply(r, 200, o);
}

/* The officer's account, when named, must be an active account of the
 * agency. */
static int
check_account_or_reply(struct http_req *r, const struct fval *acc,
    long long agency)
{
	static const char *sql =
	    "SELECT id FROM accounts WHERE id = ? AND agency_id = ? "
	    "AND status = 'active' AND grant_id IS NULL";
	struct db_param p[] = { P_INT(acc->i), P_INT(agency) };
	struct db_rows *rows;
	int st;

	if (!acc->present)
		return 0;
	if ((st = db_query(r->arena, sql, p, 2, &rows)) != DS_OK)
		return http_error_status(r, st);
	if (rows->nrows != 1)
		return invalid_field(r, "account_id",
		    "is not an active account of this agency");
	return 0;
}

/* Who may name an agency's focal point: the DIC, or the agency itself. */
static int
appointer_or_reply(struct http_req *r, long long agency)
{
	if (auth_has_role(&r->who, ROLE_DIC_ADMIN) ||
	    (r->who.agency_id == agency &&
	    auth_has_role(&r->who, ROLE_ANY_AGENCY)))
		return 0;
	return http_error(r, 403, "forbidden",
	    "only the agency itself or the DIC names its focal point");
}

/* PUT /agencies/{id}/focal-points: the new holder replaces the current
 * one, whose term ends now. */
void
focal_point_set(struct http_req *r)
{
	enum { FP_NAME, FP_TITLE, FP_EMAIL, FP_PHONE, FP_ACCOUNT, FP__N };
	static const struct field spec[FP__N] = {
		[FP_NAME] = { "name", F_STRING, true, 1, 255, NULL },
		[FP_TITLE] = { "title", F_STRING, false, 1, 255, NULL },
		[FP_EMAIL] = { "email", F_STRING, true, 3, 255, NULL },
		[FP_PHONE] = { "phone", F_STRING, false, 3, 32, NULL },
		[FP_ACCOUNT] = { "account_id", F_ID, false, 0, 0, NULL },
	};
	/* Locking the agency row serialises two appointments. */
	static const char *lock =
	    "SELECT id, is_dic FROM agencies WHERE id = ? FOR UPDATE";
	static const char *end_current =
	    "UPDATE focal_points SET ended_at = UTC_TIMESTAMP(6) "
	    "WHERE agency_id = ? AND ended_at IS NULL";
	static const char *insert =
	    "INSERT INTO focal_points (agency_id, name, title, email, phone, "
	    "  account_id, appointed_by, started_at) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(6))";
	struct fval v[NPARAMS(spec)];
	long long agency = r->captures[0];
	struct db_rows *ag;
	json_object *before, *after;
	int st;

	if (row_or_reply(r, sql_agency, agency, "agency", &ag) ||
	    appointer_or_reply(r, agency) ||
	    json_read_or_reply(r, r->json, spec, NPARAMS(spec), v))
		return;
	if (strchr(v[FP_EMAIL].s, '@') == NULL) {
		invalid_field(r, "email", "must be an e-mail address");
		return;
	}
	if (check_account_or_reply(r, &v[FP_ACCOUNT], agency))
		return;
	if ((st = db_begin()) != DS_OK ||
	    row_or_reply(r, lock, agency, "agency", &ag) ||
	    (st = focal_json(r, agency, &before)) != DS_OK)
		goto fail;
	{
		struct db_param e[] = { P_INT(agency) };
		struct db_param p[] = { P_INT(agency), P_STR(v[FP_NAME].s),
		    P_STR(v[FP_TITLE].s), P_STR(v[FP_EMAIL].s),
		    P_STR(v[FP_PHONE].s),
		    db_param_fval(&v[FP_ACCOUNT], F_ID),
		    P_INT(r->who.account_id) };

		if ((st = db_exec(end_current, e, 1, NULL, NULL)) ||
		    (st = db_exec(insert, p, NPARAMS(p), NULL, NULL)) ||
		    (st = focal_json(r, agency, &after))) {
			json_object_put(before);
			goto fail;
		}
	}
	/* Art. 15.1.a: the DIC coordinates the agencies' focal points; the
	 * agency hears of a change it did not make itself. */
	st = r->who.agency_id == agency ?
	    notify_dic("focal_point.changed", "agency", agency, NULL) :
	    notify(agency, "focal_point.changed", "agency", agency, NULL);
	if (st != DS_OK) {
		json_object_put(before);
		json_object_put(after);
		goto fail;
	}
	tx_commit_reply(r, "focal_point.set", "agency", agency, before, after,
	    200);
	return;
fail:
	if (r->status == 0)
		tx_fail_reply(r, st);
}
