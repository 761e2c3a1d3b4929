/*
 * auth_jwt.c, auth_keys.c, auth_memo.c, auth_roles.c and encoding.c:
 * base64url, SHA-256, roles, and token verification against keys made
 * here (DESIGN.md, Auth): every forged token of the foundation issue is
 * refused, and the tokens token_sign() issues pass.
 *
 * Each forgery starts from a token that passes (test_hand_signed_token_
 * passes proves the baseline) and changes one thing.
 */
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

#include <jwt.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <sodium.h>

#include "unit.h"

#define NOW	1767225600LL	/* 2026-01-01T00:00:00Z */
#define KID	"2026-unit-a"	/* the signing key (newest) */
#define KID_OLD	"2025-unit-c"	/* an older key, still trusted */
#define KID_EC	"unit-ec"	/* a P-256 public key: not for RS256 */

static char keydir[64];
static EVP_PKEY *key_a, *key_old, *key_other, *key_ec;
static char *pub_pem;		/* key_a's public PEM, for the HS256 forgery */
static size_t pub_pem_len;
static struct arena *ta;	/* tokens and strings of the current test */

/* ------------------------------------------------------------------ */
/* keys and tokens made by the test                                     */

static void
write_key(const char *name, EVP_PKEY *k, bool private)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", keydir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(private ? PEM_write_PrivateKey(f, k, NULL, NULL, 0,
	    NULL, NULL) : PEM_write_PUBKEY(f, k), 1);
	fclose(f);
}

static void
write_text(const char *name, const char *text)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", keydir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static char *
public_pem(EVP_PKEY *k, size_t *len)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *out;
	long n;

	assert_non_null(b);
	assert_int_equal(PEM_write_bio_PUBKEY(b, k), 1);
	n = BIO_get_mem_data(b, &data);
	out = malloc((size_t)n + 1);
	assert_non_null(out);
	memcpy(out, data, (size_t)n);
	out[n] = '\0';
	*len = (size_t)n;
	BIO_free(b);
	return out;
}

static char *
b64(const void *p, size_t n)
{
	return b64url_encode(ta, p, n);
}

static char *
b64s(const char *s)
{
	return b64(s, strlen(s));
}

/* RS256 signature of input, base64url. */
static char *
rs256(EVP_PKEY *k, const char *input)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char sig[1024];
	size_t siglen = sizeof(sig);

	assert_non_null(ctx);
	assert_int_equal(EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, k),
	    1);
	assert_int_equal(EVP_DigestSign(ctx, sig, &siglen,
	    (const unsigned char *)input, strlen(input)), 1);
	EVP_MD_CTX_free(ctx);
	return b64(sig, siglen);
}

static char *
hs256(const void *secret, size_t len, const char *input)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;

	assert_non_null(HMAC(EVP_sha256(), secret, (int)len,
	    (const unsigned char *)input, strlen(input), md, &mdlen));
	return b64(md, mdlen);
}

/* header.payload signed with k (RS256), or unsigned when k is NULL. */
static char *
jws(const char *header, const char *payload, EVP_PKEY *k)
{
	char *input = arena_printf(ta, "%s.%s", b64s(header), b64s(payload));

	return arena_printf(ta, "%s.%s", input, k ? rs256(k, input) : "");
}

/* The claims of a good token at NOW. */
static json_object *
good_claims(void)
{
	char text[512], err[128];
	json_object *o;

	snprintf(text, sizeof(text), "{\"iss\":\"datashare\",\"sub\":\"7\","
	    "\"agency\":3,\"roles\":[\"agency_officer\",\"focal_point\"],"
	    "\"iat\":%lld,\"nbf\":%lld,\"exp\":%lld,\"jti\":\"jti-1\"}",
	    NOW, NOW, NOW + 900);
	o = json_parse_strict(text, strlen(text), err, sizeof(err));
	assert_non_null(o);
	return o;
}

static const char *
claims_text(json_object *c)
{
	const char *s = arena_strdup(ta, json_object_to_json_string_ext(c,
	    JSON_C_TO_STRING_PLAIN));

	json_object_put(c);
	return s;
}

#define HEADER	"{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"" KID "\"}"

/* A good token with claim name set to v (taken), or removed if v is
 * NULL and remove is true. */
static char *
token_with(const char *name, json_object *v, bool remove)
{
	json_object *c = good_claims();

	if (remove)
		json_object_object_del(c, name);
	else
		json_object_object_add(c, name, v);
	return jws(HEADER, claims_text(c), key_a);
}

static char *
good_token(void)
{
	return jws(HEADER, claims_text(good_claims()), key_a);
}

/* ------------------------------------------------------------------ */
/* verification helpers                                                 */

static void
passes_at(const char *tok, long long now, struct identity *who)
{
	const char *why = NULL;
	int st = auth_verify_token(ta, tok, now, who, &why);

	if (st != DS_OK)
		fail_msg("refused (%s): %.200s", why, tok);
	assert_true(who->authenticated);
}

/* Asserts tok is refused at now with the reason why (NULL: any). */
static void
refused_at(const char *tok, long long now, const char *why_want)
{
	struct identity who;
	const char *why = NULL;
	int st = auth_verify_token(ta, tok, now, &who, &why);

	if (st == DS_OK)
		fail_msg("accepted (want '%s'): %.300s", why_want ? why_want :
		    "any refusal", tok);
	assert_int_equal(st, DS_EINVAL);
	assert_false(who.authenticated);
	assert_non_null(why);
	if (why_want != NULL && strcmp(why, why_want) != 0)
		fail_msg("refused for '%s', want '%s'", why, why_want);
}

static void
refused(const char *tok, const char *why)
{
	refused_at(tok, NOW, why);
}

/* ------------------------------------------------------------------ */
/* setup                                                                */

static int
keys_setup(void **state)
{
	char err[256];

	(void)state;
	if (sodium_init() < 0)
		return -1;
	strcpy(keydir, "/tmp/ds-unit-keys.XXXXXX");
	if (mkdtemp(keydir) == NULL)
		return -1;
	key_a = EVP_RSA_gen(2048);
	key_old = EVP_RSA_gen(2048);
	key_other = EVP_RSA_gen(2048);
	key_ec = EVP_EC_gen("P-256");
	if (!key_a || !key_old || !key_other || !key_ec)
		return -1;
	write_key(KID ".pem", key_a, true);
	write_key(KID ".pub.pem", key_a, false);
	write_key(KID_OLD ".pem", key_old, true);
	write_key(KID_OLD ".pub.pem", key_old, false);
	write_key(KID_EC ".pub.pem", key_ec, false);
	write_text("garbage.pub.pem", "-----BEGIN PUBLIC KEY-----\nnope\n");
	pub_pem = public_pem(key_a, &pub_pem_len);
	conf_set("jwt_keys_dir", keydir);
	conf_set("jwt_issuer", "datashare");
	if (auth_init(err, sizeof(err)) != DS_OK) {
		fprintf(stderr, "auth_init: %s\n", err);
		return -1;
	}
	ta = arena_new();
	return 0;
}

static int
keys_teardown(void **state)
{
	static const char *const files[] = {
		KID ".pem", KID ".pub.pem", KID_OLD ".pem", KID_OLD ".pub.pem",
		KID_EC ".pub.pem", "garbage.pub.pem",
	};
	char path[128];

	(void)state;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", keydir, files[i]);
		unlink(path);
	}
	rmdir(keydir);
	EVP_PKEY_free(key_a);
	EVP_PKEY_free(key_old);
	EVP_PKEY_free(key_other);
	EVP_PKEY_free(key_ec);
	free(pub_pem);
	arena_free(ta);
	conf_clear();
	return 0;
}

static int
reset_arena(void **state)
{
	(void)state;
	arena_reset(ta);
	return 0;
}

/* ------------------------------------------------------------------ */
/* auth_init, before any key is loaded                                  */

static void
test_init_refuses_bad_settings(void **state)
{
	char err[256], dir[64];

	(void)state;
	conf_clear();
	assert_int_equal(auth_init(err, sizeof(err)), DS_ERR);
	assert_non_null(strstr(err, "jwt_keys_dir is not set"));

	conf_set("jwt_keys_dir", "/nonexistent/ds-unit");
	assert_int_equal(auth_init(err, sizeof(err)), DS_ERR);
	assert_non_null(strstr(err, "/nonexistent/ds-unit"));

	strcpy(dir, "/tmp/ds-unit-nokeys.XXXXXX");
	assert_non_null(mkdtemp(dir));
	conf_set("jwt_keys_dir", dir);
	assert_int_equal(auth_init(err, sizeof(err)), DS_ERR);
	assert_non_null(strstr(err, "no public key"));

	/* The algorithm is pinned: only RS256 may be configured. */
	conf_set("jwt_alg", "HS256");
	assert_int_equal(auth_init(err, sizeof(err)), DS_ERR);
	assert_non_null(strstr(err, "only RS256"));
	rmdir(dir);
	conf_clear();
}

/* ------------------------------------------------------------------ */
/* base64url and SHA-256                                                */

static void
test_b64url_known_vectors(void **state)
{
	static const struct {
		const char	*raw, *enc;
	} v[] = {
		{ "", "" }, { "f", "Zg" }, { "fo", "Zm8" }, { "foo", "Zm9v" },
		{ "foob", "Zm9vYg" }, { "fooba", "Zm9vYmE" },
		{ "foobar", "Zm9vYmFy" }, { "\xfb\xff", "-_8" },
		{ "\xff\xff\xfe", "___-" },
	};
	unsigned char *out;

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t n = strlen(v[i].raw);

		assert_string_equal(b64s(v[i].raw), v[i].enc);
		assert_int_equal(b64url_decode(ta, v[i].enc, strlen(v[i].enc),
		    &out), (long)n);
		assert_memory_equal(out, v[i].raw, n);
		assert_int_equal(out[n], '\0');
	}
}

static void
test_b64url_round_trips_every_length(void **state)
{
	unsigned char buf[200], *out;
	unsigned seed = 7;

	(void)state;
	for (size_t n = 0; n <= sizeof(buf); n++) {
		char *enc;

		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245 + 12345;
			buf[i] = (unsigned char)(seed >> 16);
		}
		enc = b64(buf, n);
		assert_int_equal(strlen(enc), (n * 4 + 2) / 3);
		assert_int_equal(strspn(enc, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef"
		    "ghijklmnopqrstuvwxyz0123456789-_"), strlen(enc));
		assert_int_equal(b64url_decode(ta, enc, strlen(enc), &out),
		    (long)n);
		assert_memory_equal(out, buf, n);
	}
}

static void
test_b64url_refuses_bad_input(void **state)
{
	static const char *const bad[] = {
		"Zm9v!", "Zm+v", "Zm/v", "Zm8=", "Zm9v YQ", "Zm\n9v",
		/* non-canonical trailing bits: a second spelling of "f"/"fo" */
		"Zh", "Zm9", "Zm9vYh",
		/* length % 4 == 1 cannot be produced by an encoder */
		"Z", "Zm9vY", "Zm9vYmFyZ",
	};
	unsigned char *out;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (b64url_decode(ta, bad[i], strlen(bad[i]), &out) != -1)
			fail_msg("decoded: %s", bad[i]);
	/* A NUL inside the given length is a bad character too. */
	assert_int_equal(b64url_decode(ta, "Zm\0v", 4, &out), -1);
}

static void
test_sha256_hex_known_vectors(void **state)
{
	char out[65];

	(void)state;
	sha256_hex("", 0, out);
	assert_string_equal(out,
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	sha256_hex("abc", 3, out);
	assert_string_equal(out,
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
	    out);
	assert_string_equal(out,
	    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

/* ------------------------------------------------------------------ */
/* roles and the authorisation helpers                                  */

static void
test_roles_parse_and_name(void **state)
{
	json_object *a, *names;
	char err[64];

	(void)state;
	assert_int_equal(role_parse("dic_admin"), ROLE_DIC_ADMIN);
	assert_int_equal(role_parse("system"), ROLE_SYSTEM);
	assert_int_equal(role_parse("superuser"), -1);
	assert_int_equal(role_parse("DIC_ADMIN"), -1);
	assert_int_equal(role_parse(""), -1);
	assert_string_equal(role_name(ROLE_AUDITOR), "auditor");
	assert_null(role_name(ROLE_AUDITOR | ROLE_SYSTEM));
	assert_null(role_name(0));

	a = roles_json(ROLE_CHAIRMAN | ROLE_FOCAL_POINT);
	assert_string_equal(json_object_to_json_string_ext(a,
	    JSON_C_TO_STRING_PLAIN), "[\"chairman\",\"focal_point\"]");
	assert_int_equal(roles_from_json(a), ROLE_CHAIRMAN | ROLE_FOCAL_POINT);
	json_object_put(a);

	names = json_parse_strict("[\"auditor\",\"nobody\"]", 20, err,
	    sizeof(err));
	assert_non_null(names);
	assert_int_equal(roles_from_json(names), -1);
	json_object_put(names);
	names = json_object_new_string("auditor");
	assert_int_equal(roles_from_json(names), -1);
	json_object_put(names);
}

static void
test_require_role_and_agency(void **state)
{
	struct http_req *r = req_new();

	(void)state;
	r->who.authenticated = true;
	r->who.agency_id = 3;
	r->who.roles = ROLE_AGENCY_OFFICER;
	assert_true(auth_has_role(&r->who, ROLE_AGENCY_OFFICER | ROLE_AUDITOR));
	assert_false(auth_has_role(&r->who, ROLE_DIC_ADMIN));
	assert_int_equal(auth_require_role_or_reply(r, ROLE_ANY_AGENCY), DS_OK);
	assert_int_equal(r->status, 0);
	assert_int_equal(auth_require_agency_or_reply(r, 3, ROLE_DIC_ADMIN),
	    DS_OK);
	assert_int_equal(r->status, 0);

	assert_int_equal(auth_require_role_or_reply(r, ROLE_DIC_ADMIN),
	    DS_REPLIED);
	assert_error(r, 403, "forbidden");
	req_unanswer(r);
	/* Another agency's record is invisible: 404, not 403. */
	assert_int_equal(auth_require_agency_or_reply(r, 4, ROLE_DIC_ADMIN),
	    DS_REPLIED);
	assert_error(r, 404, "not_found");
	req_unanswer(r);
	r->who.roles |= ROLE_AUDITOR;
	assert_int_equal(auth_require_agency_or_reply(r, 4, ROLE_AUDITOR),
	    DS_OK);
	/* Nothing counts before authentication. */
	r->who.authenticated = false;
	assert_false(auth_has_role(&r->who, ROLE_AUDITOR));
	assert_int_equal(auth_require_agency_or_reply(r, 3, 0), DS_REPLIED);
	req_free(r);
}

static void
test_jwks_lists_the_rsa_keys(void **state)
{
	json_object *doc = auth_jwks(ta), *keys, *k, *v;
	bool seen_a = false, seen_old = false;

	(void)state;
	assert_true(json_object_object_get_ex(doc, "keys", &keys));
	/* The EC and garbage files were skipped. */
	assert_int_equal(json_object_array_length(keys), 2);
	for (size_t i = 0; i < 2; i++) {
		const char *kid;

		k = json_object_array_get_idx(keys, i);
		assert_true(json_object_object_get_ex(k, "kid", &v));
		kid = json_object_get_string(v);
		seen_a |= strcmp(kid, KID) == 0;
		seen_old |= strcmp(kid, KID_OLD) == 0;
		assert_true(json_object_object_get_ex(k, "kty", &v));
		assert_string_equal(json_object_get_string(v), "RSA");
		assert_true(json_object_object_get_ex(k, "alg", &v));
		assert_string_equal(json_object_get_string(v), "RS256");
		assert_true(json_object_object_get_ex(k, "e", &v));
		assert_string_equal(json_object_get_string(v), "AQAB");
		assert_true(json_object_object_get_ex(k, "n", &v));
		/* 2048 bits = 256 bytes = 342 base64url characters. */
		assert_int_equal(strlen(json_object_get_string(v)), 342);
	}
	assert_true(seen_a && seen_old);
	json_object_put(doc);
}

/* ------------------------------------------------------------------ */
/* tokens that pass                                                     */

static void
test_token_sign_output_passes(void **state)
{
	struct identity who;
	char *tok;

	(void)state;
	tok = token_sign(ta, 7, 3, ROLE_AGENCY_OFFICER | ROLE_FOCAL_POINT, NOW,
	    900);
	assert_non_null(tok);
	passes_at(tok, NOW, &who);
	assert_int_equal(who.account_id, 7);
	assert_int_equal(who.agency_id, 3);
	assert_int_equal(who.roles, ROLE_AGENCY_OFFICER | ROLE_FOCAL_POINT);
	assert_non_null(who.jti);
	assert_true(strlen(who.jti) >= 16);
	/* Valid until exp, plus the 60 s skew; not before iat - 60 s. */
	passes_at(tok, NOW + 900 + 60, &who);
	refused_at(tok, NOW + 900 + 61, "the token has expired");
	passes_at(tok, NOW - 60, &who);
	refused_at(tok, NOW - 61, "the token is not valid yet");
	/* Each token has its own jti. */
	assert_string_not_equal(tok, token_sign(ta, 7, 3, ROLE_AGENCY_OFFICER,
	    NOW, 900));
}

/* libjwt is the reference our tokens are held to: it checks the RS256
 * signature of a token we sign with the public key (it parses the PEM
 * per call, which is why the request path does not use it) and reads the
 * same claims. */
static void
test_libjwt_verifies_and_reads_our_tokens(void **state)
{
	char *tok = token_sign(ta, 7, 3, ROLE_AGENCY_OFFICER, NOW, 900);
	char *roles;
	jwt_t *jwt = NULL;

	(void)state;
	assert_non_null(tok);
	assert_int_equal(jwt_decode(&jwt, tok, (unsigned char *)pub_pem,
	    (int)pub_pem_len), 0);
	assert_int_equal(jwt_get_alg(jwt), JWT_ALG_RS256);
	assert_string_equal(jwt_get_grant(jwt, "sub"), "7");
	assert_string_equal(jwt_get_grant(jwt, "iss"), "datashare");
	assert_int_equal(jwt_get_grant_int(jwt, "agency"), 3);
	assert_int_equal(jwt_get_grant_int(jwt, "exp"), NOW + 900);
	roles = jwt_get_grants_json(jwt, "roles");
	assert_string_equal(roles, "[\"agency_officer\"]");
	free(roles);
	jwt_free(jwt);
	/* One bit changed in the signature: libjwt refuses it too. */
	tok[strlen(tok) - 2] = tok[strlen(tok) - 2] == 'A' ? 'B' : 'A';
	assert_int_not_equal(jwt_decode(&jwt, tok, (unsigned char *)pub_pem,
	    (int)pub_pem_len), 0);
}

static void
test_token_sign_refuses_bad_arguments(void **state)
{
	(void)state;
	assert_null(token_sign(ta, 0, 3, ROLE_DIC_ADMIN, NOW, 900));
	assert_null(token_sign(ta, 7, 0, ROLE_DIC_ADMIN, NOW, 900));
	assert_null(token_sign(ta, 7, 3, 0, NOW, 900));
	assert_null(token_sign(ta, 7, 3, 1u << 20, NOW, 900));
	assert_null(token_sign(ta, 7, 3, ROLE_DIC_ADMIN, NOW, 0));
	assert_null(token_sign(ta, 7, 3, ROLE_DIC_ADMIN, LLONG_MAX, 900));
}

static void
test_hand_signed_token_passes(void **state)
{
	struct identity who;

	(void)state;
	passes_at(good_token(), NOW, &who);
	assert_int_equal(who.account_id, 7);
	assert_int_equal(who.agency_id, 3);
	assert_int_equal(who.roles, ROLE_AGENCY_OFFICER | ROLE_FOCAL_POINT);
	assert_string_equal(who.jti, "jti-1");
	/* iat and nbf are optional. */
	passes_at(token_with("nbf", NULL, true), NOW, &who);
	passes_at(token_with("iat", NULL, true), NOW, &who);
}

static void
test_older_trusted_key_is_chosen_by_kid(void **state)
{
	struct identity who;
	const char *claims = claims_text(good_claims());

	(void)state;
	passes_at(jws("{\"alg\":\"RS256\",\"kid\":\"" KID_OLD "\"}", claims,
	    key_old), NOW, &who);
	/* Signed by the old key but naming the new one. */
	refused(jws(HEADER, claims, key_old), "bad signature");
}

/* Each key's verify context is set up once and copied per check: checks
 * with both keys in turn, failed ones between them, must not disturb
 * each other (a failed check leaves nothing in the key's context). */
static void
test_verify_contexts_are_reused_safely(void **state)
{
	struct identity who;
	const char *claims = claims_text(good_claims());
	const char *old_header = "{\"alg\":\"RS256\",\"kid\":\"" KID_OLD "\"}";
	char *good = jws(HEADER, claims, key_a);
	char *good_old = jws(old_header, claims, key_old);
	char *bad = arena_strdup(ta, good);

	(void)state;
	/* Another base64url character in the signature. */
	bad[strlen(bad) - 5] = bad[strlen(bad) - 5] == 'A' ? 'B' : 'A';
	for (int i = 0; i < 3; i++) {
		passes_at(good, NOW, &who);
		refused(bad, "bad signature");
		passes_at(good_old, NOW, &who);
		/* The other key's signature under each kid. */
		refused(jws(old_header, claims, key_a), "bad signature");
		refused(jws(HEADER, claims, key_old), "bad signature");
		refused(jws(HEADER, claims, key_other), "bad signature");
		passes_at(good, NOW, &who);
		assert_int_equal(who.account_id, 7);
	}
}

/* The memo of verified tokens: a second use of the same bytes must give
 * what the first gave, and nothing a token's times or bytes decide may
 * be taken from it. */
static void
test_memo_gives_the_first_answer_again(void **state)
{
	struct identity first, again;
	char *tok = token_with("jti", json_object_new_string("memo-1"), false);

	(void)state;
	passes_at(tok, NOW, &first);
	passes_at(tok, NOW, &again);
	assert_int_equal(again.account_id, 7);
	assert_int_equal(again.agency_id, 3);
	assert_int_equal(again.roles, ROLE_AGENCY_OFFICER | ROLE_FOCAL_POINT);
	assert_string_equal(again.jti, "memo-1");
	assert_int_equal(first.account_id, again.account_id);
	assert_int_equal(first.roles, again.roles);
	assert_string_equal(first.jti, again.jti);
}

static void
test_memo_still_checks_the_times(void **state)
{
	struct identity who;
	char *tok = token_with("exp", json_object_new_int64(NOW + 10), false);
	char *early = token_with("nbf", json_object_new_int64(NOW + 100),
	    false);

	(void)state;
	passes_at(tok, NOW, &who);
	refused_at(tok, NOW + 200, "the token has expired");
	passes_at(tok, -1, &who);
	passes_at(tok, NOW, &who);
	passes_at(early, NOW + 100, &who);
	refused_at(early, NOW, "the token is not valid yet");
}

/* A token one character away from a remembered one is checked afresh. */
static void
test_memo_answers_only_the_same_bytes(void **state)
{
	struct identity who;
	char *good = token_with("jti", json_object_new_string("memo-2"), false);
	char *dot2 = strrchr(good, '.');
	char *tok;

	(void)state;
	passes_at(good, NOW, &who);
	tok = arena_strdup(ta, good);
	tok[strlen(tok) - 5] = tok[strlen(tok) - 5] == 'A' ? 'B' : 'A';
	refused(tok, "bad signature");
	tok = arena_printf(ta, "%.*s.%s", (int)(dot2 - good), good, "");
	refused(tok, NULL);
	tok = arena_printf(ta, "%sA", good);
	refused(tok, NULL);
	passes_at(good, NOW, &who);
}

/* More tokens than the memo has slots: each still verifies as itself. */
static void
test_memo_overwritten_slots_give_each_token_its_own_claims(void **state)
{
	enum { N = 150 };
	char *tok[N];
	struct identity who;

	(void)state;
	for (int i = 0; i < N; i++) {
		json_object *c = good_claims();

		json_object_object_add(c, "sub", json_object_new_string(
		    arena_printf(ta, "%d", 1000 + i)));
		tok[i] = jws(HEADER, claims_text(c), key_a);
	}
	for (int round = 0; round < 2; round++)
		for (int i = 0; i < N; i++) {
			passes_at(tok[i], NOW, &who);
			assert_int_equal(who.account_id, 1000 + i);
		}
}

/* A header exactly as token.c writes it is recognised without parsing:
 * the outcome must be the one parsing gives, for every key and spelling. */
static void
test_own_header_and_other_spellings_give_the_same_outcome(void **state)
{
	struct identity who;
	const char *claims = claims_text(good_claims());
#define OWN(kid) "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"" kid "\"}"

	(void)state;
	passes_at(jws(OWN(KID), claims, key_a), NOW, &who);
	passes_at(jws(OWN(KID_OLD), claims, key_old), NOW, &who);
	refused(jws(OWN(KID_OLD), claims, key_a), "bad signature");
	refused(jws(OWN(KID), claims, key_old), "bad signature");
	refused(jws(OWN("nope"), claims, key_a), "unknown signing key");
	refused(jws(OWN(KID_EC), claims, key_a), "unknown signing key");
	refused(jws("{\"alg\":\"RS512\",\"typ\":\"JWT\",\"kid\":\"" KID
	    "\"}", claims, key_a), "algorithm not allowed");
	/* Other spellings of the same header are parsed, with one result. */
	passes_at(jws("{\"kid\":\"" KID "\",\"alg\":\"RS256\"}", claims,
	    key_a), NOW, &who);
	passes_at(jws("{ \"alg\": \"RS256\", \"typ\": \"JWT\", \"kid\": \""
	    KID "\" }", claims, key_a), NOW, &who);
	refused(jws("{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"" KID
	    "\",\"kid\":\"" KID "\"}", claims, key_a), "malformed token");
#undef OWN
}

static void
test_time_checks_allow_60_seconds_of_skew(void **state)
{
	struct identity who;

	(void)state;
	passes_at(token_with("exp", json_object_new_int64(NOW - 60), false),
	    NOW, &who);
	passes_at(token_with("nbf", json_object_new_int64(NOW + 60), false),
	    NOW, &who);
	passes_at(token_with("iat", json_object_new_int64(NOW + 60), false),
	    NOW, &who);
	/* A negative now leaves the times to the caller (auth_verify checks
	 * them against the database clock). */
	passes_at(token_with("exp", json_object_new_int64(NOW - 3600), false),
	    -1, &who);
}

/* Extreme but signed values are compared without overflow. */
static void
test_extreme_times_do_not_overflow(void **state)
{
	struct identity who;

	(void)state;
	passes_at(token_with("exp", json_object_new_int64(LLONG_MAX), false),
	    NOW, &who);
	refused(token_with("exp", json_object_new_int64(LLONG_MIN), false),
	    "the token has expired");
	passes_at(token_with("nbf", json_object_new_int64(LLONG_MIN), false),
	    NOW, &who);
	refused(token_with("nbf", json_object_new_int64(LLONG_MAX), false),
	    "the token is not valid yet");
}

/* ------------------------------------------------------------------ */
/* tokens that must be refused                                          */

static void
test_expired_token_is_refused(void **state)
{
	(void)state;
	refused(token_with("exp", json_object_new_int64(NOW - 61), false),
	    "the token has expired");
	refused(token_with("exp", json_object_new_int64(0), false),
	    "the token has expired");
}

static void
test_future_nbf_is_refused(void **state)
{
	(void)state;
	refused(token_with("nbf", json_object_new_int64(NOW + 61), false),
	    "the token is not valid yet");
}

static void
test_future_iat_is_refused(void **state)
{
	(void)state;
	refused(token_with("iat", json_object_new_int64(NOW + 3600), false),
	    "the token is not valid yet");
}

static void
test_wrong_issuer_is_refused(void **state)
{
	(void)state;
	refused(token_with("iss", json_object_new_string("evil"), false),
	    "wrong issuer");
	refused(token_with("iss", json_object_new_string("datashare "), false),
	    "wrong issuer");
	refused(token_with("iss", json_object_new_int(1), false),
	    "wrong issuer");
	refused(token_with("iss", NULL, true), "wrong issuer");
}

static void
test_missing_required_claims_are_refused(void **state)
{
	static const char *const required[] = {
		"sub", "agency", "roles", "jti", "exp",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		refused(token_with(required[i], NULL, true),
		    "a required claim is missing or malformed");
}

static void
test_malformed_claims_are_refused(void **state)
{
	static const char *why = "a required claim is missing or malformed";

	(void)state;
	refused(token_with("sub", json_object_new_string("abc"), false), why);
	refused(token_with("sub", json_object_new_string("0"), false), why);
	refused(token_with("sub", json_object_new_string("7x"), false), why);
	refused(token_with("sub", json_object_new_int(7), false), why);
	refused(token_with("agency", json_object_new_string("3"), false), why);
	refused(token_with("agency", json_object_new_int(0), false), why);
	refused(token_with("agency", json_object_new_int(-3), false), why);
	refused(token_with("agency", json_object_new_double(3.5), false), why);
	refused(token_with("exp", json_object_new_string("1767226500"), false),
	    why);
	/* libjwt 1.10 reads any non-integer as 0: a string exp would be
	 * "expired", a string nbf or iat no check at all. */
	refused(token_with("exp", json_object_new_double(1767226500.0), false),
	    why);
	refused(token_with("nbf", json_object_new_string("1767225600"), false),
	    why);
	refused(token_with("iat", json_object_new_boolean(1), false), why);
	refused(token_with("iat", NULL, false), why);
	refused(token_with("jti", json_object_new_int(5), false), why);
	refused(token_with("roles", json_object_new_string("dic_admin"), false),
	    why);
	refused(token_with("roles", json_object_new_array(), false), why);
}

static void
test_unknown_role_is_refused(void **state)
{
	static const char *why = "a required claim is missing or malformed";
	json_object *roles;

	(void)state;
	roles = json_object_new_array();
	json_object_array_add(roles, json_object_new_string("agency_officer"));
	json_object_array_add(roles, json_object_new_string("superuser"));
	refused(token_with("roles", roles, false), why);
	roles = json_object_new_array();
	json_object_array_add(roles, json_object_new_string("DIC_ADMIN"));
	refused(token_with("roles", roles, false), why);
	roles = json_object_new_array();
	json_object_array_add(roles, json_object_new_int(1));
	refused(token_with("roles", roles, false), why);
}

static void
test_unknown_kid_is_refused(void **state)
{
	const char *claims = claims_text(good_claims());

	(void)state;
	refused(jws("{\"alg\":\"RS256\",\"kid\":\"nope\"}", claims, key_a),
	    "unknown signing key");
	refused(jws("{\"alg\":\"RS256\"}", claims, key_a),
	    "unknown signing key");
	refused(jws("{\"alg\":\"RS256\",\"kid\":7}", claims, key_a),
	    "unknown signing key");
	refused(jws("{\"alg\":\"RS256\",\"kid\":\"../" KID "\"}", claims,
	    key_a), "unknown signing key");
	/* The EC key file was not loaded: it is not an RS256 key. */
	refused(jws("{\"alg\":\"RS256\",\"kid\":\"" KID_EC "\"}", claims,
	    key_a), "unknown signing key");
	refused(jws("{\"alg\":\"RS256\",\"kid\":\"garbage\"}", claims, key_a),
	    "unknown signing key");
}

static void
test_alg_none_is_refused(void **state)
{
	const char *claims = claims_text(good_claims());
	char *tok;

	(void)state;
	/* Unsigned: header.payload. with an empty signature. */
	refused(jws("{\"alg\":\"none\",\"kid\":\"" KID "\"}", claims, NULL),
	    NULL);
	refused(jws("{\"alg\":\"none\"}", claims, NULL), NULL);
	refused(jws(HEADER, claims, NULL), NULL);
	/* none with something in the signature place. */
	tok = arena_printf(ta, "%s%s", jws("{\"alg\":\"none\",\"kid\":\"" KID
	    "\"}", claims, NULL), "AAAA");
	refused(tok, "algorithm not allowed");
	refused(jws("{\"alg\":\"none\",\"kid\":\"" KID "\"}", claims, key_a),
	    "algorithm not allowed");
}

static void
test_other_algorithms_are_refused(void **state)
{
	static const char *const algs[] = {
		"{\"alg\":\"RS512\",\"kid\":\"" KID "\"}",
		"{\"alg\":\"PS256\",\"kid\":\"" KID "\"}",
		"{\"alg\":\"ES256\",\"kid\":\"" KID "\"}",
		"{\"alg\":\"rs256\",\"kid\":\"" KID "\"}",
		"{\"alg\":\"None\",\"kid\":\"" KID "\"}",
		"{\"alg\":256,\"kid\":\"" KID "\"}",
		"{\"kid\":\"" KID "\"}",
	};
	const char *claims = claims_text(good_claims());

	(void)state;
	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		refused(jws(algs[i], claims, key_a), "algorithm not allowed");
}

/* The classic confusion: HS256 keyed with the RS256 public key's PEM. */
static void
test_hs256_with_public_key_as_secret_is_refused(void **state)
{
	const char *header = "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\""
	    KID "\"}";
	char *input = arena_printf(ta, "%s.%s", b64s(header),
	    b64s(claims_text(good_claims())));
	char *tok = arena_printf(ta, "%s.%s", input, hs256(pub_pem,
	    pub_pem_len, input));
	jwt_t *jwt = NULL;

	(void)state;
	/* The forgery is a genuine HS256 token for that secret: libjwt
	 * alone, which takes the algorithm from the header, accepts it. */
	assert_int_equal(jwt_decode(&jwt, tok, (unsigned char *)pub_pem,
	    (int)pub_pem_len), 0);
	assert_int_equal(jwt_get_alg(jwt), JWT_ALG_HS256);
	jwt_free(jwt);
	refused(tok, "algorithm not allowed");
	/* Claiming RS256 with the HMAC signature does not help. */
	tok = arena_printf(ta, "%s.%s.%s", b64s(HEADER),
	    b64s(claims_text(good_claims())), hs256(pub_pem, pub_pem_len,
	    input));
	refused(tok, "bad signature");
}

static void
test_token_signed_by_another_key_is_refused(void **state)
{
	(void)state;
	refused(jws(HEADER, claims_text(good_claims()), key_other),
	    "bad signature");
}

static void
test_tampered_token_is_refused(void **state)
{
	char *good = good_token(), *dot1, *dot2, *tok;
	json_object *c = good_claims();
	size_t siglen;

	(void)state;
	dot1 = strchr(good, '.');
	dot2 = strchr(dot1 + 1, '.');
	/* Payload changed (more roles), signature kept. */
	json_object_object_add(c, "roles", roles_json(ROLE_DIC_ADMIN));
	tok = arena_printf(ta, "%.*s.%s%s", (int)(dot1 - good), good,
	    b64s(claims_text(c)), dot2);
	refused(tok, "bad signature");
	/* Header changed, same kid and alg. */
	tok = arena_printf(ta, "%s.%s", b64s("{\"alg\":\"RS256\",\"kid\":\""
	    KID "\"}"), dot1 + 1);
	refused(tok, "bad signature");
	/* Signature one byte short (342 -> 340 characters: still canonical
	 * base64url) or with one character changed. */
	tok = arena_strdup(ta, good);
	siglen = strlen(dot2 + 1);
	assert_int_equal(siglen, 342);
	tok[strlen(tok) - 2] = '\0';
	refused(tok, "bad signature");
	tok = arena_strdup(ta, good);
	tok[(size_t)(dot2 - good) + 1 + siglen / 2] ^= 1;
	refused(tok, NULL);
	/* Two tokens' parts spliced. */
	tok = arena_printf(ta, "%.*s%s", (int)(dot2 - good), good, strrchr(
	    token_with("jti", json_object_new_string("other"), false), '.'));
	refused(tok, "bad signature");
}

static void
test_oversized_token_is_refused(void **state)
{
	char *pad = malloc(16 * 1024 + 1);
	char *tok;

	(void)state;
	assert_non_null(pad);
	memset(pad, 'x', 16 * 1024);
	pad[16 * 1024] = '\0';
	/* Correctly signed, but 16 KB is past any token we issue. */
	tok = token_with("pad", json_object_new_string(pad), false);
	free(pad);
	assert_true(strlen(tok) > 16 * 1024);
	refused(tok, "malformed token");
}

static void
test_garbage_is_refused(void **state)
{
	static const char *const garbage[] = {
		"", "abc", "a.b", "a.b.c.d", ".", "..", "...", "a..c",
		"Bearer x.y.z", "x y.z.w", "eyJ=.eyJ.sig", "eyJ+.eyJ/.sig",
		"\xc4\x90.a.b", "e.e.e",
	};
	char *good = good_token(), *dot1 = strchr(good, '.'), *tok;

	(void)state;
	for (size_t i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++)
		refused(garbage[i], NULL);
	/* A good token with a prefix, a suffix or padding. */
	refused(arena_printf(ta, "Bearer %s", good), "malformed token");
	refused(arena_printf(ta, "%s.", good), "malformed token");
	refused(arena_printf(ta, "%s=", good), "malformed token");
	refused(arena_printf(ta, " %s", good), "malformed token");
	/* A header that is not (strict) JSON, however well signed. */
	refused(jws("not json", claims_text(good_claims()), key_a),
	    "malformed token");
	refused(jws("[\"RS256\"]", claims_text(good_claims()), key_a),
	    "algorithm not allowed");
	refused(jws("{\"alg\":\"none\",\"alg\":\"RS256\",\"kid\":\"" KID "\"}",
	    claims_text(good_claims()), key_a), "malformed token");
	/* Claims that are not JSON, however well signed. */
	refused(jws(HEADER, "not json", key_a), "malformed claims");
	/* Nor a claims object: a scalar, an array (no claims), a claim
	 * given twice, an integer past 64 bits, trailing data. */
	refused(jws(HEADER, "7", key_a), "malformed claims");
	refused(jws(HEADER, "\"iss\"", key_a), "malformed claims");
	refused(jws(HEADER, "[\"datashare\"]", key_a), "wrong issuer");
	tok = arena_strdup(ta, claims_text(good_claims()));
	refused(jws(HEADER, arena_printf(ta, "{\"sub\":\"8\",%s", tok + 1),
	    key_a), "malformed claims");
	refused(jws(HEADER, arena_printf(ta, "{\"agency\":"
	    "99999999999999999999,%s", tok + 1), key_a), NULL);
	refused(jws(HEADER, arena_printf(ta, "{\"agency\":"
	    "9223372036854775808,%s", tok + 1), key_a), NULL);
	refused(jws(HEADER, arena_printf(ta, "%s {}", tok), key_a),
	    "malformed claims");
	/* Header part not base64url. */
	tok = arena_printf(ta, "!%s", good);
	refused(tok, "malformed token");
	tok = arena_printf(ta, "A%s", dot1);
	refused(tok, "malformed token");
}

/* ------------------------------------------------------------------ */
/* the account read by the handler's statement (RT_ACCOUNT_JOINED)      */

/* What the handler's statement "reads": a record (id, title) and the
 * caller's account as AUTH_ACCOUNT_COLS gives it. status NULL: the join
 * found no account; found false: the statement found no record at all. */
static struct {
	const char	*status;
	long long	 agency, roles, grant, now;
	bool		 found;
} account;
/* What the handler saw: the account id it bound, who after settling, and
 * the columns left in its rows. */
static struct {
	int		 reached;
	long long	 bound;
	struct identity	 who;
	size_t		 ncols;
} seen;

static void
account_active(void)
{
	account.status = "active";
	account.agency = 3;
	account.roles = ROLE_AGENCY_OFFICER | ROLE_FOCAL_POINT;
	account.grant = 0;
	account.now = NOW;
	account.found = true;
}

static struct db_rows *
joined_rows(struct arena *a)
{
	static const char *names[] = { "id", "title", "caller_status",
	    "caller_agency_id", "caller_roles", "caller_grant_id",
	    "caller_now" };
	const char *cells[NPARAMS(names)] = { "11", "Hộ tịch", account.status,
	    arena_printf(a, "%lld", account.agency),
	    arena_printf(a, "%lld", account.roles),
	    account.grant ? arena_printf(a, "%lld", account.grant) : NULL,
	    arena_printf(a, "%lld", account.now) };
	struct db_rows *rows = arena_calloc(a, 1, sizeof(*rows));

	rows->nrows = account.found ? 1 : 0;
	rows->ncols = NPARAMS(names);
	rows->names = arena_calloc(a, rows->ncols, sizeof(char *));
	rows->kinds = arena_calloc(a, rows->ncols, sizeof(enum col_kind));
	rows->cells = arena_calloc(a, rows->ncols, sizeof(char *));
	rows->lens = arena_calloc(a, rows->ncols, sizeof(size_t));
	for (size_t c = 0; c < rows->ncols; c++) {
		rows->names[c] = names[c];
		rows->kinds[c] = c == 1 || c == 2 ? COL_STR : COL_INT;
		rows->cells[c] = (char *)cells[c];
		rows->lens[c] = cells[c] ? strlen(cells[c]) : 0;
	}
	return rows;
}

/* A joined read, as dataset_show is one. */
static void
h_joined(struct http_req *r)
{
	struct db_rows *rows = joined_rows(r->arena);

	seen.reached++;
	seen.bound = auth_pending_account(r);
	if (auth_settle_or_reply(r, rows, 0) != DS_OK)
		return;
	seen.who = r->who;
	seen.ncols = rows->ncols;
	http_reply(r, 200, db_row_json(rows, 0));
}

/* A handler that forgets to settle (a bug dispatch must catch). */
static void
h_forgets(struct http_req *r)
{
	seen.reached++;
	http_reply(r, 200, json_object_new_object());
}

static const struct route joined_routes[] = {
	{ "GET", "/api/v1/joined/{id}", h_joined, RT_ACCOUNT_JOINED },
	{ "GET", "/api/v1/grant-joined/{id}", h_joined,
	    RT_ACCOUNT_JOINED | RT_GRANT },
	{ "GET", "/api/v1/maybe-joined/{id}", h_joined,
	    RT_ACCOUNT_JOINED | RT_OPTIONAL_AUTH },
	{ "GET", "/api/v1/forgets/{id}", h_forgets, RT_ACCOUNT_JOINED },
};

static const struct module joined_mod = {
	.name = "unit-joined",
	.routes = joined_routes,
	.nroutes = NPARAMS(joined_routes),
};

/* GET path with tok (NULL: no Authorization) through server_dispatch;
 * the caller frees it. */
static struct http_req *
joined_get(const char *path, const char *tok)
{
	struct http_req *r = req_new();

	r->path = path;
	r->content_length = -1;
	r->authorization = tok ? arena_printf(ta, "Bearer %s", tok) : NULL;
	memset(&seen, 0, sizeof(seen));
	server_dispatch(&joined_mod, r);
	return r;
}

/* Asserts r is the 401 auth_verify's refusal gives, for why. */
static void
assert_refused_401(const struct http_req *r, const char *why)
{
	assert_error(r, 401, "unauthorized");
	assert_string_equal(resp_str(r, "error.message"), why);
	assert_string_equal(header_value(r, "WWW-Authenticate"), "Bearer");
}

static void
test_joined_read_settles_the_caller_from_its_own_row(void **state)
{
	struct http_req *r;

	(void)state;
	account_active();
	r = joined_get("/api/v1/joined/11", good_token());
	assert_int_equal(r->status, 200);
	assert_int_equal(seen.bound, 7);
	assert_true(seen.who.authenticated);
	assert_int_equal(seen.who.account_id, 7);
	assert_int_equal(seen.who.agency_id, 3);
	assert_int_equal(seen.who.roles, ROLE_AGENCY_OFFICER |
	    ROLE_FOCAL_POINT);
	assert_string_equal(seen.who.jti, "jti-1");
	/* The account's columns are gone: the answer is the record's. */
	assert_int_equal(seen.ncols, 2);
	assert_int_equal(json_object_object_length(r->resp), 2);
	assert_string_equal(resp_str(r, "title"), "Hộ tịch");
	assert_null(r->pending);
	req_free(r);
}

static void
test_joined_read_narrows_roles_to_the_database(void **state)
{
	struct http_req *r;

	(void)state;
	account_active();
	account.roles = ROLE_AGENCY_OFFICER | ROLE_DIC_ADMIN;
	r = joined_get("/api/v1/joined/11", good_token());
	assert_int_equal(r->status, 200);
	/* focal_point removed in the database; dic_admin never claimed. */
	assert_int_equal(seen.who.roles, ROLE_AGENCY_OFFICER);
	req_free(r);
}

static void
test_joined_read_refuses_an_account_not_active_or_elsewhere(void **state)
{
	static const char *const statuses[] = { "disabled", "revoked", NULL };
	struct http_req *r;

	(void)state;
	for (size_t i = 0; i < NPARAMS(statuses); i++) {
		account_active();
		account.status = statuses[i];
		r = joined_get("/api/v1/joined/11", good_token());
		assert_int_equal(seen.reached, 1);
		assert_refused_401(r, "the account is not active");
		assert_false(r->who.authenticated);
		req_free(r);
	}
	account_active();
	account.agency = 4;
	r = joined_get("/api/v1/joined/11", good_token());
	assert_refused_401(r, "the account is not active");
	assert_false(r->who.authenticated);
	req_free(r);
}

static void
test_joined_read_checks_the_times_by_the_database_clock(void **state)
{
	struct http_req *r;

	(void)state;
	/* The token: nbf and iat NOW, exp NOW + 900, 60 s of skew. */
	account_active();
	account.now = NOW + 900 + 61;
	r = joined_get("/api/v1/joined/11", good_token());
	assert_refused_401(r, "the token has expired");
	req_free(r);
	account.now = NOW - 61;
	r = joined_get("/api/v1/joined/11", good_token());
	assert_refused_401(r, "the token is not valid yet");
	req_free(r);
	account.now = NOW + 900 + 60;
	r = joined_get("/api/v1/joined/11", good_token());
	assert_int_equal(r->status, 200);
	req_free(r);
	/* The account before the times, as auth_verify: a disabled account
	 * with an expired token is "not active". */
	account.status = "disabled";
	account.now = NOW + 5000;
	r = joined_get("/api/v1/joined/11", good_token());
	assert_refused_401(r, "the account is not active");
	req_free(r);
}

static void
test_joined_read_confines_a_system_account_as_dispatch_does(void **state)
{
	json_object *roles = json_object_new_array();
	struct http_req *r;
	char *sys;

	(void)state;
	json_object_array_add(roles, json_object_new_string("system"));
	sys = token_with("roles", roles, false);
	account_active();
	account.roles = ROLE_SYSTEM;
	account.grant = 41;
	/* Off its grant's routes: answered as a caller of no agency. */
	r = joined_get("/api/v1/joined/11", sys);
	assert_int_equal(r->status, 200);
	assert_int_equal(seen.who.roles, ROLE_SYSTEM);
	assert_int_equal(seen.who.grant_id, 41);
	assert_int_equal(seen.who.agency_id, AGENCY_NONE);
	req_free(r);
	/* On them, itself. */
	r = joined_get("/api/v1/grant-joined/11", sys);
	assert_int_equal(r->status, 200);
	assert_int_equal(seen.who.agency_id, 3);
	req_free(r);
	/* Without a grant, confined everywhere. */
	account.grant = 0;
	r = joined_get("/api/v1/grant-joined/11", sys);
	assert_int_equal(seen.who.agency_id, AGENCY_NONE);
	req_free(r);
}

static void
test_joined_read_without_a_token_where_optional_is_public(void **state)
{
	struct http_req *r;

	(void)state;
	/* No account to join: the statement binds 0 and reads none. */
	account_active();
	account.status = NULL;
	r = joined_get("/api/v1/maybe-joined/11", NULL);
	assert_int_equal(r->status, 200);
	assert_int_equal(seen.bound, 0);
	assert_false(seen.who.authenticated);
	assert_int_equal(seen.ncols, 2);
	req_free(r);
	/* Where the token is required, dispatch refuses before the
	 * handler; a bad token too. */
	r = joined_get("/api/v1/joined/11", NULL);
	assert_int_equal(seen.reached, 0);
	assert_refused_401(r, "a bearer token is required");
	req_free(r);
	r = joined_get("/api/v1/maybe-joined/11", "x.y.z");
	assert_int_equal(seen.reached, 0);
	assert_error(r, 401, "unauthorized");
	req_free(r);
}

static void
test_joined_read_that_never_settles_is_500(void **state)
{
	struct http_req *r;

	(void)state;
	account_active();
	r = joined_get("/api/v1/forgets/11", good_token());
	assert_int_equal(seen.reached, 1);
	assert_error(r, 500, "internal_error");
	assert_null(r->pending);
	req_free(r);
}

int
main(void)
{
	const struct CMUnitTest before_keys[] = {
		cmocka_unit_test(test_init_refuses_bad_settings),
	};
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_teardown(f, reset_arena)
		T(test_b64url_known_vectors),
		T(test_b64url_round_trips_every_length),
		T(test_b64url_refuses_bad_input),
		T(test_sha256_hex_known_vectors),
		T(test_roles_parse_and_name),
		T(test_require_role_and_agency),
		T(test_jwks_lists_the_rsa_keys),
		T(test_token_sign_output_passes),
		T(test_token_sign_refuses_bad_arguments),
		T(test_libjwt_verifies_and_reads_our_tokens),
		T(test_hand_signed_token_passes),
		T(test_older_trusted_key_is_chosen_by_kid),
		T(test_verify_contexts_are_reused_safely),
		T(test_memo_gives_the_first_answer_again),
		T(test_memo_still_checks_the_times),
		T(test_memo_answers_only_the_same_bytes),
		T(test_memo_overwritten_slots_give_each_token_its_own_claims),
		T(test_own_header_and_other_spellings_give_the_same_outcome),
		T(test_time_checks_allow_60_seconds_of_skew),
		T(test_extreme_times_do_not_overflow),
		T(test_expired_token_is_refused),
		T(test_future_nbf_is_refused),
		T(test_future_iat_is_refused),
		T(test_wrong_issuer_is_refused),
		T(test_missing_required_claims_are_refused),
		T(test_malformed_claims_are_refused),
		T(test_unknown_role_is_refused),
		T(test_unknown_kid_is_refused),
		T(test_alg_none_is_refused),
		T(test_other_algorithms_are_refused),
		T(test_hs256_with_public_key_as_secret_is_refused),
		T(test_token_signed_by_another_key_is_refused),
		T(test_tampered_token_is_refused),
		T(test_oversized_token_is_refused),
		T(test_garbage_is_refused),
		T(test_joined_read_settles_the_caller_from_its_own_row),
		T(test_joined_read_narrows_roles_to_the_database),
		T(test_joined_read_refuses_an_account_not_active_or_elsewhere),
		T(test_joined_read_checks_the_times_by_the_database_clock),
		T(test_joined_read_confines_a_system_account_as_dispatch_does),
		T(test_joined_read_without_a_token_where_optional_is_public),
		T(test_joined_read_that_never_settles_is_500),
#undef T
	};
	int failed;

	failed = cmocka_run_group_tests_name("auth_init", before_keys, NULL,
	    NULL);
	failed += cmocka_run_group_tests_name("auth", tests, keys_setup,
	    keys_teardown);
	return failed;
}
