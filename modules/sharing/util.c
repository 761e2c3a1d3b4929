/*
 * Helpers the sharing handlers share: transactions, the datasets as the
 * sharing rules see them (Art. 1.2, 10, 12.2), field-name sets, the DIC.
 */
#include <ctype.h>
#include <string.h>

#include "ds.h"
#include "sharing.h"


bool
is_overseer(const struct identity *who)
{
	return auth_has_role(who, ROLE_OVERSEER);
}

int
party_load_or_reply(struct http_req *r, const struct party_record *rec,
    struct db_rows **rows)
{
	struct db_param p[] = { P_INT(r->captures[0]) };
	int st;

	if (auth_require_role_or_reply(r, ROLE_ANY_AGENCY | ROLE_OVERSEER))
		return DS_REPLIED;
	if ((st = db_query(r->arena, *rec->sql, p, 1, rows)) != DS_OK)
		return http_error_status(r, st);
	if ((*rows)->nrows != 1 || (!is_overseer(&r->who) &&
	    r->who.agency_id != db_get_int(*rows, 0, rec->sides[0]) &&
	    r->who.agency_id != db_get_int(*rows, 0, rec->sides[1])))
		return http_error(r, 404, "not_found", "no such %s", rec->noun);
	return 0;
}

/* A dataset's provider is the agency that owns its database (table
 * contract). `databases` is a reserved word, hence the quotes. */
int
dataset_load(struct arena *a, long long id, struct db_rows **rows)
{
	static const char *sql =
	    "SELECT d.id, d.title, d.classification, d.excluded, d.status, "
	    "  d.fields_json, b.agency_id AS provider_agency_id, "
	    "  b.status AS database_status "
	    "FROM datasets d JOIN `databases` b ON b.id = d.database_id "
	    "WHERE d.id = ?";
	struct db_param p[] = { P_INT(id) };
	int st;

	if ((st = db_query(a, sql, p, 1, rows)) != DS_OK)
		return st;
	return (*rows)->nrows == 1 ? DS_OK : DS_ENOTFOUND;
}

const char *
dataset_unshareable(const struct db_rows *d, const char **why)
{
	struct shareability s = { db_get_int(d, 0, "excluded") != 0,
	    db_get(d, 0, "status"), db_get(d, 0, "database_status"),
	    db_get(d, 0, "classification") };

	return shareability_refusal(&s, why);
}

const char *
shareability_refusal(const struct shareability *s, const char **why)
{
	const char *status = s->status;

	/* Art. 1.2 (R2.5): internal, temporary and state-secret data are
	 * out of scope, whatever else the record says. */
	if (s->excluded) {
		*why = "the dataset is internal, temporary or state-secret "
		    "data and is never shared (Art. 1.2)";
		return "dataset_excluded";
	}
	if (strcmp(status, "published") != 0) {
		*why = strcmp(status, "withdrawn") == 0 ?
		    "the dataset has been withdrawn from the catalog" :
		    "the dataset is not published";
		return strcmp(status, "withdrawn") == 0 ?
		    "dataset_withdrawn" : "dataset_not_published";
	}
	/* Only a listed database's data is in the catalog others see. */
	if (strcmp(s->database_status, "listed") != 0) {
		if (strcmp(s->database_status, "withdrawn") == 0) {
			*why = "the dataset's database has been withdrawn";
			return "database_withdrawn";
		}
		*why = "the dataset's database is not listed in the catalog";
		return "database_not_listed";
	}
	if (strcmp(s->classification, "restricted") == 0) {
		*why = "the dataset is restricted: it is neither shared nor "
		    "open data";
		return "dataset_restricted";
	}
	return NULL;
}

json_object *
dataset_field_names(const struct db_rows *d)
{
	json_object *all = json_tokener_parse(db_get(d, 0, "fields_json"));
	json_object *names = json_object_new_array();

	for (size_t i = 0; json_object_is_type(all, json_type_array) &&
	    i < json_object_array_length(all); i++) {
		json_object *f = json_object_array_get_idx(all, i), *n;

		if (json_object_object_get_ex(f, "name", &n) &&
		    json_object_is_type(n, json_type_string))
			json_object_array_add(names, json_object_get(n));
	}
	json_object_put(all);
	return names;
}

bool
names_contain(json_object *names, const char *name)
{
	for (size_t i = 0; i < json_object_array_length(names); i++)
		if (strcmp(json_object_get_string(json_object_array_get_idx(
		    names, i)), name) == 0)
			return true;
	return false;
}

int
names_subset(struct http_req *r, const char *field, json_object *names,
    json_object *allowed, const char *what)
{
	int bad = 0;

	for (size_t i = 0; i < json_object_array_length(names); i++) {
		const char *n = json_object_get_string(
		    json_object_array_get_idx(names, i));
		bool dup = false;

		for (size_t j = 0; j < i && !dup; j++)
			dup = strcmp(n, json_object_get_string(
			    json_object_array_get_idx(names, j))) == 0;
		if (dup)
			json_detail(r, field, arena_printf(r->arena,
			    "'%s' is given twice", n));
		else if (!names_contain(allowed, n))
			json_detail(r, field, arena_printf(r->arena,
			    "unknown field '%s': not %s", n, what));
		else
			continue;
		bad++;
	}
	return bad;
}

int
db_now_text(struct arena *a, const char **now)
{
	static const char *sql =
	    "SELECT DATE_FORMAT(UTC_TIMESTAMP(), '%Y-%m-%d %H:%i:%s') AS now";
	struct db_rows *rows;
	int st;

	if ((st = db_query(a, sql, NULL, 0, &rows)) != DS_OK)
		return st;
	*now = db_get(rows, 0, "now");
	return DS_OK;
}

json_object *
body_or_empty(struct http_req *r)
{
	/* server_dispatch puts r->json after the handler. */
	if (r->json == NULL)
		r->json = json_object_new_object();
	return r->json;
}

int
time_cmp(const char *a, const char *b)
{
	return strncmp(a, b, 19);
}

bool
text_blank(const char *s)
{
	while (*s != '\0' && isspace((unsigned char)*s))
		s++;
	return *s == '\0';
}
