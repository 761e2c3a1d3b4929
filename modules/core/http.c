/*
 * The request's decoded parts and the response being built. Nothing here
 * touches FastCGI: server.c reads the request in and writes the response
 * out, so this file is tested without a socket.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ds.h"

void
http_reply(struct http_req *r, int status, json_object *body)
{
	json_object_put(r->resp);
	r->status = status;
	r->resp = body;
	r->resp_raw = NULL;
}

void
http_reply_raw(struct http_req *r, int status, const char *type,
    const char *text, size_t len)
{
	json_object_put(r->resp);
	r->resp = NULL;
	r->status = status;
	r->resp_type = type;
	r->resp_raw = text;
	r->resp_raw_len = len;
}

const char *
http_status_text(int s)
{
	switch (s) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Entity";
	case 429: return "Too Many Requests";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 507: return "Insufficient Storage";
	default: return s < 400 ? "OK" : "Error";
	}
}

int
http_stream_head(struct http_req *r, int status, const char *type,
    const char *extra)
{
	char *text;

	if (r->streamed || r->out_write == NULL)
		return -1;
	r->streamed = true;
	text = arena_printf(r->arena, "Status: %d %s\r\n", status,
	    http_status_text(status));
	if (type != NULL)
		text = arena_printf(r->arena, "%sContent-Type: %s\r\n", text,
		    type);
	text = arena_printf(r->arena, "%sX-Request-Id: %s\r\n", text,
	    r->request_id);
	for (size_t i = 0; i < r->nheaders; i++)
		text = arena_printf(r->arena, "%s%s: %s\r\n", text,
		    r->headers[i].key, r->headers[i].value);
	text = arena_printf(r->arena, "%s%s\r\n", text, extra ? extra : "");
	return r->out_write(r->out_dst, text, strlen(text));
}

int
http_stream_write(struct http_req *r, const void *buf, size_t n)
{
	if (!r->streamed || r->out_write == NULL)
		return -1;
	return n == 0 ? 0 : r->out_write(r->out_dst, buf, n);
}

void
http_header(struct http_req *r, const char *key, const char *value)
{
	if (r->nheaders == HTTP_MAX_HEADERS) {
		log_warnx(__func__, "too many headers, dropped %s", key);
		return;
	}
	r->headers[r->nheaders].key = key;
	r->headers[r->nheaders].value = value;
	r->nheaders++;
}

/* s for one log line: at most size - 1 bytes, control characters (a
 * decoded "%0a" in a path) as '?', so that a client cannot write lines
 * of its own into the log. */
static const char *
log_safe(char *buf, size_t size, const char *s)
{
	size_t i;

	if (s == NULL)
		return "-";
	for (i = 0; s[i] != '\0' && i + 1 < size; i++)
		buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' :
		    s[i];
	buf[i] = '\0';
	return buf;
}

int
http_error(struct http_req *r, int status, const char *code,
    const char *fmt, ...)
{
	json_object *env = json_object_new_object();
	json_object *err = json_object_new_object();
	va_list ap;
	char msg[1024];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (r->status != 0) {
		log_warnx(__func__, "request %s: %s %s already answered %d; "
		    "%d %s (%s) not written", r->request_id ? r->request_id :
		    "-", r->method ? r->method : "-", r->path ? r->path : "-",
		    r->status, status, code, msg);
#ifdef DS_STRICT_REPLY
		abort();
#endif
		json_object_put(env);
		json_object_put(err);
		return DS_REPLIED;
	}
	/* The body of a 5xx tells the client only its request id: the
	 * module's log must carry that id too, or the two cannot be matched
	 * (nginx's log has it, but not why). The cause, when known, was
	 * logged just before by whoever saw it (db.c, a handler). */
	if (status >= 500) {
		char path[256];

		log_warnx(__func__, "request %s: %s %s answered %d %s: %s",
		    r->request_id ? r->request_id : "-",
		    r->method ? r->method : "-",
		    log_safe(path, sizeof(path), r->path), status, code, msg);
	}
	json_object_object_add(err, "code", json_object_new_string(code));
	json_object_object_add(err, "message", json_object_new_string(msg));
	json_object_object_add(err, "details", r->details != NULL ?
	    r->details : json_object_new_array());
	r->details = NULL;
	json_object_object_add(err, "request_id",
	    json_object_new_string(r->request_id ? r->request_id : ""));
	json_object_object_add(env, "error", err);
	http_reply(r, status, env);
	return DS_REPLIED;
}

int
http_error_status(struct http_req *r, int st)
{
	switch (st) {
	case DS_REPLIED:
		return DS_REPLIED;
	case DS_EUNAVAIL:
		http_header(r, "Retry-After", "1");
		return http_error(r, 503, "database_unavailable",
		    "the database is unavailable; try again shortly");
	case DS_ECONFLICT:
		return http_error(r, 409, "conflict",
		    "the record conflicts with the current state");
	case DS_ENOTFOUND:
		return http_error(r, 404, "not_found", "no such record");
	case DS_EFKEY:
		return http_error(r, 422, "validation_failed",
		    "a referenced record does not exist");
	case DS_EINVAL:
		return http_error(r, 422, "validation_failed", "invalid input");
	default:
		return http_error(r, 500, "internal_error",
		    "internal error; the request id identifies it in the logs");
	}
}

const char *
kv_get(const struct kv *kv, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(kv[i].key, key) == 0)
			return kv[i].value;
	return NULL;
}

const char *
http_param(const struct http_req *r, const char *key)
{
	return kv_get(r->params, r->nparams, key);
}

int
http_param_int_or_reply(struct http_req *r, const char *key, long long def,
    long long min, long long max, long long *out)
{
	const char *v = http_param(r, key);

	if (v == NULL) {
		*out = def;
		return DS_OK;
	}
	if (parse_ll(v, min, max, out) != 0) {
		json_detail(r, key, arena_printf(r->arena,
		    "must be an integer between %lld and %lld", min, max));
		return json_details_reply(r, "invalid query parameter");
	}
	return DS_OK;
}

int
http_param_enum_or_reply(struct http_req *r, const char *key,
    const char *const *choices, const char **out)
{
	const char *v = http_param(r, key);
	char list[256] = "";

	*out = NULL;
	if (v == NULL)
		return DS_OK;
	for (size_t i = 0; choices[i] != NULL; i++) {
		if (strcmp(choices[i], v) == 0) {
			*out = choices[i];
			return DS_OK;
		}
		if (i > 0)
			strncat(list, ", ", sizeof(list) - strlen(list) - 1);
		strncat(list, choices[i], sizeof(list) - strlen(list) - 1);
	}
	json_detail(r, key, arena_printf(r->arena, "must be one of: %s",
	    list));
	return json_details_reply(r, "invalid query parameter");
}

int
http_param_bool_or_reply(struct http_req *r, const char *key, bool *out)
{
	const char *v = http_param(r, key);

	*out = false;
	if (v == NULL || strcmp(v, "false") == 0)
		return DS_OK;
	if (strcmp(v, "true") == 0) {
		*out = true;
		return DS_OK;
	}
	json_detail(r, key, "must be true or false");
	return json_details_reply(r, "invalid query parameter");
}

/* Paging is every list's: http_page_or_reply reads these two. */
static bool
paging_param(const char *key)
{
	return strcmp(key, "limit") == 0 || strcmp(key, "cursor") == 0;
}

int
http_query_or_reply(struct http_req *r, const struct field *spec, size_t n,
    struct fval *out)
{
	size_t i, k;

	if (n > 0)
		memset(out, 0, n * sizeof(*out));
	for (i = 0; i < r->nparams; i++) {
		const char *key = r->params[i].key;

		if (paging_param(key))
			continue;
		for (k = 0; k < n && strcmp(spec[k].name, key) != 0; k++)
			;
		if (k == n)
			json_detail(r, key, "unknown parameter");
		else
			json_read_text(r, &spec[k], r->params[i].value,
			    &out[k]);
	}
	for (k = 0; k < n; k++)
		if (spec[k].need == F_REQUIRED &&
		    http_param(r, spec[k].name) == NULL)
			json_detail(r, spec[k].name, "is required");
	if (json_has_details(r))
		return json_details_reply(r, "invalid query parameter");
	return DS_OK;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Percent-decodes s[0..len) ('+' is a space) into the arena. A bad escape
 * or a decoded NUL fails: neither has a meaning in our parameters. */
static char *
url_decode(struct arena *a, const char *s, size_t len)
{
	char *out = arena_alloc(a, len + 1), *o = out;
	size_t i;
	int h, l;

	for (i = 0; i < len; i++) {
		if (s[i] == '+')
			*o++ = ' ';
		else if (s[i] == '%') {
			if (i + 2 >= len ||
			    (h = hexval((unsigned char)s[i + 1])) < 0 ||
			    (l = hexval((unsigned char)s[i + 2])) < 0 ||
			    (h == 0 && l == 0))
				return NULL;
			*o++ = (char)(h * 16 + l);
			i += 2;
		} else
			*o++ = s[i];
	}
	*o = '\0';
	if (utf8_length(out, (size_t)(o - out)) < 0)
		return NULL;
	return out;
}

int
http_parse_form(struct arena *a, const char *text, size_t len,
    struct kv **out, size_t *n)
{
	size_t count = 1, i, start, k = 0;
	struct kv *kv;

	*out = NULL;
	*n = 0;
	if (len == 0)
		return DS_OK;
	for (i = 0; i < len; i++)
		if (text[i] == '&')
			count++;
	if (count > 64)
		return DS_EINVAL;
	kv = arena_calloc(a, count, sizeof(*kv));
	for (start = 0; start <= len; start = i + 1) {
		const char *eq;
		size_t plen;

		for (i = start; i < len && text[i] != '&'; i++)
			;
		plen = i - start;
		if (plen == 0)
			continue;
		eq = memchr(text + start, '=', plen);
		if (eq == NULL) {
			kv[k].key = url_decode(a, text + start, plen);
			kv[k].value = "";
		} else {
			kv[k].key = url_decode(a, text + start,
			    (size_t)(eq - (text + start)));
			kv[k].value = url_decode(a, eq + 1,
			    plen - (size_t)(eq - (text + start)) - 1);
		}
		if (kv[k].key == NULL || kv[k].value == NULL)
			return DS_EINVAL;
		/* A repeated key is ambiguous: refuse rather than guess. */
		if (kv_get(kv, k, kv[k].key) != NULL)
			return DS_EINVAL;
		k++;
	}
	*out = kv;
	*n = k;
	return DS_OK;
}

char *
http_cursor(struct arena *a, const char *kind, long long n)
{
	char *raw = arena_printf(a, "%s:%lld", kind, n);

	return b64url_encode(a, (const unsigned char *)raw, strlen(raw));
}

/* Reads ?cursor= of kind into *n (0 when absent). Only the spelling
 * http_cursor writes: no sign, no leading zero, nothing hidden after a
 * NUL ("v1:+5", "v1:05", "v1:5\0x"), n within [1, max]. */
static int
cursor_or_reply(struct http_req *r, const char *kind, long long max,
    long long *n)
{
	const char *c = http_param(r, "cursor");
	unsigned char *dec;
	long len;

	*n = 0;
	if (c == NULL)
		return DS_OK;
	len = b64url_decode(r->arena, c, strlen(c), &dec);
	if (len < 4 || len > 24 || memcmp(dec, kind, 2) != 0 ||
	    dec[2] != ':' || dec[3] < '1' || dec[3] > '9' ||
	    strlen((char *)dec) != (size_t)len ||
	    parse_ll((char *)dec + 3, 1, max, n) != 0) {
		json_detail(r, "cursor", "is not a cursor this API issued");
		return json_details_reply(r, "invalid query parameter");
	}
	return DS_OK;
}

int
http_page_or_reply(struct http_req *r, struct page *pg)
{
	if (http_param_int_or_reply(r, "limit", 50, 1, 200, &pg->limit) != 0)
		return DS_REPLIED;
	return cursor_or_reply(r, "v1", 1LL << 62, &pg->after);
}

int
http_opage_or_reply(struct http_req *r, struct opage *pg)
{
	if (http_param_int_or_reply(r, "limit", 50, 1, 200, &pg->limit) != 0)
		return DS_REPLIED;
	return cursor_or_reply(r, "o1", 1000000, &pg->offset);
}

void
http_reply_page(struct http_req *r, const struct page *pg, json_object *items)
{
	json_object *o = json_object_new_object();
	size_t n = json_object_array_length(items);
	json_object *next = NULL, *last, *id;

	if (n > 0 && (long long)n >= pg->limit) {
		last = json_object_array_get_idx(items, n - 1);
		if (json_object_object_get_ex(last, "id", &id))
			next = json_object_new_string(http_cursor(r->arena,
			    "v1", (long long)json_object_get_int64(id)));
	}
	json_object_object_add(o, "items", items);
	json_object_object_add(o, "next_cursor", next);
	http_reply(r, 200, o);
}
