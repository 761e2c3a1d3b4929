/*
 * Fuzzes json.c: json_parse_strict on any bytes, then json_read_or_reply
 * with a spec that has every field type, each checked against a reference
 * written apart from core.
 *
 * Properties:
 * - utf8_length agrees with a table-driven UTF-8 reference on the input;
 * - what json_parse_strict accepts is JSON as ds.h promises it (a
 *   reference parser here: RFC 8259 grammar, no duplicate key after
 *   unescaping, no NUL raw or escaped, valid UTF-8, at most JSON_MAX_DEPTH
 *   levels, finite numbers, nothing after the value but white space);
 *   json-c's own leniencies that the contract does not forbid ("1.",
 *   "-01", "-.5") are allowed; raw control characters in strings are
 *   not (RFC 8259 section 7);
 * - what the reference finds RFC-valid with an object or array on top,
 *   json_parse_strict accepts (no valid request is refused);
 * - json_read_or_reply accepts an object exactly when every member is
 *   declared and valid for its type (null: not for a required field, nor
 *   in a PATCH for one that is not F_NULLABLE) and every required field
 *   is there;
 *   what it hands back is what was sent (no truncation at a NUL, dates
 *   as given, RFC 3339 times converted to the UTC the reference
 *   computes); a refusal is a 422 naming fields; no leak;
 * - roles_from_json takes an array of exact role names only.
 */
#include <ctype.h>
#include <math.h>

#include "fuzz.h"

/* ------------------------------------------------------------------ */
/* reference JSON parser                                                */

#define REF_MAX_KEYS	256

struct ref {
	const unsigned char	*p, *end;
	int			 depth;
	bool			 lenient;	/* used a json-c leniency */
	bool			 top_container;
};

static bool ref_value(struct ref *);

static bool
ref_ws(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void
ref_skip(struct ref *x)
{
	while (x->p < x->end && ref_ws(*x->p))
		x->p++;
}

static int
ref_hex4(const unsigned char *p)
{
	int v = 0;

	for (int i = 0; i < 4; i++) {
		int c = p[i], d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return -1;
		v = v * 16 + d;
	}
	return v;
}

static size_t
ref_put_utf8(unsigned char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (unsigned char)(0xc0 | cp >> 6);
		o[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (unsigned char)(0xe0 | cp >> 12);
		o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (unsigned char)(0xf0 | cp >> 18);
	o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

/* A string at x->p ('"'); its decoded bytes go to out (malloc'd, caller
 * frees) when out is not NULL. A lone surrogate is refused by the
 * contract (json-c would decode it to U+FFFD, changing the value). */
static bool
ref_string(struct ref *x, unsigned char **out, size_t *outlen)
{
	unsigned char *o = malloc((size_t)(x->end - x->p) * 3 + 4);
	size_t n = 0;

	if (o == NULL)
		abort();
	x->p++;
	while (x->p < x->end && *x->p != '"') {
		unsigned char c = *x->p;

		if (c < 0x20)
			goto bad;
		if (c != '\\') {
			o[n++] = c;
			x->p++;
			continue;
		}
		if (x->end - x->p < 2)
			goto bad;
		c = x->p[1];
		x->p += 2;
		switch (c) {
		case '"': case '\\': case '/':
			o[n++] = c;
			break;
		case 'b': o[n++] = '\b'; break;
		case 'f': o[n++] = '\f'; break;
		case 'n': o[n++] = '\n'; break;
		case 'r': o[n++] = '\r'; break;
		case 't': o[n++] = '\t'; break;
		case 'u': {
			int cp, lo;

			if (x->end - x->p < 4 || (cp = ref_hex4(x->p)) < 0)
				goto bad;
			x->p += 4;
			if (cp == 0)
				goto bad;	/* NUL: refused by the contract */
			if (cp >= 0xd800 && cp <= 0xdbff && x->end - x->p >= 6 &&
			    x->p[0] == '\\' && x->p[1] == 'u' &&
			    (lo = ref_hex4(x->p + 2)) >= 0xdc00 && lo <= 0xdfff) {
				x->p += 6;
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				    (lo - 0xdc00);
			} else if (cp >= 0xd800 && cp <= 0xdfff)
				goto bad;	/* lone surrogate: refused */
			n += ref_put_utf8(o + n, (unsigned)cp);
			break;
		}
		default:
			goto bad;
		}
	}
	if (x->p >= x->end)
		goto bad;
	x->p++;
	if (out != NULL) {
		*out = o;
		*outlen = n;
	} else
		free(o);
	return true;
bad:
	free(o);
	return false;
}

static bool
ref_digits(struct ref *x)
{
	const unsigned char *s = x->p;

	while (x->p < x->end && isdigit(*x->p))
		x->p++;
	return x->p > s;
}

static bool
ref_number(struct ref *x)
{
	const unsigned char *s = x->p, *digits;
	char *buf;
	size_t len;
	bool finite, minus = *x->p == '-', intd, frac = false;

	if (minus)
		x->p++;
	digits = x->p;
	if ((intd = ref_digits(x))) {
		if (*digits == '0' && x->p - digits > 1)
			x->lenient = true;	/* "-01" */
	} else if (minus && x->p < x->end && *x->p == '.')
		x->lenient = true;		/* "-.5" */
	else
		return false;
	if (x->p < x->end && *x->p == '.') {
		x->p++;
		if (!(frac = ref_digits(x)))
			x->lenient = true;	/* "1." */
	}
	if (!intd && !frac)
		return false;			/* "-." */
	if (x->p < x->end && (*x->p == 'e' || *x->p == 'E')) {
		x->p++;
		if (x->p < x->end && (*x->p == '+' || *x->p == '-'))
			x->p++;
		if (!ref_digits(x))
			return false;
	}
	/* A number json-c reads as a double must be finite; an integer it
	 * saturates, never infinite. */
	len = (size_t)(x->p - s);
	if (memchr(s, '.', len) == NULL && memchr(s, 'e', len) == NULL &&
	    memchr(s, 'E', len) == NULL)
		return true;
	if ((buf = malloc(len + 1)) == NULL)
		abort();
	memcpy(buf, s, len);
	buf[len] = '\0';
	finite = isfinite(strtod(buf, NULL));
	free(buf);
	return finite;
}

static bool
ref_literal(struct ref *x, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(x->end - x->p) < n || memcmp(x->p, word, n) != 0)
		return false;
	x->p += n;
	return true;
}

struct key {
	unsigned char	*s;
	size_t		 n;
};

static bool
ref_container(struct ref *x, bool obj)
{
	struct key keys[REF_MAX_KEYS];
	size_t nkeys = 0;
	bool ok = false;

	if (++x->depth > JSON_MAX_DEPTH)
		return false;
	x->p++;
	ref_skip(x);
	if (x->p < x->end && *x->p == (obj ? '}' : ']')) {
		x->p++;
		x->depth--;
		return true;
	}
	for (;;) {
		ref_skip(x);
		if (obj) {
			struct key k;

			if (x->p >= x->end || *x->p != '"' ||
			    !ref_string(x, &k.s, &k.n))
				goto done;
			for (size_t i = 0; i < nkeys; i++)
				if (keys[i].n == k.n &&
				    memcmp(keys[i].s, k.s, k.n) == 0) {
					free(k.s);
					goto done;	/* duplicate */
				}
			if (nkeys == REF_MAX_KEYS) {
				free(k.s);
				goto done;	/* not worth deciding */
			}
			keys[nkeys++] = k;
			ref_skip(x);
			if (x->p >= x->end || *x->p != ':')
				goto done;
			x->p++;
		}
		if (!ref_value(x))
			goto done;
		ref_skip(x);
		if (x->p >= x->end)
			goto done;
		if (*x->p == ',') {
			x->p++;
			continue;
		}
		if (*x->p == (obj ? '}' : ']')) {
			x->p++;
			ok = true;
		}
		break;
	}
done:
	while (nkeys > 0)
		free(keys[--nkeys].s);
	x->depth--;
	return ok;
}

static bool
ref_value(struct ref *x)
{
	ref_skip(x);
	if (x->p >= x->end)
		return false;
	switch (*x->p) {
	case '{':
		return ref_container(x, true);
	case '[':
		return ref_container(x, false);
	case '"':
		return ref_string(x, NULL, NULL);
	case 't':
		return ref_literal(x, "true");
	case 'f':
		return ref_literal(x, "false");
	case 'n':
		return ref_literal(x, "null");
	default:
		return ref_number(x);
	}
}

/* Whether text is one JSON value per the contract; *lenient tells
 * whether it used one of json-c's tolerated extensions. */
static bool
ref_json(const unsigned char *text, size_t len, bool *lenient, bool *top)
{
	struct ref x = { text, text + len, 0, false, false };
	bool ok;

	if (ref_utf8_count(text, len) < 0)
		return false;
	ref_skip(&x);
	x.top_container = x.p < x.end && (*x.p == '{' || *x.p == '[');
	ok = ref_value(&x);
	ref_skip(&x);
	*lenient = x.lenient;
	*top = x.top_container;
	return ok && x.p == x.end;
}

/* ------------------------------------------------------------------ */
/* reference field checks                                               */

static const char *const colours[] = { "red", "green", "blue", NULL };

/* Every field type, with bounds given and left to their defaults. */
static const struct field spec_all[] = {
	{ "name", F_STRING, true, 0, 0, NULL },
	{ "code", F_STRING, false, 2, 10, NULL },
	{ "note", F_TEXT, F_NULLABLE, 0, 0, NULL },
	{ "count", F_INT, false, 0, 0, NULL },
	{ "level", F_INT, false, -5, 5, NULL },
	{ "parent_id", F_ID, F_NULLABLE, 0, 0, NULL },
	{ "open", F_BOOL, false, 0, 0, NULL },
	{ "colour", F_ENUM, false, 0, 0, colours },
	{ "day", F_DATE, false, 0, 0, NULL },
	{ "at", F_DATETIME, false, 0, 0, NULL },
	{ "items", F_ARRAY, false, 0, 3, NULL },
	{ "tags", F_STRINGS, false, 1, 5, NULL },
	{ "meta", F_OBJECT, false, 0, 0, NULL },
};

/* The same types, each required (read from "meta" when it is an object). */
static const struct field spec_req[] = {
	{ "s", F_STRING, true, 1, 3, NULL },
	{ "t", F_TEXT, true, 0, 0, NULL },
	{ "i", F_INT, true, 0, 0, NULL },
	{ "id", F_ID, true, 1, 100, NULL },
	{ "b", F_BOOL, true, 0, 0, NULL },
	{ "e", F_ENUM, true, 0, 0, colours },
	{ "d", F_DATE, true, 0, 0, NULL },
	{ "dt", F_DATETIME, true, 0, 0, NULL },
	{ "a", F_ARRAY, true, 1, 0, NULL },
	{ "ss", F_STRINGS, true, 0, 0, NULL },
	{ "o", F_OBJECT, true, 0, 0, NULL },
};

static int
days_in_month(long y, int m)
{
	static const int d[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
	    31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : d[m - 1];
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static long long
days_from_civil(long long y, long long m, long long d)
{
	long long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
civil_from_days(long long z, long long *y, int *m, int *d)
{
	long long era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int
num(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + s[i] - '0';
	}
	return v;
}

/* YYYY-MM-DD with a year from 1900 to 9999 (core's range). */
static bool
ref_date(const char *s, size_t n, long long *days)
{
	int y, m, d;

	if (n != 10 || s[4] != '-' || s[7] != '-' || (y = num(s, 4)) < 0 ||
	    (m = num(s + 5, 2)) < 0 || (d = num(s + 8, 2)) < 0)
		return false;
	if (y < 1900 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
		return false;
	if (days != NULL)
		*days = days_from_civil(y, m, d);
	return true;
}

/* RFC 3339 as core accepts it, converted to "YYYY-MM-DD HH:MM:SS" UTC in
 * out[20]; false when refused. A leap second reads as :59. A result that
 * is not a four-digit year has no DATETIME spelling: refused. */
static bool
ref_datetime(const char *s, size_t n, char out[20])
{
	long long days, t, y;
	int hh, mm, ss, off = 0, mo, d;
	size_t i;

	if (n < 20 || n > 35 || !ref_date(s, 10, &days) ||
	    (s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':' ||
	    (hh = num(s + 11, 2)) < 0 || (mm = num(s + 14, 2)) < 0 ||
	    (ss = num(s + 17, 2)) < 0 || hh > 23 || mm > 59 || ss > 60)
		return false;
	i = 19;
	if (s[i] == '.') {
		i++;
		if (i >= n || !isdigit((unsigned char)s[i]))
			return false;
		while (i < n && isdigit((unsigned char)s[i]))
			i++;
	}
	if (i + 1 == n && (s[i] == 'Z' || s[i] == 'z'))
		off = 0;
	else if (i + 6 == n && (s[i] == '+' || s[i] == '-') &&
	    s[i + 3] == ':' && num(s + i + 1, 2) >= 0 &&
	    num(s + i + 4, 2) >= 0) {
		int oh = num(s + i + 1, 2), om = num(s + i + 4, 2);

		if (oh > 23 || om > 59)
			return false;
		off = (oh * 60 + om) * 60 * (s[i] == '-' ? -1 : 1);
	} else
		return false;
	t = days * 86400 + hh * 3600 + mm * 60 + (ss > 59 ? 59 : ss) - off;
	civil_from_days(t >= 0 ? t / 86400 : (t - 86399) / 86400, &y, &mo,
	    &d);
	t = ((t % 86400) + 86400) % 86400;
	if (y < 0 || y > 9999)
		return false;
	snprintf(out, 20, "%04lld-%02d-%02d %02lld:%02lld:%02lld", y, mo, d,
	    t / 3600, t / 60 % 60, t % 60);
	return true;
}

static bool
json_str_eq(json_object *v, const char *s)
{
	size_t n = strlen(s);

	return (size_t)json_object_get_string_len(v) == n &&
	    memcmp(json_object_get_string(v), s, n) == 0;
}

/* Whether v is valid for f, per the reference; the value core must hand
 * back is checked against out when it is. */
static bool
ref_field_ok(const struct field *f, json_object *v, const struct fval *out)
{
	enum json_type t = json_object_get_type(v);
	long long min = f->min, max = f->max, n;
	const char *s = t == json_type_string ? json_object_get_string(v) : NULL;
	size_t slen = s != NULL ? (size_t)json_object_get_string_len(v) : 0;
	char dt[20];
	long cp;

	switch (f->type) {
	case F_STRING:
	case F_TEXT:
		if (s == NULL || (cp = ref_utf8_count((const unsigned char *)s,
		    slen)) < 0)
			return false;
		if (min == 0 && max == 0) {
			min = 1;
			max = f->type == F_TEXT ? 20000 : 500;
		}
		if (cp < min || cp > max)
			return false;
		if (out != NULL)
			FUZZ_CHECK(out->present && json_str_eq(v, out->s),
			    "%s: not the string sent", f->name);
		return true;
	case F_INT:
	case F_ID:
		if (t != json_type_int)
			return false;
		if (min == 0 && max == 0) {
			min = f->type == F_ID ? 1 : -(1LL << 53);
			max = 1LL << 53;
		}
		n = json_object_get_int64(v);
		if (n < min || n > max)
			return false;
		if (out != NULL)
			FUZZ_CHECK(out->present && out->i == n,
			    "%s: %lld read as %lld", f->name, n, out->i);
		return true;
	case F_BOOL:
		if (t != json_type_boolean)
			return false;
		if (out != NULL)
			FUZZ_CHECK(out->present &&
			    out->i == json_object_get_boolean(v), "%s", f->name);
		return true;
	case F_ENUM:
		if (s == NULL)
			return false;
		for (const char *const *c = f->choices; *c != NULL; c++)
			if (json_str_eq(v, *c)) {
				if (out != NULL)
					FUZZ_CHECK(out->present &&
					    strcmp(out->s, *c) == 0, "%s",
					    f->name);
				return true;
			}
		return false;
	case F_DATE:
		if (s == NULL || !ref_date(s, slen, NULL))
			return false;
		if (out != NULL)
			FUZZ_CHECK(out->present && json_str_eq(v, out->s),
			    "%s: not the date sent", f->name);
		return true;
	case F_DATETIME:
		if (s == NULL || !ref_datetime(s, slen, dt))
			return false;
		if (out != NULL)
			FUZZ_CHECK(out->present && strcmp(out->s, dt) == 0,
			    "%s: %s read as %s, expected %s", f->name, s,
			    out->s, dt);
		return true;
	case F_ARRAY:
	case F_STRINGS:
		if (t != json_type_array)
			return false;
		n = (long long)json_object_array_length(v);
		if (max == 0)
			max = 1000;
		if (n < min || n > max)
			return false;
		for (size_t i = 0; f->type == F_STRINGS && i < (size_t)n; i++) {
			json_object *it = json_object_array_get_idx(v, i);

			if (!json_object_is_type(it, json_type_string) ||
			    (cp = ref_utf8_count((const unsigned char *)
			    json_object_get_string(it), (size_t)
			    json_object_get_string_len(it))) < 1 || cp > 500)
				return false;
		}
		if (out != NULL)
			FUZZ_CHECK(out->present && out->o == v, "%s", f->name);
		return true;
	case F_OBJECT:
		if (t != json_type_object)
			return false;
		if (out != NULL)
			FUZZ_CHECK(out->present && out->o == v, "%s", f->name);
		return true;
	}
	return false;
}

/* Whether obj is acceptable for spec, per the reference; patch: read
 * for a PATCH, where null is taken only by F_NULLABLE fields. */
static bool
ref_object_ok(json_object *obj, const struct field *spec, size_t n,
    bool patch, const struct fval *out)
{
	bool ok = json_object_is_type(obj, json_type_object);

	if (!ok)
		return false;
	json_object_object_foreach(obj, key, val) {
		const struct field *f = NULL;

		for (size_t i = 0; i < n; i++)
			if (strcmp(spec[i].name, key) == 0)
				f = &spec[i];
		if (f == NULL)
			ok = false;		/* unknown: no mass assignment */
		else if (val == NULL)
			ok = ok && f->need != F_REQUIRED &&
			    (!patch || f->need == F_NULLABLE);
		else
			ok = ref_field_ok(f, val, NULL) && ok;
	}
	for (size_t i = 0; i < n; i++)
		if (spec[i].need == F_REQUIRED &&
		    !json_object_object_get_ex(obj, spec[i].name, NULL))
			ok = false;
	if (ok && out != NULL)
		for (size_t i = 0; i < n; i++) {
			json_object *v = NULL;

			if (json_object_object_get_ex(obj, spec[i].name, &v) &&
			    v != NULL)
				ref_field_ok(&spec[i], v, &out[i]);
			else
				FUZZ_CHECK(!out[i].present && out[i].is_null ==
				    (json_object_object_get_ex(obj,
				    spec[i].name, NULL)), "%s", spec[i].name);
		}
	return ok;
}

static struct arena *arena;

/* roles_from_json (auth_roles.c) reads the roles of an account body: an array
 * of role names, each exactly one of the six. */
static void
check_roles(json_object *a)
{
	static const char *const names[] = { "dic_admin", "chairman",
	    "agency_officer", "focal_point", "auditor", "system" };
	long want = 0, got = roles_from_json(a);

	if (!json_object_is_type(a, json_type_array))
		want = -1;
	for (size_t i = 0; want >= 0 && i < json_object_array_length(a); i++) {
		json_object *it = json_object_array_get_idx(a, i);
		long bit = -1;

		for (size_t k = 0; json_object_is_type(it, json_type_string) &&
		    k < NPARAMS(names); k++)
			if (json_str_eq(it, names[k]))
				bit = 1L << k;
		want = bit < 0 ? -1 : want | bit;
	}
	FUZZ_CHECK(got == want, "roles_from_json %ld, expected %ld: %s", got,
	    want, json_object_to_json_string(a));
}

static void
read_with(json_object *obj, const struct field *spec, size_t n,
    const char *method)
{
	struct http_req r;
	struct fval out[16];
	bool want, patch = strcmp(method, "PATCH") == 0;
	int st;

	fuzz_req_init(&r, arena);
	r.method = method;
	want = ref_object_ok(obj, spec, n, patch, NULL);
	st = json_read_or_reply(&r, obj, spec, n, out);
	FUZZ_CHECK((st == DS_OK) == want, "json_read_or_reply says %d, the "
	    "reference %s: %s", st, want ? "valid" : "invalid",
	    json_object_to_json_string(obj));
	if (st == DS_OK) {
		ref_object_ok(obj, spec, n, patch, out);
		/* What a handler then binds (db.c), without a database. */
		for (size_t i = 0; i < n; i++) {
			struct db_param p = db_param_fval(&out[i],
			    spec[i].type);

			FUZZ_CHECK(out[i].present || p.type == DBT_NULL, "%s",
			    spec[i].name);
		}
		FUZZ_CHECK(r.status == 0 && r.resp == NULL, "a reply on success");
	} else {
		FUZZ_CHECK(st == DS_REPLIED && r.status == 422, "status %d",
		    r.status);
		fuzz_check_response(&r);
		/* Each refused object names at least one field. */
		FUZZ_CHECK(!json_object_is_type(obj, json_type_object) ||
		    fuzz_detail_count(&r) > 0,
		    "a 422 that names no field");
	}
	json_object_put(r.resp);
	json_object_put(r.details);
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
	char err[160];
	json_object *o, *meta;
	bool want, lenient, top;

	FUZZ_CHECK(utf8_length(text, size) == ref_utf8_count(data, size),
	    "utf8_length %ld, reference %ld", utf8_length(text, size),
	    ref_utf8_count(data, size));
	want = ref_json(data, size, &lenient, &top);
	o = json_parse_strict(text, size, err, sizeof(err));
	if (o != NULL)
		FUZZ_CHECK(want, "json_parse_strict took what the contract "
		    "refuses: %.*s", (int)(size > 300 ? 300 : size), text);
	else
		FUZZ_CHECK(!want || lenient || !top, "json_parse_strict "
		    "refused valid JSON (%s): %.*s", err,
		    (int)(size > 300 ? 300 : size), text);
	if (o != NULL) {
		check_roles(o);
		if (json_object_object_get_ex(o, "roles", &meta))
			check_roles(meta);
		read_with(o, spec_all, NPARAMS(spec_all), "POST");
		read_with(o, spec_all, NPARAMS(spec_all), "PATCH");
		if (json_object_object_get_ex(o, "meta", &meta) &&
		    json_object_is_type(meta, json_type_object))
			read_with(meta, spec_req, NPARAMS(spec_req), "POST");
		else
			read_with(o, spec_req, NPARAMS(spec_req), "POST");
	}
	json_object_put(o);
	free(text);
	arena_reset(arena);
	return 0;
}
