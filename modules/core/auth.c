/*
 * Token verification (DESIGN.md, Auth).
 *
 * libjwt 1.10 takes the algorithm from the token's own header and parses
 * the PEM key on every call (about 290 us). So the signature is checked
 * here, with the pinned algorithm and a public key loaded once per process
 * and chosen by "kid"; the claims are then read here too, with json-c
 * (libjwt parsed them with jansson and gave each integer back as JSON text
 * to parse again: about 6% of a worker serving GET /datasets/{id}).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <sodium.h>

#include "ds.h"

#define MAX_KEYS	16
#define TOKEN_MAX	8192
#define SKEW		60

/* Each key with a verify context set up once for it (RS256 over SHA-256):
 * EVP_DigestVerifyInit fetches the digest and the signature provider and
 * hands the key over to it on every call (~7% of a catalog worker), so a
 * request copies the ready context instead (rs256_verify). header is the
 * base64url header token.c writes for the key (header_key). */
static struct {
	char		 kid[65];
	EVP_PKEY	*key;
	EVP_MD_CTX	*verify;
	char		 header[160];
	size_t		 header_len;
} keys[MAX_KEYS];
static size_t nkeys;

/* A token's times, checked on every use (check_times): now < 0 leaves
 * them to the caller, who checks them against the database clock. */
struct times {
	long long	exp, nbf, iat;
};

/*
 * The tokens this process has verified. A client sends the same token
 * with each request until it expires, and its RS256 check and claims
 * parse were ~20 us of the ~125 us a worker spends on GET /datasets/{id}
 * (bench/RESULTS.md). The same bytes under the same keys (loaded once,
 * auth_init) always give the same signature and claims, so the memo
 * changes no answer: what can change is still checked on every use, the
 * times against the clock and the account against its row (auth_verify).
 * Only tokens that verified are kept, by their BLAKE2b-256 digest (to
 * find one with the same digest is as hard as forging the signature),
 * compared in constant time; a slot is simply overwritten.
 */
#define MEMO_SLOTS	64
#define MEMO_JTI_MAX	64

static struct memo {
	unsigned char	 digest[crypto_generichash_BYTES];
	bool		 used;
	long long	 account_id, agency_id;
	unsigned	 roles;
	struct times	 t;
	char		 jti[MEMO_JTI_MAX + 1];
} memo[MEMO_SLOTS];

static const char *const role_names[] = {
	"dic_admin", "chairman", "agency_officer", "focal_point", "auditor",
	"system", NULL
};

int
role_parse(const char *name)
{
	for (int i = 0; role_names[i] != NULL; i++)
		if (strcmp(role_names[i], name) == 0)
			return 1 << i;
	return -1;
}

const char *
role_name(unsigned bit)
{
	for (int i = 0; role_names[i] != NULL; i++)
		if (bit == 1u << i)
			return role_names[i];
	return NULL;
}

static int
valid_kid(const char *s, size_t n)
{
	if (n == 0 || n > 64)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
			return 0;
	return 1;
}

/* A verify context for key, initialised for RS256, or NULL. A trial copy
 * now means a copy per request can only fail for want of memory. */
static EVP_MD_CTX *
verify_ctx_new(EVP_PKEY *key)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new(), *trial = EVP_MD_CTX_new();
	int ok;

	if (ctx == NULL || trial == NULL)
		abort();
	ok = EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, key) == 1 &&
	    EVP_MD_CTX_copy_ex(trial, ctx) == 1;
	EVP_MD_CTX_free(trial);
	if (!ok) {
		EVP_MD_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

/* The header of our own tokens for key i, as token.c writes it. */
static void
header_set(size_t i)
{
	struct arena *a = arena_new();
	const char *b = jws_header(a, keys[i].kid);

	keys[i].header_len = strlen(b);
	if (keys[i].header_len < sizeof(keys[i].header))
		memcpy(keys[i].header, b, keys[i].header_len + 1);
	else
		keys[i].header_len = 0;
	arena_free(a);
}

int
auth_init(char *errbuf, size_t errlen)
{
	const char *dir = conf_get("jwt_keys_dir");
	const char *alg = conf_str("jwt_alg", "RS256");
	DIR *d;
	struct dirent *de;

	memset(memo, 0, sizeof(memo));	/* what the old keys verified */
	if (sodium_init() < 0) {
		snprintf(errbuf, errlen, "libsodium cannot start");
		return DS_ERR;
	}
	if (strcmp(alg, "RS256") != 0) {
		snprintf(errbuf, errlen, "jwt_alg: only RS256 is supported, "
		    "not '%s'", alg);
		return DS_ERR;
	}
	if (dir == NULL) {
		snprintf(errbuf, errlen, "jwt_keys_dir is not set");
		return DS_ERR;
	}
	if ((d = opendir(dir)) == NULL) {
		snprintf(errbuf, errlen, "jwt_keys_dir %s: %s", dir,
		    strerror(errno));
		return DS_ERR;
	}
	while ((de = readdir(d)) != NULL && nkeys < MAX_KEYS) {
		size_t n = strlen(de->d_name);
		char path[PATH_MAX];
		FILE *f;
		EVP_PKEY *k;
		EVP_MD_CTX *v;

		if (n <= 8 || strcmp(de->d_name + n - 8, ".pub.pem") != 0 ||
		    !valid_kid(de->d_name, n - 8))
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
		    de->d_name) >= sizeof(path) || (f = fopen(path, "r")) == NULL)
			continue;
		k = PEM_read_PUBKEY(f, NULL, NULL, NULL);
		fclose(f);
		if (k == NULL || EVP_PKEY_get_base_id(k) != EVP_PKEY_RSA) {
			EVP_PKEY_free(k);
			log_warnx(__func__, "%s: not an RSA public key", path);
			continue;
		}
		if ((v = verify_ctx_new(k)) == NULL) {
			EVP_PKEY_free(k);
			log_warnx(__func__, "%s: cannot verify RS256 with it",
			    path);
			continue;
		}
		memcpy(keys[nkeys].kid, de->d_name, n - 8);
		keys[nkeys].kid[n - 8] = '\0';
		keys[nkeys].key = k;
		keys[nkeys].verify = v;
		header_set(nkeys);
		nkeys++;
	}
	closedir(d);
	if (nkeys == 0) {
		snprintf(errbuf, errlen, "no public key (<kid>.pub.pem) in %s",
		    dir);
		return DS_ERR;
	}
	return DS_OK;
}

/* The ready verify context of the key named kid, or NULL. */
static const EVP_MD_CTX *
key_find(const char *kid)
{
	for (size_t i = 0; i < nkeys; i++)
		if (strcmp(keys[i].kid, kid) == 0)
			return keys[i].verify;
	return NULL;
}

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
 * The ready verify context the JWS header hdr[0..n) names: the algorithm
 * must be RS256 (pinned: the header may only confirm it) and the kid a
 * loaded key. A header exactly as token.c writes it for a loaded key is
 * known without decoding and parsing it (same bytes, same outcome).
 * NULL with *why otherwise.
 */
static const EVP_MD_CTX *
header_key(struct arena *a, const char *hdr, size_t n, const char **why)
{
	const EVP_MD_CTX *key = NULL;
	json_object *h, *alg, *kid;
	unsigned char *text;
	char err[128];
	long len;

	for (size_t i = 0; i < nkeys; i++)
		if (keys[i].header_len == n && memcmp(keys[i].header, hdr,
		    n) == 0)
			return keys[i].verify;
	if ((len = b64url_decode(a, hdr, n, &text)) < 0 ||
	    (h = json_parse_strict((char *)text, (size_t)len, err,
	    sizeof(err))) == NULL) {
		*why = "malformed token";
		return NULL;
	}
	if (!json_object_object_get_ex(h, "alg", &alg) ||
	    !json_object_is_type(alg, json_type_string) ||
	    strcmp(json_object_get_string(alg), "RS256") != 0)
		*why = "algorithm not allowed";
	else if (!json_object_object_get_ex(h, "kid", &kid) ||
	    !json_object_is_type(kid, json_type_string) ||
	    (key = key_find(json_object_get_string(kid))) == NULL)
		*why = "unknown signing key";
	json_object_put(h);
	return key;
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

static struct memo *
memo_slot(const unsigned char *digest)
{
	return &memo[digest[0] % MEMO_SLOTS];
}

/* The token's entry, copied to who and t; false when it has none. */
static bool
memo_get(struct arena *a, const unsigned char *digest, struct identity *who,
    struct times *t)
{
	const struct memo *m = memo_slot(digest);

	if (!m->used || sodium_memcmp(m->digest, digest, sizeof(m->digest)))
		return false;
	who->account_id = m->account_id;
	who->agency_id = m->agency_id;
	who->roles = m->roles;
	who->jti = arena_strdup(a, m->jti);
	*t = m->t;
	return true;
}

static void
memo_put(const unsigned char *digest, const struct identity *who,
    const struct times *t)
{
	struct memo *m = memo_slot(digest);
	size_t n = strlen(who->jti);

	if (n > MEMO_JTI_MAX)
		return;
	memcpy(m->digest, digest, sizeof(m->digest));
	m->account_id = who->account_id;
	m->agency_id = who->agency_id;
	m->roles = who->roles;
	m->t = *t;
	memcpy(m->jti, who->jti, n + 1);
	m->used = true;
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

int
auth_verify(struct arena *a, const char *authorization, struct identity *who,
    const char **why)
{
	static const char *sql =
	    "SELECT a.status, a.agency_id, a.roles, a.grant_id, "
	    "  UNIX_TIMESTAMP() AS now FROM accounts a WHERE a.id = ?";
	struct db_rows *rows;
	struct db_param p[1];
	struct times t;
	long long granted;
	int st;

	memset(who, 0, sizeof(*who));
	if (authorization == NULL) {
		*why = "a bearer token is required";
		return DS_EINVAL;
	}
	if (strncasecmp(authorization, "Bearer ", 7) != 0) {
		*why = "the Authorization header must be 'Bearer <token>'";
		return DS_EINVAL;
	}
	if ((st = verify(a, authorization + 7, -1, who, &t, why)) != DS_OK)
		return st;
	p[0] = P_INT(who->account_id);
	if ((st = db_query(a, sql, p, 1, &rows)) != DS_OK) {
		*why = "database unavailable";
		return st;
	}
	if (rows->nrows != 1 || strcmp(db_get(rows, 0, "status"),
	    "active") != 0 || db_get_int(rows, 0, "agency_id") !=
	    who->agency_id) {
		memset(who, 0, sizeof(*who));
		*why = "the account is not active";
		return DS_EINVAL;
	}
	if (check_times(&t, db_get_int(rows, 0, "now"), why) != DS_OK) {
		memset(who, 0, sizeof(*who));
		return DS_EINVAL;
	}
	/* The database's roles are authoritative: a role removed from the
	 * account is gone at once, whatever the token says. */
	granted = db_get_int(rows, 0, "roles");
	who->roles &= (unsigned)granted;
	who->grant_id = db_get_int(rows, 0, "grant_id");
	who->authenticated = true;
	return DS_OK;
}

void
auth_confine_system(struct identity *who, unsigned route_flags)
{
	if ((who->roles & ROLE_SYSTEM) && (who->grant_id == 0 ||
	    !(route_flags & RT_GRANT)))
		who->agency_id = AGENCY_NONE;
}

bool
auth_sees(const struct identity *who, const char *vis, long long owner)
{
	if (vis != NULL && strcmp(vis, "public") == 0)
		return true;
	if (!who->authenticated)
		return false;
	return (vis != NULL && strcmp(vis, "agencies") == 0) ||
	    who->agency_id == owner || auth_has_role(who, ROLE_OVERSIGHT);
}

bool
auth_has_role(const struct identity *who, unsigned roles)
{
	return who->authenticated && (who->roles & roles) != 0;
}

int
auth_require_role_or_reply(struct http_req *r, unsigned roles)
{
	if (auth_has_role(&r->who, roles))
		return DS_OK;
	return http_error(r, 403, "forbidden", "your role does not allow this");
}

int
auth_require_agency_or_reply(struct http_req *r, long long agency_id,
    unsigned allow_roles)
{
	if (r->who.authenticated && (r->who.agency_id == agency_id ||
	    (r->who.roles & allow_roles) != 0))
		return DS_OK;
	return http_error(r, 404, "not_found", "no such record");
}

json_object *
roles_json(unsigned roles)
{
	json_object *a = json_object_new_array();

	for (int i = 0; role_names[i] != NULL; i++)
		if (roles & (1u << i))
			json_object_array_add(a,
			    json_object_new_string(role_names[i]));
	return a;
}

long
roles_from_json(json_object *a)
{
	long bits = 0;
	int bit;

	if (!json_object_is_type(a, json_type_array))
		return -1;
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		json_object *it = json_object_array_get_idx(a, i);

		if (!json_object_is_type(it, json_type_string) ||
		    (bit = role_parse(json_object_get_string(it))) < 0)
			return -1;
		bits |= bit;
	}
	return bits;
}

static json_object *
bn_json(struct arena *a, EVP_PKEY *k, const char *param)
{
	BIGNUM *bn = NULL;
	unsigned char *buf;
	int n;
	json_object *o;

	if (EVP_PKEY_get_bn_param(k, param, &bn) != 1)
		return NULL;
	n = BN_num_bytes(bn);
	buf = arena_alloc(a, (size_t)n + 1);
	BN_bn2bin(bn, buf);
	o = json_object_new_string(b64url_encode(a, buf, (size_t)n));
	BN_free(bn);
	return o;
}

json_object *
auth_jwks(struct arena *a)
{
	json_object *doc = json_object_new_object();
	json_object *list = json_object_new_array();

	for (size_t i = 0; i < nkeys; i++) {
		json_object *k = json_object_new_object();

		json_object_object_add(k, "kty", json_object_new_string("RSA"));
		json_object_object_add(k, "kid",
		    json_object_new_string(keys[i].kid));
		json_object_object_add(k, "use", json_object_new_string("sig"));
		json_object_object_add(k, "alg",
		    json_object_new_string("RS256"));
		json_object_object_add(k, "n", bn_json(a, keys[i].key,
		    OSSL_PKEY_PARAM_RSA_N));
		json_object_object_add(k, "e", bn_json(a, keys[i].key,
		    OSSL_PKEY_PARAM_RSA_E));
		json_object_array_add(list, k);
	}
	json_object_object_add(doc, "keys", list);
	return doc;
}

/* ------------------------------------------------------------------ */

char *
b64url_encode(struct arena *a, const unsigned char *in, size_t len)
{
	static const char tbl[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	char *out = arena_alloc(a, (len + 2) / 3 * 4 + 1), *o = out;
	size_t i;

	for (i = 0; i + 2 < len; i += 3) {
		*o++ = tbl[in[i] >> 2];
		*o++ = tbl[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
		*o++ = tbl[((in[i + 1] & 15) << 2) | (in[i + 2] >> 6)];
		*o++ = tbl[in[i + 2] & 63];
	}
	if (i < len) {
		*o++ = tbl[in[i] >> 2];
		if (i + 1 < len) {
			*o++ = tbl[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
			*o++ = tbl[(in[i + 1] & 15) << 2];
		} else
			*o++ = tbl[(in[i] & 3) << 4];
	}
	*o = '\0';
	return out;
}

static int
b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

long
b64url_decode(struct arena *a, const char *in, size_t len, unsigned char **out)
{
	unsigned char *o;
	size_t i, n = 0;
	unsigned acc = 0;
	int bits = 0, v;

	if (len % 4 == 1 || len > LONG_MAX / 2)
		return -1;
	o = arena_alloc(a, len * 3 / 4 + 1);
	for (i = 0; i < len; i++) {
		if ((v = b64val((unsigned char)in[i])) < 0)
			return -1;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			o[n++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	/* Non-canonical trailing bits would give two spellings of a token. */
	if (acc != 0)
		return -1;
	o[n] = '\0';
	*out = o;
	return (long)n;
}

void
sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[32];
	unsigned int mdlen = 0;

	if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1)
		abort();
	for (int i = 0; i < 32; i++)
		snprintf(out + i * 2, 3, "%02x", md[i]);
}
