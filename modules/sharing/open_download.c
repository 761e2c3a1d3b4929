/*
 * Open data: GET /open-data/{id}/files and /open-data/{id}/files/{file},
 * with no token (Art. 10, 17.1.e). Only a published open dataset is
 * public; its downloads are counted for the catalog's demand (R2.3).
 */
#include <string.h>

#include "ds.h"
#include "sharing.h"

static const char *sql_file =
    "SELECT " FILE_COLS " FROM warehouse_files f "
    "WHERE f.id = ? AND f.dataset_id = ?";

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
