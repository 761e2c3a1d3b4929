/*
 * Prefilled calls: an answer that leaves a decision open to the other
 * party carries the request that takes it further, so a client need not
 * know another module's fields. Today one: opening a dispute (Art. 18) on
 * a refusal (R4.2) or a suspension (Art. 16.2.h), the dispute module's
 * POST /api/v1/disputes, which accepts the body as given.
 */
#include "ds.h"

json_object *
dispute_call(const char *category, const char *object_type,
    long long object_id, const char *subject, const char *description,
    long long agency_id)
{
	json_object *call = json_object_new_object();
	json_object *body = json_object_new_object();

	json_object_object_add(body, "subject",
	    json_object_new_string(subject));
	json_object_object_add(body, "category",
	    json_object_new_string(category));
	if (description != NULL)
		json_object_object_add(body, "description",
		    json_object_new_string(description));
	if (agency_id != 0)
		json_object_object_add(body, "agency_id",
		    json_object_new_int64(agency_id));
	json_object_object_add(body, "object_type",
	    json_object_new_string(object_type));
	json_object_object_add(body, "object_id",
	    json_object_new_int64(object_id));
	json_object_object_add(call, "method", json_object_new_string("POST"));
	json_object_object_add(call, "path",
	    json_object_new_string("/api/v1/disputes"));
	json_object_object_add(call, "body", body);
	if (description == NULL) {
		json_object *fill = json_object_new_array();

		json_object_array_add(fill,
		    json_object_new_string("description"));
		json_object_object_add(call, "to_fill", fill);
	}
	return call;
}
