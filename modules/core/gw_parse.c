/*
 * The gateway's parsing of what consumers and providers send (issue 18,
 * docs/gateway.md): the call's path, the headers that go on to the
 * provider and back to the consumer, the path as it is sent upstream,
 * and the operations a service's OpenAPI document declares.
 *
 * These are pure functions of their text, kept in core (not in
 * modules/gateway) so that the libFuzzer harness tests/fuzz/fuzz_gw_parse.c,
 * which is built from core's sources, drives the very code the gateway
 * runs; call.c and forward.c call them.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ds.h"

/* ------------------------------------------------------------------ */
/* the path                                                             */

/* Whether s[0..n) is 1 to max letters, digits or bytes of extra. */
static bool
code_valid(const char *s, size_t n, size_t max, const char *extra)
{
	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' &&
		    s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		    strchr(extra, s[i]) != NULL) || s[i] == '\0')
			return false;
	return true;
}

bool
gw_path_split(struct arena *a, const char *path, const char **agency,
    const char **service, const char **rest)
{
	const char *p, *s1, *s2;

	/* The router sends only "/gw/..." here; anything else names no
	 * service rather than being read past its end. */
	if (strncmp(path, "/gw/", 4) != 0)
		return false;
	p = path + 4;
	if ((s1 = strchr(p, '/')) == NULL ||
	    !code_valid(p, (size_t)(s1 - p), GW_AGENCY_CODE_MAX, "._-"))
		return false;
	s2 = strchr(s1 + 1, '/');
	if (s2 == NULL)
		s2 = s1 + 1 + strlen(s1 + 1);
	if (!code_valid(s1 + 1, (size_t)(s2 - s1 - 1), GW_SERVICE_CODE_MAX,
	    "-"))
		return false;
	*agency = arena_strndup(a, p, (size_t)(s1 - p));
	*service = arena_strndup(a, s1 + 1, (size_t)(s2 - s1 - 1));
	*rest = *s2 == '\0' ? "/" : s2;
	return true;
}

char *
gw_path_encode(struct arena *a, const char *p)
{
	static const char keep[] = "-._~!$&'()*+,;=:@/";
	char *out = arena_alloc(a, strlen(p) * 3 + 1), *o = out;

	for (; *p != '\0'; p++) {
		unsigned char ch = (unsigned char)*p;

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || strchr(keep, ch) != NULL)
			*o++ = (char)ch;
		else
			o += sprintf(o, "%%%02X", ch);
	}
	*o = '\0';
	return out;
}

/* ------------------------------------------------------------------ */
/* headers                                                              */

bool
gw_hop_by_hop(const char *name)
{
	static const char *const hop[] = { "connection", "keep-alive", "te",
	    "trailer", "trailers", "transfer-encoding", "upgrade", NULL };

	for (size_t i = 0; hop[i] != NULL; i++)
		if (strcasecmp(name, hop[i]) == 0)
			return true;
	/* Proxy-Authorization, Proxy-Authenticate, Proxy-Connection and
	 * any other Proxy-* (docs/gateway.md): meant for a proxy on the way,
	 * never for the other side. */
	return strncasecmp(name, "proxy-", 6) == 0;
}

bool
gw_header_forwarded(const char *name)
{
	return !gw_hop_by_hop(name) && strcasecmp(name, "host") != 0 &&
	    strcasecmp(name, "authorization") != 0 &&
	    strcasecmp(name, "cookie") != 0 &&
	    strcasecmp(name, "expect") != 0 &&
	    strcasecmp(name, "content-length") != 0 &&
	    strcasecmp(name, "content-type") != 0 &&
	    strcasecmp(name, "proxy") != 0 &&
	    strncasecmp(name, "x-datashare-", 12) != 0;
}

char *
gw_header_from_env(struct arena *a, const char *kv)
{
	const char *eq = strchr(kv, '=');
	size_t n;
	char *name;

	if (strncmp(kv, "HTTP_", 5) != 0 || eq == NULL ||
	    (n = (size_t)(eq - kv)) <= 5)
		return NULL;
	name = arena_strndup(a, kv + 5, n - 5);
	for (size_t i = 0; name[i] != '\0'; i++)
		if (name[i] == '_')
			name[i] = '-';
		else if (i > 0 && name[i - 1] != '-')
			name[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ?
			    name[i] + 32 : name[i]);
	/* libcurl sends the line as it is: a name with ':' or a blank in it
	 * would be another header (an "Authorization:-x" name is an
	 * Authorization), a CR or LF in the value another line. nginx
	 * passes neither; the provider must not depend on that. */
	if (!gw_header_valid(name, eq + 1) || !gw_header_forwarded(name))
		return NULL;
	return arena_printf(a, "%s: %s", name, eq + 1);
}

bool
gw_token_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9') || (ch != '\0' &&
	    strchr("!#$%&'*+-.^_`|~", ch) != NULL);
}

bool
gw_header_valid(const char *name, const char *value)
{
	for (const char *p = name; *p != '\0'; p++)
		if (!gw_token_char(*p))
			return false;
	if (*name == '\0')
		return false;
	/* RFC 5234's CTL is 0x00-0x1f and 0x7f (DEL), which RFC 9110's
	 * field-value leaves out too. */
	for (const char *p = value; *p != '\0'; p++)
		if (((unsigned char)*p < 0x20 && *p != '\t') ||
		    (unsigned char)*p == 0x7f)
			return false;
	return true;
}

bool
gw_header_passed(const char *name)
{
	return !gw_hop_by_hop(name) && strcasecmp(name, "status") != 0 &&
	    strncasecmp(name, "x-accel-", 8) != 0 &&
	    strcasecmp(name, "x-request-id") != 0 &&
	    strcasecmp(name, "x-request-hash") != 0 &&
	    strcasecmp(name, "x-gateway-error") != 0 &&
	    strncasecmp(name, "x-datashare-", 12) != 0 &&
	    strcasecmp(name, "content-length") != 0;
}

/* ------------------------------------------------------------------ */
/* a service's OpenAPI document                                         */

/*
 * Paths are the document's "paths" keys, relative to the service's
 * upstream URL (its "servers" are not read): "/records/{id}" matches
 * "/records/42" (a template segment matches one non-empty segment), and
 * the path item must hold the method in lower case ("head" is also
 * allowed where "get" is). A document that cannot be read declares
 * nothing: every call is refused, never waved through.
 */

bool
gw_template_matches(const char *tpl, const char *path)
{
	while (*tpl != '\0' && *path != '\0') {
		if (*tpl == '{') {
			const char *close = strchr(tpl, '}');

			if (close == NULL || *path == '/')
				return false;
			while (*path != '\0' && *path != '/')
				path++;
			tpl = close + 1;
			continue;
		}
		if (*tpl++ != *path++)
			return false;
	}
	return *tpl == '\0' && *path == '\0';
}

static bool
item_has(json_object *item, const char *method)
{
	char lower[16];
	size_t i;

	for (i = 0; method[i] != '\0' && i < sizeof(lower) - 1; i++)
		lower[i] = (char)(method[i] >= 'A' && method[i] <= 'Z' ?
		    method[i] + 32 : method[i]);
	lower[i] = '\0';
	return json_object_object_get_ex(item, lower, NULL) ||
	    (strcmp(lower, "head") == 0 &&
	    json_object_object_get_ex(item, "get", NULL));
}

bool
gw_openapi_declares(const char *doc, const char *method, const char *path)
{
	json_object *o = json_tokener_parse(doc), *paths;
	bool found = false;

	if (o != NULL && json_object_object_get_ex(o, "paths", &paths) &&
	    json_object_is_type(paths, json_type_object)) {
		json_object_object_foreach(paths, tpl, item) {
			if (gw_template_matches(tpl, path) &&
			    json_object_is_type(item, json_type_object) &&
			    item_has(item, method)) {
				found = true;
				break;
			}
		}
	}
	json_object_put(o);
	return found;
}
