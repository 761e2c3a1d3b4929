/*
 * Idempotency-Key on POST (issue 7, item 8). A client that lost an answer
 * (an nginx 504 does not mean the module did not act) retries with the
 * same key: it gets the first answer and nothing is written again.
 *
 * The key is reserved before the handler runs (a unique row per account
 * and key), so two racing retries cannot both act: the second sees the
 * reservation and gets 409 until the first has answered. A 5xx answer
 * releases the key, since nothing was done and a retry should act.
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
    "WHERE account_id = ? AND idem_key = ?";
static const char *sql_release =
    "DELETE FROM idempotency_keys WHERE account_id = ? AND idem_key = ? "
    "AND state = 'pending'";

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

/* Answers from an existing reservation: replay, 409 or 422. */
static void
replay(struct http_req *r, const char *hash)
{
	struct db_param p[] = { P_INT(r->who.account_id),
	    P_STR(r->idempotency_key) };
	struct db_rows *rows;
	char err[64];
	json_object *body;
	int st;

	if ((st = db_query(r->arena, sql_find, p, 2, &rows)) != DS_OK) {
		http_error_status(r, st);
		return;
	}
	if (rows->nrows != 1) {
		/* Released between our insert and this read: retry later. */
		http_error(r, 409, "idempotency_conflict",
		    "a request with this Idempotency-Key is being processed");
		return;
	}
	if (strcmp(db_get(rows, 0, "request_hash"), hash) != 0) {
		json_detail(r, "Idempotency-Key",
		    "was used for a different request");
		json_details_reply(r, "the Idempotency-Key was already used");
		return;
	}
	if (strcmp(db_get(rows, 0, "state"), "done") != 0) {
		http_error(r, 409, "idempotency_conflict",
		    "a request with this Idempotency-Key is being processed");
		return;
	}
	body = json_parse_strict(db_get(rows, 0, "response"),
	    strlen(db_get(rows, 0, "response")), err, sizeof(err));
	http_header(r, "Idempotent-Replayed", "true");
	http_reply(r, (int)db_get_int(rows, 0, "status"), body);
}

void
idempotent_run(const struct route *rt, struct http_req *r,
    void (*run)(const struct route *, struct http_req *))
{
	struct db_param p[3];
	char hash[65];
	int st;

	if (!valid_key(r->idempotency_key)) {
		json_detail(r, "Idempotency-Key",
		    "must be 1 to 128 printable ASCII characters");
		json_details_reply(r, "invalid Idempotency-Key header");
		return;
	}
	request_hash(r, hash);
	p[0] = P_INT(r->who.account_id);
	p[1] = P_STR(r->idempotency_key);
	p[2] = P_STR(hash);
	st = db_exec(sql_reserve, p, 3, NULL, NULL);
	if (st == DS_ECONFLICT) {
		replay(r, hash);
		return;
	}
	if (st != DS_OK) {
		http_error_status(r, st);
		return;
	}
	run(rt, r);
	if (r->status >= 500 || r->resp == NULL) {
		/* Nothing was done (or nothing JSON to replay): free the key. */
		if (db_exec(sql_release, p, 2, NULL, NULL) != DS_OK)
			log_warnx(__func__, "could not release key %s",
			    r->idempotency_key);
		return;
	}
	{
		struct db_param q[] = { P_INT(r->status),
		    P_STR(json_object_to_json_string_ext(r->resp,
		    JSON_C_TO_STRING_PLAIN)), P_INT(r->who.account_id),
		    P_STR(r->idempotency_key) };

		if (db_exec(sql_done, q, 4, NULL, NULL) != DS_OK)
			log_warnx(__func__, "could not record the answer for "
			    "key %s", r->idempotency_key);
	}
}
