/*
 * Idempotency-Key on POST (issue 7, item 8). A client that lost an answer
 * (an nginx 504 does not mean the module did not act) retries with the
 * same key: it gets the first answer and nothing is written again.
 *
 * The key is reserved by a row written inside the handler's own
 * transaction (db_on_begin), so it commits exactly when the change does:
 * a worker killed, or a connection lost, before the commit leaves no
 * reservation and the retry acts; one killed after it leaves a
 * reservation without an answer, and the retry learns that the request
 * was done (409 idempotency_answer_lost) rather than doing it twice. Two
 * racing requests with one key cannot both act: the second one's
 * reservation waits for the first's transaction and then fails, and it
 * is answered from the first one's row (replayed, or 422 for another
 * body) as if it had come after. A request
 * that wrote nothing (a 4xx before any transaction) still has its answer
 * recorded, for replay; a 5xx is not recorded, so a retry acts.
 */
#include <stdio.h>
#include <string.h>

#include "ds.h"

#define KEY_MAX	128

static const char *sql_reserve =
    "INSERT INTO idempotency_keys (account_id, idem_key, request_hash) "
    "VALUES (?, ?, ?)";
static const char *sql_find =
    "SELECT request_hash, state, status, response FROM idempotency_keys "
    "WHERE account_id = ? AND idem_key = ?";
static const char *sql_done =
    "UPDATE idempotency_keys SET state = 'done', status = ?, response = ? "
    "WHERE account_id = ? AND idem_key = ? AND state = 'pending'";
static const char *sql_answer =
    "INSERT IGNORE INTO idempotency_keys (account_id, idem_key, "
    "  request_hash, state, status, response) VALUES (?, ?, ?, 'done', ?, ?)";

static bool
valid_key(const char *k)
{
	size_t n = strlen(k);

	if (n == 0 || n > KEY_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (k[i] < 0x21 || k[i] > 0x7e)
			return false;
	return true;
}

/* SHA-256 of what makes two requests the same: method, path, body. */
static void
request_hash(const struct http_req *r, char out[65])
{
	size_t ml = strlen(r->method), pl = strlen(r->path);
	char *buf = arena_alloc(r->arena, ml + pl + r->body_len + 2);

	memcpy(buf, r->method, ml);
	buf[ml] = '\n';
	memcpy(buf + ml + 1, r->path, pl);
	buf[ml + 1 + pl] = '\n';
	if (r->body_len > 0)
		memcpy(buf + ml + pl + 2, r->body, r->body_len);
	sha256_hex(buf, ml + pl + 2 + r->body_len, out);
}

/* The request being run under a key, for the reservation made at the
 * start of its transaction. */
static struct {
	const struct http_req	*r;
	const char		*hash;
	bool			 lost;	/* another request holds the key */
} cur;

static int
reserve_in_tx(void)
{
	struct db_param p[] = { P_INT(cur.r->who.account_id),
	    P_STR(cur.r->idempotency_key), P_STR(cur.hash) };
	int st = db_exec(sql_reserve, p, 3, NULL, NULL);

	if (st == DS_ECONFLICT)
		cur.lost = true;
	return st;
}

/* Answers from the key's row: replay, 409 or 422. Returns false when
 * the key is unused. */
static bool
replay_or_0(struct http_req *r, const char *hash)
{
	struct db_param p[] = { P_INT(r->who.account_id),
	    P_STR(r->idempotency_key) };
	struct db_rows *rows;
	char err[64];
	json_object *body;
	int st;

	if ((st = db_query(r->arena, sql_find, p, 2, &rows)) != DS_OK) {
		http_error_status(r, st);
		return true;
	}
	if (rows->nrows != 1)
		return false;
	if (strcmp(db_get(rows, 0, "request_hash"), hash) != 0) {
		json_detail(r, "Idempotency-Key",
		    "was used for a different request");
		json_details_reply(r, "the Idempotency-Key was already used");
		return true;
	}
	if (strcmp(db_get(rows, 0, "state"), "done") != 0) {
		/* Committed with the change, answer not (yet) recorded. */
		http_error(r, 409, "idempotency_answer_lost", "the request "
		    "with this Idempotency-Key was carried out, but its answer "
		    "was not recorded (or is being recorded): read the "
		    "resource to see the outcome");
		return true;
	}
	body = json_parse_strict(db_get(rows, 0, "response"),
	    strlen(db_get(rows, 0, "response")), err, sizeof(err));
	http_header(r, "Idempotent-Replayed", "true");
	http_reply(r, (int)db_get_int(rows, 0, "status"), body);
	return true;
}

/* Records the answer: on the reservation the handler's transaction
 * committed, or as a new row when the handler wrote nothing. */
static void
record(struct http_req *r, const char *hash)
{
	struct db_param q[] = { P_INT(r->status),
	    P_STR(json_object_to_json_string_ext(r->resp,
	    JSON_C_TO_STRING_PLAIN)), P_INT(r->who.account_id),
	    P_STR(r->idempotency_key) };
	struct db_param n[] = { P_INT(r->who.account_id),
	    P_STR(r->idempotency_key), P_STR(hash), P_INT(r->status), q[1] };
	unsigned long long done = 0;

	if (db_exec(sql_done, q, 4, &done, NULL) != DS_OK ||
	    (done == 0 && db_exec(sql_answer, n, 5, NULL, NULL) != DS_OK))
		log_warnx(__func__, "could not record the answer for key %s",
		    r->idempotency_key);
}

void
idempotent_run(const struct route *rt, struct http_req *r,
    void (*run)(const struct route *, struct http_req *))
{
	char hash[65];

	if (!valid_key(r->idempotency_key)) {
		json_detail(r, "Idempotency-Key",
		    "must be 1 to 128 printable ASCII characters");
		json_details_reply(r, "invalid Idempotency-Key header");
		return;
	}
	request_hash(r, hash);
	if (replay_or_0(r, hash))
		return;
	cur.r = r;
	cur.hash = hash;
	cur.lost = false;
	db_on_begin(reserve_in_tx);
	run(rt, r);
	db_on_begin(NULL);
	cur.r = NULL;
	if (cur.lost) {
		/* A racing request with this key got there first, and its
		 * transaction has ended (the reservation waited for it): its
		 * row answers as it would have a moment later, 422 for
		 * another body. No row: it rolled back while we failed. */
		json_object_put(r->resp);
		r->resp = NULL;
		r->status = 0;		/* taken back: the row answers */
		r->nheaders = 0;
		if (!replay_or_0(r, hash))
			http_error(r, 409, "idempotency_conflict", "a request "
			    "with this Idempotency-Key is being processed");
		return;
	}
	if (r->status < 500 && r->resp != NULL)
		record(r, hash);
}
