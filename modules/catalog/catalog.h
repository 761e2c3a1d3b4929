/* datashare-catalog handlers, one file per resource, and their helpers. */
#ifndef CATALOG_H
#define CATALOG_H

#include <stdint.h>
#include <time.h>

/* ------------------------------------------------------------------ */
/* who sees and who changes what (access.c)                            */

/* Who sees a record is core's auth_sees() (ROLE_OVERSIGHT there too). */

/*
 * The visibility rule of a dataset (and of its services, and of a
 * database once listed) is the SQL function dataset_visibility() of
 * sql/0002_catalog.sql, written inline below (VISIBILITY): 'public',
 * 'agencies' or 'owner'. SEES(vis, owner)
 * is the matching WHERE clause for the caller; SEES_PARAMS(who) binds its
 * three parameters. The public sees 'public'; an authenticated caller also
 * 'agencies' and its own agency's records; oversight roles everything.
 * No term for grants is needed: a sharing request may only name published
 * shared or open data (dataset_unshareable() in modules/sharing/util.c), and classification
 * cannot change while a dataset is published, so no agency but the owner
 * ever holds a grant on restricted data.
 */
#define SEES(vis, owner) \
	"(" vis " = 'public' OR (? = 1 AND " vis " = 'agencies') OR " \
	owner " = ? OR ? = 1)"
#define SEES_PARAMS(who) \
	P_INT((who)->authenticated), \
	P_INT((who)->authenticated ? (who)->agency_id : 0), \
	P_INT(auth_has_role((who), ROLE_OVERSIGHT))

/*
 * dataset_visibility(status, excluded, classification, database status)
 * written inline as a CASE, with the stored function's truth table. The
 * function stays for the view search_source and the report module; the
 * catalog's reads use this because calling a stored function costs
 * MariaDB a stored-program execution per row, about 25 us of a point read
 * that costs 45 us without it (bench/RESULTS.md, GET /datasets/{id}).
 * tests/api/test_datasets.py checks that both agree over every input.
 */
#define VISIBILITY(status, excluded, cls, db_status) \
	"(CASE WHEN " status " <> 'published' OR " excluded " <> 0 OR " \
	db_status " <> 'listed' THEN 'owner' " \
	"WHEN " cls " = 'open' THEN 'public' " \
	"WHEN " cls " = 'shared' THEN 'agencies' ELSE 'owner' END)"

/* A database's visibility as SQL (alias b): every agency sees it once
 * listed, as it sees published shared data. */
#define DATABASE_VIS	VISIBILITY("'published'", "0", "'shared'", "b.status")

/* A dataset's visibility as SQL (alias d), its database's status read
 * from db_status: b.status (DATASET_VIS, alias b for `databases`), or
 * the copy migration 0010 keeps in the dataset's row (open_data.c). */
#define DATASET_VIS_WITH(db_status) \
	VISIBILITY("d.status", "d.excluded", "d.classification", db_status)
#define DATASET_VIS	DATASET_VIS_WITH("b.status")

/* Checks that the caller may change a record of owner_agency: an agency
 * officer or focal point of that agency. Otherwise replies 404 when the
 * caller cannot see the record at all (visible false), 403 when it can.
 * Returns 0 or -1 (replied). */
int	 owner_or_reply(struct http_req *, long long owner_agency, bool visible);

/* ------------------------------------------------------------------ */
/* transactions, time and notices (util.c)                             */

/* Replies 422 with a single detail. Returns DS_REPLIED. */
int	 invalid_field(struct http_req *, const char *field,
	    const char *problem);
/* The current year by the database's clock (UTC). */
int	 catalog_year(void);
/* Loads one row of sql (taking one id parameter) as JSON. Replies 404
 * (what names the record) when absent. Returns 0 or -1 (replied). */
int	 row_or_reply(struct http_req *, const char *sql, long long id,
	    const char *what, struct db_rows **rows);
/* row_or_reply for a statement with parameters p (n of them). */
int	 row_params_or_reply(struct http_req *, const char *sql,
	    const struct db_param *p, size_t n, const char *what,
	    struct db_rows **rows);

/* For "col = IF(?, ?, col)" updates: p[2i] tells whether field i was
 * given (a null clears: json_read_or_reply lets a PATCH's null through
 * only for F_NULLABLE fields; elsewhere the null of any other field is
 * as if it were left out, and it is), p[2i+1] is its value. p holds 2n
 * parameters. */
void	 patch_params(const struct field *spec, const struct fval *v,
	    size_t n, struct db_param *p);

/* Runs the page's query and replies {"items": rows, "next_cursor": ...},
 * or the error its status maps to: db_reply_page for offset pages. */
void	 opage_query_reply(struct http_req *, const struct opage *,
	    const char *sql, const struct db_param *, size_t n);

/* ------------------------------------------------------------------ */
/* search documents (search_sync.c), called inside the caller's
 * transaction */

int	 search_sync_database(long long database_id);
int	 search_sync_dataset(long long dataset_id);
int	 search_sync_service(long long service_id);

/* ------------------------------------------------------------------ */
/* handlers                                                             */

/* agencies.c */
void	agencies_list(struct http_req *);
void	agency_create(struct http_req *);
void	agency_show(struct http_req *);
void	agency_update(struct http_req *);

/* focal_points.c */
void	focal_points_show(struct http_req *);
void	focal_point_set(struct http_req *);

/* databases.c */
/* The Art. 7.2 fields b) to g) that a database and an add proposal carry
 * (a, the name, each declares itself), in this order, each citing its
 * point; need is F_OPTIONAL, or F_NULLABLE where a PATCH may clear them;
 * rule is the spec's own (proposals.c), or NULL. A table indexed by an
 * enum puts them right after its name entry: 7 entries. */
#define ART72_SPEC(need, rule) \
	{ "managing_unit", F_STRING, need, 1, 255, NULL, rule, "Art. 7.2.b" }, \
	{ "objective", F_TEXT, need, 0, 0, NULL, rule, "Art. 7.2.c" }, \
	{ "scope", F_TEXT, need, 0, 0, NULL, rule, "Art. 7.2.d" }, \
	{ "master_data", F_TEXT, need, 0, 0, NULL, rule, "Art. 7.2.d" }, \
	{ "users_purposes", F_TEXT, need, 0, 0, NULL, rule, "Art. 7.2.đ" }, \
	{ "sources", F_TEXT, need, 0, 0, NULL, rule, "Art. 7.2.e" }, \
	{ "sharing_methods", F_TEXT, need, 0, 0, NULL, rule, "Art. 7.2.g" }
#define ART72_N	7
extern const char *const db_kinds[];
extern const char *const db_locations[];
/* Art. 8.3: a shared database is hosted at the provincial data centre.
 * Replies 422 naming location otherwise. Returns 0 or -1. */
int	hosting_or_reply(struct http_req *, const char *kind,
	    const char *location);
void	databases_list(struct http_req *);
void	database_create(struct http_req *);
void	database_show(struct http_req *);
void	database_update(struct http_req *);
void	database_list_specialized(struct http_req *);
void	database_withdraw_specialized(struct http_req *);
/* A database as the API shows it, whoever asks; replies nothing.
 * Returns DS_OK (*out is new), DS_ENOTFOUND or another status. */
int	database_json(struct arena *, long long id, json_object **out);
/* Loads a database the caller sees (404 otherwise, and the open
 * transaction rolled back), FOR UPDATE when lock is set. */
int	database_load_or_reply(struct http_req *, long long id, bool lock,
	    struct db_rows **rows);

/* reviews.c */
void	reviews_list(struct http_req *);
void	review_create(struct http_req *);
void	databases_unreviewed(struct http_req *);

/* datasets.c */
/* A dataset's columns (alias d) with its agency and its visibility, read
 * from where the caller says: the database and agency (DATASET_COLS), or
 * the copies migration 0010 keeps in the dataset's row (open_data.c). */
#define DATASET_COLS_WITH(agency_id, agency_name, db_status) \
	"d.id, d.database_id, " agency_id " AS agency_id, " \
	agency_name " AS agency_name, d.title, " \
	"d.description, d.keywords AS keywords_json, d.update_frequency, " \
	"d.classification, d.excluded, d.exclusion_reason, d.status, " \
	"d.published_at, d.fields_json, d.technical_guide, " \
	"d.sharing_methods, d.update_due_at, d.data_updated_at, d.views, " \
	"d.downloads, d.created_at, d.updated_at, " \
	DATASET_VIS_WITH(db_status) " AS visibility"
#define DATASET_COLS \
	DATASET_COLS_WITH("b.agency_id", "a.name", "b.status")
#define DATASET_FROM \
	" FROM datasets d JOIN `databases` b ON b.id = d.database_id " \
	"JOIN agencies a ON a.id = b.agency_id "
void	datasets_list(struct http_req *);
void	dataset_create(struct http_req *);
void	dataset_show(struct http_req *);
void	dataset_update(struct http_req *);
/* Loads a dataset the caller sees (404 otherwise), FOR UPDATE when lock
 * is set. */
int	dataset_load_or_reply(struct http_req *, long long id, bool lock,
	    struct db_rows **rows);

/* publish.c */
void	dataset_publish(struct http_req *);
void	dataset_withdraw(struct http_req *);
void	dataset_data_update(struct http_req *);

/* services.c */
void	services_list(struct http_req *);
void	service_create(struct http_req *);
void	service_show(struct http_req *);
void	service_update(struct http_req *);
void	service_deprecate(struct http_req *);

/* proposals.c */
void	proposals_list(struct http_req *);
void	proposal_create(struct http_req *);
void	proposal_show(struct http_req *);
void	proposal_update(struct http_req *);
void	proposal_resubmit(struct http_req *);
void	proposal_review(struct http_req *);
void	proposal_decide(struct http_req *);

/* versions.c */
void	versions_list(struct http_req *);
void	version_issue(struct http_req *);
void	version_show(struct http_req *);

/* assessments.c */
void	assessments_list(struct http_req *);
void	assessment_create(struct http_req *);
void	assessment_show(struct http_req *);

/* programme.c */
void	programme_show(struct http_req *);
void	programme_unassessed(struct http_req *);
void	programme_overdue(struct http_req *);

/* open_data.c */
void	open_data_list(struct http_req *);
void	open_data_show(struct http_req *);
void	open_data_overdue(struct http_req *);

/* search.c */
void	search(struct http_req *);

/* search_estimates.c: how many index rows a word has, by the optimiser,
 * remembered for the minute by every worker (for search.c) */
/* Maps the table of word estimates the workers share (the master, before
 * it forks them). */
void	search_estimates_share(void);
struct word;
/* The word's estimate read this minute, or -1. */
long long estimate_get(const struct word *, time_t now);
/* Remembers the word's estimate (rows) until the minute ends. */
void	estimate_put(const struct word *, long long rows, time_t now);

/* search_fold.c: FNV-1a (64 bits) of the word's code points folded as
 * the index's collation folds them (case, diacritics, đ): the key of its
 * estimate. */
uint64_t folded_hash(const struct word *);

#endif
