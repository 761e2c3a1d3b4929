/* datashare-suspension handlers, one file per resource, and the helpers
 * they share (grant.c). */
#ifndef SUSPENSION_H
#define SUSPENSION_H

#include "grant_state.h"

/* Who may act on grants here: the provider's staff and DIC. */
#define ROLES_ACT	(ROLE_ANY_AGENCY | ROLE_DIC_ADMIN)
/* Who may read: the two sides' staff, DIC and auditors. */
#define ROLES_READ	(ROLE_ANY_AGENCY | ROLE_DIC_ADMIN | ROLE_AUDITOR)

/* A grant as this module sees it (the sharing module owns the table). */
struct grant {
	long long	 id;
	long long	 provider;	/* provider_agency_id */
	long long	 consumer;	/* consumer_agency_id */
	long long	 service;	/* service_id, 0 when none */
	const char	*status;	/* active|expired|suspended|terminated */
	bool		 past_end;	/* ends_at <= now (database clock) */
};

/* grant.c */
bool	 caller_is_dic(const struct http_req *);
/* DIC and auditors read every agency's records. */
bool	 caller_sees_all(const struct http_req *);
/* Loads the grant into *g, with FOR UPDATE when lock (inside a
 * transaction: every state change here locks the grant row first, so
 * racing changes of one grant run one after the other). Replies 404 when
 * it does not exist or the caller is neither side nor DIC/auditor. */
int	 grant_get_or_reply(struct http_req *, long long id, bool lock,
	    struct grant *);
/* Locks the live grants (active or suspended, not past their end) of
 * one consumer with one provider, in id order; *out (arena) holds n. */
int	 grants_live_lock(struct http_req *, long long consumer,
	    long long provider, struct grant **out, size_t *n);
/* 403 unless the caller is the grant's provider or DIC. */
int	 grant_require_provider_or_reply(struct http_req *,
	    const struct grant *);
/* 409 when the grant is terminated (R7.4: final). */
int	 grant_require_not_terminated_or_reply(struct http_req *,
	    const struct grant *);
/* 409 unless the grant is live: neither terminated nor expired. */
int	 grant_require_live_or_reply(struct http_req *, const struct grant *);
/* "provider" or "dic": who acts, for the records' imposed_by. */
const char *imposed_by(const struct http_req *, const struct grant *);
/* The legal grounds a setting lists (comma separated; default def), as a
 * NULL-terminated array for an F_ENUM field (arena). */
const char *const *grounds_list(struct arena *, const char *key,
	    const char *def);
/* Notifies the provider too when DIC acted on its grant (R9.2). */
int	 notify_provider_if_dic(const struct http_req *, const struct grant *,
	    const char *kind, const char *entity, long long id,
	    json_object *payload);
/* json_read_or_reply on the request body, with text fields that are only
 * white space refused too (named in the same 422). */
int	 fields_read_or_reply(struct http_req *, const struct field *,
	    size_t n, struct fval *);

#define SUSPENSION_GROUNDS_KEY	"suspension_grounds"
#define SUSPENSION_GROUNDS_DEF	"regulation_breach,security_risk," \
	"provider_maintenance,authority_request"
#define TERMINATION_GROUNDS_KEY	"termination_grounds"
#define TERMINATION_GROUNDS_DEF	"purpose_ended,agency_dissolved_or_merged," \
	"serious_or_repeated_breach,authority_decision"

/* Art. 16.2.h: the consumer is told within 1 day of determination. */
#define NOTICE_HOURS() \
	conf_int("suspension_notice_hours", 24, 1, 720, NULL)
/* Decree 47/2020 Art. 43.1: planned suspensions 7 working days ahead. */
#define NOTICE_WORKDAYS() \
	conf_int("planned_notice_workdays", 7, 0, 60, NULL)

/* suspensions.c */
void	suspension_create(struct http_req *);
void	agency_suspend_all(struct http_req *);
void	suspensions_list(struct http_req *);
void	grant_suspensions_list(struct http_req *);
void	suspension_show(struct http_req *);
void	grounds_show(struct http_req *);
/* A suspension as JSON (with its grant's status and the dispute call),
 * or NULL after replying 404 / the db error. */
json_object *suspension_load_json(struct http_req *, long long id);
/* lifts.c */
void	suspension_lift(struct http_req *);
/* terminations.c */
void	termination_create(struct http_req *);
void	termination_show(struct http_req *);
void	terminations_list(struct http_req *);
/* planned.c */
void	planned_create(struct http_req *);
void	planned_list(struct http_req *);
void	service_planned_list(struct http_req *);
void	planned_show(struct http_req *);
void	planned_cancel(struct http_req *);

#endif
