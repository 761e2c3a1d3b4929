/*
 * A dataset's life after its description: publication (R3.1: only with a
 * passing assessment of the current year; never for excluded data, Art.
 * 1.2), withdrawal, and the recorded updates of published data that move
 * an open dataset's due date (Art. 10.4: updated within 3 months of its
 * publication or last update; open_data_update_months).
 */
#include <string.h>

#include "ds.h"
#include "catalog.h"

/* The verdict of the dataset's (alias d) latest assessment this year, by
 * the database's clock. */
#define LATEST_VERDICT \
	"(SELECT a.verdict FROM assessments a WHERE a.dataset_id = d.id " \
	"  AND a.year = YEAR(UTC_TIMESTAMP()) ORDER BY a.id DESC LIMIT 1)"

static long long
update_months(void)
{
	return conf_int("open_data_update_months", 3, 1, 24, NULL);
}

/* Who moves a dataset: its owner agency's staff (own_or_reply). */
#define BY_OWNER	(1u << 0)

/*
 * The life of a published dataset, as one table:
 *
 *   draft, withdrawn -> published   R3.1, Art. 6.2: with a passing
 *                                   assessment of this year; never
 *                                   excluded data (Art. 1.2); its
 *                                   database listed (Art. 7.1)
 *   published -> withdrawn
 *
 * Publishing takes (update months) before the id and state; its UPDATE
 * holds every rule, so a dataset changed meanwhile is refused, not
 * published.
 */
#define PUBLISH \
	"UPDATE datasets d JOIN `databases` b ON b.id = d.database_id " \
	"SET d.status = 'published', d.published_at = UTC_TIMESTAMP(6), " \
	"  d.update_due_at = IF(d.classification = 'open', " \
	"    UTC_TIMESTAMP(6) + INTERVAL ? MONTH, NULL), " \
	"  d.updated_at = UTC_TIMESTAMP(6) " \
	"WHERE d.id = ? AND d.status = ? " \
	"  AND d.excluded = 0 AND b.status = 'listed' " \
	"  AND " LATEST_VERDICT " = 'pass'"
static const struct transition dataset_steps[] = {
	{ "draft", "published", BY_OWNER, PUBLISH },
	{ "withdrawn", "published", BY_OWNER, PUBLISH },
	{ "published", "withdrawn", BY_OWNER,
	  "UPDATE datasets SET status = 'withdrawn', update_due_at = NULL, "
	  "updated_at = UTC_TIMESTAMP(6) WHERE id = ? AND status = ?" },
};
static const struct machine dataset_life =
    MACHINE("dataset", "conflict", dataset_steps);

/* Loads the dataset of the path, which the caller's agency must own. */
static int
own_or_reply(struct http_req *r, struct db_rows **rows)
{
	return dataset_load_or_reply(r, r->captures[0], false, rows) ||
	    owner_or_reply(r, db_get_int(*rows, 0, "agency_id"), true) ? DS_REPLIED : 0;
}

/*
 * Runs a conditional UPDATE (parameters: p) of the dataset loaded in rows,
 * in a new transaction. Returns 1 when it changed the row (the transaction
 * is open, *before holds the dataset as it was), 0 when the row did not
 * match (rolled back, nothing replied), -1 when it replied an error. For
 * the recorded updates, which change no state.
 */
static int
cond_update(struct http_req *r, const char *sql, const struct db_param *p,
    size_t n, const struct db_rows *rows, json_object **before)
{
	unsigned long long changed;
	int st;

	if ((st = db_begin()) || (st = db_exec(sql, p, n, &changed, NULL))) {
		tx_fail_reply(r, st);
		return -1;
	}
	if (changed == 0) {
		db_rollback();
		return 0;
	}
	*before = db_row_json(rows, 0);
	return 1;
}

/* Ends a transition: search documents, the audit row, the reply. */
static void
finish(struct http_req *r, const char *action, json_object *before)
{
	struct db_rows *rows;
	int st;

	if ((st = search_sync_dataset(r->captures[0])) != DS_OK) {
		json_object_put(before);
		tx_fail_reply(r, st);
		return;
	}
	if (dataset_load_or_reply(r, r->captures[0], false, &rows)) {
		json_object_put(before);
		return;
	}
	tx_commit_reply(r, action, "dataset", r->captures[0], before,
	    db_row_json(rows, 0), 200);
}

/* Says why a dataset could not be published (409 with the reason). */
static void
publish_refusal(struct http_req *r)
{
	static const char *verdict =
	    "SELECT " LATEST_VERDICT " AS verdict, YEAR(UTC_TIMESTAMP()) AS y "
	    "FROM datasets d WHERE d.id = ?";
	struct db_rows *rows, *v;
	const char *latest;

	if (dataset_load_or_reply(r, r->captures[0], false, &rows) ||
	    row_or_reply(r, verdict, r->captures[0], "dataset", &v))
		return;
	latest = db_get(v, 0, "verdict");
	if (strcmp(db_get(rows, 0, "status"), "published") == 0)
		http_error(r, 409, "conflict", "the dataset is already "
		    "published");
	else if (db_get_int(rows, 0, "excluded"))
		http_error(r, 409, "excluded_data", "internal, temporary or "
		    "state-secret data is out of scope and is never published "
		    "(Art. 1.2)");
	else if (latest == NULL)
		http_error(r, 409, "assessment_required", "the dataset has no "
		    "assessment for %s: data is assessed before it is "
		    "published (Art. 6.2)", db_get(v, 0, "y"));
	else if (strcmp(latest, "pass") != 0)
		http_error(r, 409, "assessment_required", "the latest "
		    "assessment of the dataset for %s failed: it is published "
		    "after a passing one (Art. 6.2)", db_get(v, 0, "y"));
	else
		http_error(r, 409, "database_not_listed", "the dataset's "
		    "database is not listed in the catalog");
}

/* Moves the dataset of the path to `to` by its table, in a new
 * transaction, and finishes with action; a step whose UPDATE moved
 * nothing is explained by refusal, or by the table's 409. */
static void
dataset_step(struct http_req *r, const char *to, const struct db_param *p,
    size_t n, const char *action, void (*refusal)(struct http_req *))
{
	const struct transition *t;
	struct db_rows *rows;
	int st;

	if (own_or_reply(r, &rows) ||
	    transition_find_or_reply(r, &dataset_life, db_get(rows, 0,
	    "status"), to, BY_OWNER, &t))
		return;
	if (refusal == NULL) {
		if (transition_begin_or_reply(r, &dataset_life, t,
		    r->captures[0], p, n))
			return;
	} else if ((st = db_begin()) != DS_OK ||
	    (st = transition_run(t, r->captures[0], p, n)) != DS_OK) {
		if (st != DS_ECONFLICT) {
			tx_fail_reply(r, st);
			return;
		}
		db_rollback();
		refusal(r);
		return;
	}
	finish(r, action, db_row_json(rows, 0));
}

/* POST /datasets/{id}/publish: one conditional UPDATE holds every rule,
 * so a dataset changed meanwhile is refused, not published. */
void
dataset_publish(struct http_req *r)
{
	struct db_param p[] = { P_INT(update_months()) };

	dataset_step(r, "published", p, NPARAMS(p), "dataset.publish",
	    publish_refusal);
}

void
dataset_withdraw(struct http_req *r)
{
	dataset_step(r, "withdrawn", NULL, 0, "dataset.withdraw", NULL);
}

/* POST /datasets/{id}/data-updates: the owner records that the published
 * data was updated or supplemented; an open dataset's next update is due
 * open_data_update_months later (Art. 10.4). */
void
dataset_data_update(struct http_req *r)
{
	enum { DD_NOTE, DD__N };
	static const struct field spec[DD__N] = {
		[DD_NOTE] = { "note", F_TEXT, true, 1, 2000, NULL },
	};
	static const char *sql =
	    "UPDATE datasets SET data_updated_at = UTC_TIMESTAMP(6), "
	    "  update_due_at = IF(classification = 'open', "
	    "    UTC_TIMESTAMP(6) + INTERVAL ? MONTH, NULL), "
	    "  updated_at = UTC_TIMESTAMP(6) "
	    "WHERE id = ? AND status = 'published'";
	static const char *record =
	    "INSERT INTO dataset_updates (dataset_id, note, recorded_by) "
	    "VALUES (?, ?, ?)";
	struct fval v[NPARAMS(spec)];
	struct db_param p[] = { P_INT(update_months()), P_INT(r->captures[0]) };
	struct db_rows *rows;
	json_object *before;
	int rc, st;

	if (own_or_reply(r, &rows) ||
	    json_read_or_reply(r, r->json, spec, NPARAMS(spec), v))
		return;
	if ((rc = cond_update(r, sql, p, NPARAMS(p), rows, &before)) == 0) {
		http_error(r, 409, "conflict", "only published data is "
		    "updated");
		return;
	}
	if (rc < 0)
		return;
	{
		struct db_param q[] = { P_INT(r->captures[0]),
		    P_STR(v[DD_NOTE].s),
		    P_INT(r->who.account_id) };

		if ((st = db_exec(record, q, NPARAMS(q), NULL, NULL))) {
			json_object_put(before);
			tx_fail_reply(r, st);
			return;
		}
	}
	finish(r, "dataset.data_update", before);
}
