/*
 * The one writer of grants.status (grant_state.h). Every change of a
 * grant's status, by the sharing module's sweep or the suspension
 * module's handlers, is a step of this table, taken by one conditional
 * UPDATE on the status read before, so racing changes of one grant
 * cannot both win.
 */
#include <string.h>

#include "grant_state.h"

#define MOVE	"UPDATE grants SET status = ?, updated_at = UTC_TIMESTAMP(6) "
#define FROM	" WHERE id = ? AND status = ?"

/*
 * The life of a grant (Art. 14.5, 16.2.h; R7.3, R7.4):
 *
 *   active <-> suspended         a suspension in force, and its lift
 *   active, suspended -> expired its term ended (the sweep, or a lift
 *                                after the end)
 *   active, suspended, expired -> terminated   final (R7.4)
 *
 * The `who` column is unused here (the modules decide who acts); the SQL
 * takes (to, id, from).
 */
static const struct transition grant_steps[] = {
	{ "active", "suspended", 0, MOVE FROM },
	{ "suspended", "active", 0, MOVE FROM },
	{ "active", "expired", 0, MOVE FROM " AND "
	  GRANT_PAST_END_SQL("grants") },
	{ "suspended", "expired", 0, MOVE FROM " AND "
	  GRANT_PAST_END_SQL("grants") },
	{ "active", "terminated", 0, MOVE FROM },
	{ "suspended", "terminated", 0, MOVE FROM },
	{ "expired", "terminated", 0, MOVE FROM },
};

static json_object *
status_json(const char *status)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "status", json_object_new_string(status));
	return o;
}

int
grant_status_move(const struct identity *who, long long id, const char *from,
    const char *to, const char *action)
{
	const struct transition *t = NULL;
	unsigned long long n;
	int st;

	for (size_t i = 0; i < NPARAMS(grant_steps) && t == NULL; i++)
		if (strcmp(grant_steps[i].from, from) == 0 &&
		    strcmp(grant_steps[i].to, to) == 0)
			t = &grant_steps[i];
	if (t == NULL) {
		log_warnx(__func__, "grant %lld: no step from %s to %s", id,
		    from, to);
		return DS_ECONFLICT;
	}
	{
		struct db_param p[] = { P_STR(to), P_INT(id), P_STR(from) };

		if ((st = db_exec(t->sql, p, NPARAMS(p), &n, NULL)) != DS_OK)
			return st;
	}
	if (n == 0)
		return DS_ECONFLICT;
	return audit_append(who, action, "grant", id, status_json(from),
	    status_json(to));
}
