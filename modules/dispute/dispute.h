/* datashare-dispute: handlers and the module's shared helpers. */
#ifndef DISPUTE_H
#define DISPUTE_H

#include <stdbool.h>

/* How the caller stands to a ticket; a caller may be several at once. */
enum party {
	PARTY_FILER = 1 << 0,		/* the agency that filed it */
	PARTY_ASSIGNEE = 1 << 1,	/* the agency handling it now */
	PARTY_RESPONDENT = 1 << 2,	/* the agency first routed to */
	PARTY_DIC = 1 << 3,		/* DIC sees every ticket */
	PARTY_AUDITOR = 1 << 4,		/* reads, never acts */
};

/* The parts of a ticket the handlers decide on; rows keeps the whole row
 * (arena) for the JSON answer. */
struct dispute {
	long long	 id;
	const char	*state;
	const char	*subject;
	long long	 filer_agency_id;
	long long	 respondent_agency_id;
	long long	 assignee_agency_id;
	long long	 reopen_count;
	struct db_rows	*rows;
};

/* disputes.c */
void	disputes_list(struct http_req *);
void	dispute_create(struct http_req *);
void	dispute_show(struct http_req *);
void	dispute_escalate(struct http_req *);
/* Loads ticket id as the caller may see it: 404 when absent or not
 * visible (R10.1), 403 for roles that read no tickets. */
int	dispute_load_or_reply(struct http_req *, long long id,
	    struct dispute *);
/* The caller's parties on d; acting ones only when acting is true (the
 * caller holds an agency role: officer, focal point or DIC admin). */
unsigned dispute_parties(const struct identity *, const struct dispute *,
	    bool acting);
/* Appends a history row (inside the caller's transaction). */
int	dispute_event_append(const struct identity *, long long dispute_id,
	    const char *action, const char *from_state, const char *to_state,
	    long long from_assignee, long long to_assignee, const char *reason);
/* Notifies every agency party to d except the caller's own (the other
 * side, R9.2). payload is taken. */
int	dispute_notify_parties(const struct identity *, const struct dispute *,
	    const char *kind, json_object *payload);
/* Ends a step on ticket id inside the open transaction: writes the
 * history row (action, reason), the audit row (before -> after; before is
 * NULL when filing) and the notifications, commits and replies status with
 * the ticket. On failure it rolls back and replies the error. */
void	dispute_record_and_reply(struct http_req *, const struct dispute *before,
	    long long id, const char *action, const char *reason, int status);

/* transitions.c */
void	dispute_transition(struct http_req *);

/* comments.c */
void	comments_list(struct http_req *);
void	comment_create(struct http_req *);

/* routing.c (Art. 18) */
struct routing {
	long long	 agency_id;		/* the agency concerned */
	long long	 assignee_agency_id;
	long long	 assignee_account_id;	/* focal point, or 0 */
	const char	*rule;			/* disputes.assignment_rule */
	const char	*reason;		/* why, in words (arena) */
};
/* Checks the object (exists, concerns the filer) or the named agency, and
 * routes the ticket (Art. 18.1 provider, 18.2 DIC). Replies 422 naming the
 * field, or the database error, on failure. */
int	routing_decide_or_reply(struct http_req *, const char *category,
	    const struct fval *agency_id, const struct fval *object_type,
	    const struct fval *object_id, struct routing *);
/* Tells whether a failed query (st) failed because its table is not
 * there for us: not created yet by another module's migration, or not
 * granted to the application role. */
bool	table_missing(int st);
/* The DIC agency's id: DS_OK, DS_ENOTFOUND when none is marked, or a
 * database error. */
int	routing_dic_agency(struct arena *, long long *id);
/* The agency's current focal point account, 0 when none is named (or the
 * catalog's focal-point table does not exist yet). */
int	routing_focal_point(struct arena *, long long agency_id,
	    long long *account_id);

/* deadlines.c */
/* The due time days_key (a setting: dispute_ack_days ...) after from, in
 * working days (core's workdays.c; dispute_calendar_days=1: calendar
 * days). *out in the arena. */
int	dispute_due(struct arena *, const char *from, const char *days_key,
	    long long def, char **out);
/* The database's time now and a ticket's due dates counted from it
 * (settings dispute_ack_days, default 2, and dispute_resolve_days, default
 * 10). Strings in the arena, UTC. */
struct dispute_dues {
	const char	*now;
	char		*ack;
	char		*resolve;
};
int	dispute_dues(struct arena *, struct dispute_dues *);

#endif
