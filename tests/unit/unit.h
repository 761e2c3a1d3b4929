/*
 * Shared helpers for the core unit tests (cmocka). Each test program
 * includes this once; everything here is static so that each program
 * carries only what it uses.
 */
#ifndef UNIT_H
#define UNIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ds.h"

/* A request as server.c builds it: zeroed, with its own arena. The test
 * frees it with req_free(), which puts every JSON object it holds. */
static inline struct http_req *
req_new(void)
{
	struct http_req *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	r->arena = arena_new();
	r->request_id = "req-0001";
	r->method = "GET";
	r->path = "/";
	return r;
}

/* Forgets r's answer, so the next call may answer it again (a request is
 * answered once: http_error will not write over an answer). */
static inline void
req_unanswer(struct http_req *r)
{
	json_object_put(r->resp);
	r->resp = NULL;
	r->status = 0;
	r->nheaders = 0;
}

static inline void
req_free(struct http_req *r)
{
	if (r == NULL)
		return;
	json_object_put(r->resp);
	json_object_put(r->json);
	json_object_put(r->details);
	arena_free(r->arena);
	free(r);
}

/* Sets the decoded query parameters from "k=v&k=v" text. */
static inline void
req_query(struct http_req *r, const char *query)
{
	r->query = query;
	assert_int_equal(http_parse_form(r->arena, query, strlen(query),
	    &r->params, &r->nparams), DS_OK);
}

/* The member at a dotted path of the response ("error.code"), or NULL. */
static inline json_object *
resp_at(const struct http_req *r, const char *path)
{
	json_object *o = r->resp;
	char buf[256], *save = NULL, *part;

	assert_true(strlen(path) < sizeof(buf));
	strcpy(buf, path);
	for (part = strtok_r(buf, ".", &save); part != NULL && o != NULL;
	    part = strtok_r(NULL, ".", &save))
		if (!json_object_object_get_ex(o, part, &o))
			return NULL;
	return o;
}

static inline const char *
resp_str(const struct http_req *r, const char *path)
{
	json_object *o = resp_at(r, path);

	return o != NULL && json_object_is_type(o, json_type_string) ?
	    json_object_get_string(o) : NULL;
}

/* Asserts the response is the error envelope of DESIGN.md with this
 * status and code, and that it carries the request's id. */
static inline void
assert_error(const struct http_req *r, int status, const char *code)
{
	json_object *details = resp_at(r, "error.details");

	assert_int_equal(r->status, status);
	assert_non_null(r->resp);
	assert_string_equal(resp_str(r, "error.code"), code);
	assert_non_null(resp_str(r, "error.message"));
	assert_string_equal(resp_str(r, "error.request_id"),
	    r->request_id != NULL ? r->request_id : "");
	assert_non_null(details);
	assert_true(json_object_is_type(details, json_type_array));
}

/* The problem the 422 details give for a field, or NULL if the field is
 * not named. */
static inline const char *
detail_for(const struct http_req *r, const char *field)
{
	json_object *d = resp_at(r, "error.details"), *f, *p;

	if (d == NULL)
		return NULL;
	for (size_t i = 0; i < json_object_array_length(d); i++) {
		json_object *it = json_object_array_get_idx(d, i);

		if (json_object_object_get_ex(it, "field", &f) &&
		    strcmp(json_object_get_string(f), field) == 0 &&
		    json_object_object_get_ex(it, "problem", &p))
			return json_object_get_string(p);
	}
	return NULL;
}

static inline size_t
detail_count(const struct http_req *r)
{
	json_object *d = resp_at(r, "error.details");

	return d == NULL ? 0 : json_object_array_length(d);
}

/* The value of a response header, or NULL. */
static inline const char *
header_value(const struct http_req *r, const char *key)
{
	for (size_t i = 0; i < r->nheaders; i++)
		if (strcmp(r->headers[i].key, key) == 0)
			return r->headers[i].value;
	return NULL;
}

#endif /* UNIT_H */
