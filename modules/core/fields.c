/*
 * Declared fields (STYLE.md: inputs as data): a handler's JSON body and a
 * list's query string are read against a table of struct field, each
 * value checked for its type and bounds, never coerced, and every problem
 * collected into one 422 naming the fields (json_detail). Unknown fields
 * and parameters are errors; dates go through dates.c.
 */
#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ds.h"

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
