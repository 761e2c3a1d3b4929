/*
 * JSON on json-c, made strict. json-c 0.16 by default accepts trailing
 * garbage, NaN, single quotes and bad UTF-8, keeps the last of duplicate
 * keys and coerces types in its getters (DESIGN.md); here every one of
 * those is an error, and handlers read only declared, type-checked fields.
 */
#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ds.h"

size_t
utf8_decode(const unsigned char *p, size_t n, unsigned long *out)
{
	unsigned long c = p[0], cp, min;
	size_t need, i;

	if (c < 0x80) {
		*out = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		need = 1; cp = c & 0x1f; min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 2; cp = c & 0x0f; min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 3; cp = c & 0x07; min = 0x10000;
	} else
		return 0;
	if (n - 1 < need)
		return 0;
	for (i = 1; i <= need; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	*out = cp;
	return need + 1;
}

long
utf8_length(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k;
	unsigned long cp;
	long n = 0;

	while (i < len) {
		if (p[i] == 0 || (k = utf8_decode(p + i, len - i, &cp)) == 0)
			return -1;
		i += k;
		n++;
	}
	return n;
}

/*
 * json-c silently keeps the last of duplicate keys. Count the members of
 * each object in the text (in order of their opening brace) and compare
 * with the parsed tree walked in the same pre-order: the first object with
 * a duplicate has fewer members in the tree than in the text.
 */
struct counts {
	size_t	*v;
	size_t	 n, cap;
	size_t	 at;	/* walk position */
};

static int
count_members(const char *t, size_t len, struct counts *c)
{
	size_t stack[JSON_MAX_DEPTH + 2], depth = 0, i, idx;
	int in_obj[JSON_MAX_DEPTH + 2];
	int fresh = 0;

	for (i = 0; i < len; i++) {
		char ch = t[i];

		if (isspace((unsigned char)ch))
			continue;
		if (fresh && ch != '}' && ch != ']' && depth > 0 &&
		    in_obj[depth - 1])
			c->v[stack[depth - 1]] = 1;
		fresh = 0;
		if (ch == '"') {
			for (i++; i < len && t[i] != '"'; i++)
				if (t[i] == '\\') {
					/* json-c decodes \u0000 to a NUL that
					 * cuts a key short ("name\u0000x" is
					 * "name") and hides the rest of a
					 * value from strcmp. */
					if (len - i > 5 &&
					    memcmp(t + i + 1, "u0000", 5) == 0)
						return -3;
					i++;
				}
			continue;
		}
		switch (ch) {
		case '{':
		case '[':
			/* json-c counts a scalar as a level too, so it
			 * lets one more empty container through. */
			if (depth >= JSON_MAX_DEPTH)
				return -1;
			in_obj[depth] = ch == '{';
			if (ch == '{') {
				if (c->n == c->cap) {
					c->cap = c->cap ? c->cap * 2 : 16;
					c->v = realloc(c->v, c->cap *
					    sizeof(*c->v));
					if (c->v == NULL)
						abort();
				}
				c->v[c->n] = 0;
				stack[depth] = c->n++;
			}
			depth++;
			fresh = 1;
			break;
		case '}':
		case ']':
			if (depth == 0)
				return -1;
			depth--;
			break;
		case '\'':
			/* json-c 0.16 takes single-quoted keys even in strict
			 * mode; outside a string, a quote can only be '"'. */
			return -2;
		case ',':
			if (depth > 0 && in_obj[depth - 1]) {
				idx = stack[depth - 1];
				c->v[idx]++;
			}
			break;
		default:
			break;
		}
	}
	return 0;
}

static int
walk_matches(json_object *o, struct counts *c)
{
	size_t i, n;

	switch (json_object_get_type(o)) {
	case json_type_object: {
		if (c->at >= c->n ||
		    (size_t)json_object_object_length(o) != c->v[c->at])
			return 0;
		c->at++;
		json_object_object_foreach(o, k, v) {
			(void)k;
			if (!walk_matches(v, c))
				return 0;
		}
		return 1;
	}
	case json_type_array:
		n = json_object_array_length(o);
		for (i = 0; i < n; i++)
			if (!walk_matches(json_object_array_get_idx(o, i), c))
				return 0;
		return 1;
	case json_type_double:
		/* json-c takes NaN and Infinity even in strict mode. */
		return isfinite(json_object_get_double(o));
	default:
		return 1;
	}
}

/* Reads four hex digits at t (n bytes left) into *u; 0 or -1. */
static int
hex4(const char *t, size_t n, unsigned *u)
{
	*u = 0;
	if (n < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		int c = (unsigned char)t[i];

		if (!isxdigit(c))
			return -1;
		*u = *u * 16 + (unsigned)(isdigit(c) ? c - '0' :
		    tolower(c) - 'a' + 10);
	}
	return 0;
}

/*
 * What json-c takes inside a string that makes no JSON or no Unicode
 * string: a raw control character (U+0000..U+001F, which RFC 8259 section
 * 7 says must be escaped; json-c stores a literal newline as it came),
 * and a lone UTF-16 surrogate escape ("\ud800"), which json-c turns into
 * U+FFFD, so the value stored would not be the value sent. (An escaped
 * NUL, which json-c would cut a key at, is refused by count_members.)
 * Called on text json-c parsed. Returns what is wrong, or NULL.
 */
static const char *
escape_problem(const char *t, size_t len)
{
	size_t i;
	unsigned u, lo;

	for (i = 0; i < len; i++) {
		if (t[i] != '"')
			continue;
		for (i++; i < len && t[i] != '"'; i++) {
			if ((unsigned char)t[i] < 0x20)
				return "a raw control character in a string "
				    "(escape it, e.g. \\n)";
			if (t[i] != '\\' || ++i >= len || t[i] != 'u')
				continue;
			if (hex4(t + i + 1, len - i - 1, &u) != 0)
				return NULL;	/* json-c refused it already */
			i += 4;
			if (u >= 0xdc00 && u <= 0xdfff)
				return "a lone UTF-16 surrogate escape";
			if (u >= 0xd800 && u <= 0xdbff) {
				if (i + 6 >= len || t[i + 1] != '\\' ||
				    t[i + 2] != 'u' ||
				    hex4(t + i + 3, len - i - 3, &lo) != 0 ||
				    lo < 0xdc00 || lo > 0xdfff)
					return "a lone UTF-16 surrogate escape";
				i += 6;
			}
		}
	}
	return NULL;
}

json_object *
json_parse_strict(const char *text, size_t len, char *errbuf, size_t errlen)
{
	struct json_tokener *tok;
	json_object *o;
	enum json_tokener_error jerr;
	struct counts c = { 0 };
	const char *why;
	int rc;

	if (len > INT_MAX || memchr(text, '\0', len) != NULL) {
		snprintf(errbuf, errlen, "body contains a NUL byte");
		return NULL;
	}
	/* json-c's JSON_TOKENER_VALIDATE_UTF8 lets overlong forms, UTF-16
	 * surrogates and code points above U+10FFFF through. */
	if (utf8_length(text, len) < 0) {
		snprintf(errbuf, errlen, "malformed JSON: invalid UTF-8");
		return NULL;
	}
	/* json-c counts the top level as one: JSON_MAX_DEPTH + 1 lets
	 * exactly JSON_MAX_DEPTH nested arrays or objects through. */
	if ((tok = json_tokener_new_ex(JSON_MAX_DEPTH + 1)) == NULL)
		abort();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
	    JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, text, (int)len);
	jerr = json_tokener_get_error(tok);
	if (o == NULL || jerr != json_tokener_success) {
		snprintf(errbuf, errlen, "malformed JSON: %s",
		    jerr == json_tokener_continue ? "unexpected end" :
		    json_tokener_error_desc(jerr));
		json_object_put(o);
		json_tokener_free(tok);
		return NULL;
	}
	/* Only white space may follow the value. */
	for (size_t i = json_tokener_get_parse_end(tok); i < len; i++)
		if (!isspace((unsigned char)text[i])) {
			snprintf(errbuf, errlen,
			    "malformed JSON: trailing data at byte %zu", i);
			json_object_put(o);
			json_tokener_free(tok);
			return NULL;
		}
	json_tokener_free(tok);
	if ((why = escape_problem(text, len)) != NULL) {
		snprintf(errbuf, errlen, "malformed JSON: %s", why);
		json_object_put(o);
		return NULL;
	}
	if ((rc = count_members(text, len, &c)) != 0 || !walk_matches(o, &c)) {
		snprintf(errbuf, errlen, "malformed JSON: %s", rc == -1 ?
		    "nested too deeply" : rc == -2 ? "single quotes" :
		    rc == -3 ? "an escaped NUL (\\u0000)" :
		    "duplicate key or non-finite number");
		json_object_put(o);
		o = NULL;
	}
	free(c.v);
	return o;
}

void
json_detail(struct http_req *r, const char *field, const char *problem)
{
	json_object *d = json_object_new_object();

	if (r->details == NULL)
		r->details = json_object_new_array();
	json_object_object_add(d, "field", json_object_new_string(field));
	json_object_object_add(d, "problem", json_object_new_string(problem));
	json_object_array_add(r->details, d);
}

bool
json_has_details(const struct http_req *r)
{
	return r->details != NULL && json_object_array_length(r->details) > 0;
}

int
json_details_reply(struct http_req *r, const char *message)
{
	return http_error(r, 422, "validation_failed", "%s", message);
}

static const struct field *
spec_find(const struct field *spec, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(spec[i].name, name) == 0)
			return &spec[i];
	return NULL;
}

/* A date the API takes: a real calendar date from 1900 to 9999. */
static int
valid_date(const char *s, long long *epoch)
{
	return date_parse(s, epoch) == 0 && strncmp(s, "1900", 4) >= 0;
}

/* RFC 3339 -> "YYYY-MM-DD HH:MM:SS" in UTC, or NULL. */
static char *
datetime_to_db(struct arena *a, const char *s)
{
	char date[11], *p;
	const char *q;
	int hh, mm, ss, off = 0;
	long long t;

	if (strlen(s) < 20 || strlen(s) > 35)
		return NULL;
	memcpy(date, s, 10);
	date[10] = '\0';
	if (!valid_date(date, &t) || (s[10] != 'T' && s[10] != 't'))
		return NULL;
	q = s + 11;
	if (!isdigit((unsigned char)q[0]) || !isdigit((unsigned char)q[1]) ||
	    q[2] != ':' || !isdigit((unsigned char)q[3]) ||
	    !isdigit((unsigned char)q[4]) || q[5] != ':' ||
	    !isdigit((unsigned char)q[6]) || !isdigit((unsigned char)q[7]))
		return NULL;
	hh = (q[0] - '0') * 10 + q[1] - '0';
	mm = (q[3] - '0') * 10 + q[4] - '0';
	ss = (q[6] - '0') * 10 + q[7] - '0';
	if (hh > 23 || mm > 59 || ss > 60)
		return NULL;
	q += 8;
	if (*q == '.') {
		q++;
		if (!isdigit((unsigned char)*q))
			return NULL;
		while (isdigit((unsigned char)*q))
			q++;
	}
	if ((*q == 'Z' || *q == 'z') && q[1] == '\0')
		off = 0;
	else if ((*q == '+' || *q == '-') && strlen(q) == 6 &&
	    isdigit((unsigned char)q[1]) && isdigit((unsigned char)q[2]) &&
	    q[3] == ':' && isdigit((unsigned char)q[4]) &&
	    isdigit((unsigned char)q[5])) {
		int oh = (q[1] - '0') * 10 + q[2] - '0';
		int om = (q[4] - '0') * 10 + q[5] - '0';

		if (oh > 23 || om > 59)
			return NULL;
		off = (oh * 60 + om) * 60 * (*q == '-' ? -1 : 1);
	} else
		return NULL;
	/* A leap second (:60) is the last second of its minute. */
	t += hh * 3600 + mm * 60 + (ss > 59 ? 59 : ss) - off;
	/* 9999-12-31T23:59:59-01:00 is in year 10000: not a database time. */
	if (t >= 253402300800LL)
		return NULL;
	p = arena_alloc(a, 20);
	datetime_format(t, p);
	return p;
}

static void
read_string(struct http_req *r, const struct field *f, json_object *v,
    struct fval *out)
{
	const char *s = json_object_get_string(v);
	size_t len = (size_t)json_object_get_string_len(v);
	long n = utf8_length(s, len);
	long long min = f->min, max = f->max;

	if (n < 0) {
		json_detail(r, f->name, "must be valid UTF-8 without NUL");
		return;
	}
	if (min == 0 && max == 0) {
		min = 1;
		max = f->type == F_TEXT ? 20000 : 500;
	}
	if (n < min) {
		json_detail(r, f->name, min == 1 ? "must not be empty" :
		    arena_printf(r->arena, "must have at least %lld characters",
		    min));
		return;
	}
	if (n > max) {
		json_detail(r, f->name, arena_printf(r->arena,
		    "must have at most %lld characters", max));
		return;
	}
	out->s = arena_strndup(r->arena, s, len);
	out->present = true;
}

static void
read_one(struct http_req *r, const struct field *f, json_object *v,
    struct fval *out)
{
	enum json_type t = json_object_get_type(v);
	long long min = f->min, max = f->max, n;

	switch (f->type) {
	case F_STRING:
	case F_TEXT:
		if (t != json_type_string) {
			json_detail(r, f->name, "must be a string");
			return;
		}
		read_string(r, f, v, out);
		return;
	case F_ENUM:
		if (t != json_type_string) {
			json_detail(r, f->name, "must be a string");
			return;
		}
		for (const char *const *c = f->choices; *c != NULL; c++)
			if (strcmp(*c, json_object_get_string(v)) == 0) {
				out->s = *c;
				out->present = true;
				return;
			}
		{
			char list[512] = "";

			for (const char *const *c = f->choices; *c; c++) {
				if (list[0] != '\0')
					strncat(list, ", ", sizeof(list) -
					    strlen(list) - 1);
				strncat(list, *c, sizeof(list) -
				    strlen(list) - 1);
			}
			json_detail(r, f->name, arena_printf(r->arena,
			    "must be one of: %s", list));
		}
		return;
	case F_INT:
	case F_ID:
		if (t != json_type_int) {
			json_detail(r, f->name, "must be an integer");
			return;
		}
		if (min == 0 && max == 0) {
			/* json-c saturates huge numbers to INT64_MAX/MIN;
			 * the default bounds leave those outside. */
			min = f->type == F_ID ? 1 : -(1LL << 53);
			max = 1LL << 53;
		}
		n = json_object_get_int64(v);
		if (n < min || n > max) {
			json_detail(r, f->name, arena_printf(r->arena,
			    "must be between %lld and %lld", min, max));
			return;
		}
		out->i = n;
		out->present = true;
		return;
	case F_BOOL:
		if (t != json_type_boolean) {
			json_detail(r, f->name, "must be true or false");
			return;
		}
		out->i = json_object_get_boolean(v);
		out->present = true;
		return;
	case F_DATE:
	case F_DATETIME:
		/* Dates are strings in a body as in a query: read alike. */
		if (t == json_type_string)
			json_read_text(r, f, json_object_get_string(v), out);
		else
			json_detail(r, f->name, f->type == F_DATE ?
			    "must be a date YYYY-MM-DD" : "must be an RFC 3339 "
			    "time, e.g. 2026-01-31T08:00:00Z");
		return;
	case F_ARRAY:
	case F_STRINGS:
		if (t != json_type_array) {
			json_detail(r, f->name, "must be an array");
			return;
		}
		n = (long long)json_object_array_length(v);
		if (max == 0)
			max = 1000;
		if (n < min || n > max) {
			json_detail(r, f->name, arena_printf(r->arena,
			    "must have between %lld and %lld items", min, max));
			return;
		}
		if (f->type == F_STRINGS)
			for (size_t i = 0; i < (size_t)n; i++) {
				json_object *it = json_object_array_get_idx(v, i);
				long l;

				if (!json_object_is_type(it, json_type_string) ||
				    (l = utf8_length(json_object_get_string(it),
				    (size_t)json_object_get_string_len(it))) < 1 ||
				    l > 500) {
					json_detail(r, f->name, "items must be "
					    "non-empty strings of at most 500 "
					    "characters");
					return;
				}
			}
		out->o = v;
		out->present = true;
		return;
	case F_OBJECT:
		if (t != json_type_object) {
			json_detail(r, f->name, "must be an object");
			return;
		}
		out->o = v;
		out->present = true;
		return;
	}
}

void
json_read_text(struct http_req *r, const struct field *f, const char *text,
    struct fval *out)
{
	long long min = f->min, max = f->max, n;
	json_object *str;
	long long day;

	switch (f->type) {
	case F_STRING:
	case F_TEXT:
		str = json_object_new_string(text);
		read_string(r, f, str, out);
		json_object_put(str);
		return;
	case F_ENUM:
		str = json_object_new_string(text);
		read_one(r, f, str, out);
		json_object_put(str);
		return;
	case F_INT:
	case F_ID:
		if (min == 0 && max == 0) {
			min = f->type == F_ID ? 1 : -(1LL << 53);
			max = 1LL << 53;
		}
		if (parse_ll(text, min, max, &n) != 0) {
			json_detail(r, f->name, arena_printf(r->arena,
			    "must be an integer between %lld and %lld", min,
			    max));
			return;
		}
		out->i = n;
		out->present = true;
		return;
	case F_BOOL:
		if (strcmp(text, "true") != 0 && strcmp(text, "false") != 0) {
			json_detail(r, f->name, "must be true or false");
			return;
		}
		out->i = strcmp(text, "true") == 0;
		out->present = true;
		return;
	case F_DATE:
		if (!valid_date(text, &day)) {
			json_detail(r, f->name, "must be a date YYYY-MM-DD");
			return;
		}
		out->s = arena_strdup(r->arena, text);
		out->present = true;
		return;
	case F_DATETIME:
		if ((out->s = datetime_to_db(r->arena, text)) == NULL) {
			json_detail(r, f->name,
			    "must be an RFC 3339 time, e.g. 2026-01-31T08:00:00Z");
			return;
		}
		out->present = true;
		return;
	case F_ARRAY:
	case F_STRINGS:
	case F_OBJECT:
		break;
	}
	json_detail(r, f->name, "cannot be given as text");
}

int
json_read_or_reply(struct http_req *r, json_object *obj,
    const struct field *spec, size_t n, struct fval *out)
{
	/* A PATCH's null clears a value: silently keeping it instead would
	 * tell the client it was cleared. */
	bool patch = r->method != NULL && strcmp(r->method, "PATCH") == 0;
	size_t i;

	memset(out, 0, n * sizeof(*out));
	if (obj == NULL || !json_object_is_type(obj, json_type_object)) {
		http_error(r, 422, "validation_failed",
		    "the body must be a JSON object");
		return DS_REPLIED;
	}
	json_object_object_foreach(obj, key, val) {
		const struct field *f = spec_find(spec, n, key);

		if (f == NULL) {
			json_detail(r, key, "unknown field");
			continue;
		}
		i = (size_t)(f - spec);
		if (val == NULL) {
			out[i].is_null = true;
			if (f->need == F_REQUIRED ||
			    (f->need != F_NULLABLE && patch))
				json_detail(r, f->name, "must not be null");
			continue;
		}
		read_one(r, f, val, &out[i]);
	}
	for (i = 0; i < n; i++)
		if (spec[i].need == F_REQUIRED && !out[i].present &&
		    !out[i].is_null &&
		    json_object_object_get_ex(obj, spec[i].name, NULL) == 0)
			json_detail(r, spec[i].name, "is required");
	if (json_has_details(r))
		return json_details_reply(r, "the request has invalid fields");
	return DS_OK;
}
