/*
 * The public keys tokens are verified with (DESIGN.md, Auth): read once
 * per process from jwt_keys_dir (<kid>.pub.pem), each with an RS256
 * verify context set up once; the key a token's JWS header names
 * (header_key, for auth_jwt.c); and the keys published as a JWKS document
 * (RFC 7517), so that other services can verify our tokens.
 *
 * libjwt 1.10 takes the algorithm from the token's own header and parses
 * the PEM key on every call (about 290 us). So the algorithm is pinned
 * here, the key chosen by "kid" and parsed once.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <sodium.h>

#include "ds.h"
#include "auth_priv.h"

#define MAX_KEYS	16

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

	memo_forget();	/* what the old keys verified */
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

/*
 * The ready verify context the JWS header hdr[0..n) names: the algorithm
 * must be RS256 (pinned: the header may only confirm it) and the kid a
 * loaded key. A header exactly as token.c writes it for a loaded key is
 * known without decoding and parsing it (same bytes, same outcome).
 * NULL with *why otherwise.
 */
const EVP_MD_CTX *
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
