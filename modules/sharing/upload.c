/*
 * POST /datasets/{id}/files: the provider uploads a version of a
 * dataset's data file (CSV or JSON). The body is streamed to a temporary
 * file and hashed on the way, checked (it must parse, and its columns must
 * be fields of the dataset's structure description, Art. 12.2), stored in
 * the blob store, and recorded as the next version with its audit row; the
 * consumers holding an active grant are notified. The same content as the
 * current version makes no new version.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "ds.h"
#include "sharing.h"

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
		return DS_REPLIED;
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

