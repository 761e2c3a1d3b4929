/*
 * The shared data warehouse: a provider uploads a dataset's data files
 * (CSV or JSON), each version kept, the bytes stored once under their
 * SHA-256 in warehouse_dir; a consumer downloads through its grant; the
 * public downloads open datasets' files (Art. 10, 17.1.e).
 *
 * The module never streams a download: after its checks and the access-
 * log row it answers "X-Accel-Redirect: /warehouse/<aa>/<sha256>" and
 * nginx sends the file from its internal location (sendfile). Fields a
 * grant does not cover are not delivered: the grant gets a derived file
 * with only its columns, made once and stored like any other (derive.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ds.h"
#include "sharing.h"

#define FILE_COLS \
	"f.id, f.dataset_id, f.version, f.name, f.format, f.sha256, f.bytes, " \
	"f.columns_json, f.uploaded_by, f.created_at"

static const char *sql_file =
    "SELECT " FILE_COLS " FROM warehouse_files f "
    "WHERE f.id = ? AND f.dataset_id = ?";

/* ------------------------------------------------------------------ */
/* blobs: content-addressed files under warehouse_dir                  */

/* "<warehouse_dir>/<sha[0:2]>/<sha>" for a blob, into the arena. A fresh
 * temporary file in <warehouse_dir>/tmp gives its fd and path, or -1
 * (logged, errno says why); blob_store moves a finished one to its
 * content address, or removes it when that blob exists already (stored
 * once), and on failure removes it too, errno saying why. */

static const char *
warehouse_dir(void)
{
	const char *d = conf_get("warehouse_dir");

	if (d == NULL)
		log_warnx(__func__, "warehouse_dir is not set");
	return d;
}

static char *
blob_path(struct arena *a, const char *sha)
{
	return arena_printf(a, "%s/%.2s/%s", warehouse_dir(), sha, sha);
}

static int
blob_tmp(struct arena *a, char **path)
{
	const char *dir = warehouse_dir();
	char *tmpdir;
	int fd;

	if (dir == NULL)
		return -1;
	tmpdir = arena_printf(a, "%s/tmp", dir);
	if (mkdir(tmpdir, 0750) != 0 && errno != EEXIST) {
		log_warn(__func__, "mkdir %s", tmpdir);
		return -1;
	}
	*path = arena_printf(a, "%s/part-XXXXXX", tmpdir);
	if ((fd = mkstemp(*path)) < 0) {
		log_warn(__func__, "mkstemp %s", *path);
		return -1;
	}
	/* nginx reads what it serves: group-readable, like the folder. */
	fchmod(fd, 0640);
	return fd;
}

/* Removes tmp after a failure, keeping the failure's errno. */
static int
blob_drop(const char *tmp)
{
	int e = errno;

	unlink(tmp);
	errno = e;
	return DS_ERR;
}

static int
blob_store(struct arena *a, const char *tmp, const char *sha)
{
	char *dir = arena_printf(a, "%s/%.2s", warehouse_dir(), sha);
	char *dst = blob_path(a, sha);
	struct stat sb;

	if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
		log_warn(__func__, "mkdir %s", dir);
		return blob_drop(tmp);
	}
	/* Stored once: the same content uploaded again is the same blob. */
	if (stat(dst, &sb) == 0) {
		unlink(tmp);
		return DS_OK;
	}
	if (rename(tmp, dst) != 0) {
		log_warn(__func__, "rename %s", dst);
		return blob_drop(tmp);
	}
	return DS_OK;
}

/* ------------------------------------------------------------------ */
/* delivery                                                             */

static enum data_format
format_of(const char *f)
{
	return strcmp(f, "json") == 0 ? FMT_JSON : FMT_CSV;
}

/* The name offered to the client: ASCII letters, digits, . _ - only. */
static const char *
safe_name(struct arena *a, const char *name)
{
	char *s = arena_strdup(a, name);

	for (char *p = s; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' ||
		    *p == '-'))
			*p = '_';
	return s;
}

/* Hands the blob to nginx: no body, the internal redirect names it.
 * nginx keeps Content-Type and Content-Disposition through the redirect
 * and drops the module's other headers. */
static void
deliver(struct http_req *r, const char *sha, const char *format,
    const char *name)
{
	http_header(r, "X-Accel-Redirect",
	    arena_printf(r->arena, "/warehouse/%.2s/%s", sha, sha));
	http_header(r, "Content-Disposition", arena_printf(r->arena,
	    "attachment; filename=\"%s\"", safe_name(r->arena, name)));
	http_reply_raw(r, 200, strcmp(format, "json") == 0 ?
	    "application/json; charset=utf-8" : "text/csv; charset=utf-8",
	    "", 0);
}

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

/* ------------------------------------------------------------------ */
/* upload                                                               */

/* Whether a write failed for lack of room: the disk or quota is full, or
 * the file passes the process's size limit. */
static bool
no_room(int err)
{
	return err == ENOSPC || err == EDQUOT || err == EFBIG;
}

/* A file the warehouse could not write: 507 when it is out of room,
 * which the operator can fix and the client retry; else 500. */
static int
storage_error(struct http_req *r, int err)
{
	if (no_room(err))
		return http_error(r, 507, "insufficient_storage", "the "
		    "warehouse has no room for this file (%s); nothing was "
		    "stored", strerror(err));
	return http_error_status(r, DS_ERR);
}

/* Streams the body into a temporary file, hashing as it goes (the body
 * is never held in memory). On any failure the temporary file is gone. */
static int
receive_or_reply(struct http_req *r, long long limit, char **tmp,
    char sha[65], long long *bytes)
{
	long long want = r->content_length;
	char *buf = arena_alloc(r->arena, 65536);
	struct sink s;
	int fd, n;

	if (want > limit)
		return http_error(r, 413, "payload_too_large", "the file is "
		    "larger than the upload limit of %lld bytes", limit);
	if (want <= 0) {
		json_detail(r, "file", "the body is empty: send the file as "
		    "the request body");
		return json_details_reply(r, "no file");
	}
	if ((fd = blob_tmp(r->arena, tmp)) < 0)
		return storage_error(r, errno);
	if (sink_open(&s, fd) != DS_OK) {
		close(fd);
		unlink(*tmp);
		return http_error_status(r, DS_ERR);
	}
	while (s.bytes < want) {
		long long left = want - s.bytes;

		n = r->body_read(r->body_src, buf, left > 65536 ? 65536 :
		    (int)left);
		if (n <= 0)
			break;
		sink_write(&s, buf, (size_t)n);
	}
	*bytes = s.bytes;
	if (sink_close(&s, sha) != DS_OK || *bytes != want) {
		unlink(*tmp);
		return *bytes != want ? http_error(r, 400, "bad_request",
		    "the body ended early") : storage_error(r, s.err);
	}
	return 0;
}

/* The dataset in the path, for its provider's officers: others get 404
 * when it is not published (invisible), 403 otherwise. */
static int
provider_dataset_or_reply(struct http_req *r, struct db_rows **d)
{
	int st;

	if (auth_require_role_or_reply(r, ROLE_ANY_AGENCY))
		return -1;
	if ((st = dataset_load(r->arena, r->captures[0], d)) != DS_OK)
		return http_error_status(r, st);
	if (db_get_int(*d, 0, "provider_agency_id") == r->who.agency_id)
		return 0;
	if (strcmp(db_get(*d, 0, "status"), "published") != 0)
		return http_error(r, 404, "not_found", "no such dataset");
	return http_error(r, 403, "forbidden", "only the dataset's provider "
	    "uploads its files");
}

/* CSV or JSON, by Content-Type; 415 otherwise. */
static int
format_or_reply(struct http_req *r, const char **fmt)
{
	const char *ct = r->content_type ? r->content_type : "";

	if (strncasecmp(ct, "text/csv", 8) == 0 && (ct[8] == '\0' ||
	    ct[8] == ';'))
		*fmt = "csv";
	else if (strncasecmp(ct, "application/json", 16) == 0 &&
	    (ct[16] == '\0' || ct[16] == ';'))
		*fmt = "json";
	else
		return http_error(r, 415, "unsupported_media_type",
		    "a data file is text/csv or application/json");
	return 0;
}

/* The file must parse, and its columns must be fields of the dataset's
 * structure description (Art. 12.2), or narrowing could not be trusted.
 * Gives the columns as JSON text (arena). */
static int
check_file_or_reply(struct http_req *r, const struct db_rows *d,
    const char *tmp, const char *fmt, const char **columns)
{
	const char *problem = NULL;
	json_object *cols, *names;
	int st;

	st = data_scan(r->arena, tmp, format_of(fmt), &cols, &problem);
	if (st == DS_EINVAL) {
		json_detail(r, "file", problem);
		return json_details_reply(r, "the file is not a valid data "
		    "file");
	}
	if (st != DS_OK)
		return http_error_status(r, st);
	names = dataset_field_names(d);
	names_subset(r, "file", cols, names, "a field of the dataset's "
	    "structure description");
	*columns = arena_strdup(r->arena, json_object_to_json_string_ext(cols,
	    JSON_C_TO_STRING_PLAIN));
	json_object_put(names);
	json_object_put(cols);
	if (json_has_details(r))
		return json_details_reply(r, "the file has columns the dataset "
		    "does not describe");
	return 0;
}

static json_object *
file_json(const struct db_rows *rows, size_t i)
{
	return db_row_json(rows, i);
}

/* Records the version (numbered per dataset; a racing upload that took
 * the same number retries) with its audit row and the consumers'
 * notifications, and replies 201 with it. */
static void
record_version(struct http_req *r, const char *name, const char *fmt,
    const char *sha, long long bytes, const char *cols)
{
	static const char *insert =
	    "INSERT INTO warehouse_files (dataset_id, version, name, format, "
	    "  sha256, bytes, columns_json, uploaded_by) "
	    "SELECT ?, COALESCE(MAX(version), 0) + 1, ?, ?, ?, ?, ?, ? "
	    "FROM warehouse_files WHERE dataset_id = ?";
	static const char *consumers =
	    "SELECT DISTINCT g.consumer_agency_id FROM grants g "
	    "WHERE g.dataset_id = ? AND " GRANT_STATUS_SQL " = 'active'";
	static const char *show =
	    "SELECT " FILE_COLS " FROM warehouse_files f WHERE f.id = ?";
	struct db_param p[] = { P_INT(r->captures[0]), P_STR(name),
	    P_STR(fmt), P_STR(sha), P_INT(bytes), P_STR(cols),
	    P_INT(r->who.account_id), P_INT(r->captures[0]) };
	struct db_param q[1];
	struct db_rows *to, *rows;
	unsigned long long id = 0;
	int st = DS_ECONFLICT;

	for (int tries = 0; st == DS_ECONFLICT && tries < 3; tries++) {
		if ((st = db_begin()) == DS_OK &&
		    (st = db_exec(insert, p, NPARAMS(p), NULL, &id)) != DS_OK)
			db_rollback();
	}
	if (st != DS_OK)
		goto fail;
	q[0] = P_INT(r->captures[0]);
	if ((st = db_query(r->arena, consumers, q, 1, &to)) != DS_OK)
		goto fail;
	q[0] = P_INT((long long)id);
	if ((st = db_query(r->arena, show, q, 1, &rows)) != DS_OK ||
	    (st = audit_append(&r->who, "warehouse_file.upload",
	    "warehouse_file", (long long)id, NULL, file_json(rows, 0))))
		goto fail;
	for (size_t i = 0; i < to->nrows; i++)
		if ((st = notify(db_get_int(to, i, "consumer_agency_id"),
		    "warehouse_file.new_version", "dataset", r->captures[0],
		    NULL)) != DS_OK)
			goto fail;
	if ((st = db_commit()) != DS_OK)
		goto fail;
	http_reply(r, 201, file_json(rows, 0));
	return;
fail:
	tx_fail_reply(r, st);
}

/* The same content as the current version makes no new version: replies
 * 200 with it and returns 1; 0 to go on; -1 after an error. */
static int
unchanged_or_0(struct http_req *r, const char *sha, const char *fmt)
{
	static const char *latest =
	    "SELECT " FILE_COLS " FROM warehouse_files f "
	    "WHERE f.dataset_id = ? ORDER BY f.version DESC LIMIT 1";
	struct db_param p[] = { P_INT(r->captures[0]) };
	struct db_rows *rows;
	json_object *o;
	int st;

	if ((st = db_query(r->arena, latest, p, 1, &rows)) != DS_OK)
		return http_error_status(r, st);
	if (rows->nrows == 0 || strcmp(db_get(rows, 0, "sha256"), sha) != 0 ||
	    strcmp(db_get(rows, 0, "format"), fmt) != 0)
		return 0;
	o = file_json(rows, 0);
	json_object_object_add(o, "unchanged", json_object_new_boolean(1));
	http_reply(r, 200, o);
	return 1;
}

/* ?name=, the file name offered on download, or a default. */
static int
name_or_reply(struct http_req *r, const char *fmt, const char **name)
{
	*name = http_param(r, "name");
	if (*name == NULL) {
		*name = arena_printf(r->arena, "dataset-%lld.%s",
		    r->captures[0], fmt);
		return 0;
	}
	if (utf8_length(*name, strlen(*name)) < 1 || strlen(*name) > 255 ||
	    strchr(*name, '/') != NULL) {
		json_detail(r, "name", "must be a file name of 1 to 255 "
		    "characters without '/'");
		return json_details_reply(r, "invalid query parameter");
	}
	return 0;
}

void
dataset_file_upload(struct http_req *r)
{
	long long limit = conf_int("upload_limit", 104857600, 1024,
	    1LL << 40, NULL), bytes = 0;
	const char *fmt = NULL, *name = NULL, *cols = NULL;
	struct db_rows *d;
	char *tmp, sha[65];

	if (provider_dataset_or_reply(r, &d) || format_or_reply(r, &fmt) ||
	    name_or_reply(r, fmt, &name) ||
	    receive_or_reply(r, limit, &tmp, sha, &bytes))
		return;
	if (check_file_or_reply(r, d, tmp, fmt, &cols)) {
		unlink(tmp);
		return;
	}
	if (blob_store(r->arena, tmp, sha) != DS_OK) {
		storage_error(r, errno);
		return;
	}
	if (unchanged_or_0(r, sha, fmt) == 0)
		record_version(r, name, fmt, sha, bytes, cols);
}

/* ------------------------------------------------------------------ */
/* listing versions                                                     */

static void
reply_versions(struct http_req *r, long long dataset)
{
	static const char *sql =
	    "SELECT " FILE_COLS " FROM warehouse_files f "
	    "WHERE f.dataset_id = ? AND (? = 0 OR f.id < ?) "
	    "ORDER BY f.id DESC LIMIT ?";
	struct page pg;

	if (http_page_or_reply(r, &pg) != DS_OK)
		return;
	{
		struct db_param p[] = { P_INT(dataset), P_INT(pg.after),
		    P_INT(pg.after), P_INT(pg.limit) };

		db_reply_page(r, &pg, sql, p, NPARAMS(p));
	}
}

/* The provider and overseers see every version; an agency holding a grant
 * on the dataset, or anyone for published open data, too. Holding means a
 * grant not ended (active or suspended: a pause, not an end); a grant's
 * system account holds its own grant only (docs/sharing.md). */
void
dataset_files_list(struct http_req *r)
{
	static const char *holder =
	    "SELECT COUNT(*) AS n FROM grants g WHERE g.dataset_id = ? AND "
	    "  g.consumer_agency_id = ? AND (? = 0 OR g.id = ?) AND "
	    "  (" GRANT_STATUS_SQL ") IN ('active', 'suspended')";
	struct db_rows *d, *h;
	bool open;
	int st;

	if ((st = dataset_load(r->arena, r->captures[0], &d)) != DS_OK) {
		http_error_status(r, st);
		return;
	}
	open = strcmp(db_get(d, 0, "classification"), "open") == 0 &&
	    dataset_unshareable(d, &(const char *){ NULL }) == NULL;
	/* A grant's account is never the provider: its agency may own the
	 * dataset, but the account reaches only its grant's. */
	if (!open && !is_overseer(&r->who) && (r->who.grant_id != 0 ||
	    r->who.agency_id != db_get_int(d, 0, "provider_agency_id"))) {
		struct db_param p[] = { P_INT(r->captures[0]),
		    P_INT(r->who.agency_id), P_INT(r->who.grant_id),
		    P_INT(r->who.grant_id) };

		if ((st = db_query(r->arena, holder, p, NPARAMS(p), &h))) {
			http_error_status(r, st);
			return;
		}
		/* Unseen is answered as absent (dataset_load's 404). */
		if (db_get_int(h, 0, "n") == 0) {
			http_error_status(r, DS_ENOTFOUND);
			return;
		}
	}
	reply_versions(r, r->captures[0]);
}

/* ------------------------------------------------------------------ */
/* download through a grant                                             */

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
 * be logged is still refused, as 503). Returns -1. */
static int
refuse(struct http_req *r, const struct db_rows *g, long long file,
    int status, const char *code, const char *msg)
{
	struct access_entry e = { g, file, "refused", code, status, 0, NULL,
	    false };
	json_object *keep = r->resp;
	int st;

	r->resp = NULL;
	if ((st = access_log_append(r, &e)) != DS_OK) {
		json_object_put(keep);
		return http_error_status(r, st);
	}
	if (keep != NULL) {
		/* The error was already written (401): keep it. */
		http_reply(r, status, keep);
		return -1;
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
	if (db_get_int(g, 0, "not_started") != 0)
		return refuse(r, g, file, 403, "grant_not_started",
		    "the grant's term has not begun");
	if (service_open_or_refuse(r, g, file))
		return -1;
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

/* ------------------------------------------------------------------ */
/* open data: no token (Art. 10, 17.1.e)                               */

/* A published open dataset, or 404: nothing else is public. */
static int
open_dataset_or_reply(struct http_req *r, struct db_rows **d)
{
	const char *why;
	int st;

	if ((st = dataset_load(r->arena, r->captures[0], d)) == DS_ENOTFOUND ||
	    (st == DS_OK && (dataset_unshareable(*d, &why) != NULL ||
	    strcmp(db_get(*d, 0, "classification"), "open") != 0)))
		return http_error(r, 404, "not_found", "no such open dataset");
	return st == DS_OK ? 0 : http_error_status(r, st);
}

void
open_files_list(struct http_req *r)
{
	struct db_rows *d;

	if (open_dataset_or_reply(r, &d) == 0)
		reply_versions(r, r->captures[0]);
}

void
open_file_download(struct http_req *r)
{
	/* Demand is counted for the catalog (R2.3): in memory, written by
	 * the master (counter.c), or here when that cannot be done. */
	static const char *count =
	    "UPDATE datasets SET downloads = downloads + 1 WHERE id = ?";
	struct db_param p[] = { P_INT(r->captures[1]), P_INT(r->captures[0]) };
	struct db_rows *d, *f;
	int st;

	if (open_dataset_or_reply(r, &d))
		return;
	if ((st = db_query(r->arena, sql_file, p, 2, &f)) != DS_OK) {
		http_error_status(r, st);
		return;
	}
	if (f->nrows != 1) {
		http_error(r, 404, "not_found", "no such file");
		return;
	}
	if (counter_add(COUNTER_DOWNLOADS, r->captures[0]) != 0 &&
	    (st = db_exec(count, &p[1], 1, NULL, NULL)) != DS_OK) {
		http_error_status(r, st);
		return;
	}
	deliver(r, db_get(f, 0, "sha256"), db_get(f, 0, "format"),
	    db_get(f, 0, "name"));
}
