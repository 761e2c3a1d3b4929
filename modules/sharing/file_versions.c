/*
 * GET /datasets/{id}/files: a dataset's data file versions, newest first,
 * for whoever may receive them: the provider, the overseers, an agency
 * holding a grant on it, or anyone when it is published open data. The
 * page itself (reply_versions) also answers the grant's and the open
 * data's lists (grant_download.c, open_download.c). Art. 16.2.e and
 * 17.2.b: only what was granted reaches a consumer.
 */
#include <string.h>

#include "ds.h"
#include "sharing.h"

void
reply_versions(struct http_req *r, long long dataset)
{
	static const char *sql =
	    "SELECT " FILE_COLS " FROM warehouse_files f "
	    "WHERE f.dataset_id = ? AND (? = 0 OR f.id < ?) "
	    "ORDER BY f.id DESC LIMIT ?";
	struct page pg;

	/* A version list takes paging alone: any other parameter is 422. */
	if (http_page_or_reply(r, &pg) != DS_OK ||
	    http_query_or_reply(r, NULL, 0, NULL) != DS_OK)
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
