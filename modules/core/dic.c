/*
 * The Department of Information and Communications (DIC) as an agency:
 * the province's focal point for data sharing (Art. 12.4, 15.1). Its
 * agency row is the one with is_dic = 1; the modules ask for its id to
 * route a dispute to it (Art. 18.2), to tell it of catalog changes, of a
 * refusal (Decree 47/2020 Art. 48) or of an emergency suspension. Its
 * privileges are the dic_admin role's, never this agency's (issue 16).
 */
#include "ds.h"

int
agency_dic_id(struct arena *a, long long *id)
{
	static const char *sql = "SELECT id FROM agencies WHERE is_dic = 1";
	struct db_rows *rows;
	int st;

	*id = 0;
	if ((st = db_query(a, sql, NULL, 0, &rows)) != DS_OK)
		return st;
	if (rows->nrows == 1)
		*id = db_get_int(rows, 0, "id");
	return DS_OK;
}

int
notify_dic(const char *kind, const char *entity, long long id,
    json_object *payload)
{
	struct arena *a = arena_new();
	long long dic;
	int st;

	if ((st = agency_dic_id(a, &dic)) == DS_OK && dic != 0)
		st = notify(dic, kind, entity, id, json_object_get(payload));
	json_object_put(payload);
	arena_free(a);
	return st;
}
