/*
 * Roles and who may do what: the role names (role_parse, roles_json), the
 * checks handlers make (auth_has_role, auth_require_*_or_reply), the one
 * rule for who sees a record (auth_sees: docs/security.md, Who sees what)
 * and the confinement of a grant's system account to its grant
 * (auth_confine_system: issue 16, Art. 17.2.b).
 */
#include <string.h>

#include "ds.h"

static const char *const role_names[] = {
	"dic_admin", "chairman", "agency_officer", "focal_point", "auditor",
	"system", NULL
};

int
role_parse(const char *name)
{
	for (int i = 0; role_names[i] != NULL; i++)
		if (strcmp(role_names[i], name) == 0)
			return 1 << i;
	return -1;
}

const char *
role_name(unsigned bit)
{
	for (int i = 0; role_names[i] != NULL; i++)
		if (bit == 1u << i)
			return role_names[i];
	return NULL;
}

void
auth_confine_system(struct identity *who, unsigned route_flags)
{
	if ((who->roles & ROLE_SYSTEM) && (who->grant_id == 0 ||
	    !(route_flags & RT_GRANT)))
		who->agency_id = AGENCY_NONE;
}

bool
auth_sees(const struct identity *who, const char *vis, long long owner)
{
	if (vis != NULL && strcmp(vis, "public") == 0)
		return true;
	if (!who->authenticated)
		return false;
	return (vis != NULL && strcmp(vis, "agencies") == 0) ||
	    who->agency_id == owner || auth_has_role(who, ROLE_OVERSIGHT);
}

bool
auth_has_role(const struct identity *who, unsigned roles)
{
	return who->authenticated && (who->roles & roles) != 0;
}

int
auth_require_role_or_reply(struct http_req *r, unsigned roles)
{
	if (auth_has_role(&r->who, roles))
		return DS_OK;
	return http_error(r, 403, "forbidden", "your role does not allow this");
}

int
auth_require_agency_or_reply(struct http_req *r, long long agency_id,
    unsigned allow_roles)
{
	if (r->who.authenticated && (r->who.agency_id == agency_id ||
	    (r->who.roles & allow_roles) != 0))
		return DS_OK;
	return http_error(r, 404, "not_found", "no such record");
}

json_object *
roles_json(unsigned roles)
{
	json_object *a = json_object_new_array();

	for (int i = 0; role_names[i] != NULL; i++)
		if (roles & (1u << i))
			json_object_array_add(a,
			    json_object_new_string(role_names[i]));
	return a;
}

long
roles_from_json(json_object *a)
{
	long bits = 0;
	int bit;

	if (!json_object_is_type(a, json_type_array))
		return -1;
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		json_object *it = json_object_array_get_idx(a, i);

		if (!json_object_is_type(it, json_type_string) ||
		    (bit = role_parse(json_object_get_string(it))) < 0)
			return -1;
		bits |= bit;
	}
	return bits;
}
