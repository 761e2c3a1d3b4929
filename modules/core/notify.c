/*
 * The notification outbox: a row per event for an agency's feed, written
 * inside the caller's transaction like the audit row beside it, so that
 * an agency is told of exactly the changes that committed.
 */
#include "ds.h"

int
notify(long long agency_id, const char *kind, const char *entity,
    long long entity_id, json_object *payload)
{
	static const char *sql =
	    "INSERT INTO notifications (agency_id, kind, entity, entity_id, "
	    "  payload_json) VALUES (?, ?, ?, ?, ?)";
	struct db_param p[] = {
		P_INT(agency_id), P_STR(kind), P_STR(entity), P_INT(entity_id),
		P_STR(payload ? json_object_to_json_string_ext(payload,
		    JSON_C_TO_STRING_PLAIN) : NULL),
	};
	int st = db_exec(sql, p, NPARAMS(p), NULL, NULL);

	json_object_put(payload);
	return st;
}
