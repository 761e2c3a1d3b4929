/*
 * Token verification (DESIGN.md, Auth): a compact JWS checked with the
 * pinned algorithm and the key its header names (auth_keys.c), its claims
 * read, then its times and, for a request, its account: in a statement of
 * its own (auth_verify), or in the handler's, which joins the account
 * (auth_verify_deferred, then auth_settle_or_reply; both apply
 * account_rule). A token verified before comes from the memo
 * (auth_memo.c) instead.
 *
 * libjwt 1.10 takes the algorithm from the token's own header and parses
 * the PEM key on every call (about 290 us). So the signature is checked
 * here, with the pinned algorithm and a public key loaded once per process
 * and chosen by "kid"; the claims are then read here too, with json-c
 * (libjwt parsed them with jansson and gave each integer back as JSON text
 * to parse again: about 6% of a worker serving GET /datasets/{id}).
 */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <sodium.h>

#include "ds.h"
#include "auth_priv.h"

#define TOKEN_MAX	8192
#define SKEW		60

/* Verifies on a copy, so the key's own context is never updated and a
 * failed check leaves nothing behind for the next request. The copy is
 * used once: FINALISE spares the final step a copy of its own. */
static int
rs256_verify(const EVP_MD_CTX *ready, const char *signed_part, size_t len,
    const unsigned char *sig, size_t siglen)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok;

	if (ctx == NULL || EVP_MD_CTX_copy_ex(ctx, ready) != 1)
		abort();
	EVP_MD_CTX_set_flags(ctx, EVP_MD_CTX_FLAG_FINALISE);
	ok = EVP_DigestVerify(ctx, sig, siglen,
	    (const unsigned char *)signed_part, len) == 1;
	EVP_MD_CTX_free(ctx);
	return ok;
}

/* A string claim, or NULL when absent or of another type. */
static const char *
claim_str(json_object *claims, const char *name)
{
	json_object *v;

	if (!json_object_object_get_ex(claims, name, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* Reads an integer claim: 0 when present and a JSON integer that fits,
 * 1 when absent, -1 for anything else (null, a string, a real, a
 * boolean, an integer past 64 bits). */
static int
claim_int(json_object *claims, const char *name, long long *out)
{
	json_object *v;

	if (!json_object_object_get_ex(claims, name, &v))
		return 1;
	if (!json_object_is_type(v, json_type_int))
		return -1;
	/* Through its text: json-c clamps an integer it read past
	 * INT64_MAX, and parse_ll refuses it. */
	return parse_ll(json_object_to_json_string_ext(v,
	    JSON_C_TO_STRING_PLAIN), LLONG_MIN, LLONG_MAX, out) == 0 ? 0 : -1;
}

static int
parse_roles(json_object *claims, unsigned *roles)
{
	json_object *a;
	size_t n;

	*roles = 0;
	if (!json_object_object_get_ex(claims, "roles", &a) ||
	    !json_object_is_type(a, json_type_array) ||
	    (n = json_object_array_length(a)) == 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		json_object *it = json_object_array_get_idx(a, i);
		int bit;

		if (!json_object_is_type(it, json_type_string) ||
		    (bit = role_parse(json_object_get_string(it))) < 0)
			return -1;
		*roles |= (unsigned)bit;
	}
	return 0;
}


/* exp, nbf and iat against now, with the skew. */
static int
check_times(const struct times *t, long long now, const char **why)
{
	if (now - SKEW > t->exp) {
		*why = "the token has expired";
		return DS_EINVAL;
	}
	if (t->nbf > now + SKEW || t->iat > now + SKEW) {
		*why = "the token is not valid yet";
		return DS_EINVAL;
	}
	return DS_OK;
}

static int
check_claims(struct arena *a, json_object *claims, struct identity *who,
    struct times *t, const char **why)
{
	const char *iss = claim_str(claims, "iss");
	const char *sub = claim_str(claims, "sub");
	const char *jti = claim_str(claims, "jti");
	long long agency;
	int rc;

	if (iss == NULL || strcmp(iss, conf_str("jwt_issuer",
	    "datashare")) != 0) {
		*why = "wrong issuer";
		return DS_EINVAL;
	}
	if (sub == NULL || parse_ll(sub, 1, LLONG_MAX, &who->account_id) != 0 ||
	    jti == NULL || claim_int(claims, "exp", &t->exp) != 0 ||
	    claim_int(claims, "agency", &agency) != 0 || agency <= 0 ||
	    parse_roles(claims, &who->roles) != 0) {
		*why = "a required claim is missing or malformed";
		return DS_EINVAL;
	}
	/* iat and nbf are optional, but not of another type. */
	if ((rc = claim_int(claims, "iat", &t->iat)) == 1)
		t->iat = 0;
	if (rc < 0 || (rc = claim_int(claims, "nbf", &t->nbf)) < 0) {
		*why = "a required claim is missing or malformed";
		return DS_EINVAL;
	}
	if (rc == 1)
		t->nbf = 0;
	who->agency_id = agency;
	who->jti = arena_strdup(a, jti);
	return DS_OK;
}

/*
 * Checks a compact JWS (header.payload.signature): the alphabet, the
 * header's alg (RS256 only) and kid (a loaded public key), and the
 * signature over header.payload. Nothing else: the payload is not read.
 * Sets *dot2 to the second dot. DS_OK, or DS_EINVAL with *why.
 */
static int
jws_check(struct arena *a, const char *token, size_t max,
    const char **dot2p, const char **why)
{
	const char *dot1, *dot2;
	unsigned char *sig;
	long slen;
	const EVP_MD_CTX *key;
	size_t tlen = strlen(token);

	*why = "malformed token";
	if (tlen > max)
		return DS_EINVAL;
	for (size_t i = 0; i < tlen; i++)
		if (!isalnum((unsigned char)token[i]) && token[i] != '-' &&
		    token[i] != '_' && token[i] != '.')
			return DS_EINVAL;
	if ((dot1 = strchr(token, '.')) == NULL ||
	    (dot2 = strchr(dot1 + 1, '.')) == NULL || strchr(dot2 + 1, '.'))
		return DS_EINVAL;
	if ((slen = b64url_decode(a, dot2 + 1, strlen(dot2 + 1), &sig)) <= 0 ||
	    (key = header_key(a, token, (size_t)(dot1 - token), why)) == NULL)
		return DS_EINVAL;
	if (!rs256_verify(key, token, (size_t)(dot2 - token), sig,
	    (size_t)slen)) {
		*why = "bad signature";
		return DS_EINVAL;
	}
	*dot2p = dot2;
	return DS_OK;
}

/* The payload of a checked JWS (dot2: its second dot) as JSON, any type,
 * or NULL when it is not base64url of strict JSON. */
static json_object *
jws_payload(struct arena *a, const char *jws, const char *dot2)
{
	const char *dot1 = strchr(jws, '.');
	unsigned char *text;
	char err[128];
	long len;

	if ((len = b64url_decode(a, dot1 + 1, (size_t)(dot2 - dot1 - 1),
	    &text)) < 0)
		return NULL;
	return json_parse_strict((char *)text, (size_t)len, err, sizeof(err));
}

/* Checks the signature, then reads the claims (not the times). */
static int
verify_signed(struct arena *a, const char *token, struct identity *who,
    struct times *t, const char **why)
{
	const char *dot2;
	json_object *claims;
	int st;

	if ((st = jws_check(a, token, TOKEN_MAX, &dot2, why)) != DS_OK)
		return st;
	/* Signature good: the claims may be read. An array has none (as
	 * when libjwt read them); a scalar is no claims set at all. */
	if ((claims = jws_payload(a, token, dot2)) == NULL ||
	    (!json_object_is_type(claims, json_type_object) &&
	    !json_object_is_type(claims, json_type_array))) {
		json_object_put(claims);
		*why = "malformed claims";
		return DS_EINVAL;
	}
	st = check_claims(a, claims, who, t, why);
	json_object_put(claims);
	return st;
}

static int
verify(struct arena *a, const char *token, long long now,
    struct identity *who, struct times *t, const char **why)
{
	unsigned char digest[crypto_generichash_BYTES];
	size_t n = strlen(token);
	int st;

	memset(who, 0, sizeof(*who));
	if (n > TOKEN_MAX) {
		*why = "malformed token";
		return DS_EINVAL;
	}
	crypto_generichash(digest, sizeof(digest), (const unsigned char *)token,
	    n, NULL, 0);
	if (!memo_get(a, digest, who, t)) {
		if ((st = verify_signed(a, token, who, t, why)) != DS_OK) {
			memset(who, 0, sizeof(*who));
			return st;
		}
		memo_put(digest, who, t);
	}
	if (now >= 0 && check_times(t, now, why) != DS_OK) {
		memset(who, 0, sizeof(*who));
		return DS_EINVAL;
	}
	return DS_OK;
}

int
jws_verify(struct arena *a, const char *jws, size_t max, json_object **payload,
    const char **why)
{
	const char *dot2;
	int st;

	*payload = NULL;
	if ((st = jws_check(a, jws, max, &dot2, why)) != DS_OK)
		return st;
	if ((*payload = jws_payload(a, jws, dot2)) == NULL ||
	    !json_object_is_type(*payload, json_type_object)) {
		json_object_put(*payload);
		*payload = NULL;
		*why = "malformed payload";
		return DS_EINVAL;
	}
	return DS_OK;
}

int
auth_verify_token(struct arena *a, const char *token, long long now,
    struct identity *who, const char **why)
{
	struct times t;
	int st = verify(a, token, now, who, &t, why);

	who->authenticated = st == DS_OK;
	return st;
}

/* The columns AUTH_ACCOUNT_COLS selects: account_rule reads them, and
 * auth_settle_or_reply takes them out of the handler's rows. */
static const char *const account_cols[] = { "caller_status",
    "caller_agency_id", "caller_roles", "caller_grant_id", "caller_now",
    NULL };

/*
 * The one account rule (R10.1), for auth_verify's own statement and for a
 * handler's that joined the account (auth_settle_or_reply): row of rows
 * holds AUTH_ACCOUNT_COLS; a row past the end, or no status (the join
 * found no account), is no account. The account must be active and of
 * the token's agency, and the token's times t must hold by the database
 * clock read with it. The database's roles are authoritative: a role
 * removed from the account is gone at once, whatever the token says.
 * On DS_OK who is authenticated; otherwise it is cleared, with *why.
 */
static int
account_rule(struct identity *who, const struct times *t,
    const struct db_rows *rows, size_t row, const char **why)
{
	const char *status = db_get(rows, row, "caller_status");

	if (status == NULL || strcmp(status, "active") != 0 ||
	    db_get_int(rows, row, "caller_agency_id") != who->agency_id) {
		memset(who, 0, sizeof(*who));
		*why = "the account is not active";
		return DS_EINVAL;
	}
	if (check_times(t, db_get_int(rows, row, "caller_now"), why) != DS_OK) {
		memset(who, 0, sizeof(*who));
		return DS_EINVAL;
	}
	who->roles &= (unsigned)db_get_int(rows, row, "caller_roles");
	who->grant_id = db_get_int(rows, row, "caller_grant_id");
	who->authenticated = true;
	return DS_OK;
}

/* Reads the token's account on its own and applies account_rule. On a
 * database failure who is left unauthenticated and the status returned. */
static int
account_check(struct arena *a, struct identity *who, const struct times *t,
    const char **why)
{
	static const char *sql =
	    "SELECT " AUTH_ACCOUNT_COLS " FROM accounts caller "
	    "WHERE caller.id = ?";
	struct db_param p[] = { P_INT(who->account_id) };
	struct db_rows *rows;
	int st;

	if ((st = db_query(a, sql, p, NPARAMS(p), &rows)) != DS_OK) {
		*why = "database unavailable";
		return st;
	}
	return account_rule(who, t, rows, 0, why);
}

/* The token of an Authorization header "Bearer <token>", or NULL with
 * *why. */
static const char *
bearer_token(const char *authorization, const char **why)
{
	if (authorization == NULL) {
		*why = "a bearer token is required";
		return NULL;
	}
	if (strncasecmp(authorization, "Bearer ", 7) != 0) {
		*why = "the Authorization header must be 'Bearer <token>'";
		return NULL;
	}
	return authorization + 7;
}

int
auth_verify(struct arena *a, const char *authorization, struct identity *who,
    const char **why)
{
	const char *token;
	struct times t;
	int st;

	memset(who, 0, sizeof(*who));
	if ((token = bearer_token(authorization, why)) == NULL)
		return DS_EINVAL;
	if ((st = verify(a, token, -1, who, &t, why)) != DS_OK)
		return st;
	return account_check(a, who, &t, why);
}

int
auth_refusal_reply(struct http_req *r, int st, const char *why)
{
	if (st == DS_EUNAVAIL)
		return http_error_status(r, st);
	http_header(r, "WWW-Authenticate", "Bearer");
	return http_error(r, 401, "unauthorized", "%s", why);
}

int
auth_verify_deferred(struct http_req *r, unsigned route_flags,
    const char **why)
{
	struct auth_pending *p;
	const char *token;
	int st;

	memset(&r->who, 0, sizeof(r->who));
	r->pending = NULL;
	if ((token = bearer_token(r->authorization, why)) == NULL)
		return DS_EINVAL;
	p = arena_calloc(r->arena, 1, sizeof(*p));
	if ((st = verify(r->arena, token, -1, &p->who, &p->t, why)) != DS_OK)
		return st;
	p->route_flags = route_flags;
	r->pending = p;
	return DS_OK;
}

long long
auth_pending_account(const struct http_req *r)
{
	return r->pending != NULL ? r->pending->who.account_id : 0;
}

int
auth_settle_or_reply(struct http_req *r, struct db_rows *rows, size_t row)
{
	struct auth_pending *p = r->pending;
	const char *why;
	int st;

	if (p != NULL) {
		r->pending = NULL;
		st = row < rows->nrows ?
		    account_rule(&p->who, &p->t, rows, row, &why) :
		    account_check(r->arena, &p->who, &p->t, &why);
		if (st != DS_OK) {
			if (db_in_tx())
				db_rollback();
			return auth_refusal_reply(r, st, why);
		}
		r->who = p->who;
		auth_confine_system(&r->who, p->route_flags);
	}
	db_rows_drop(rows, account_cols);
	return DS_OK;
}
