/*
 * Encodings core shares with the modules: base64url without padding
 * (RFC 4648 section 5), the alphabet of JWS (RFC 7515) and of our random
 * secrets, and SHA-256 in hex (the hash chains, derived files' keys).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include <openssl/evp.h>

#include "ds.h"

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
