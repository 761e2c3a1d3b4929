/*
 * Fuzzes gw_parse.c, the gateway's parsing of what consumers and
 * providers send (issue 18), against references written here from the
 * rules docs/gateway.md and ds.h state.
 *
 * The input's first byte picks the part (any other byte: its value
 * modulo 5), the rest is its text, read up to its first NUL as the
 * gateway's strings are:
 *   'p' a call's path          gw_path_split, then gw_path_encode of the
 *                              rest it gives (of the whole text when it
 *                              names no service)
 *   'e' a FastCGI variable     gw_header_from_env, gw_header_forwarded
 *                              ("HTTP_X_FOO=v")
 *   'h' a provider's header    gw_header_valid, gw_header_passed, split
 *       line "Name: value"     as forward.c's on_header splits it
 *   't' template \n path       gw_template_matches
 *   'o' method \n path \n doc  gw_openapi_declares
 *
 * Properties:
 * - path: the split succeeds exactly when the path is "/gw/", an agency
 *   code of 1-32 letters, digits, '.', '_', '-', a '/', a service code of
 *   1-64 letters, digits, '-', then nothing or '/' and anything; the
 *   codes are those bytes and the rest starts with '/' ("/" when nothing
 *   follows), and "/gw/" agency "/" service rest gives the path back;
 * - path_encode: the output is the reference's (unreserved,
 *   sub-delimiters, ':', '@', '/' kept, every other byte %XX in upper
 *   case), holds nothing else (no '?', '#', space or bare '%'), is at
 *   most three times as long and decodes back to the input;
 * - a consumer's header: "HTTP_" NAME "=" VALUE gives the line
 *   "Name: VALUE", each '_' a '-', each letter lower case but the first
 *   and those after a '-', exactly when the name is a token and the value
 *   has no control character (tab aside) and the header goes on: never a
 *   hop-by-hop one (Connection, Keep-Alive, Proxy-*, TE, Trailer(s),
 *   Transfer-Encoding, Upgrade), Host, Authorization, Cookie, Expect,
 *   Content-Length, Content-Type, Proxy or X-Datashare-*, in any case;
 * - a provider's header: valid exactly when the name is a non-empty
 *   token and the value has no control character but tab; passed to the
 *   consumer exactly when it is none of the hop-by-hop ones, Status,
 *   X-Accel-*, X-Request-Id, X-Request-Hash, X-Gateway-Error,
 *   X-Datashare-*, Content-Length;
 * - a template never matches a path that a reading of it as a pattern
 *   ("{...}" standing for one or more bytes other than '/') does not
 *   match; a template whose "{name}"s are whole segments matches exactly
 *   the paths with as many segments, each equal or, under a "{name}",
 *   not empty; one without '{' only itself;
 * - a document declares method+path only when a "paths" key (as json-c
 *   reads the document) is such a pattern of the path and its item, an
 *   object, holds the method in lower case (or "get" for HEAD), and does
 *   whenever a whole-segment key matches so;
 * - nothing read out of bounds, nothing leaked.
 */
#include "fuzz.h"

#define ALNUM	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

/* ------------------------------------------------------------------ */
/* the path                                                             */

/* The rule: "/gw/" agency "/" service, then nothing or '/'. */
static bool
ref_split(const char *path, size_t *alen, size_t *slen, const char **rest)
{
	const char *a, *s;

	if (strncmp(path, "/gw/", 4) != 0)
		return false;
	a = path + 4;
	*alen = strspn(a, ALNUM "._-");
	if (*alen < 1 || *alen > 32 || a[*alen] != '/')
		return false;
	s = a + *alen + 1;
	*slen = strspn(s, ALNUM "-");
	if (*slen < 1 || *slen > 64 || (s[*slen] != '/' && s[*slen] != '\0'))
		return false;
	*rest = s[*slen] == '\0' ? "/" : s + *slen;
	return true;
}

static bool
in_set(unsigned char c, const char *set)
{
	return c != '\0' && strchr(set, c) != NULL;
}

static void
ref_encode(const char *in, char *out)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *in != '\0'; in++) {
		unsigned char c = (unsigned char)*in;

		if (in_set(c, ALNUM "-._~" "!$&'()*+,;=" ":@/"))
			*out++ = (char)c;
		else {
			*out++ = '%';
			*out++ = hex[c >> 4];
			*out++ = hex[c & 15];
		}
	}
	*out = '\0';
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void
check_encode(struct arena *a, const char *in)
{
	const char *out = gw_path_encode(a, in);
	size_t n = strlen(in), m = strlen(out), k = 0;
	char *want = malloc(n * 3 + 1), *back = malloc(n + 1);

	if (want == NULL || back == NULL)
		abort();
	ref_encode(in, want);
	FUZZ_CHECK(strcmp(out, want) == 0, "encode: \"%s\", expected \"%s\"",
	    out, want);
	FUZZ_CHECK(m <= 3 * n, "encode: %zu bytes of %zu", m, n);
	for (size_t i = 0; i < m; i++) {
		unsigned char c = (unsigned char)out[i];

		if (c == '%') {
			int hi = hexval(out[i + 1]), lo = hi < 0 ? -1 :
			    hexval(out[i + 2]);

			FUZZ_CHECK(hi >= 0 && lo >= 0, "encode: bare %% in %s",
			    out);
			back[k++] = (char)(hi * 16 + lo);
			i += 2;
			continue;
		}
		FUZZ_CHECK(in_set(c, ALNUM "-._~!$&'()*+,;=:@/"),
		    "encode: byte 0x%02x left in %s", c, out);
		back[k++] = (char)c;
	}
	FUZZ_CHECK(k == n && memcmp(back, in, n) == 0,
	    "encode: %s does not decode back", out);
	free(want);
	free(back);
}

static void
check_path(struct arena *a, const char *path)
{
	const char *agency = NULL, *service = NULL, *rest = NULL, *wrest;
	size_t alen = 0, slen = 0;
	bool ok = gw_path_split(a, path, &agency, &service, &rest);
	bool want = ref_split(path, &alen, &slen, &wrest);
	char *again;

	FUZZ_CHECK(ok == want, "split \"%s\": %d, reference %d", path, ok,
	    want);
	if (!ok) {
		FUZZ_CHECK(agency == NULL && service == NULL && rest == NULL,
		    "split \"%s\": outputs set on a refusal", path);
		check_encode(a, path);
		return;
	}
	FUZZ_CHECK(strlen(agency) == alen && strspn(agency, ALNUM "._-") ==
	    alen && memcmp(agency, path + 4, alen) == 0,
	    "split \"%s\": agency \"%s\"", path, agency);
	FUZZ_CHECK(strlen(service) == slen && strspn(service, ALNUM "-") ==
	    slen && memcmp(service, path + 5 + alen, slen) == 0,
	    "split \"%s\": service \"%s\"", path, service);
	FUZZ_CHECK(rest[0] == '/' && strcmp(rest, wrest) == 0,
	    "split \"%s\": rest \"%s\", expected \"%s\"", path, rest, wrest);
	again = arena_printf(a, "/gw/%s/%s%s", agency, service,
	    path[5 + alen + slen] == '\0' ? "" : rest);
	FUZZ_CHECK(strcmp(again, path) == 0, "split \"%s\": gives back \"%s\"",
	    path, again);
	check_encode(a, rest);
}

/* ------------------------------------------------------------------ */
/* headers                                                              */

static bool
ref_tchar(unsigned char c)
{
	return in_set(c, ALNUM "!#$%&'*+-.^_`|~");
}

static bool
ref_token(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (!ref_tchar((unsigned char)*s))
			return false;
	return true;
}

/* No control character (RFC 5234's CTL: 0x00-0x1f, 0x7f) but tab. */
static bool
ref_value(const char *s)
{
	for (; *s != '\0'; s++)
		if (((unsigned char)*s < 0x20 && *s != '\t') ||
		    (unsigned char)*s == 0x7f)
			return false;
	return true;
}

static bool
ref_hop(const char *n)
{
	static const char *const hop[] = { "connection", "keep-alive", "te",
	    "trailer", "trailers", "transfer-encoding", "upgrade", NULL };

	for (size_t i = 0; hop[i] != NULL; i++)
		if (strcasecmp(n, hop[i]) == 0)
			return true;
	return strncasecmp(n, "proxy-", 6) == 0;
}

static bool
ref_forwarded(const char *n)
{
	static const char *const never[] = { "host", "authorization",
	    "cookie", "expect", "content-length", "content-type", "proxy",
	    NULL };

	for (size_t i = 0; never[i] != NULL; i++)
		if (strcasecmp(n, never[i]) == 0)
			return false;
	return !ref_hop(n) && strncasecmp(n, "x-datashare-", 12) != 0;
}

static bool
ref_passed(const char *n)
{
	static const char *const never[] = { "status", "x-request-id",
	    "x-request-hash", "x-gateway-error", "content-length", NULL };

	for (size_t i = 0; never[i] != NULL; i++)
		if (strcasecmp(n, never[i]) == 0)
			return false;
	return !ref_hop(n) && strncasecmp(n, "x-accel-", 8) != 0 &&
	    strncasecmp(n, "x-datashare-", 12) != 0;
}

/* The line for "HTTP_" NAME "=" VALUE, or NULL (malloc'd). */
static char *
ref_from_env(const char *kv)
{
	const char *eq = strchr(kv, '='), *name = kv + 5;
	size_t n;
	char *line;

	if (strncmp(kv, "HTTP_", 5) != 0 || eq == NULL || eq == name)
		return NULL;
	n = (size_t)(eq - name);
	if ((line = malloc(n + 2 + strlen(eq + 1) + 1)) == NULL)
		abort();
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		bool first = i == 0 || name[i - 1] == '_' || name[i - 1] == '-';

		line[i] = c == '_' ? '-' : !first && c >= 'A' && c <= 'Z' ?
		    (char)(c - 'A' + 'a') : c;
	}
	line[n] = '\0';
	if (!ref_token(line) || !ref_value(eq + 1) || !ref_forwarded(line)) {
		free(line);
		return NULL;
	}
	strcat(line, ": ");
	strcat(line, eq + 1);
	return line;
}

static void
check_env(struct arena *a, const char *kv)
{
	const char *got = gw_header_from_env(a, kv), *colon;
	char *want = ref_from_env(kv), *name;

	FUZZ_CHECK((got == NULL) == (want == NULL) && (got == NULL ||
	    strcmp(got, want) == 0), "\"%s\": \"%s\", expected \"%s\"", kv,
	    got ? got : "(none)", want ? want : "(none)");
	if (got != NULL) {
		/* What libcurl sends: the name up to the first ':'. */
		colon = strchr(got, ':');
		name = arena_strndup(a, got, (size_t)(colon - got));
		FUZZ_CHECK(ref_token(name) && ref_value(colon + 1) &&
		    ref_forwarded(name), "\"%s\" sent as \"%s\"", kv, got);
	}
	free(want);
	/* The text as a header name, as request_headers never gives it. */
	FUZZ_CHECK(gw_header_forwarded(kv) == ref_forwarded(kv),
	    "forwarded(\"%s\")", kv);
	FUZZ_CHECK(gw_hop_by_hop(kv) == ref_hop(kv), "hop_by_hop(\"%s\")", kv);
}

/* A header line split as on_header splits it: the name up to the first
 * ':', the value after it less leading blanks. */
static void
check_head(struct arena *a, const char *line)
{
	const char *colon = strchr(line, ':'), *value;
	char *name;
	bool valid, passed;

	for (const char *p = line; *p != '\0'; p++)
		FUZZ_CHECK(gw_token_char(*p) == ref_tchar((unsigned char)*p),
		    "token_char(0x%02x)", (unsigned char)*p);
	if (colon == NULL)
		return;
	name = arena_strndup(a, line, (size_t)(colon - line));
	for (value = colon + 1; *value == ' ' || *value == '\t'; value++)
		;
	valid = gw_header_valid(name, value);
	passed = gw_header_passed(name);
	FUZZ_CHECK(valid == (ref_token(name) && ref_value(value)),
	    "valid(\"%s\", \"%s\"): %d", name, value, valid);
	FUZZ_CHECK(passed == ref_passed(name), "passed(\"%s\"): %d", name,
	    passed);
}

/* ------------------------------------------------------------------ */
/* templates and OpenAPI documents                                      */

/*
 * The template as a pattern: "{" up to the next "}" stands for one or
 * more bytes other than '/', every other byte (an unclosed '{' too) for
 * itself. Dynamic programming over (template, path) positions: m[t][p],
 * tpl[t..] matches path[p..]; in[t][p], the same after a "{...}" that
 * has taken at least one byte, whose '}' is at t - 1.
 */
static bool
ref_pattern(const char *tpl, const char *path)
{
	size_t nt = strlen(tpl), np = strlen(path), w = np + 1;
	bool *m = calloc((nt + 1) * w, sizeof(bool));
	bool *in = calloc((nt + 1) * w, sizeof(bool)), r;

	if (m == NULL || in == NULL)
		abort();
	for (size_t t = nt + 1; t-- > 0;) {
		const char *close = tpl[t] == '{' ? strchr(tpl + t, '}') : NULL;

		for (size_t p = np + 1; p-- > 0;) {
			if (t == nt)
				m[t * w + p] = p == np;
			else if (close != NULL)
				m[t * w + p] = p < np && path[p] != '/' &&
				    in[(size_t)(close - tpl + 1) * w + p + 1];
			else
				m[t * w + p] = p < np && tpl[t] == path[p] &&
				    m[(t + 1) * w + p + 1];
			/* after a "{...}": take one byte more, or stop */
			in[t * w + p] = m[t * w + p] || (p < np &&
			    path[p] != '/' && in[t * w + p + 1]);
		}
	}
	r = m[0];
	free(m);
	free(in);
	return r;
}

/* Whether every '{' of tpl opens a whole segment "{name}": at the start
 * or after '/', closed by a '}' before any '/' or '{', and followed by
 * '/' or the end. */
static bool
whole_segments(const char *tpl)
{
	for (const char *p = tpl; (p = strchr(p, '{')) != NULL; p++) {
		size_t n = strcspn(p + 1, "/{}");

		if ((p != tpl && p[-1] != '/') || p[1 + n] != '}' ||
		    (p[2 + n] != '/' && p[2 + n] != '\0'))
			return false;
	}
	return true;
}

/* The rule as ds.h states it, for whole-segment templates: as many
 * segments, each equal, or non-empty under a "{name}". */
static bool
ref_segments(const char *tpl, const char *path)
{
	for (;;) {
		size_t tn = strcspn(tpl, "/"), pn = strcspn(path, "/");

		if (tpl[0] == '{' ? pn == 0 : tn != pn ||
		    memcmp(tpl, path, tn) != 0)
			return false;
		if (tpl[tn] == '\0' || path[pn] == '\0')
			return tpl[tn] == '\0' && path[pn] == '\0';
		tpl += tn + 1;
		path += pn + 1;
	}
}

static void
check_template(const char *tpl, const char *path)
{
	bool got = gw_template_matches(tpl, path);

	FUZZ_CHECK(!got || ref_pattern(tpl, path),
	    "\"%s\" matches \"%s\", which its pattern does not", tpl, path);
	if (whole_segments(tpl))
		FUZZ_CHECK(got == ref_segments(tpl, path),
		    "\"%s\" vs \"%s\": %d", tpl, path, got);
	if (strchr(tpl, '{') == NULL)
		FUZZ_CHECK(got == (strcmp(tpl, path) == 0),
		    "\"%s\" vs \"%s\": %d", tpl, path, got);
}

static void
check_openapi(const char *method, const char *path, const char *doc)
{
	static const char *const methods[] = { "GET", "POST", "PUT", "PATCH",
	    "DELETE", "HEAD", NULL };
	json_object *o, *paths;
	bool got, some = false, whole = false;
	char lower[8];
	size_t i;

	for (i = 0; methods[i] != NULL && strcmp(methods[i], method) != 0;
	    i++)
		;
	if (methods[i] == NULL)
		return;		/* the router gives no other method */
	for (i = 0; method[i] != '\0'; i++)
		lower[i] = (char)(method[i] - 'A' + 'a');
	lower[i] = '\0';
	got = gw_openapi_declares(doc, method, path);
	o = json_tokener_parse(doc);
	if (o != NULL && json_object_object_get_ex(o, "paths", &paths) &&
	    json_object_is_type(paths, json_type_object)) {
		json_object_object_foreach(paths, key, item) {
			bool has = json_object_is_type(item,
			    json_type_object) &&
			    (json_object_object_get_ex(item, lower, NULL) ||
			    (strcmp(lower, "head") == 0 &&
			    json_object_object_get_ex(item, "get", NULL)));

			if (has && ref_pattern(key, path))
				some = true;
			if (has && whole_segments(key) &&
			    ref_segments(key, path))
				whole = true;
		}
	}
	json_object_put(o);
	FUZZ_CHECK(!got || some, "%s %s declared by no key", method, path);
	FUZZ_CHECK(got || !whole, "%s %s: a key declares it, refused", method,
	    path);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char parts[] = "pehto";
	struct arena *a;
	const char *p;
	char *text, part;

	if (size == 0)
		return 0;
	part = strchr(parts, data[0]) != NULL ? (char)data[0] :
	    parts[data[0] % 5];
	a = arena_new();
	text = fuzz_copy(data + 1, size - 1, true);
	switch (part) {
	case 'p':
		check_path(a, text);
		break;
	case 'e':
		check_env(a, text);
		break;
	case 'h':
		check_head(a, text);
		break;
	case 't': {
		const uint8_t *d = data + 1;
		size_t n = strlen(text);

		p = fuzz_line(a, &d, &n);
		check_template(p, arena_strndup(a, (const char *)d, n));
		break;
	}
	default: {
		const uint8_t *d = data + 1;
		size_t n = strlen(text);
		const char *method = fuzz_line(a, &d, &n);

		p = fuzz_line(a, &d, &n);
		check_openapi(method, p, arena_strndup(a, (const char *)d, n));
		break;
	}
	}
	free(text);
	arena_free(a);
	return 0;
}
