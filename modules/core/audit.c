/*
 * The audit trail (R5.3, R10.2): one row per change, written inside the
 * caller's transaction, so that it commits exactly when the change does.
 * The row is linked into the "audit" hash chain after the response
 * (chain_seal.c).
 */
#include "ds.h"

int
audit_append(const struct identity *who, const char *action,
    const char *entity, long long entity_id, json_object *before,
    json_object *after)
{
	static const char *sql =
	    "INSERT INTO audit_events (actor_account_id, actor_agency_id, "
	    "  action, entity, entity_id, before_json, after_json) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?)";
	struct db_param p[] = {
		who != NULL && who->account_id ? P_INT(who->account_id) : P_NULL,
		who != NULL && who->agency_id ? P_INT(who->agency_id) : P_NULL,
		P_STR(action), P_STR(entity), P_INT(entity_id),
		P_STR(before ? json_object_to_json_string_ext(before,
		    JSON_C_TO_STRING_PLAIN) : NULL),
		P_STR(after ? json_object_to_json_string_ext(after,
		    JSON_C_TO_STRING_PLAIN) : NULL),
	};
	int st = db_exec(sql, p, NPARAMS(p), NULL, NULL);

	json_object_put(before);
	json_object_put(after);
	return st;
}
