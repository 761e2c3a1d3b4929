/*
 * Routes are a table of { method, pattern, handler, flags }. A pattern is
 * a path whose "{name}" segments capture a positive integer id: a path
 * whose id segment is not a number matches no route (404), as there is no
 * such record. HEAD matches wherever GET does (RFC 9110 9.3.2: the same
 * answer without its body, which server.c leaves out). A pattern ending
 * in "*" matches any rest of the path, empty included: the gateway's
 * "/gw/..." pattern takes every path under it, parsed by its handler.
 */
#include <string.h>

#include "ds.h"

/* Matches one pattern; fills captures on success. */
static int
pattern_match(const char *pat, const char *path, long long *cap, size_t *ncap)
{
	size_t n = 0;

	while (*pat != '\0') {
		if (pat[0] == '*' && pat[1] == '\0') {
			*ncap = n;
			return 1;
		}
		if (*path == '\0')
			break;
		if (*pat == '{') {
			const char *pe = strchr(pat, '}');
			long long v = 0;
			size_t digits = 0;

			if (pe == NULL)
				return 0;
			while (*path >= '0' && *path <= '9') {
				if (digits++ == 15)
					return 0;
				v = v * 10 + (*path++ - '0');
			}
			if (digits == 0 || v == 0 || (*path != '/' &&
			    *path != '\0') || n == HTTP_MAX_CAPTURES)
				return 0;
			cap[n++] = v;
			pat = pe + 1;
			continue;
		}
		if (*pat++ != *path++)
			return 0;
	}
	if (*pat != '\0' || *path != '\0')
		return 0;
	*ncap = n;
	return 1;
}

/* Adds method to the comma-separated list allow, once. */
static void
allow_add(char *allow, size_t allowlen, const char *method)
{
	if (allowlen == 0 || strstr(allow, method) != NULL)
		return;
	if (allow[0] != '\0')
		strncat(allow, ", ", allowlen - strlen(allow) - 1);
	strncat(allow, method, allowlen - strlen(allow) - 1);
}

enum route_match
router_match(const struct route *rt, size_t n, const char *method,
    const char *path, const struct route **hit, long long *captures,
    size_t *ncaptures, char *allow, size_t allowlen)
{
	long long cap[HTTP_MAX_CAPTURES];
	size_t ncap, i;
	int path_seen = 0;

	if (allowlen > 0)
		allow[0] = '\0';
	for (i = 0; i < n; i++) {
		if (!pattern_match(rt[i].pattern, path, cap, &ncap))
			continue;
		if (strcmp(rt[i].method, method) == 0 ||
		    (strcmp(method, "HEAD") == 0 &&
		    strcmp(rt[i].method, "GET") == 0)) {
			*hit = &rt[i];
			memcpy(captures, cap, ncap * sizeof(*cap));
			*ncaptures = ncap;
			return ROUTE_FOUND;
		}
		path_seen = 1;
		allow_add(allow, allowlen, rt[i].method);
		if (strcmp(rt[i].method, "GET") == 0)
			allow_add(allow, allowlen, "HEAD");
	}
	return path_seen ? ROUTE_NO_METHOD : ROUTE_NO_PATH;
}
