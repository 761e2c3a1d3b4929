/*
 * datashare core: the one header every module includes.
 *
 * The parts, each with its own prefix, and the file(s) it lives in:
 *   arena_   per-request memory, freed in one go         arena.c
 *   conf_    key=value settings with env overrides       config.c
 *            (parse_ll too)
 *   http_    the request and the response (kv_get too),  http.c
 *            query parameters, paging and cursors
 *            http_reply_page_rows, _items, _row          jsonout.c
 *   tx_      a handler transaction's end: commit with     tx.c
 *            its audit row and reply, or roll back
 *   router_  method + path pattern dispatch              router.c
 *   json_    strict parsing (utf8_ too)                  json.c
 *            declared fields, bodies and queries         fields.c
 *            json_rows_text                              jsonout.c
 *   narrow_json  only a grant's fields of each record    narrow.c
 *   csv_     rows as CSV (RFC 4180)                      csvout.c
 *   db_      Connector/C with cached prepared statements db.c
 *            (ds_now too); reading rows: db_get, db_row_json rows.c
 *            (rfc3339_from_db too); db_reply_page        jsonout.c
 *   auth_    token verification (auth_verify*)           auth_jwt.c
 *            the public keys and JWKS (auth_init)        auth_keys.c
 *            roles and who sees what (role_, roles_ too) auth_roles.c
 *            the token memo (private: auth_priv.h)       auth_memo.c
 *   b64url_, sha256_hex  encodings                       encoding.c
 *   secret_  credentials: random secrets, argon2id       secret.c
 *   token_, jws_  signing tokens and documents           token.c
 *            jws_verify                                  auth_jwt.c
 *   audit_   the audit trail                             audit.c
 *   blob_    the warehouse's content-addressed files     blob.c
 *   notify   the notification outbox                     notify.c
 *   agency_dic_id, notify_dic  the DIC's agency          dic.c
 *   dispute_call  the prefilled call opening a dispute   calls.c
 *   chain_   hash chains: the chains and their sealing   chain_seal.c
 *            verification, checkpoint heads              chain_verify.c
 *            retention (private: chain_priv.h)           chain_purge.c
 *   workdays_ working days and deadlines                 workdays.c
 *   counter_ statistics added in memory, written by the master counter.c
 *   server_  pre-fork master and the FastCGI loop        server.c
 *            the request path (server_dispatch)          dispatch.c
 *   idempotent_run  replays of an Idempotency-Key        idempotency.c
 *   log_     log lines with the function's name          log.c
 *   netpolicy_  where gateway upstreams may be           netpolicy.c
 *   gw_      the gateway's parsing: its path, headers,     gw_parse.c
 *            OpenAPI operations
 *
 * Status convention: functions return DS_OK (0) or a negative ds_status.
 * Helpers whose name ends in _or_reply have already written the HTTP error
 * into the response when they fail, and say so by returning DS_REPLIED,
 * so the handler only has to return; a caller that maps a status to an
 * answer (http_error_status) leaves a DS_REPLIED answer as it is.
 */
#ifndef DS_H
#define DS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

/* ------------------------------------------------------------------ */
/* status                                                               */

enum ds_status {
	DS_OK = 0,
	DS_ERR = -1,		/* internal failure, already logged */
	DS_EUNAVAIL = -2,	/* database unreachable: 503 */
	DS_ECONFLICT = -3,	/* unique key or state conflict: 409 */
	DS_ENOTFOUND = -4,	/* no such row: 404 */
	DS_EINVAL = -5,		/* bad input: 400/422 */
	DS_EFKEY = -6,		/* foreign key violation: 422 */
	DS_REPLIED = -7,	/* the HTTP answer is written: just return */
};

void	 log_warnx(const char *fn, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	 log_warn(const char *fn, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	 log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ------------------------------------------------------------------ */
/* arena: everything a request allocates is freed by arena_reset()     */

struct arena;
struct arena	*arena_new(void);
void		 arena_free(struct arena *);
void		 arena_reset(struct arena *);
/* Never returns NULL: an exhausted allocator aborts the worker, which
 * the master replaces. */
void		*arena_alloc(struct arena *, size_t);
void		*arena_calloc(struct arena *, size_t, size_t);
char		*arena_strdup(struct arena *, const char *);
char		*arena_strndup(struct arena *, const char *, size_t);
char		*arena_printf(struct arena *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

/* ------------------------------------------------------------------ */
/* config                                                               */

/* Loads FILE; every key may be overridden by DS_<KEY> in the environment.
 * Returns DS_OK, or DS_ERR with a message in errbuf. */
int		 conf_load(const char *file, char *errbuf, size_t errlen);
/* Returns the value, or NULL when unset. Memory belongs to the config. */
const char	*conf_get(const char *key);
/* Returns the value or the default when unset. */
const char	*conf_str(const char *key, const char *def);
/* Reads an integer in [min, max]; an unset key yields def, a malformed or
 * out-of-range one is reported in errstr and yields def. */
long long	 conf_int(const char *key, long long def, long long min,
		    long long max, const char **errstr);
/* Sets a value (tests and command-line overrides). */
void		 conf_set(const char *key, const char *value);
void		 conf_clear(void);

/* ------------------------------------------------------------------ */
/* identity of the caller, filled by auth_                             */

enum role {
	ROLE_DIC_ADMIN = 1 << 0,
	ROLE_CHAIRMAN = 1 << 1,
	ROLE_AGENCY_OFFICER = 1 << 2,
	ROLE_FOCAL_POINT = 1 << 3,
	ROLE_AUDITOR = 1 << 4,
	ROLE_SYSTEM = 1 << 5,
};
#define ROLE_ANY_AGENCY	(ROLE_AGENCY_OFFICER | ROLE_FOCAL_POINT)

struct identity {
	bool		 authenticated;
	long long	 account_id;
	long long	 agency_id;
	unsigned	 roles;		/* enum role bits */
	long long	 grant_id;	/* system accounts: the grant, else 0 */
	const char	*jti;
};

/* The agency_id of a caller who belongs to no agency: it matches no row
 * (ids are positive) and no "? = 0" default. */
#define AGENCY_NONE	(-1LL)

/* Parses "dic_admin,agency_officer" or a JSON array's names. Returns the
 * bits, or -1 naming the first unknown role in *bad. */
int		 role_parse(const char *name);
const char	*role_name(unsigned bit);

/* ------------------------------------------------------------------ */
/* http: the request and its response                                  */

struct field;		/* the json part declares these */
struct fval;

struct kv {
	const char	*key;
	const char	*value;
};

struct auth_pending;	/* auth_jwt.c's own */

#define HTTP_MAX_CAPTURES	4
#define HTTP_MAX_HEADERS	16

struct http_req {
	struct arena	*arena;
	const char	*method;
	bool		 head;		/* a HEAD, run as its GET (method
					 * then says "GET"): no body out */
	const char	*path;		/* without the query string */
	const char	*query;		/* raw */
	const char	*request_id;
	const char	*content_type;
	const char	*authorization;
	const char	*idempotency_key;
	const char	*accept_language;
	const char	*remote_addr;

	struct kv	*params;	/* decoded query parameters */
	size_t		 nparams;
	long long	 captures[HTTP_MAX_CAPTURES];	/* {id} in the path */
	size_t		 ncaptures;

	long long	 content_length;	/* -1 when not given */
	/* Reads up to n body bytes; returns the count, 0 at the end, -1 on
	 * error. Set by server.c (FastCGI) or by tests (memory). */
	int		(*body_read)(void *src, char *buf, int n);
	void		*body_src;

	char		*body;		/* NUL-terminated copy */
	size_t		 body_len;
	json_object	*json;		/* parsed body for JSON routes */

	struct identity	 who;
	/* A token whose signature and claims are checked but whose account
	 * is not yet (RT_ACCOUNT_JOINED): who stays unauthenticated until
	 * auth_settle_or_reply checks the account and sets it. Arena owned,
	 * private to auth_jwt.c; NULL otherwise. */
	struct auth_pending *pending;

	/* the response */
	int		 status;
	json_object	*resp;		/* owned; freed after writing */
	const char	*resp_raw;	/* or a raw body (CSV), arena owned */
	size_t		 resp_raw_len;
	const char	*resp_type;	/* Content-Type of the raw body */
	struct kv	 headers[HTTP_MAX_HEADERS];
	size_t		 nheaders;
	json_object	*details;	/* 422 details being collected */

	/* Streamed answers (the gateway): the raw request parameters (the
	 * FastCGI environment, "HTTP_*" being the request's headers; NULL
	 * in tests), the writer of the response bytes, whether the handler
	 * wrote the answer itself (http_stream_head), and whether the
	 * answer must be cut off rather than completed (the worker ends
	 * without finishing it, so the client sees a broken response). */
	char		**env;
	int		(*out_write)(void *dst, const char *buf, size_t n);
	void		*out_dst;
	bool		 streamed;
	bool		 abort;
};

/* Sets the status and the JSON body (ownership of body passes to req). */
void	 http_reply(struct http_req *, int status, json_object *body);
/* Writes the error envelope {"error":{code,message,details,request_id}}.
 * Returns DS_REPLIED so handlers can "return http_error(...)" from int
 * functions. A request is answered once: over an answer already written it
 * writes nothing and logs the attempt (a bug: whatever failed second would
 * hide what failed first), and aborts in builds with DS_STRICT_REPLY (the
 * sanitizer build), so the tests find such paths. */
int	 http_error(struct http_req *, int status, const char *code,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Maps a ds_status from db_ and friends to its HTTP error; DS_REPLIED
 * (the answer is written) is left as it is. Returns DS_REPLIED. */
int	 http_error_status(struct http_req *, int ds_status);
void	 http_header(struct http_req *, const char *key, const char *value);
/* Raw body (CSV exports); text belongs to the arena. */
void	 http_reply_raw(struct http_req *, int status, const char *type,
	    const char *text, size_t len);

/* A streamed answer: writes the status line, Content-Type (when type is
 * not NULL), X-Request-Id, the headers set so far and extra (NULL, or
 * header lines each ending in CRLF), then the body in pieces; the answer
 * is then the handler's, and server.c adds nothing. Each returns 0, or -1
 * when the client is gone. */
int	 http_stream_head(struct http_req *, int status, const char *type,
	    const char *extra);
int	 http_stream_write(struct http_req *, const void *buf, size_t n);
const char	*http_status_text(int status);

const char	*http_param(const struct http_req *, const char *key);
/* Reads ?key= as an integer in [min,max]; default when absent. On a bad
 * value replies 422 and returns DS_EINVAL. */
int		 http_param_int_or_reply(struct http_req *, const char *key,
		    long long def, long long min, long long max, long long *out);
int		 http_param_bool_or_reply(struct http_req *, const char *key,
		    bool *out);
/* Reads ?key= that must be one of choices (NULL-terminated): *out is the
 * matching choice (the table's own string), or NULL when absent. Any
 * other value replies 422 naming key and listing the choices. */
int		 http_param_enum_or_reply(struct http_req *, const char *key,
		    const char *const *choices, const char **out);
/* Reads the query string against spec (n fields, struct field of the json
 * part) into out[n], as json_read_or_reply reads a body: F_INT and F_ID
 * within their bounds (F_ID: [1, 2^53] by default), F_BOOL "true" or
 * "false", F_ENUM among .choices, F_DATE, F_DATETIME (RFC 3339, to UTC),
 * F_STRING and F_TEXT by length. A parameter that is absent leaves its
 * fval not present (the handler applies its default). Every unknown
 * parameter (limit and cursor, read by the paging helpers below, are
 * always known), missing required one and bad value is collected; if any,
 * replies 422 "invalid query parameter" with a detail naming each and
 * returns DS_REPLIED. spec may be NULL when n is 0: a list with no
 * filters still refuses what it does not know. */
int		 http_query_or_reply(struct http_req *, const struct field *spec,
		    size_t n, struct fval *out);
/* Paging (DESIGN.md, Lists): ?limit= (default 50, max 200) and an opaque
 * ?cursor= naming the last id seen. A forged cursor is a 422; it can only
 * move within what the query's own WHERE clause already allows. */
struct page {
	long long	 limit;
	long long	 after;		/* 0: from the start */
};
int		 http_page_or_reply(struct http_req *, struct page *);
/* Offset paging, for lists ordered by something other than id (search
 * relevance, demand): ?limit= as usual and a cursor holding the offset of
 * the next page. Rows that move between two pages may be seen twice or
 * missed; those lists say so in docs/catalog.md. */
struct opage {
	long long	 limit;
	long long	 offset;
};
int		 http_opage_or_reply(struct http_req *, struct opage *);
/* The one spelling of a cursor: base64url of "<kind>:<n>", kind "v1"
 * (after the id n) or "o1" (at the offset n), n > 0; arena owned. The
 * readers above take back only what this writes. */
char		*http_cursor(struct arena *, const char *kind, long long n);
/* Replies 200 {"items": items, "next_cursor": ...}: next_cursor is set
 * when the page is full, from the "id" of its last item. Takes items. */
void		 http_reply_page(struct http_req *, const struct page *,
		    json_object *items);

/* Decodes application/x-www-form-urlencoded text into kv pairs. */
int		 http_parse_form(struct arena *, const char *text, size_t len,
		    struct kv **out, size_t *n);
const char	*kv_get(const struct kv *, size_t, const char *);

/* ------------------------------------------------------------------ */
/* router                                                               */

enum route_flags {
	RT_PUBLIC = 1 << 0,	/* no token needed */
	RT_OPTIONAL_AUTH = 1 << 1, /* token read when present */
	RT_JSON_BODY = 1 << 2,	/* body must be application/json */
	RT_RAW_BODY = 1 << 3,	/* handler reads the body itself (uploads) */
	RT_FORM_OR_JSON = 1 << 4, /* form or JSON body (token endpoint) */
	RT_GRANT = 1 << 5,	/* a grant's system account acts as itself */
	RT_ACCOUNT_JOINED = 1 << 6, /* a GET whose own statement reads the
				 * caller's account: auth_settle_or_reply */
};

typedef void (*route_fn)(struct http_req *);

struct route {
	const char	*method;
	const char	*pattern;	/* "/api/v1/agencies/{id}" */
	route_fn	 fn;
	unsigned	 flags;
};

enum route_match {
	ROUTE_FOUND,
	ROUTE_NO_PATH,
	ROUTE_NO_METHOD,
};

/* Matches method and path against the table. On ROUTE_FOUND, *hit and the
 * captures are set; on ROUTE_NO_METHOD, allow (of allowlen) lists the
 * methods of the path, comma separated. */
enum route_match router_match(const struct route *, size_t n,
		    const char *method, const char *path,
		    const struct route **hit, long long *captures,
		    size_t *ncaptures, char *allow, size_t allowlen);

/* ------------------------------------------------------------------ */
/* json                                                                 */

#define JSON_MAX_DEPTH	16

/* Strict parse: no trailing garbage, NaN, single quotes, comments, bad
 * UTF-8 or embedded NUL; depth limited; duplicate keys refused. Returns
 * a new object (caller puts it) or NULL with a reason in errbuf. */
json_object	*json_parse_strict(const char *text, size_t len,
		    char *errbuf, size_t errlen);

enum field_type {
	F_STRING,	/* UTF-8 text, length in characters within [min,max] */
	F_TEXT,		/* like F_STRING, default max 20000 */
	F_INT,		/* integer within [min,max] */
	F_ID,		/* positive integer id */
	F_BOOL,
	F_ENUM,		/* a string among .choices */
	F_DATE,		/* YYYY-MM-DD */
	F_DATETIME,	/* RFC 3339, converted to UTC "YYYY-MM-DD HH:MM:SS" */
	F_ARRAY,	/* any array, items checked by the handler */
	F_STRINGS,	/* array of non-empty strings, at most max items */
	F_OBJECT,
};

/* Whether a field must be given and whether it may be null. Specs say
 * false or true for the first two. In a PATCH, null means "clear it", so
 * there only an F_NULLABLE field takes null (any other is a 422 "must not
 * be null"); elsewhere null for an optional field is as if it were left
 * out. */
enum field_need {
	F_OPTIONAL = 0,		/* may be left out */
	F_REQUIRED = 1,		/* must be given, and not as null */
	F_NULLABLE = 2,		/* may be left out, or null to clear it */
};

/* A spec is declared kcgi's way: an enum of its fields and a table
 * indexed by it, [DS_TITLE] = { "title", F_STRING, ... }, so handlers
 * read v[DS_TITLE], never v[1]. The last two members are for specs whose
 * fields a rule of their own requires (a proposal's kinds) and are NULL
 * elsewhere: positional initialisers may leave them out. */
struct field {
	const char		*name;
	enum field_type		 type;
	enum field_need		 need;
	long long		 min, max;	/* 0,0 = type default */
	const char *const	*choices;	/* F_ENUM, NULL-terminated */
	const char		*rule;		/* spec's own, e.g. per kind */
	const char		*article;	/* the article that asks for it */
};

struct fval {
	bool		 present;	/* given and not null */
	bool		 is_null;	/* given as null */
	const char	*s;		/* strings, enums, dates (arena) */
	long long	 i;		/* ints, ids, bools */
	json_object	*o;		/* arrays and objects (borrowed) */
};

/* Reads obj against spec (n fields) into out[n]. Unknown fields, missing
 * required ones, nulls a field does not take (enum field_need) and every
 * bad value are collected; if any, replies 422 with details naming each
 * and returns DS_EINVAL. */
int	 json_read_or_reply(struct http_req *, json_object *obj,
	    const struct field *spec, size_t n, struct fval *out);
/* Reads text (a query parameter's decoded value) against f into out,
 * with the checks of json_read_or_reply's for that type; a bad value adds
 * a detail naming f and leaves out not present. Array and object types
 * never come as text: a detail says so. */
void	 json_read_text(struct http_req *, const struct field *f,
	    const char *text, struct fval *out);
/* Adds one 422 detail {field, problem}; json_details_reply sends them. */
void	 json_detail(struct http_req *, const char *field, const char *problem);
int	 json_details_reply(struct http_req *, const char *message);
bool	 json_has_details(const struct http_req *);
/* Checks UTF-8 validity (no NUL) and returns the number of code points,
 * or -1. */
long	 utf8_length(const char *s, size_t len);
/* The length of the UTF-8 sequence at p (n > 0 bytes left) with its code
 * point in *cp, by utf8_length's rules (no overlong forms, surrogates or
 * code points above U+10FFFF; NUL is one), or 0 when the bytes there are
 * not one. */
size_t	 utf8_decode(const unsigned char *p, size_t n, unsigned long *cp);

/* ------------------------------------------------------------------ */
/* narrowing: a gateway answer cut to the granted fields (narrow.c)    */

/* Narrowing (issue 18; Art. 17.2.b): keeps, in a JSON document, only the
 * granted fields of each record. text[0..len) must be strict JSON
 * (json_parse_strict) whose numbers are RFC 8259's. The records are what
 * pointer (RFC 6901; NULL or "" for the document itself) names: an
 * object, or an array whose every element is an object; the rest of the
 * document passes unchanged. Of each record only the top-level keys in
 * keep[0..nkeep) (exact bytes; keep may be NULL when nkeep is 0) stay, in
 * their order, their values whole; *nremoved counts the keys removed.
 * *out gets the document as plain JSON ('/' unescaped), NUL-terminated,
 * in the arena, *outlen its length; strings and numbers as they came
 * (narrow.c says what else json-c changes). outlen and nremoved may be
 * NULL. DS_OK, even when nothing was removed; DS_EINVAL with *why
 * (static text) when the text is not JSON, the pointer is malformed or
 * names nothing, or the records are not objects. */
int	 narrow_json(struct arena *a, const char *text, size_t len,
	    const char *pointer, const char *const *keep, size_t nkeep,
	    char **out, size_t *outlen, long long *nremoved, const char **why);

/* ------------------------------------------------------------------ */
/* db                                                                   */

enum db_type { DBT_NULL, DBT_INT, DBT_STR, DBT_DOUBLE };

struct db_param {
	enum db_type	 type;
	long long	 i;
	double		 d;
	const char	*s;
	size_t		 len;
};

#define P_INT(v)	((struct db_param){ .type = DBT_INT, .i = (v) })
#define P_STR(v)	db_param_str(v)
#define P_NULL		((struct db_param){ .type = DBT_NULL })
#define P_DBL(v)	((struct db_param){ .type = DBT_DOUBLE, .d = (v) })
/* NULL strings bind as SQL NULL. */
struct db_param	 db_param_str(const char *);
/* An fval as a parameter: absent or null -> NULL; ints as ints. */
struct db_param	 db_param_fval(const struct fval *, enum field_type);

enum col_kind { COL_STR, COL_INT, COL_DOUBLE, COL_DATETIME, COL_DATE, COL_JSON, COL_BOOL };

struct db_rows {
	size_t		  nrows, ncols;
	const char	**names;	/* column names */
	enum col_kind	 *kinds;
	char		**cells;	/* nrows * ncols, NULL for SQL NULL */
	size_t		 *lens;
};

/* Connects when not connected. Settings: db_socket or db_host/db_port,
 * db_name, db_user, db_password. Returns DS_OK or DS_EUNAVAIL. */
int		 db_connect(void);
void		 db_disconnect(void);
/* Runs a statement (prepared once per connection, cached by the address
 * of the sql text, so pass string literals). affected / insert_id may be
 * NULL. */
int		 db_exec(const char *sql, const struct db_param *, size_t n,
		    unsigned long long *affected, unsigned long long *insert_id);
/* Runs a query and fetches every row as text into the arena. Columns
 * named "..._json" are kept as JSON, tinyint(1) columns and those named
 * "..._bool" as booleans; the JSON key drops either suffix. */
int		 db_query(struct arena *, const char *sql,
		    const struct db_param *, size_t n, struct db_rows **out);
const char	*db_cell(const struct db_rows *, size_t row, size_t col);
const char	*db_get(const struct db_rows *, size_t row, const char *name);
long long	 db_get_int(const struct db_rows *, size_t row, const char *name);
/* A row as a JSON object (datetimes in RFC 3339), or NULL past the end. */
json_object	*db_row_json(const struct db_rows *, size_t row);
/* Every row as a JSON array. */
json_object	*db_rows_json(const struct db_rows *);
/* Takes the columns named in names (NULL-terminated) out of every row,
 * as if the statement had not selected them; names not there are
 * ignored. The cells stay in the arena. */
void		 db_rows_drop(struct db_rows *, const char *const *names);

int		 db_begin(void);
/* fn runs first in every transaction db_begin() starts, until one
 * commits (then it is forgotten) or db_on_begin(NULL); when it fails, the
 * transaction is rolled back and db_begin() returns its status. Lets core
 * write a row that commits exactly when the handler's change does. */
void		 db_on_begin(int (*fn)(void));
int		 db_commit(void);
void		 db_rollback(void);
/* The end of a handler's transaction (tx.c). tx_commit_reply appends the
 * audit row (action on entity id; before is taken and may be NULL, after
 * is its "after" and the reply body; no row when action is NULL), commits
 * and replies status with after. On a failure it rolls back and replies
 * the error, putting after. DS_OK or DS_REPLIED. */
int		 tx_commit_reply(struct http_req *, const char *action,
		    const char *entity, long long id, json_object *before,
		    json_object *after, int status);
/* Rolls the open transaction back and replies st's error (an answer
 * already written, DS_REPLIED, stays). Returns DS_REPLIED. */
int		 tx_fail_reply(struct http_req *, int st);
/* Tells whether a transaction is open (core rolls back leftovers). */
bool		 db_in_tx(void);
/* The last server error number (for tests and logs). */
unsigned	 db_errno(void);

#define NPARAMS(a)	(sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------------ */
/* transitions (transition.c): a resource's life as a table            */

/* One step of a resource's life: from state `from` to `to`, which callers
 * holding any of the bits `who` may take (roles or parties: the module
 * names its bits), by sql, one conditional UPDATE ending
 * "WHERE id = ? AND <state> = ?" whose last two parameters are the
 * record's id and `from` (transition_run binds them). */
struct transition {
	const char	*from;
	const char	*to;
	unsigned	 who;
	const char	*sql;
};

/* A resource's steps and how a refused step reads: the noun in messages
 * ("request") and the error code of its 409s ("already_decided"). The
 * steps are an array of nsteps elements of size bytes, each a struct
 * transition or a struct whose first member is one (a module's step with
 * more to say, as a ticket's); MACHINE() fills the last three. */
struct machine {
	const char		*noun;
	const char		*conflict;
	const void		*steps;
	size_t			 nsteps;
	size_t			 size;
};
#define MACHINE(noun, conflict, steps) \
	{ (noun), (conflict), (steps), NPARAMS(steps), sizeof((steps)[0]) }

enum transition_verdict {
	TRANSITION_OK,
	TRANSITION_FORBIDDEN,	/* who may never take it to `to`: 403 */
	TRANSITION_CONFLICT,	/* no step from `state` to `to`: 409 */
};

/* The one rule: the step from state to `to` for a caller holding who.
 * FORBIDDEN when the step from state (or, without one, every step to
 * `to`) is for others; CONFLICT when the caller may reach `to` but not
 * from state. *step is the step from state to `to` (within m->steps: the
 * caller may cast it back to its element type), or NULL. */
enum transition_verdict transition_find(const struct machine *,
	    const char *state, const char *to, unsigned who,
	    const struct transition **step);
/* transition_find, replying 403 "forbidden" or 409 (m->conflict, the
 * message naming state). DS_OK or DS_REPLIED. */
int	 transition_find_or_reply(struct http_req *, const struct machine *,
	    const char *state, const char *to, unsigned who,
	    const struct transition **step);
/* The parameters a step's own SQL may take, before id and from. */
#define TRANSITION_MAX_PARAMS	32
/* Takes step t of record id inside the caller's open transaction: runs
 * t->sql with p (n) then id and t->from. Replies nothing: DS_OK,
 * DS_ECONFLICT when no row moved (the record left `from` meanwhile, or a
 * further condition of the SQL failed: the caller says which), or the
 * statement's status. */
int	 transition_run(const struct transition *t, long long id,
	    const struct db_param *p, size_t n);
/* Opens the handler's transaction with step t (transition_run): on
 * DS_OK it is open, for the handler to end with tx_commit_reply or
 * tx_fail_reply. When no row moved (another step won the race) or a
 * statement failed, rolls back and replies (409 m->conflict, or the
 * error). DS_OK or DS_REPLIED. */
int	 transition_begin_or_reply(struct http_req *, const struct machine *,
	    const struct transition *t, long long id,
	    const struct db_param *p, size_t n);

/* ------------------------------------------------------------------ */
/* jsonout: rows straight to JSON text, without json-c objects (jsonout.c) */

/* The rows as the text of db_rows_json(rows) serialised as server.c does
 * (plain, '/' unescaped), byte for byte, except that bytes that are not
 * UTF-8 in keys and text cells become U+FFFD (json-c copies them, making
 * invalid JSON); doubles and "_json" columns still go through json-c.
 * The text is NUL-terminated and belongs to the arena; *len (may be NULL)
 * gets its length. For lists and exports: a fraction of json-c's CPU. */
char	*json_rows_text(struct arena *, const struct db_rows *, size_t *len);
/* http_reply_page(r, pg, db_rows_json(rows)) written straight from the
 * rows: 200 {"items": [...], "next_cursor": ...}, as a raw JSON body. */
void	 http_reply_page_rows(struct http_req *, const struct page *,
	    const struct db_rows *);
/* 200 {"items": rows, "next_cursor": cursor, or null when NULL}, written
 * straight from the rows: the body of every page. */
void	 http_reply_items(struct http_req *, const struct db_rows *,
	    const char *cursor);
/* The same for a list whose members are named otherwise: 200
 * {items_key: rows, next_key: next as a string, or null when NULL}
 * (the gateway's {"records": ..., "next_records_from": ...}). */
void	 http_reply_list(struct http_req *, const char *items_key,
	    const struct db_rows *, const char *next_key, const char *next);
/* http_reply(r, status, db_row_json(rows, row)) written straight from the
 * row, as a raw JSON body (the same bytes, as json_rows_text): for a
 * handler that replies one row as it was read. */
void	 http_reply_row(struct http_req *, int status, const struct db_rows *,
	    size_t row);
/* The tail of a list handler: runs the page's query and replies its rows
 * with http_reply_page_rows, or the error its status maps to. */
void	 db_reply_page(struct http_req *, const struct page *,
	    const char *sql, const struct db_param *, size_t n);

/* ------------------------------------------------------------------ */
/* csvout: rows as CSV (csvout.c)                                       */

/* The rows as CSV (RFC 4180): a header line of the column names, then a
 * line per row, CRLF line ends; a cell holding a comma, a quote or a line
 * break is quoted with its quotes doubled; SQL NULL is the empty cell;
 * every other cell is db_cell's text (times as stored, booleans 1 or 0).
 * The text is NUL-terminated and belongs to the arena; *len (may be NULL)
 * gets its length. */
char	*csv_rows_text(struct arena *, const struct db_rows *, size_t *len);

/* ------------------------------------------------------------------ */
/* auth                                                                 */

/* Loads the public keys (<kid>.pub.pem in jwt_keys_dir) once. */
int	 auth_init(char *errbuf, size_t errlen);
/* Verifies "Bearer <jwt>" fully (signature with the pinned algorithm,
 * kid, iss, exp/nbf/iat with skew, required claims, account active).
 * On success fills *who; otherwise returns DS_EINVAL (401) or
 * DS_EUNAVAIL, with a reason in *why. */
int	 auth_verify(struct arena *, const char *authorization,
	    struct identity *who, const char **why);
/* The answer to a token or account refused with status st (auth_verify's
 * or auth_settle_or_reply's): 503 when the database is down (DS_EUNAVAIL),
 * otherwise 401 with WWW-Authenticate: Bearer and why. DS_REPLIED. */
int	 auth_refusal_reply(struct http_req *, int st, const char *why);
/*
 * A read whose own statement also reads the caller's account (R10.1: it
 * is checked on every request), so that the request costs one round trip
 * to MariaDB, not two (bench/RESULTS.md). Its route is marked
 * RT_ACCOUNT_JOINED; dispatch then checks only the token (signature,
 * claims) and leaves r->who unauthenticated. The handler's statement
 * selects AUTH_ACCOUNT_COLS and adds AUTH_ACCOUNT_JOIN to its FROM clause
 * (after its own tables: its ? comes before those of the WHERE clause),
 * bound with AUTH_ACCOUNT_PARAM(r); then, before it looks at the rows,
 * auth_settle_or_reply applies to the account's columns exactly the rules
 * auth_verify applies to its own SELECT. Only GETs: a POST's identity is
 * needed before its handler (Idempotency-Key replays), so on other
 * methods the flag changes nothing and dispatch runs auth_verify.
 */
#define AUTH_ACCOUNT_COLS \
	"caller.status AS caller_status, " \
	"caller.agency_id AS caller_agency_id, caller.roles AS caller_roles, " \
	"caller.grant_id AS caller_grant_id, UNIX_TIMESTAMP() AS caller_now"
#define AUTH_ACCOUNT_JOIN	" LEFT JOIN accounts caller ON caller.id = ? "
#define AUTH_ACCOUNT_PARAM(r)	P_INT(auth_pending_account(r))
/* The account id the handler's statement binds: the token's, or 0 (no
 * account) when nothing is pending (no token on an RT_OPTIONAL_AUTH
 * route, or the account already checked by auth_verify). */
long long auth_pending_account(const struct http_req *);
/* Dispatch's half for RT_ACCOUNT_JOINED routes: checks "Bearer <jwt>" as
 * auth_verify does, but neither its times nor its account, and keeps it
 * in r->pending for auth_settle_or_reply (route_flags: for the
 * confinement of system accounts). DS_OK, or DS_EINVAL with *why. */
int	 auth_verify_deferred(struct http_req *, unsigned route_flags,
	    const char **why);
/*
 * The handler's half: checks the pending token's account against row of
 * rows, the handler's statement read with AUTH_ACCOUNT_COLS (a row past
 * the end, when the statement found nothing, makes it read the account on
 * its own), by auth_verify's rules: active, of the token's agency, the
 * times against the database clock; roles narrowed to the database's,
 * the grant; then auth_confine_system. On DS_OK r->who is the caller (or
 * stays unauthenticated when no token was pending) and the AUTH_ACCOUNT_COLS
 * columns are taken out of rows (every row), which then read as the
 * handler's own statement without them. Otherwise replies 401 with
 * WWW-Authenticate: Bearer (503 when the database is down), rolls back an
 * open transaction and returns DS_REPLIED.
 */
int	 auth_settle_or_reply(struct http_req *, struct db_rows *, size_t row);
/* Verifies only the token (no database): unit tests and fuzzing. */
int	 auth_verify_token(struct arena *, const char *token,
	    long long now, struct identity *who, const char **why);
/* Issue 16 (Art. 17.2.b): a system account reaches only its own grant.
 * Off the routes marked RT_GRANT (or with no grant at all) it is answered
 * as a caller of no agency would be: its agency becomes AGENCY_NONE, so it
 * reads what any agency reads and none of its own agency's private
 * records (the provider, who issued its secret, must not reach them). */
void	 auth_confine_system(struct identity *, unsigned route_flags);
/* Roles that see every record, drafts and restricted data included: DIC
 * runs the catalog, the Chairman issues it, auditors inspect it. */
#define ROLE_OVERSIGHT	(ROLE_DIC_ADMIN | ROLE_CHAIRMAN | ROLE_AUDITOR)
/* The one rule for a record with a visibility ('public', 'agencies' or
 * 'owner': dataset_visibility() of sql/0002_catalog.sql) owned by agency
 * owner: the public sees 'public', any agency 'agencies', the owner and
 * the oversight roles everything (docs/security.md, Who sees what). */
bool	 auth_sees(const struct identity *, const char *vis, long long owner);
/* 403 unless the caller has one of the roles. */
int	 auth_require_role_or_reply(struct http_req *, unsigned roles);
/* 404 (not 403: other agencies' records are invisible) unless the caller
 * belongs to agency_id or is DIC/auditor in allow_roles. */
int	 auth_require_agency_or_reply(struct http_req *, long long agency_id,
	    unsigned allow_roles);
bool	 auth_has_role(const struct identity *, unsigned roles);
/* The role bits as a JSON array of names. */
json_object *roles_json(unsigned roles);
/* Parses a JSON array of role names into bits; -1 on an unknown one. */
long	 roles_from_json(json_object *);
/* The loaded public keys as a JWKS document (RFC 7517). */
json_object *auth_jwks(struct arena *);

/* Credentials (secret.c). */
#define SECRET_HASH_MAX	128
/* A random URL-safe string of bytes random bytes (arena). */
char	*secret_generate(struct arena *, size_t bytes);
/* argon2id hash of secret. */
int	 secret_hash(const char *secret, char out[SECRET_HASH_MAX]);
/* An account's credentials, the one way they are made (R10.3): a new
 * secret of 256 random bits (arena), its argon2id hash in hash, and, when
 * client_id is not NULL, a new client id "ds-..." (arena). The secret is
 * shown once, to whoever issued it; only the hash is stored. DS_OK or
 * DS_ERR (hashing failed). */
int	 secret_issue(struct arena *, const char **client_id,
	    const char **secret, char hash[SECRET_HASH_MAX]);
/* A notification to send with a change: agency_id's feed gets kind about
 * entity entity_id. */
struct notice {
	long long	 agency_id;
	const char	*kind;
	const char	*entity;
	long long	 entity_id;
};
/* Gives the active account a new secret, in a transaction of its own,
 * once the caller may: answers 200 with shown (taken: the account as the
 * route shows it) and its "client_secret", shown once and not stored; the
 * audit row (action) records that it changed, never the secret; told (may
 * be NULL) is notified. 409 when the account is not active. DS_OK or
 * DS_REPLIED. */
int	 secret_rotate_reply(struct http_req *, long long account,
	    json_object *shown, const char *action, const struct notice *told);
/* Constant-work check; hash NULL (unknown account) still costs a check. */
bool	 secret_verify(const char *hash, const char *secret);

/* Encoding helpers shared with the auth module (encoding.c). */
char	*b64url_encode(struct arena *, const unsigned char *, size_t);
/* Returns decoded length or -1. out gets a NUL-terminated arena copy. */
long	 b64url_decode(struct arena *, const char *, size_t, unsigned char **out);
void	 sha256_hex(const void *, size_t, char out[65]);

/* ------------------------------------------------------------------ */
/* token issuance (token.c)                                             */

/* Signs an RS256 access token: claims iss (jwt_issuer), sub (the account
 * id as a string), agency, roles (names), iat, nbf = iat, exp = iat + ttl
 * and a random jti; header kid. The key is the newest private key in
 * jwt_keys_dir, that is the lexically greatest kid with both <kid>.pem
 * and <kid>.pub.pem, read once per process (a new key needs a restart).
 * Returns an arena string, or NULL (logged). */
char	*token_sign(struct arena *, long long account_id, long long agency_id,
	    unsigned roles, long long iat, long long ttl);

/* The compact JWS header (base64url) of our tokens and documents signed
 * with key kid: {"alg":"RS256","typ":"JWT","kid":kid}. */
char	*jws_header(struct arena *, const char *kid);
/* Signs claims (not taken) as a compact JWS, RS256 with the same newest
 * private key as token_sign, header kid; *kid (may be NULL) names the key.
 * For documents kept outside the database (chain checkpoints). Returns an
 * arena string, or NULL (logged). */
char	*jws_sign(struct arena *, json_object *claims, const char **kid);
/* Verifies a compact JWS of at most max bytes like a token's signature
 * (RS256 only, a kid among the public keys auth_init loaded) and gives its
 * payload, a JSON object the caller puts. DS_OK, or DS_EINVAL with *why. */
int	 jws_verify(struct arena *, const char *jws, size_t max,
	    json_object **payload, const char **why);

/* ------------------------------------------------------------------ */
/* audit trail and notifications (inside the caller's transaction)     */

/* Appends an audit event. before/after may be NULL; they are TAKEN (put
 * here), so pass json_object_get(o) to keep using o. The row is linked
 * into the hash chain later by chain_seal(). */
int	 audit_append(const struct identity *, const char *action,
	    const char *entity, long long entity_id,
	    json_object *before, json_object *after);
/* Records a notification for an agency's feed; payload may be NULL and
 * is taken, like audit_append's. */
int	 notify(long long agency_id, const char *kind, const char *entity,
	    long long entity_id, json_object *payload);
/* The call that opens a dispute about object (calls.c): {"method":
 * "POST", "path": "/api/v1/disputes", "body": {...}} with category,
 * subject, the object, and description and agency_id when given (not
 * NULL, not 0); without a description the call lists it in "to_fill".
 * A new object. */
json_object *dispute_call(const char *category, const char *object_type,
	    long long object_id, const char *subject, const char *description,
	    long long agency_id);
/* The DIC's agency (dic.c): its id, 0 when no agency is the DIC yet
 * (DS_OK either way; the caller decides whether that is an error). */
int	 agency_dic_id(struct arena *, long long *id);
/* notify() to the DIC's agency, when there is one; payload is taken. */
int	 notify_dic(const char *kind, const char *entity, long long id,
	    json_object *payload);
/* Links unsealed rows of a chain ("audit" or "access") into the hash
 * chain, in batches, holding the chain head's lock only while sealing.
 * Skips when another process is sealing. Returns rows sealed or <0. */
long	 chain_seal(const char *chain, int max_rows);
/* chain_seal, but waiting for the head's lock when another process holds
 * it (up to the session's innodb_lock_wait_timeout: DS_ECONFLICT when that
 * runs out), so that a round links every row committed before it began
 * (up to max_rows). For whoever must not leave rows behind (datashare-
 * admin checkpoint), not for the modules. */
long	 chain_seal_wait(const char *chain, int max_rows);
/* chain_seal on every chain. Returns the largest batch sealed on one
 * chain (max_rows: that chain may have more), or <0 on a failure. */
long	 chain_seal_all(int max_rows);
/* The hash of a row: SHA-256 of the previous hash, a newline and the
 * row's content. */
void	 chain_row_hash(const char *prev_hex, const char *content,
	    size_t len, char out[65]);

struct chain_report {
	long long	 rows;		/* sealed rows checked */
	long long	 last_id;	/* id of the row being checked */
	long long	 head_seq;
	char		 head_hash[65];
	long long	 unsealed;	/* rows not linked yet */
	const char	*problem;	/* NULL when intact */
};
/* Verifies a chain from its anchor to its head: DS_OK when intact,
 * DS_EINVAL with rep->problem naming the first bad row. */
int	 chain_verify(struct arena *, const char *chain, struct chain_report *);
/* Checks a chain against a head kept outside the database (a signed
 * checkpoint: its seq and hash): the chain must still reach seq, and the
 * row at seq must have that hash, unless a recorded purge removed it (the
 * anchor then lies at or after seq; at seq, the anchor hash must match).
 * Run after chain_verify, which vouches for the anchor. DS_OK, or
 * DS_EINVAL with *problem (arena). */
int	 chain_check_head(struct arena *, const char *chain, long long seq,
	    const char *hash, const char **problem);

struct chain_purge_report {
	long long	 keep_days;
	long long	 rows;		/* rows removed */
	long long	 up_to_seq;	/* the anchor after the purge */
	char		 anchor_hash[65];
	const char	*cutoff;	/* UTC: rows created before it may go */
	const char	*problem;	/* why nothing was purged, or NULL */
};
/* Removes a chain's sealed rows created more than keep_days ago, from its
 * anchor up to the first younger row (never a younger one), moves the
 * anchor to the last removed row's hash and records the purge (table
 * chain_purges, which chain_verify checks the anchor against, and an audit
 * row), all in one transaction. Refuses with DS_EINVAL and rep->problem a
 * chain that is never purged ("audit"), keep_days below the chain's
 * minimum ("access": 92 days, R5.2) or a chain that does not verify.
 * Needs DELETE on the chain's table, which only the owner account has:
 * for datashare-admin. Strings in rep belong to the arena. */
int	 chain_purge(struct arena *, const char *chain, long long keep_days,
	    struct chain_purge_report *);

/* ------------------------------------------------------------------ */
/* netpolicy (netpolicy.c): where gateway upstreams may be              */

struct sockaddr;
/* An upstream or health URL a provider registers: NULL when it may be
 * registered (and called), else why not (static English text, worded as
 * a 422 detail's problem: "must ..."). http or https only, a host, no
 * user:pass@, a port 1-65535, at most 1000 characters, no space, control
 * or non-ASCII character, no fragment. A literal address (IPv4, or IPv6
 * in brackets) must lie inside gateway_upstream_networks, a name must be
 * in gateway_upstream_hosts ("*.example.vn": names under example.vn); the
 * unspecified, link-local, multicast and broadcast addresses (and their
 * ::ffff: forms) never, nor db_host:db_port. No DNS lookup: a name is
 * judged by its text. */
const char	*netpolicy_url_check(const char *url);
/* A resolved address the gateway is about to connect to: the address
 * rules above (a name allowed by name may resolve to a private address,
 * never to an always-refused one, to loopback outside the networks or to
 * the database's address and port; db_host as a name is looked up once
 * per process for this). */
bool		 netpolicy_addr_allowed(const struct sockaddr *sa,
		    size_t salen);
/* The settings are read once per process, at the first call; this
 * forgets them, so that the next call reads them again (tests, after
 * conf_set). */
void		 netpolicy_reset(void);

/* ------------------------------------------------------------------ */
/* gw_parse (gw_parse.c): the gateway's parsing of what it is sent      */

#define GW_AGENCY_CODE_MAX	32
#define GW_SERVICE_CODE_MAX	64
/* Splits a call's path "/gw/{agency}/{service}{rest}" (nginx has decoded
 * it and resolved its dot segments): the agency code is 1 to 32 letters,
 * digits, '.', '_' or '-', the service code 1 to 64 letters, digits or
 * '-'. *agency and *service get copies (arena); *rest points into path
 * after the service code, or is "/" when nothing follows it, so it
 * always begins with '/'. false (outputs untouched) for a path that
 * names no service, one not under "/gw/" included. */
bool	 gw_path_split(struct arena *a, const char *path, const char **agency,
	    const char **service, const char **rest);
/* The path after the service code, percent-encoded again for the
 * provider (nginx decoded it): every byte but the unreserved and
 * sub-delimiter ones, ':', '@' and '/' becomes %XX (upper-case hex).
 * In the arena. */
char	*gw_path_encode(struct arena *a, const char *p);
/* Whether a header name (any case) is hop-by-hop (RFC 9110 7.6.1, and
 * Trailers and every Proxy-*): it never crosses the gateway. */
bool	 gw_hop_by_hop(const char *name);
/* Whether a consumer's header goes on to the provider: not hop-by-hop,
 * nor Host, Authorization, Cookie, Expect, Content-Length (libcurl sets
 * it), Content-Type (added from CONTENT_TYPE, which nginx also passes),
 * Proxy (httpoxy) or any X-Datashare-* the consumer made up. */
bool	 gw_header_forwarded(const char *name);
/* A consumer's header as FastCGI passes it, "HTTP_X_FOO_BAR=v", as the
 * line for the provider, "X-Foo-Bar: v" (each '_' a '-', each letter
 * lower case but the first of the name and those after a '-'); NULL when
 * kv is not an HTTP_ variable with a name, when the header is malformed
 * (gw_header_valid) or when it does not go on (gw_header_forwarded). In
 * the arena. */
char	*gw_header_from_env(struct arena *a, const char *kv);
/* A byte of an RFC 9110 token (a header name). */
bool	 gw_token_char(char ch);
/* Whether a header is well formed: a name that is a non-empty token, a
 * value without a control character (0x00-0x1f but tab, 0x7f). A
 * malformed one is dropped. */
bool	 gw_header_valid(const char *name, const char *value);
/* Whether a provider's header reaches the consumer: not a hop-by-hop
 * one, nor one that nginx or the gateway reads or sets itself (Status,
 * X-Accel-*, which would have nginx send a warehouse file, X-Request-Id,
 * X-Request-Hash, X-Gateway-Error, X-Datashare-*, Content-Length). */
bool	 gw_header_passed(const char *name);
/* Whether path matches an OpenAPI path template, segment by segment: a
 * "{name}" segment matches one non-empty segment, other bytes
 * themselves. */
bool	 gw_template_matches(const char *tpl, const char *path);
/* Whether a service's OpenAPI document (JSON text) declares method on
 * path (the path after the service code): a "paths" key that matches
 * (gw_template_matches) whose item holds the method in lower case, or
 * "get" for HEAD. A document that cannot be read declares nothing. */
bool	 gw_openapi_declares(const char *doc, const char *method,
	    const char *path);

/* ------------------------------------------------------------------ */
/* dates (dates.c): the one parser and writer of each spelling          */

/* "YYYY-MM-DD", a real calendar date (no 2026-02-31), to seconds since
 * 1970-01-01 UTC at its midnight. 0, or -1 if malformed. */
int	 date_parse(const char *s, long long *epoch);
/* The database's "YYYY-MM-DD HH:MM:SS[.ffffff]" (UTC) to seconds since
 * the epoch (the fraction dropped). 0, or -1 if malformed. */
int	 datetime_parse(const char *s, long long *epoch);
/* The UTC date ("YYYY-MM-DD") and time ("YYYY-MM-DD HH:MM:SS") of a
 * time; years outside 0..9999 write "0000-00-00". */
void	 date_format(long long epoch, char out[11]);
void	 datetime_format(long long epoch, char out[20]);

/* ------------------------------------------------------------------ */
/* working days (workdays.c): weekdays minus the holidays table         */

/* The province's offset from UTC in seconds (setting utc_offset_minutes,
 * default 420: Vietnam). */
long long workdays_utc_offset(void);
/* The date n working days after the date from ("YYYY-MM-DD"), skipping
 * weekends and holidays (sorted "YYYY-MM-DD"). 0, or -1 if malformed. */
int	 workdays_after(const char *from, int n, const char *const *holidays,
	    size_t nholidays, char out[11]);
/* When a matter filed at filed_utc ("YYYY-MM-DD HH:MM:SS[.f]", UTC) falls
 * due after n working days: the end (local midnight) of the n-th working
 * day after its local day, as UTC "YYYY-MM-DD HH:MM:SS". offset in
 * seconds. 0, or -1 if malformed. */
int	 workdays_due_from(const char *filed_utc, int n, long long offset,
	    const char *const *holidays, size_t nholidays, char out[20]);
/* The same two with the holidays from the database and the configured
 * offset: DS_OK, DS_EINVAL for a malformed date, or a database status. */
int	 workdays_add(struct arena *, const char *from, int n, char out[11]);
int	 workdays_due(struct arena *, const char *filed_utc, int n,
	    char out[20]);

/* ------------------------------------------------------------------ */
/* counters (counter.c): statistics a read adds without a commit        */

/* Kinds 1..COUNTER_KINDS-1; each module has its own table, so a kind
 * names a statement of that module. These are the ones in use. */
enum counter_kind {
	COUNTER_VIEWS = 1,	/* catalog: datasets.views */
	COUNTER_DOWNLOADS = 2,	/* sharing: datasets.downloads */
	COUNTER_KINDS = 16
};

/* Rows the master writes per transaction, and per statement of a kind. */
#define COUNTER_BATCH	64

/* What a kind counts: the column c of table t whose primary key is id,
 * both compile-time constants of the module ([a-z0-9_]). */
struct counter_column {
	const char	*table;
	const char	*column;
};
/* A module that counts registers, once, before server_main, its columns
 * by kind (cols[kind], n entries, { NULL, NULL } where unused). The
 * statement of each kind is made from them here and kept for the
 * process (db.c caches it by address). DS_OK, or DS_ERR for a bad name
 * or kind. */
int	 counter_use(const struct counter_column *cols, size_t n);
/* The text of the statement that adds `rows` (id, sum) pairs to
 * table.column in one UPDATE (snprintf's contract: its length, written
 * in part if size is short), or -1 for a bad name or row count. */
int	 counter_sql(char *buf, size_t size, const char *tab,
	    const char *col, size_t rows);
bool	 counter_wanted(void);
/* Maps the table of n slots shared with the processes forked after it
 * (server_main, before the workers; 0: none). DS_OK or DS_ERR. */
int	 counter_init(size_t n);
void	 counter_fini(void);
/* Adds 1 to (kind, id) in the shared table. 0, or -1 when it cannot (no
 * table: counter_slots=0 or not under server_main; id >= 2^40; no free
 * slot): the caller then writes the UPDATE itself. */
int	 counter_add(unsigned kind, long long id);
/* Empties every slot, calling fn(arg, kind, id, count) for each that held
 * a count (a key may come twice). Returns the slots emptied. */
long	 counter_drain(void (*fn)(void *, unsigned, long long, long long),
	    void *arg);
/* Master: drains the table and writes every sum (with what an earlier
 * round could not write), COUNTER_BATCH rows to a transaction, one
 * statement per kind. Returns the keys written, or <0 (the batch that
 * failed and the rest stay pending). */
long	 counter_flush(void);
/* Keys drained but not written yet (tests, shutdown log). */
size_t	 counter_pending(void);

/* ------------------------------------------------------------------ */
/* server                                                               */

/* How often a module's tick runs when its setting is unset, in seconds. */
#define TICK_DEFAULT_S	60

struct module {
	const char		*name;
	const struct route	*routes;
	size_t			 nroutes;
	/* Timed work: notices and records a deadline calls for when it
	 * passes, traffic or none (docs/architecture.md, "The master's
	 * tick"). The master calls it between its sealing rounds, on its own
	 * database connection, when it starts and then at most every
	 * tick_setting seconds (default TICK_DEFAULT_S); a worker never
	 * does. A run must be short (a bounded batch; the rest waits for the
	 * next run) and idempotent under concurrent runs, since every host
	 * runs a master: each row moves by a conditional UPDATE. DS_OK, or a
	 * status: the master logs it and the work runs again at its next
	 * time. May be NULL. */
	int			(*tick)(void);
	/* The name of the setting that paces tick ("sweep_interval"; NULL:
	 * "tick_interval"). */
	const char		*tick_setting;
	/* The seconds between ticks when the setting is not given (0:
	 * TICK_DEFAULT_S). */
	int			 tick_default;
	/* Run once by the master after the config is read, before the
	 * workers fork: what they must share (the gateway's rate table,
	 * mapped here, is every worker's). DS_OK or the master stops. May
	 * be NULL. */
	int			(*init)(void);
};

/* Parses --config --socket --workers --socket-mode --pidfile, loads the
 * config, listens, forks workers and supervises them. Returns the exit
 * code for main. */
int	 server_main(const struct module *, int argc, char **argv);
/* Runs a POST that carries an Idempotency-Key: the first time through
 * run(), a retry with the same key and request from the stored answer, the
 * same key with another request 422, a retry of one that was done but
 * whose answer was lost (its worker died) 409 idempotency_answer_lost
 * (idempotency.c). */
void	 idempotent_run(const struct route *, struct http_req *,
	    void (*run)(const struct route *, struct http_req *));
/* Handles one request already read into req (tests call it directly). */
void	 server_dispatch(const struct module *, struct http_req *);

/* Current UTC time from the database clock when connected (deadlines
 * follow the database, DESIGN.md), else the local clock. */
long long	 ds_now(void);
/* "YYYY-MM-DD HH:MM:SS" (database UTC) -> RFC 3339 "...T...Z". */
char		*rfc3339_from_db(struct arena *, const char *);
/* Parses a strictly bounded decimal integer. Returns 0 or -1. */
int		 parse_ll(const char *, long long min, long long max,
		    long long *out);

/* The warehouse (blob.c): bytes stored once under their SHA-256 in
 * warehouse_dir. */
/* "<warehouse_dir>/<sha[0:2]>/<sha>", in the arena. */
char	*blob_path(struct arena *, const char *sha);
/* A new temporary file in <warehouse_dir>/tmp: its fd (the caller closes
 * it) and *path (arena), or -1 (logged; errno says why). */
int	blob_tmp(struct arena *, char **path);
/* Moves the finished temporary file tmp to the address of sha, or removes
 * it when that blob exists already. DS_OK, or DS_ERR with tmp removed and
 * errno saying why. */
int	blob_store(struct arena *, const char *tmp, const char *sha);
/* Whether errno err of a write means no room (disk, quota, size limit):
 * 507, which the operator can fix and the client retry. */
bool	no_room(int err);

#endif /* DS_H */
