/*
 * Shared helpers for the libFuzzer harnesses (tests/fuzz/README.md).
 *
 * A harness does not only look for crashes: it states what must hold for
 * every input (a property) and calls FUZZ_CHECK, which prints the broken
 * property and aborts, so libFuzzer saves the input as a crash. Each
 * harness includes this file once; everything here is static.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ds.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	LLVMFuzzerInitialize(int *, char ***);

#define FUZZ_CHECK(cond, ...) do {					\
	if (!(cond)) {							\
		fprintf(stderr, "property broken at %s:%d: %s\n",	\
		    __FILE__, __LINE__, #cond);				\
		fprintf(stderr, "  " __VA_ARGS__);			\
		fputc('\n', stderr);					\
		abort();						\
	}								\
} while (0)

/* A malloc'd copy of data[0..n) with nothing after it, so that reading
 * one byte too far is an ASan report; or, with nul, NUL-terminated as the
 * server's copies are. The caller frees it. */
static inline char *
fuzz_copy(const uint8_t *data, size_t n, bool nul)
{
	char *p = malloc(n + (nul ? 1 : 0) + (n == 0 && !nul ? 1 : 0));

	if (p == NULL)
		abort();
	if (n > 0)
		memcpy(p, data, n);
	if (nul)
		p[n] = '\0';
	return p;
}

/* Splits data at the first '\n': *line gets a NUL-terminated copy of what
 * comes before (arena), data and n move past it. Without a '\n' the whole
 * rest is the line. */
static inline const char *
fuzz_line(struct arena *a, const uint8_t **data, size_t *n)
{
	const uint8_t *nl = memchr(*data, '\n', *n);
	size_t k = nl != NULL ? (size_t)(nl - *data) : *n;
	char *s = arena_strndup(a, (const char *)*data, k);

	*data += k + (nl != NULL ? 1 : 0);
	*n -= k + (nl != NULL ? 1 : 0);
	return s;
}

/*
 * A reference UTF-8 check, written apart from core's utf8_length from
 * the table of well-formed byte sequences (Unicode 15, table 3-7).
 * Returns the number of code points, or -1 (NUL is refused, as core
 * refuses it).
 */
static inline long
ref_utf8_count(const unsigned char *s, size_t len)
{
	size_t i = 0;
	long n = 0;

	while (i < len) {
		unsigned char b = s[i];
		unsigned char lo = 0x80, hi = 0xbf;
		size_t need;

		if (b == 0)
			return -1;
		if (b <= 0x7f) {
			i++;
			n++;
			continue;
		}
		if (b >= 0xc2 && b <= 0xdf)
			need = 1;
		else if (b == 0xe0) {
			need = 2;
			lo = 0xa0;
		} else if ((b >= 0xe1 && b <= 0xec) || b == 0xee || b == 0xef)
			need = 2;
		else if (b == 0xed) {
			need = 2;
			hi = 0x9f;
		} else if (b == 0xf0) {
			need = 3;
			lo = 0x90;
		} else if (b >= 0xf1 && b <= 0xf3)
			need = 3;
		else if (b == 0xf4) {
			need = 3;
			hi = 0x8f;
		} else
			return -1;
		if (len - i - 1 < need)
			return -1;
		if (s[i + 1] < lo || s[i + 1] > hi)
			return -1;
		for (size_t k = 2; k <= need; k++)
			if (s[i + k] < 0x80 || s[i + k] > 0xbf)
				return -1;
		i += need + 1;
		n++;
	}
	return n;
}

/* A request as server.c's worker loop builds it, on an arena kept across
 * inputs (reset after each, as the worker does). */
static inline void
fuzz_req_init(struct http_req *r, struct arena *a)
{
	memset(r, 0, sizeof(*r));
	r->arena = a;
	r->method = "GET";
	r->path = "/";
	r->request_id = "fuzz-0001";
}

/* Puts what the request still holds and empties the arena. */
static inline void
fuzz_req_done(struct http_req *r)
{
	json_object_put(r->resp);
	json_object_put(r->json);
	json_object_put(r->details);
	r->resp = r->json = r->details = NULL;
	arena_reset(r->arena);
}

/*
 * The response, whatever it is, must be what write_response() can send
 * and a client can read: a known status, and a body that serialises to
 * JSON the strict parser takes back (valid UTF-8, no NUL, nothing
 * non-finite). An error is the envelope of DESIGN.md. No bad input may
 * yield a 500.
 */
static inline void
fuzz_check_response(const struct http_req *r)
{
	static const int known[] = { 200, 201, 204, 400, 401, 403, 404, 405,
	    409, 413, 415, 422 };
	json_object *back, *err, *v, *details;
	const char *text;
	char why[160];
	bool ok = false;

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		ok = ok || r->status == known[i];
	FUZZ_CHECK(ok, "status %d", r->status);
	FUZZ_CHECK(r->resp != NULL || r->resp_raw != NULL || r->status == 204,
	    "status %d without a body", r->status);
	if (r->resp == NULL)
		return;
	text = json_object_to_json_string_ext(r->resp,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	back = json_parse_strict(text, strlen(text), why, sizeof(why));
	FUZZ_CHECK(back != NULL, "the response is not strict JSON (%s): %s",
	    why, text);
	json_object_put(back);
	if (r->status < 400)
		return;
	FUZZ_CHECK(json_object_object_get_ex(r->resp, "error", &err) &&
	    json_object_object_get_ex(err, "code", &v) &&
	    json_object_is_type(v, json_type_string) &&
	    json_object_object_get_ex(err, "message", &v) &&
	    json_object_is_type(v, json_type_string) &&
	    json_object_object_get_ex(err, "request_id", &v) &&
	    json_object_is_type(v, json_type_string) &&
	    json_object_object_get_ex(err, "details", &details) &&
	    json_object_is_type(details, json_type_array),
	    "not the error envelope: %s", text);
}

/* How many entries the error envelope's details has (0 without one). */
static inline size_t
fuzz_detail_count(const struct http_req *r)
{
	json_object *err, *details;

	if (r->resp == NULL ||
	    !json_object_object_get_ex(r->resp, "error", &err) ||
	    !json_object_object_get_ex(err, "details", &details))
		return 0;
	return json_object_array_length(details);
}

#endif /* FUZZ_H */
