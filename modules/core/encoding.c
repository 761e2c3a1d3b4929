/*
 * Encodings core shares with the modules: base64url without padding
 * (RFC 4648 section 5), the alphabet of JWS (RFC 7515) and of our random
 * secrets, and SHA-256 in hex (the hash chains, derived files' keys).
 * libsodium, already linked for the secrets, does the coding.
 */
#include <limits.h>
#include <stdlib.h>

#include <openssl/evp.h>
#include <sodium.h>

#include "ds.h"

char *
b64url_encode(struct arena *a, const unsigned char *in, size_t len)
{
	size_t n = sodium_base64_ENCODED_LEN(len,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	char *out = arena_alloc(a, n);

	return sodium_bin2base64(out, n, in, len,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

long
b64url_decode(struct arena *a, const char *in, size_t len, unsigned char **out)
{
	unsigned char *o;
	size_t n;

	if (len > LONG_MAX / 2)
		return -1;
	/* Debian 12's libsodium 1.0.18 takes every byte from 0x80 up as a
	 * character of the alphabet (checked here: all 128 of them decode),
	 * so the alphabet is checked first. */
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return -1;
	}
	o = arena_alloc(a, len * 3 / 4 + 1);
	/* libsodium refuses padding, a length that leaves a lone character
	 * and non-zero trailing bits: one spelling per value, or a token
	 * would have two. */
	if (sodium_base642bin(o, len * 3 / 4 + 1, in, len, NULL, &n, NULL,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
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
	sodium_bin2hex(out, 65, md, sizeof(md));
}
