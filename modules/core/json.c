/*
 * JSON on json-c, made strict. json-c 0.16 by default accepts trailing
 * garbage, NaN, single quotes and bad UTF-8, keeps the last of duplicate
 * keys and coerces types in its getters (DESIGN.md); here every one of
 * those is an error. Handlers then read only declared, type-checked
 * fields (fields.c).
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
