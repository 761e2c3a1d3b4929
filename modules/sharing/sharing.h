/*
 * datashare-sharing: handlers, one file per resource, and the few helpers
 * they share (util.c). Every handler follows the house order: authorise,
 * read declared fields, validate, one transaction, reply.
 */
#ifndef SHARING_H
#define SHARING_H

#include <stdio.h>

#include "ds.h"
#include "grant_state.h"

/* Roles that see every agency's records: DIC and auditors. */
#define ROLE_OVERSEER	(ROLE_DIC_ADMIN | ROLE_AUDITOR)

/* A grant's status as callers see it, of the grant aliased g: the one
 * definition, in grant_state.h. */
#define GRANT_STATUS_SQL	GRANT_EFFECTIVE_STATUS_SQL("g")

#define GRANT_COLS \
	"g.id, g.request_id, g.provider_agency_id, g.consumer_agency_id, " \
	"g.dataset_id, g.service_id, " GRANT_STATUS_SQL " AS status, " \
	"g.starts_at, g.ends_at, g.fields_json, g.created_by, g.created_at, " \
	"g.updated_at, (g.starts_at > UTC_TIMESTAMP(6)) AS not_started_bool"

/* requests.c */
void	requests_list(struct http_req *);
void	request_create(struct http_req *);
void	request_show(struct http_req *);
void	request_approve(struct http_req *);
void	request_refuse(struct http_req *);
void	request_withdraw(struct http_req *);

/* grants.c */
void	grants_list(struct http_req *);
void	grant_show(struct http_req *);
/* Loads a grant (GRANT_COLS, effective status) that the caller may see:
 * its provider, its consumer, or an overseer; 404 otherwise. */
int	grant_load_or_reply(struct http_req *, long long id, struct db_rows **);
/* A grant as the API shows it, whoever asks; replies nothing. DS_OK (*out
 * is new), DS_ENOTFOUND or the database's status (a lost database must
 * reach the client as its 503, not as a 500). */
int	grant_json(struct arena *, long long id, json_object **out);

/* accounts.c: consumer-system accounts of a grant (Art. 16.2.e) */
void	grant_accounts_list(struct http_req *);
void	grant_account_create(struct http_req *);
void	grant_account_revoke(struct http_req *);
void	grant_account_rotate(struct http_req *);

/* The warehouse: each version of a dataset's data files, one file per
 * job. The columns of a version (warehouse_files f) as every list and
 * answer gives them. */
#define FILE_COLS \
	"f.id, f.dataset_id, f.version, f.name, f.format, f.sha256, f.bytes, " \
	"f.columns_json, f.uploaded_by, f.created_at"

/* file_versions.c: GET /datasets/{id}/files */
void	dataset_files_list(struct http_req *);
/* Replies a page of dataset's versions, newest first, to a caller already
 * found to see them (also for grant_download.c and open_download.c). */
void	reply_versions(struct http_req *, long long dataset);

/* upload.c: POST /datasets/{id}/files */
void	dataset_file_upload(struct http_req *);

/* grant_download.c: /data/{grant}/files..., every attempt logged */
void	grant_files_list(struct http_req *);
void	grant_file_download(struct http_req *);

/* open_download.c: /open-data/{id}/files..., no token */
void	open_files_list(struct http_req *);
void	open_file_download(struct http_req *);

/* blob_store.c: warehouse files handed to nginx */
/* Replies 200 with no body and the X-Accel-Redirect that has nginx send
 * blob sha as a download named name (format: "csv" or "json"). */
void	deliver(struct http_req *, const char *sha, const char *format,
	    const char *name);

/* derive.c: reading CSV and JSON data files, column by column */
enum data_format { FMT_CSV, FMT_JSON };
/* The format of a stored file (warehouse_files.format): "json" or CSV. */
enum data_format format_of(const char *);
/* Reads a whole data file: a CSV with a header line, or a JSON array of
 * objects. Returns DS_OK with the columns (a new JSON array of names, in
 * file order; caller puts it), or DS_EINVAL with *problem (arena). */
int	data_scan(struct arena *, const char *path, enum data_format,
	    json_object **columns, const char **problem);
/* Writes to out_fd (closed here) a copy of path holding only the columns
 * in keep (a JSON array of names), in the file's order, and gives its
 * SHA-256 and size. Returns DS_OK, or DS_ERR (logged) with errno the
 * first write's error when the copy could not be written (ENOSPC, EDQUOT,
 * EFBIG: no room), else 0. */
int	data_narrow(const char *path, enum data_format, json_object *keep,
	    int out_fd, char sha[65], long long *bytes);

/* Bytes written to a file and hashed as they go (uploads, narrowing). */
struct sink {
	FILE		*f;
	void		*md;		/* EVP_MD_CTX */
	long long	 bytes;
	bool		 failed;
	int		 err;		/* errno of the first failure, or 0 */
};
/* Takes fd (closed by sink_close). */
int	sink_open(struct sink *, int fd);
void	sink_write(struct sink *, const void *, size_t);
/* Flushes, syncs and closes; gives the SHA-256 in hex. DS_OK or DS_ERR
 * when any write failed, with its errno in s->err (ENOSPC: disk full). */
int	sink_close(struct sink *, char sha[65]);

/* access_log.c */
void	access_log_list(struct http_req *);
void	access_log_export(struct http_req *);
struct access_entry {
	const struct db_rows	*grant;		/* the grant's row (GRANT_COLS) */
	long long		 file_id;	/* 0 when unknown */
	const char		*outcome;	/* "delivered" or "refused" */
	const char		*reason;	/* refusals: the error code */
	int			 http_status;
	long long		 bytes;		/* deliveries */
	const char		*sha256;
	bool			 narrowed;
};
/* Appends one access-log row (one INSERT, committed at once) for the
 * caller in r->who (account and agency NULL when unknown), and marks the
 * 'access' chain for sealing after the response. */
int	access_log_append(struct http_req *, const struct access_entry *);

/* usage_reports.c (Art. 16.1.e) */
void	usage_report_request(struct http_req *);
void	usage_reports_list(struct http_req *);
void	grant_usage_reports_list(struct http_req *);
void	usage_report_show(struct http_req *);
void	usage_report_answer(struct http_req *);

/* error_reports.c (Art. 17.2.c, 16.2.d) */
void	error_reports_list(struct http_req *);
void	error_report_create(struct http_req *);
void	error_report_show(struct http_req *);
void	error_report_acknowledge(struct http_req *);
void	error_report_correct(struct http_req *);
void	error_report_reject(struct http_req *);

/* holidays.c */
void	holidays_list(struct http_req *);
void	holiday_create(struct http_req *);
void	holiday_delete(struct http_req *);
void	working_days_show(struct http_req *);

/* sweep.c */
/* The module's tick: writes down what time alone changed, requests past
 * their decision deadline (the provider is notified once) and grants past
 * their end (both sides notified), at most BATCH of each per run. Each row
 * moves by a conditional UPDATE, so concurrent sweeps notify once. DS_OK,
 * or the status of the first part that failed (logged; the other part
 * still ran). */
int	sharing_sweep(void);

/* util.c */
/* A record two agencies share (a request, a report): the address of its
 * statement (one row by id, cached by that text's address), the columns
 * naming its two agencies and the noun its 404 names. */
struct party_record {
	const char *const	*sql;
	const char		*sides[2];
	const char		*noun;
};
/* Loads the record in the path; 404 ("no such <noun>") unless the
 * caller's agency is one of its two sides or the caller oversees. A
 * consumer system's account (role system) reads only its own grant: 403
 * here. Returns 0 or -1 (replied). */
int	party_load_or_reply(struct http_req *, const struct party_record *,
	    struct db_rows **);
/* Loads a dataset with its provider agency (DATASET_COLS); DS_ENOTFOUND
 * when absent. */
int	dataset_load(struct arena *, long long id, struct db_rows **);
/* Why a dataset cannot be shared now, as an error code with its message
 * in *why; NULL when it can (published, not excluded, not restricted,
 * its database listed). */
const char *dataset_unshareable(const struct db_rows *, const char **why);
/* The same rule on the columns it reads, for a query that read them
 * beside other rows' (the download through a grant). */
struct shareability {
	bool		 excluded;
	const char	*status, *database_status, *classification;
};
const char *shareability_refusal(const struct shareability *,
	    const char **why);
/* The names of a dataset's fields (its structure description), as a new
 * JSON array. */
json_object *dataset_field_names(const struct db_rows *);
/* Checks that names (a JSON array of strings) are distinct members of
 * allowed; adds a 422 detail on field for each that is not. Returns the
 * number of problems. */
int	names_subset(struct http_req *, const char *field, json_object *names,
	    json_object *allowed, const char *what);
bool	names_contain(json_object *names, const char *name);
/* The database's UTC clock as "YYYY-MM-DD HH:MM:SS". */
int	db_now_text(struct arena *, const char **now);
bool	is_overseer(const struct identity *);
/* Whether text is only white space (a reason that states nothing). */
bool	text_blank(const char *);
/* Compares two UTC times "YYYY-MM-DD HH:MM:SS[.ffffff]" to the second. */
int	time_cmp(const char *, const char *);
/* The JSON body, or an empty object for actions whose body is optional. */
json_object *body_or_empty(struct http_req *);

#endif
