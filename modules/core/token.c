/*
 * Token issuance: RS256 access tokens for datashare-auth (POST
 * /auth/token) and datashare-admin (token issue).
 *
 * The signing key is the newest private key in jwt_keys_dir, picked once
 * per process: keys are rotated by adding a new pair and restarting, and
 * the verifiers (auth_keys.c) keep the old public keys until the tokens signed
 * with them have expired. The private key is read and parsed once into an
 * EVP_PKEY, and a token is encoded and signed here: libjwt 1.10's
 * jwt_encode_str parses the PEM text again on every call, which cost
 * about 0.9 ms of the token endpoint's time (bench/RESULTS.md).
 */
#include <ctype.h>
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "ds.h"

#define KID_MAX		64
#define PEM_MAX		(64 * 1024)	/* an RSA-8192 key is below 7 KiB */

static struct {
	bool		 loaded;
	char		 kid[KID_MAX + 1];
	EVP_PKEY	*key;
} signer;

/* The same kid alphabet as the verifier's (auth_keys.c): it is also a file
 * name, so no slash or dot may appear in it. */
static bool
kid_valid(const char *s, size_t n)
{
	if (n == 0 || n > KID_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
			return false;
	return true;
}

/* Tells whether <dir>/<kid>.pub.pem exists: a private key whose public
 * half is missing would sign tokens that no verifier accepts. */
static bool
has_public_half(const char *dir, const char *kid)
{
	char path[PATH_MAX];
	int n;

	n = snprintf(path, sizeof(path), "%s/%s.pub.pem", dir, kid);
	if (n < 0 || (size_t)n >= sizeof(path))
		return false;
	return access(path, R_OK) == 0;
}

/* Finds the lexically greatest kid with both halves in dir. kids made by
 * datashare-admin begin with their UTC creation time, so that is the
 * newest key. */
static int
signer_pick(const char *dir, char kid[KID_MAX + 1])
{
	DIR *d;
	struct dirent *de;

	kid[0] = '\0';
	if ((d = opendir(dir)) == NULL) {
		log_warn(__func__, "jwt_keys_dir %s", dir);
		return DS_ERR;
	}
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);
		char cand[KID_MAX + 1];

		if (n <= 4 || strcmp(de->d_name + n - 4, ".pem") != 0 ||
		    (n > 8 && strcmp(de->d_name + n - 8, ".pub.pem") == 0) ||
		    !kid_valid(de->d_name, n - 4))
			continue;
		memcpy(cand, de->d_name, n - 4);
		cand[n - 4] = '\0';
		if (strcmp(cand, kid) > 0 && has_public_half(dir, cand))
			memcpy(kid, cand, n - 3);
	}
	closedir(d);
	if (kid[0] == '\0') {
		log_warnx(__func__, "no private key (<kid>.pem with its "
		    "<kid>.pub.pem) in %s", dir);
		return DS_ERR;
	}
	return DS_OK;
}

/* Reads an RSA private key (PEM) of at most PEM_MAX bytes. Returns the
 * key, which the caller owns, or NULL (logged). */
static EVP_PKEY *
key_read(const char *path)
{
	struct stat sb;
	EVP_PKEY *k;
	FILE *f;

	if ((f = fopen(path, "re")) == NULL) {
		log_warn(__func__, "%s", path);
		return NULL;
	}
	if (fstat(fileno(f), &sb) == -1 || sb.st_size <= 0 ||
	    sb.st_size > PEM_MAX) {
		log_warnx(__func__, "%s: not a key file (size)", path);
		fclose(f);
		return NULL;
	}
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (k == NULL || EVP_PKEY_get_base_id(k) != EVP_PKEY_RSA) {
		log_warnx(__func__, "%s: not an RSA private key", path);
		EVP_PKEY_free(k);
		return NULL;
	}
	return k;
}

/* Loads the signing key on first use; later calls return at once. */
static int
signer_load(void)
{
	const char *dir = conf_get("jwt_keys_dir");
	char kid[KID_MAX + 1], path[PATH_MAX];
	int n;

	if (signer.loaded)
		return DS_OK;
	if (dir == NULL) {
		log_warnx(__func__, "jwt_keys_dir is not set");
		return DS_ERR;
	}
	if (signer_pick(dir, kid) != DS_OK)
		return DS_ERR;
	n = snprintf(path, sizeof(path), "%s/%s.pem", dir, kid);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		log_warnx(__func__, "%s: path too long", dir);
		return DS_ERR;
	}
	if ((signer.key = key_read(path)) == NULL)
		return DS_ERR;
	memcpy(signer.kid, kid, sizeof(signer.kid));
	signer.loaded = true;
	return DS_OK;
}

/* Tells whether every bit of roles names a role, and one at least. */
static bool
roles_valid(unsigned roles)
{
	for (unsigned bit = 1; bit != 0; bit <<= 1)
		if ((roles & bit) != 0 && role_name(bit) == NULL)
			return false;
	return roles != 0;
}

/* base64url(JSON text of o), in the arena; puts o. */
static char *
b64url_json(struct arena *a, json_object *o)
{
	const char *text = json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	char *out = b64url_encode(a, (const unsigned char *)text, strlen(text));

	json_object_put(o);
	return out;
}

/* RS256 (RSASSA-PKCS1-v1_5 with SHA-256) over text: the signature as
 * base64url in the arena, or NULL. */
static char *
rs256_sign(struct arena *a, const char *text)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char sig[1024];	/* RSA-8192 signs 1024 bytes */
	size_t len = sizeof(sig);
	char *out = NULL;

	if (ctx == NULL)
		abort();
	if (EVP_PKEY_get_size(signer.key) <= (int)sizeof(sig) &&
	    EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL,
	    signer.key) == 1 && EVP_DigestSign(ctx, sig, &len,
	    (const unsigned char *)text, strlen(text)) == 1)
		out = b64url_encode(a, sig, len);
	EVP_MD_CTX_free(ctx);
	return out;
}

char *
jws_header(struct arena *a, const char *kid)
{
	json_object *h = json_object_new_object();

	json_object_object_add(h, "alg", json_object_new_string("RS256"));
	json_object_object_add(h, "typ", json_object_new_string("JWT"));
	json_object_object_add(h, "kid", json_object_new_string(kid));
	return b64url_json(a, h);
}

/* header.claims.signature with the loaded signer; puts claims. An arena
 * string, or NULL (logged). */
static char *
compact_sign(struct arena *a, json_object *claims)
{
	char *signed_part, *sig;

	signed_part = arena_printf(a, "%s.%s", jws_header(a, signer.kid),
	    b64url_json(a, claims));
	if ((sig = rs256_sign(a, signed_part)) == NULL) {
		log_warnx(__func__, "cannot sign with key %s", signer.kid);
		return NULL;
	}
	return arena_printf(a, "%s.%s", signed_part, sig);
}

char *
token_sign(struct arena *a, long long account_id, long long agency_id,
    unsigned roles, long long iat, long long ttl)
{
	json_object *c;
	char sub[24];
	int n;

	if (account_id <= 0 || agency_id <= 0 || iat <= 0 || ttl <= 0 ||
	    iat > LLONG_MAX - ttl) {
		log_warnx(__func__, "bad arguments");
		return NULL;
	}
	if (!roles_valid(roles)) {
		log_warnx(__func__, "account %lld: bad roles %#x", account_id,
		    roles);
		return NULL;
	}
	if (signer_load() != DS_OK)
		return NULL;
	n = snprintf(sub, sizeof(sub), "%lld", account_id);
	if (n < 0 || (size_t)n >= sizeof(sub))
		return NULL;
	c = json_object_new_object();
	json_object_object_add(c, "iss", json_object_new_string(
	    conf_str("jwt_issuer", "datashare")));
	json_object_object_add(c, "sub", json_object_new_string(sub));
	json_object_object_add(c, "agency", json_object_new_int64(agency_id));
	json_object_object_add(c, "roles", roles_json(roles));
	json_object_object_add(c, "iat", json_object_new_int64(iat));
	json_object_object_add(c, "nbf", json_object_new_int64(iat));
	json_object_object_add(c, "exp", json_object_new_int64(iat + ttl));
	json_object_object_add(c, "jti", json_object_new_string(
	    secret_generate(a, 16)));
	return compact_sign(a, c);
}

char *
jws_sign(struct arena *a, json_object *claims, const char **kid)
{
	char *out;

	if (signer_load() != DS_OK)
		return NULL;
	if ((out = compact_sign(a, json_object_get(claims))) != NULL &&
	    kid != NULL)
		*kid = arena_strdup(a, signer.kid);
	return out;
}
