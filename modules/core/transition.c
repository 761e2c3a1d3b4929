/*
 * A resource's life as a table (issue 17, item 4): each module writes the
 * steps of a resource as {from, to, who, sql} rows, and these functions
 * run them, so that every resource answers the same way. A caller who may
 * never take the resource to the state asked for gets 403; a record that
 * is not in a state leading there gets 409 with the machine's code and a
 * message naming its state; the step itself is one conditional UPDATE
 * "... WHERE id = ? AND status = ?" on the state read before, so of two
 * racing steps one wins and the other gets the same 409. The step opens
 * the handler's transaction, which tx_commit_reply or tx_fail_reply
 * ends.
 */
#include <string.h>

#include "ds.h"

enum transition_verdict
transition_find(const struct machine *m, const char *state, const char *to,
    unsigned who, const struct transition **step)
{
	const struct transition *t = NULL;
	unsigned allowed = 0;

	for (size_t i = 0; i < m->nsteps; i++) {
		const struct transition *s = (const struct transition *)
		    ((const char *)m->steps + i * m->size);

		if (strcmp(s->to, to) != 0)
			continue;
		allowed |= s->who;
		if (state != NULL && strcmp(s->from, state) == 0)
			t = s;
	}
	*step = t;
	/* Who may take the step from this state; from any other, whether
	 * the caller could ever reach `to` at all. */
	if (!(who & (t != NULL ? t->who : allowed)))
		return TRANSITION_FORBIDDEN;
	return t != NULL ? TRANSITION_OK : TRANSITION_CONFLICT;
}

int
transition_find_or_reply(struct http_req *r, const struct machine *m,
    const char *state, const char *to, unsigned who,
    const struct transition **step)
{
	switch (transition_find(m, state, to, who, step)) {
	case TRANSITION_OK:
		return DS_OK;
	case TRANSITION_FORBIDDEN:
		return http_error(r, 403, "forbidden", "you may not move this "
		    "%s to %s", m->noun, to);
	case TRANSITION_CONFLICT:
		break;
	}
	return http_error(r, 409, m->conflict, "the %s is %s: it cannot "
	    "move to %s", m->noun, state != NULL ? state : "unknown", to);
}

int
transition_run(const struct transition *t, long long id,
    const struct db_param *p, size_t n)
{
	struct db_param q[TRANSITION_MAX_PARAMS + 2];
	unsigned long long moved;
	int st;

	if (n > TRANSITION_MAX_PARAMS) {
		log_warnx(__func__, "%zu parameters for %s -> %s", n, t->from,
		    t->to);
		return DS_ERR;
	}
	if (n > 0)
		memcpy(q, p, n * sizeof(*q));
	q[n] = P_INT(id);
	q[n + 1] = P_STR(t->from);
	if ((st = db_exec(t->sql, q, n + 2, &moved, NULL)) != DS_OK)
		return st;
	return moved == 0 ? DS_ECONFLICT : DS_OK;
}

int
transition_begin_or_reply(struct http_req *r, const struct machine *m,
    const struct transition *t, long long id, const struct db_param *p,
    size_t n)
{
	int st;

	if ((st = db_begin()) != DS_OK)
		return http_error_status(r, st);
	if ((st = transition_run(t, id, p, n)) == DS_OK)
		return DS_OK;
	if (st != DS_ECONFLICT)
		return tx_fail_reply(r, st);
	db_rollback();
	return http_error(r, 409, m->conflict, "the %s changed meanwhile: "
	    "it is no longer %s", m->noun, t->from);
}
