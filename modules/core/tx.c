/*
 * The end of a handler's transaction, written once (issue 17): commit it
 * with its audit row and reply, or roll it back and reply the error. A
 * handler that changes something reads parse, check, begin, change,
 * notify, then one of these two.
 */
#include "ds.h"

int
tx_commit_reply(struct http_req *r, const char *action, const char *entity,
    long long id, json_object *before, json_object *after, int status)
{
	int st = DS_OK;

	if (action != NULL)
		st = audit_append(&r->who, action, entity, id, before,
		    json_object_get(after));
	else
		json_object_put(before);
	if (st != DS_OK || (st = db_commit()) != DS_OK) {
		json_object_put(after);
		return tx_fail_reply(r, st);
	}
	http_reply(r, status, after);
	return DS_OK;
}

int
tx_fail_reply(struct http_req *r, int st)
{
	db_rollback();
	return http_error_status(r, st);
}
