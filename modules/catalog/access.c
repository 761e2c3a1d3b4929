/*
 * Who sees and who changes catalog records. Reading follows the
 * dataset_visibility() rule of sql/0002_catalog.sql (catalog.h, SEES);
 * changing is for the owner agency's officers and focal point (Art. 15.1.b,
 * 16), whatever else the caller may see.
 */
#include <string.h>

#include "ds.h"
#include "catalog.h"

int
owner_or_reply(struct http_req *r, long long owner, bool visible)
{
	if (r->who.authenticated && r->who.agency_id == owner &&
	    auth_has_role(&r->who, ROLE_ANY_AGENCY))
		return 0;
	if (!visible || !r->who.authenticated)
		return http_error(r, 404, "not_found", "no such record");
	return http_error(r, 403, "forbidden", r->who.agency_id == owner ?
	    "only an agency officer or the focal point may change this" :
	    "only the owner agency may change this");
}
