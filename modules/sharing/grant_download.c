/*
 * Downloads through a grant: GET /data/{grant}/files and
 * /data/{grant}/files/{file} (docs/sharing.md). Only the consumer's
 * officers, or its system bound to the grant, receive data, and only
 * while the grant is active, begun, its service not in a planned
 * suspension (Decree 47/2020 Art. 43.1) and its dataset shareable. Every
 * attempt is logged (R5.1: the row is written before the data leaves),
 * refusals included, even by a known account whose token no longer
 * works. Fields a grant does not cover are not delivered (R4.2): the
 * grant gets a derived file with only its columns, made once and stored
 * like any other (derive.c, blob_store.c).
 */
#include <errno.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "ds.h"
#include "sharing.h"

/* A grant's file as a download reads it (the grant's query). */
struct wfile {
	long long	 id, bytes;
	const char	*name, *format, *sha256, *columns_json;
};

/* Whether two JSON texts are the same but for white space between
 * tokens. A file whose columns are written as the grant's fields is whole
 * for the grant without parsing either; another spelling of the same
 * names (escapes) only makes this false, which costs the parse. */
static bool
json_same_text(const char *a, const char *b)
{
	bool in_str = false;

	for (;; a++, b++) {
		if (!in_str) {
			a += strspn(a, " \t\r\n");
			b += strspn(b, " \t\r\n");
		}
		if (*a != *b)
			return false;
		if (*a == '\0')
			return true;
		if (in_str && *a == '\\') {
			if (*++a != *++b)
				return false;
			if (*a == '\0')
				return true;
		} else if (*a == '"')
			in_str = !in_str;
	}
}

/* The columns (cols) that the grant's fields cover, in file order (new). */
static json_object *
granted_columns(json_object *cols, const char *fields_json)
{
	json_object *granted = json_tokener_parse(fields_json);
	json_object *keep = json_object_new_array();

	for (size_t i = 0; i < json_object_array_length(cols); i++) {
		json_object *c = json_object_array_get_idx(cols, i);

		if (names_contain(granted, json_object_get_string(c)))
			json_object_array_add(keep, json_object_get(c));
	}
	json_object_put(granted);
	return keep;
}

/* What a grant receives of a file: the blob's address and size, whether
 * it is the narrowed copy, and, when that copy could not be written, why
 * (errno; 0 for any other failure). */
struct delivery {
	const char	*sha;
	long long	 bytes;
	bool		 narrowed;
	int		 err;
};

/* Makes (once) the copy of file f holding only the columns in keep. On a
 * failure to write it, the part file is gone and d->err says why. */
static int
derive(struct http_req *r, const struct wfile *f, json_object *keep,
    const char *key, struct delivery *d)
{
	static const char *insert =
	    "INSERT IGNORE INTO warehouse_derived (file_id, fields_key, "
	    "  columns_json, sha256, bytes) VALUES (?, ?, ?, ?, ?)";
	char *tmp, *out = arena_alloc(r->arena, 65);
	int fd, st;

	if ((fd = blob_tmp(r->arena, &tmp)) < 0) {
		d->err = errno;
		return DS_ERR;
	}
	if (data_narrow(blob_path(r->arena, f->sha256), format_of(f->format),
	    keep, fd, out, &d->bytes) != DS_OK ||
	    blob_store(r->arena, tmp, out) != DS_OK) {
		d->err = errno;
		unlink(tmp);
		return DS_ERR;
	}
	{
		struct db_param p[] = { P_INT(f->id), P_STR(key),
		    P_STR(json_object_to_json_string_ext(keep,
		    JSON_C_TO_STRING_PLAIN)), P_STR(out), P_INT(d->bytes) };

		if ((st = db_exec(insert, p, NPARAMS(p), NULL, NULL)) != DS_OK)
			return st;
	}
	d->sha = out;
	return DS_OK;
}

/* The derived copy of f with the columns in keep: from the cache, or made
 * now. */
static int
derived_copy(struct http_req *r, const struct wfile *f, json_object *keep,
    struct delivery *d)
{
	static const char *cached =
	    "SELECT sha256, bytes FROM warehouse_derived "
	    "WHERE file_id = ? AND fields_key = ?";
	const char *list = json_object_to_json_string_ext(keep,
	    JSON_C_TO_STRING_PLAIN);
	struct db_rows *rows;
	char key[65];
	int st;

	sha256_hex(list, strlen(list), key);
	{
		struct db_param p[] = { P_INT(f->id), P_STR(key) };

		if ((st = db_query(r->arena, cached, p, 2, &rows)) != DS_OK)
			return st;
	}
	if (rows->nrows == 1 && access(blob_path(r->arena,
	    db_get(rows, 0, "sha256")), R_OK) == 0) {
		d->sha = db_get(rows, 0, "sha256");
		d->bytes = db_get_int(rows, 0, "bytes");
		return DS_OK;
	}
	return derive(r, f, keep, key, d);
}

/*
 * What grant g receives of file f: the file itself when the grant covers
 * every column, else the derived copy with only the granted ones (found
 * in the cache, or made now). DS_EINVAL when no column is granted.
 */
static int
delivery_for(struct http_req *r, const struct db_rows *g,
    const struct wfile *f, struct delivery *d)
{
	const char *fields = db_get(g, 0, "fields_json");
	json_object *cols, *keep;
	size_t ncols, nkeep;
	int st = DS_OK;

	*d = (struct delivery){ f->sha256, f->bytes, false, 0 };
	if (json_same_text(f->columns_json, fields))
		return DS_OK;
	cols = json_tokener_parse(f->columns_json);
	keep = granted_columns(cols, fields);
	ncols = json_object_array_length(cols);
	nkeep = json_object_array_length(keep);
	json_object_put(cols);
	d->narrowed = nkeep < ncols;
	if (!d->narrowed || nkeep == 0)
		st = nkeep == 0 && ncols > 0 ? DS_EINVAL : DS_OK;
	else
		st = derived_copy(r, f, keep, d);
	json_object_put(keep);
	return st;
}

/*
 * The route is public so that this handler can log a refusal even when
 * the token no longer works: a token we signed, still in its lifetime,
 * whose account is no longer active (revoked, disabled) is an attempt
 * through the grant by a known account. Other bad tokens are plain 401s.
 * Returns 0 when authenticated.
 */
static int
caller_or_reply(struct http_req *r, bool *known)
{
	struct identity who;
	const char *why, *why2;
	int st;

	*known = false;
	if ((st = auth_verify(r->arena, r->authorization, &r->who,
	    &why)) == DS_OK)
		return 0;
	if (st == DS_EUNAVAIL)
		return http_error_status(r, st);
	if (r->authorization != NULL &&
	    strncasecmp(r->authorization, "Bearer ", 7) == 0 &&
	    auth_verify_token(r->arena, r->authorization + 7, ds_now(), &who,
	    &why2) == DS_OK) {
		/* Known, but not authenticated: only for the log row. */
		r->who.account_id = who.account_id;
		r->who.agency_id = who.agency_id;
		*known = true;
	}
	http_header(r, "WWW-Authenticate", "Bearer");
	return http_error(r, 401, "unauthorized", "%s", why);
}

/* Logs a refusal through grant g, then replies it (a refusal that cannot
 * be logged is still refused, as 503). Returns DS_REPLIED. */
static int
refuse(struct http_req *r, const struct db_rows *g, long long file,
    int status, const char *code, const char *msg)
{
	struct access_entry e = { g, file, "refused", code, status, 0, NULL,
	    false };
	json_object *keep = r->resp;
	int st;

	/* An answer already written (a 401) is taken back while the row is
	 * written: a refusal that cannot be logged is answered 503 instead. */
	r->resp = NULL;
	r->status = 0;
	if ((st = access_log_append(r, &e)) != DS_OK) {
		json_object_put(keep);
		return http_error_status(r, st);
	}
	if (keep != NULL) {
		http_reply(r, status, keep);
		return DS_REPLIED;
	}
	/* The log keeps the reason; a 404 tells the caller no more than an
	 * absent grant's would (issue 16). */
	return http_error(r, status, status == 404 ? "not_found" : code, "%s",
	    msg);
}

/* Who may download through grant g: the consumer's systems bound to g,
 * or the consumer agency's officers. Refuses (and logs) anyone else. */
static int
consumer_or_refuse(struct http_req *r, const struct db_rows *g)
{
	long long consumer = db_get_int(g, 0, "consumer_agency_id");

	if (r->who.agency_id == consumer) {
		if (auth_has_role(&r->who, ROLE_SYSTEM) &&
		    r->who.grant_id == db_get_int(g, 0, "id"))
			return 0;
		if (auth_has_role(&r->who, ROLE_ANY_AGENCY) &&
		    r->who.grant_id == 0)
			return 0;
		if (auth_has_role(&r->who, ROLE_SYSTEM))
			return refuse(r, g, 0, 403, "wrong_grant", "this "
			    "account is bound to another grant");
		return refuse(r, g, 0, 403, "forbidden", "your role does not "
		    "receive data");
	}
	if (r->who.agency_id == db_get_int(g, 0, "provider_agency_id") ||
	    is_overseer(&r->who))
		return refuse(r, g, 0, 403, "not_consumer", "only the "
		    "consumer receives data through a grant");
	return refuse(r, g, 0, 404, "not_party", "no such grant");
}

/* Decree 47/2020 Art. 43.1: while a planned suspension of the grant's
 * service is under way (modules/suspension, planned_suspensions), the
 * service serves nothing; 503 with Retry-After until its announced end
 * (the s_ columns of g, NULL when none is under way). */
static int
service_open_or_refuse(struct http_req *r, const struct db_rows *g,
    long long file)
{
	if (db_get(g, 0, "s_until") == NULL)
		return 0;
	http_header(r, "Retry-After", db_get(g, 0, "s_wait"));
	return refuse(r, g, file, 503, "service_suspended", arena_printf(
	    r->arena, "the service is suspended for planned work until %s",
	    db_get(g, 0, "s_until")));
}

/* The grant must be active, begun, its service not in a planned
 * suspension, and its dataset still shareable (the d_ columns of g). */
static int
grant_live_or_refuse(struct http_req *r, const struct db_rows *g,
    long long file)
{
	const char *status = db_get(g, 0, "status"), *code, *why;
	struct shareability d = { db_get_int(g, 0, "d_excluded") != 0,
	    db_get(g, 0, "d_status"), db_get(g, 0, "d_database_status"),
	    db_get(g, 0, "d_classification") };

	if (strcmp(status, "active") != 0)
		return refuse(r, g, file, 403, arena_printf(r->arena,
		    "grant_%s", status), arena_printf(r->arena,
		    "the grant is %s: it serves no data", status));
	if (db_get_int(g, 0, "not_started_bool") != 0)
		return refuse(r, g, file, 403, "grant_not_started",
		    "the grant's term has not begun");
	if (service_open_or_refuse(r, g, file))
		return DS_REPLIED;
	/* A dataset (or its database) gone: as dataset_load says. */
	if (d.status == NULL || d.database_status == NULL)
		return http_error_status(r, DS_ENOTFOUND);
	if ((code = shareability_refusal(&d, &why)) != NULL)
		return refuse(r, g, file, 403, code, why);
	return 0;
}

/* The planned suspension of the grant's service under way, if any: the
 * one that ends last. */
#define PLANNED_NOW(col) \
	"(SELECT " col " FROM planned_suspensions ps " \
	"  WHERE ps.service_id = g.service_id AND ps.state = 'scheduled' " \
	"  AND ps.starts_at <= UTC_TIMESTAMP(6) " \
	"  AND ps.ends_at > UTC_TIMESTAMP(6) ORDER BY ps.ends_at DESC LIMIT 1)"

/*
 * The grant with, in one read, the file in the path when it is of the
 * grant's dataset (f_ columns, NULL otherwise), what the sharing rules
 * read of that dataset (d_ columns, as dataset_load) and its service's
 * planned suspension under way (s_ columns; nothing to read without a
 * service): every download reads them all, in one statement rather than
 * one each. The grant's columns keep their names, so
 * the row is the grant's row for access_log_append.
 */
static const char *sql_grant_file =
    "SELECT " GRANT_COLS ", f.id AS f_id, f.name AS f_name, "
    "  f.format AS f_format, f.sha256 AS f_sha256, f.bytes AS f_bytes, "
    "  f.columns_json AS f_columns_json, d.excluded AS d_excluded, "
    "  d.status AS d_status, d.classification AS d_classification, "
    "  b.status AS d_database_status, "
    PLANNED_NOW("DATE_FORMAT(ps.ends_at, '%Y-%m-%dT%H:%i:%sZ')")
    " AS s_until, "
    PLANNED_NOW("TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(6), ps.ends_at) + 1")
    " AS s_wait "
    "FROM grants g "
    "LEFT JOIN warehouse_files f ON f.id = ? AND f.dataset_id = g.dataset_id "
    "LEFT JOIN datasets d ON d.id = g.dataset_id "
    "LEFT JOIN `databases` b ON b.id = d.database_id "
    "WHERE g.id = ?";

/* The grant's narrowed copy of the file could not be made (delivery_for
 * failed with st): out of room is 507, like an upload, and the attempt is
 * logged as a refusal saying so (R5.1: no row claims a delivery that did
 * not happen); anything else is the error it was. */
static void
undelivered(struct http_req *r, const struct db_rows *g, long long file,
    const struct delivery *d, int st)
{
	if (!no_room(d->err)) {
		http_error_status(r, st);
		return;
	}
	log_warnx(__func__, "grant %lld, file %lld: no room for the narrowed "
	    "copy: %s", db_get_int(g, 0, "id"), file, strerror(d->err));
	refuse(r, g, file, 507, "insufficient_storage", arena_printf(r->arena,
	    "the warehouse has no room for the grant's copy of this file "
	    "(%s); nothing was delivered", strerror(d->err)));
}

static struct wfile
wfile_of(const struct db_rows *g)
{
	return (struct wfile){ db_get_int(g, 0, "f_id"),
	    db_get_int(g, 0, "f_bytes"), db_get(g, 0, "f_name"),
	    db_get(g, 0, "f_format"), db_get(g, 0, "f_sha256"),
	    db_get(g, 0, "f_columns_json") };
}

void
grant_file_download(struct http_req *r)
{
	struct db_rows *g;
	struct wfile f;
	struct delivery d;
	long long file = r->captures[1];
	bool known;
	int st, unauth;

	unauth = caller_or_reply(r, &known);
	if (unauth && !known)
		return;
	{
		struct db_param p[] = { P_INT(file), P_INT(r->captures[0]) };

		if ((st = db_query(r->arena, sql_grant_file, p, 2, &g)) !=
		    DS_OK) {
			http_error_status(r, st);
			return;
		}
	}
	if (g->nrows != 1) {
		if (!unauth)
			http_error(r, 404, "not_found", "no such grant");
		return;
	}
	if (unauth) {
		refuse(r, g, file, 401, "account_not_active", NULL);
		return;
	}
	if (consumer_or_refuse(r, g))
		return;
	if (db_get(g, 0, "f_id") == NULL) {
		refuse(r, g, 0, 404, "no_such_file", "no such file for this "
		    "grant's dataset");
		return;
	}
	f = wfile_of(g);
	if (grant_live_or_refuse(r, g, file))
		return;
	if ((st = delivery_for(r, g, &f, &d)) == DS_EINVAL) {
		refuse(r, g, file, 409, "no_granted_columns", "this file holds "
		    "none of the grant's fields");
		return;
	}
	if (st != DS_OK) {
		undelivered(r, g, file, &d, st);
		return;
	}
	/* R5.1: the row is written before the data leaves. */
	{
		struct access_entry e = { g, file, "delivered", NULL, 200,
		    d.bytes, d.sha, d.narrowed };

		if ((st = access_log_append(r, &e)) != DS_OK) {
			http_error_status(r, st);
			return;
		}
	}
	deliver(r, d.sha, f.format, f.name);
}

/* GET /data/{grant}/files: what the grant can download. */
void
grant_files_list(struct http_req *r)
{
	struct db_rows *g;

	if (grant_load_or_reply(r, r->captures[0], &g) == 0)
		reply_versions(r, db_get_int(g, 0, "dataset_id"));
}
