/*
 * The grant as the suspension module sees it: loading and locking it,
 * who may act on it, its status transitions, and what every record here
 * shares (legal grounds, the dispute call).
 *
 * The sharing module owns the grants table; this module changes only its
 * status ('suspended', 'terminated', back to 'active' or 'expired'), by
 * the one writer of grant status (core grant_state.c), always after
 * locking the row, so a suspension, a lift and a termination of one grant
 * never interleave. What "past its end" means is grant_state.h's too.
 * Art. 16.1.g, 16.2.h; ND47 Art. 43, 44 (R7).
 */
#include <string.h>

#include "ds.h"
#include "suspension.h"

#define GRANT_COLS "id, provider_agency_id, consumer_agency_id, service_id, " \
	"status, " GRANT_PAST_END_SQL("grants") " AS past_end"

static const char *sql_grant =
    "SELECT " GRANT_COLS " FROM grants WHERE id = ?";
static const char *sql_grant_lock =
    "SELECT " GRANT_COLS " FROM grants WHERE id = ? FOR UPDATE";

bool
caller_is_dic(const struct http_req *r)
{
	return auth_has_role(&r->who, ROLE_DIC_ADMIN);
}

bool
caller_sees_all(const struct http_req *r)
{
	return auth_has_role(&r->who, ROLE_DIC_ADMIN | ROLE_AUDITOR);
}

static void
grant_fill(const struct db_rows *rows, size_t i, struct grant *g)
{
	g->id = db_get_int(rows, i, "id");
	g->provider = db_get_int(rows, i, "provider_agency_id");
	g->consumer = db_get_int(rows, i, "consumer_agency_id");
	g->service = db_get_int(rows, i, "service_id");
	g->status = db_get(rows, i, "status");
	g->past_end = db_get_int(rows, i, "past_end") != 0;
}

int
grant_get_or_reply(struct http_req *r, long long id, bool lock,
    struct grant *g)
{
	struct db_param p[] = { P_INT(id) };
	struct db_rows *rows;
	int st;

	if ((st = db_query(r->arena, lock ? sql_grant_lock : sql_grant, p, 1,
	    &rows)) != DS_OK)
		return http_error_status(r, st);
	if (rows->nrows != 1)
		return http_error(r, 404, "not_found", "no such grant");
	grant_fill(rows, 0, g);
	/* Other agencies' grants are invisible (404, not 403). */
	if (!caller_sees_all(r) && r->who.agency_id != g->provider &&
	    r->who.agency_id != g->consumer)
		return http_error(r, 404, "not_found", "no such grant");
	return DS_OK;
}

int
grants_live_lock(struct http_req *r, long long consumer, long long provider,
    struct grant **out, size_t *n)
{
	/* In id order, so two such requests lock in the same order. */
	static const char *sql =
	    "SELECT " GRANT_COLS " FROM grants "
	    "WHERE consumer_agency_id = ? AND provider_agency_id = ? "
	    "  AND status IN ('active', 'suspended') "
	    "  AND NOT " GRANT_PAST_END_SQL("grants") " "
	    "ORDER BY id FOR UPDATE";
	struct db_param p[] = { P_INT(consumer), P_INT(provider) };
	struct db_rows *rows;
	int st;

	if ((st = db_query(r->arena, sql, p, NPARAMS(p), &rows)) != DS_OK)
		return st;
	*out = arena_calloc(r->arena, rows->nrows + 1, sizeof(**out));
	for (size_t i = 0; i < rows->nrows; i++)
		grant_fill(rows, i, &(*out)[i]);
	*n = rows->nrows;
	return DS_OK;
}

int
grant_require_provider_or_reply(struct http_req *r, const struct grant *g)
{
	if (caller_is_dic(r) || (r->who.agency_id == g->provider &&
	    auth_has_role(&r->who, ROLE_ANY_AGENCY)))
		return DS_OK;
	return http_error(r, 403, "forbidden",
	    "only the providing agency or DIC may do this");
}

int
grant_require_not_terminated_or_reply(struct http_req *r,
    const struct grant *g)
{
	/* R7.4: termination is final. */
	if (strcmp(g->status, "terminated") == 0)
		return http_error(r, 409, "grant_terminated",
		    "grant %lld is terminated; a new sharing request is needed",
		    g->id);
	return DS_OK;
}

int
grant_require_live_or_reply(struct http_req *r, const struct grant *g)
{
	if (grant_require_not_terminated_or_reply(r, g))
		return DS_REPLIED;
	if (strcmp(g->status, "expired") == 0 || g->past_end)
		return http_error(r, 409, "grant_expired",
		    "grant %lld has expired", g->id);
	return DS_OK;
}

const char *
imposed_by(const struct http_req *r, const struct grant *g)
{
	return caller_is_dic(r) && r->who.agency_id != g->provider ?
	    "dic" : "provider";
}

const char *const *
grounds_list(struct arena *a, const char *key, const char *def)
{
	const char *p = conf_str(key, def), *end, *s;
	size_t n = 1, k = 0, len;
	const char **out;

	for (const char *c = p; *c != '\0'; c++)
		if (*c == ',')
			n++;
	out = arena_calloc(a, n + 1, sizeof(*out));
	while (*p != '\0') {
		if ((end = strchr(p, ',')) == NULL)
			end = p + strlen(p);
		for (s = p; s < end && *s == ' '; s++)
			;
		for (len = (size_t)(end - s); len > 0 && s[len - 1] == ' ';
		    len--)
			;
		if (len > 0)
			out[k++] = arena_strndup(a, s, len);
		p = *end == ',' ? end + 1 : end;
	}
	out[k] = NULL;
	return out;
}

int
notify_provider_if_dic(const struct http_req *r, const struct grant *g,
    const char *kind, const char *entity, long long id, json_object *payload)
{
	if (r->who.agency_id == g->provider) {
		json_object_put(payload);
		return DS_OK;
	}
	return notify(g->provider, kind, entity, id, payload);
}

int
fields_read_or_reply(struct http_req *r, const struct field *spec, size_t n,
    struct fval *v)
{
	json_object *val;

	/* Blank texts first, so that the 422 names them together with
	 * whatever json_read_or_reply finds. */
	for (size_t i = 0; i < n; i++)
		if ((spec[i].type == F_TEXT || spec[i].type == F_STRING) &&
		    json_object_is_type(r->json, json_type_object) &&
		    json_object_object_get_ex(r->json, spec[i].name, &val) &&
		    json_object_is_type(val, json_type_string) &&
		    json_object_get_string_len(val) > 0 &&
		    json_object_get_string(val)[strspn(json_object_get_string(val),
		    " \t\r\n")] == '\0')
			json_detail(r, spec[i].name, "must not be blank");
	return json_read_or_reply(r, r->json, spec, n, v);
}


