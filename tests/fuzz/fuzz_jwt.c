/*
 * Fuzzes auth_jwt.c's token verification (auth_verify_token: charset, parts,
 * base64url, the header's alg and kid, the RS256 signature, then libjwt's
 * claims and core's checks of them) and auth_verify's header handling up
 * to the point where it would ask the database.
 *
 * A key pair is made once, in LLVMFuzzerInitialize, and loaded the way a
 * module loads it (jwt_keys_dir, auth_init); a second pair with the same
 * kid plays the attacker's key. The first input byte picks a mode and a
 * clock; the rest is:
 *   mode 0  a raw token: must never verify (no key, no forgery)
 *   mode 1  "<header JSON>\n<claims JSON>", signed here with the right
 *           key: what verifies must be what the token says, checked
 *           against json-c's reading of the same JSON
 *   mode 2  the same, signed with the other key: must never verify
 *   mode 3  bytes 1-3 name a position and a character to put there after
 *           signing with the right key: a token changed anywhere (header,
 *           claims or signature, one character) must never verify
 */
#include <errno.h>
#include <limits.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <sodium.h>

#include "fuzz.h"

#define KID	"fuzz-0001"
#define T0	1700000000LL

static struct arena *arena;
static EVP_PKEY *good, *evil;
static bool trace;		/* FUZZ_TRACE=1: say what each input gave */

static EVP_PKEY *
make_key(void)
{
	/* 1024 bits: the harness signs every input; the verifier does not
	 * care about the size, only that it is RSA. */
	EVP_PKEY *k = EVP_RSA_gen(1024);

	if (k == NULL)
		abort();
	return k;
}

static void
write_pem(const char *dir, const char *name, EVP_PKEY *k, bool private)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "w")) == NULL)
		abort();
	if ((private ? PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL) :
	    PEM_write_PUBKEY(f, k)) != 1)
		abort();
	fclose(f);
}

static void
unlink_in(const char *dir, const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char dir[] = "/tmp/ds-fuzz-jwt.XXXXXX", err[256];
	struct identity who;
	const char *why, *tok;

	(void)argc;
	(void)argv;
	if (sodium_init() < 0 || mkdtemp(dir) == NULL)
		abort();
	arena = arena_new();
	trace = getenv("FUZZ_TRACE") != NULL;
	good = make_key();
	evil = make_key();
	write_pem(dir, KID ".pem", good, true);
	write_pem(dir, KID ".pub.pem", good, false);
	conf_set("jwt_keys_dir", dir);
	if (auth_init(err, sizeof(err)) != DS_OK) {
		fprintf(stderr, "auth_init: %s\n", err);
		abort();
	}
	/* The harness is wired right only if core's own tokens verify. */
	tok = token_sign(arena, 42, 7, ROLE_AGENCY_OFFICER | ROLE_FOCAL_POINT,
	    T0, 900);
	if (tok == NULL || auth_verify_token(arena, tok, T0 + 1, &who,
	    &why) != DS_OK || who.account_id != 42 || who.agency_id != 7) {
		fprintf(stderr, "a token from token_sign does not verify\n");
		abort();
	}
	arena_reset(arena);
	unlink_in(dir, KID ".pem");
	unlink_in(dir, KID ".pub.pem");
	rmdir(dir);
	return 0;
}

/* header.claims.signature, signed with k (RS256). Arena string. */
static char *
sign(EVP_PKEY *k, const char *hdr, size_t hlen, const char *claims,
    size_t clen)
{
	char *h = b64url_encode(arena, (const unsigned char *)hdr, hlen);
	char *c = b64url_encode(arena, (const unsigned char *)claims, clen);
	char *input = arena_printf(arena, "%s.%s", h, c);
	unsigned char sig[512];
	size_t siglen = sizeof(sig);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	if (ctx == NULL || EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL,
	    k) != 1 || EVP_DigestSign(ctx, sig, &siglen,
	    (const unsigned char *)input, strlen(input)) != 1)
		abort();
	EVP_MD_CTX_free(ctx);
	return arena_printf(arena, "%s.%s", input,
	    b64url_encode(arena, sig, siglen));
}

static bool
get(json_object *o, const char *k, enum json_type t, json_object **v)
{
	return json_object_object_get_ex(o, k, v) &&
	    json_object_is_type(*v, t);
}

/* A verified token: the identity must be what the token says. */
static void
check_identity(const struct identity *who, const char *hdr, size_t hlen,
    const char *claims, size_t clen, long long now)
{
	json_object *h, *c, *v;
	char err[160];
	unsigned roles = 0;

	FUZZ_CHECK(who->authenticated && who->account_id >= 1 &&
	    who->agency_id >= 1 && who->jti != NULL, "identity incomplete");
	FUZZ_CHECK(who->roles != 0 && (who->roles & ~0x3fu) == 0, "roles %#x",
	    who->roles);
	h = json_parse_strict(hdr, hlen, err, sizeof(err));
	FUZZ_CHECK(h != NULL, "a header that is not strict JSON (%s)", err);
	FUZZ_CHECK(get(h, "alg", json_type_string, &v) &&
	    strcmp(json_object_get_string(v), "RS256") == 0,
	    "alg is not RS256");
	FUZZ_CHECK(get(h, "kid", json_type_string, &v) &&
	    strcmp(json_object_get_string(v), KID) == 0, "kid");
	json_object_put(h);
	/* libjwt reads the claims with jansson; json-c must agree on every
	 * claim that counts when the claims are strict JSON. */
	if ((c = json_parse_strict(claims, clen, err, sizeof(err))) == NULL)
		return;
	FUZZ_CHECK(get(c, "iss", json_type_string, &v) &&
	    strcmp(json_object_get_string(v), "datashare") == 0, "iss");
	FUZZ_CHECK(get(c, "sub", json_type_string, &v) &&
	    strtoll(json_object_get_string(v), NULL, 10) == who->account_id,
	    "sub is not account %lld", who->account_id);
	FUZZ_CHECK(get(c, "agency", json_type_int, &v) &&
	    json_object_get_int64(v) == who->agency_id, "agency");
	FUZZ_CHECK(get(c, "jti", json_type_string, &v) &&
	    strcmp(json_object_get_string(v), who->jti) == 0, "jti");
	FUZZ_CHECK(get(c, "roles", json_type_array, &v), "roles");
	for (size_t i = 0; i < json_object_array_length(v); i++) {
		json_object *it = json_object_array_get_idx(v, i);
		int bit;

		FUZZ_CHECK(json_object_is_type(it, json_type_string) &&
		    (bit = role_parse(json_object_get_string(it))) > 0,
		    "role %zu", i);
		roles |= (unsigned)bit;
	}
	FUZZ_CHECK(roles == who->roles, "roles %#x, token says %#x",
	    who->roles, roles);
	FUZZ_CHECK(get(c, "exp", json_type_int, &v), "exp");
	if (now >= 0)
		FUZZ_CHECK(now - 60 <= json_object_get_int64(v),
		    "expired at %lld, now %lld", (long long)
		    json_object_get_int64(v), now);
	/* iat and nbf are optional but, when given, integers in the past
	 * (with the skew). */
	if (json_object_object_get_ex(c, "iat", &v)) {
		FUZZ_CHECK(json_object_is_type(v, json_type_int), "iat type");
		FUZZ_CHECK(now < 0 || json_object_get_int64(v) <= now + 60,
		    "iat in the future");
	}
	if (json_object_object_get_ex(c, "nbf", &v)) {
		FUZZ_CHECK(json_object_is_type(v, json_type_int), "nbf type");
		FUZZ_CHECK(now < 0 || json_object_get_int64(v) <= now + 60,
		    "nbf in the future");
	}
	json_object_put(c);
}

static const char tamper_chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."
    "=+/ ";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long long clocks[] = { -1, T0, T0 + 400000000LL, 1 };
	static const char *const schemes[] = { "Bearer ", "bearer ",
	    "BEARER ", "" };
	struct identity who;
	const char *why = NULL, *hdr, *claims;
	size_t hlen, clen;
	char *tok;
	int mode, st;
	long long now;

	if (size < 1)
		return 0;
	mode = data[0] & 3;
	now = clocks[(data[0] >> 2) & 3];
	if (mode == 0) {
		tok = arena_strndup(arena, (const char *)data + 1, size - 1);
		st = auth_verify_token(arena, tok, now, &who, &why);
		FUZZ_CHECK(st == DS_EINVAL && !who.authenticated && why != NULL,
		    "a raw token verified: %s", tok);
		/* auth_verify stops before the database for such a token. */
		st = auth_verify(arena, arena_printf(arena, "%s%s",
		    schemes[(data[0] >> 4) & 3], tok), &who, &why);
		FUZZ_CHECK(st == DS_EINVAL && !who.authenticated,
		    "auth_verify took a raw token");
		arena_reset(arena);
		return 0;
	}
	if (mode == 3 && size < 4)
		return 0;
	{
		const uint8_t *p = data + (mode == 3 ? 4 : 1);
		size_t n = size - (size_t)(p - data);
		const uint8_t *nl = memchr(p, '\n', n);

		if (nl == NULL)
			return 0;
		hdr = (const char *)p;
		hlen = (size_t)(nl - p);
		claims = (const char *)nl + 1;
		clen = n - hlen - 1;
	}
	tok = sign(mode == 2 ? evil : good, hdr, hlen, claims, clen);
	if (mode == 3) {
		size_t len = strlen(tok), at = ((size_t)data[1] << 8 | data[2]) %
		    len;
		char c = tamper_chars[data[3] % (sizeof(tamper_chars) - 1)];

		if (tok[at] == c) {
			arena_reset(arena);
			return 0;
		}
		tok[at] = c;
	}
	st = auth_verify_token(arena, tok, now, &who, &why);
	if (trace)
		fprintf(stderr, "mode %d now %lld: %s\n", mode, now,
		    st == DS_OK ? "verified" : why);
	if (mode == 1 && st == DS_OK)
		check_identity(&who, hdr, hlen, claims, clen, now);
	else if (mode != 1)
		FUZZ_CHECK(st != DS_OK, "mode %d: a token verified that no key "
		    "signed as it is: %s", mode, tok);
	if (st != DS_OK)
		FUZZ_CHECK(st == DS_EINVAL && !who.authenticated && why != NULL,
		    "refused with status %d", st);
	arena_reset(arena);
	return 0;
}
