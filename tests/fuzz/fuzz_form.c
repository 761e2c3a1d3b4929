/*
 * Fuzzes http.c's application/x-www-form-urlencoded decoder, which reads
 * every query string (before routing) and the token endpoint's form body,
 * then the query parameter readers a handler uses on what it decoded.
 *
 * Properties:
 * - http_parse_form agrees with a reference decoder written here from
 *   the rules ds.h and http.c state: pairs split at '&', empty pieces
 *   skipped, the first '=' splits key from value (none: value ""), '+'
 *   is a space, %XX needs two hex digits, %00 is refused, every key and
 *   value must be UTF-8, at most 64 pieces, a repeated key is refused;
 *   same verdict, same pairs in the same order;
 * - kv_get finds each decoded key's value;
 * - http_param_int_or_reply and http_param_bool_or_reply either give a
 *   value the reference reads the same way, or reply 422 naming the
 *   parameter;
 * - nothing reads outside the text (it is not NUL-terminated here) and
 *   nothing leaks.
 */
#include <errno.h>

#include "fuzz.h"

#define MAX_PAIRS	64

static struct arena *arena;

struct pair {
	char	*k, *v;
	size_t	 kn, vn;
};

static int
hex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes s[0..n) into a malloc'd string; NULL when refused. */
static char *
ref_decode(const char *s, size_t n, size_t *outlen)
{
	char *o = malloc(n + 1);
	size_t k = 0;

	if (o == NULL)
		abort();
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '+')
			o[k++] = ' ';
		else if (s[i] != '%')
			o[k++] = s[i];
		else if (n - i >= 3 && hex((unsigned char)s[i + 1]) >= 0 &&
		    hex((unsigned char)s[i + 2]) >= 0 &&
		    (s[i + 1] != '0' || s[i + 2] != '0')) {
			o[k++] = (char)(hex((unsigned char)s[i + 1]) * 16 +
			    hex((unsigned char)s[i + 2]));
			i += 2;
		} else {
			free(o);
			return NULL;
		}
	}
	o[k] = '\0';
	if (ref_utf8_count((unsigned char *)o, k) < 0) {
		free(o);
		return NULL;
	}
	*outlen = k;
	return o;
}

/* Returns the number of pairs, or -1 when the text is refused. */
static int
ref_form(const char *t, size_t len, struct pair *out)
{
	size_t start = 0, pieces = 1, np = 0;
	int rc = 0;

	for (size_t i = 0; i < len; i++)
		pieces += t[i] == '&';
	if (len == 0)
		return 0;
	if (pieces > MAX_PAIRS)
		return -1;
	while (start <= len && rc == 0) {
		const char *amp = memchr(t + start, '&', len - start);
		size_t end = amp != NULL ? (size_t)(amp - t) : len;
		const char *eq = memchr(t + start, '=', end - start);
		struct pair p;

		if (end > start) {
			size_t klen = eq ? (size_t)(eq - (t + start)) :
			    end - start;

			p.k = ref_decode(t + start, klen, &p.kn);
			p.v = eq ? ref_decode(eq + 1, end - start - klen - 1,
			    &p.vn) : strdup("");
			if (!eq)
				p.vn = 0;
			if (p.k == NULL || p.v == NULL)
				rc = -1;
			for (size_t i = 0; rc == 0 && i < np; i++)
				if (out[i].kn == p.kn &&
				    memcmp(out[i].k, p.k, p.kn) == 0)
					rc = -1;
			if (rc == 0)
				out[np++] = p;
			else {
				free(p.k);
				free(p.v);
			}
		}
		start = end + 1;
	}
	if (rc != 0) {
		while (np > 0) {
			np--;
			free(out[np].k);
			free(out[np].v);
		}
		return -1;
	}
	return (int)np;
}

/* The reference's reading of an integer parameter: optional '-' (no '+',
 * no leading space), decimal digits, in range. */
static bool
ref_int(const char *s, long long min, long long max, long long *out)
{
	char *end;
	long long v;
	char d = *s == '-' ? s[1] : s[0];

	if (d < '0' || d > '9')
		return false;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return false;
	*out = v;
	return true;
}

static void
check_params(struct http_req *r, const struct pair *p, int np)
{
	static const struct {
		const char	*key;
		long long	 min, max;
	} ints[] = { { "limit", 1, 200 }, { "year", 1900, 9999 },
	    { "id", 1, 1LL << 53 } };
	long long v = 0, want;
	bool b;

	for (size_t i = 0; i < NPARAMS(ints); i++) {
		const char *s = NULL;
		bool ok;
		int st;

		for (int k = 0; k < np; k++)
			if (strcmp(p[k].k, ints[i].key) == 0)
				s = p[k].v;
		st = http_param_int_or_reply(r, ints[i].key, -7, ints[i].min,
		    ints[i].max, &v);
		ok = s == NULL || ref_int(s, ints[i].min, ints[i].max, &want);
		FUZZ_CHECK((st == DS_OK) == ok, "?%s=%s: core %d, reference %d",
		    ints[i].key, s ? s : "(absent)", st, ok);
		if (st == DS_OK)
			FUZZ_CHECK(v == (s == NULL ? -7 : want), "?%s read as "
			    "%lld", ints[i].key, v);
		else {
			FUZZ_CHECK(r->status == 422 && fuzz_detail_count(r) == 1,
			    "status %d", r->status);
			fuzz_check_response(r);
		}
		json_object_put(r->resp);
		r->resp = NULL;
		r->status = 0;
	}
	{
		const char *s = kv_get(r->params, r->nparams, "open");
		int st = http_param_bool_or_reply(r, "open", &b);

		FUZZ_CHECK((st == DS_OK) == (s == NULL ||
		    strcmp(s, "true") == 0 || strcmp(s, "false") == 0),
		    "?open=%s", s);
		FUZZ_CHECK(st != DS_OK || b == (s != NULL &&
		    strcmp(s, "true") == 0), "?open=%s read as %d", s, b);
		if (st != DS_OK)
			fuzz_check_response(r);
	}
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	arena = arena_new();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_copy(data, size, false);
	struct pair ref[MAX_PAIRS];
	struct http_req r;
	struct kv *kv = NULL;
	size_t n = 0;
	int st, np;

	fuzz_req_init(&r, arena);
	st = http_parse_form(arena, text, size, &kv, &n);
	np = ref_form(text, size, ref);
	FUZZ_CHECK((st == DS_OK) == (np >= 0), "http_parse_form %d, the "
	    "reference %d: %.*s", st, np, (int)(size > 200 ? 200 : size), text);
	if (st == DS_OK) {
		FUZZ_CHECK(n == (size_t)np, "%zu pairs, the reference %d", n, np);
		FUZZ_CHECK(n == 0 || kv != NULL, "no pairs array");
		for (size_t i = 0; i < n; i++) {
			FUZZ_CHECK(strlen(kv[i].key) == ref[i].kn &&
			    memcmp(kv[i].key, ref[i].k, ref[i].kn) == 0 &&
			    strlen(kv[i].value) == ref[i].vn &&
			    memcmp(kv[i].value, ref[i].v, ref[i].vn) == 0,
			    "pair %zu differs", i);
			FUZZ_CHECK(kv_get(kv, n, ref[i].k) == kv[i].value,
			    "kv_get(%s)", ref[i].k);
		}
		r.params = kv;
		r.nparams = n;
		check_params(&r, ref, np);
	}
	for (int i = 0; i < np; i++) {
		free(ref[i].k);
		free(ref[i].v);
	}
	fuzz_req_done(&r);
	free(text);
	return 0;
}
