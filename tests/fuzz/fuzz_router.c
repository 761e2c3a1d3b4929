/*
 * Fuzzes router.c (router_match) with the route table of DESIGN.md's
 * endpoints and the gateway's, against a reference matcher written here
 * from the rules router.c states: a pattern is '/'-separated segments; a
 * literal segment matches itself; a "{name}" segment matches 1 to 15
 * decimal digits whose value is not 0 and captures it; a last segment
 * "*" matches any rest of the path, empty included (the gateway's
 * "/gw/" and a star takes "/gw/" and every path under it, not "/gw");
 * otherwise the path must have the same segments and nothing else.
 *
 * The input is: method \n path.
 *
 * Properties: the same verdict (found, no such path, method not allowed)
 * as the reference, the same route (the first that matches), the same
 * captures, and for 405 an Allow list naming exactly the methods of the
 * routes whose pattern matches, once each (and HEAD after GET: a HEAD
 * matches where GET does); nothing read out of bounds.
 */
#include "fuzz.h"

static void
h(struct http_req *r)
{
	(void)r;
}

/* Every path of DESIGN.md, with the methods the modules give them. */
static const struct route routes[] = {
	{ "POST", "/api/v1/auth/token", h, RT_PUBLIC | RT_FORM_OR_JSON },
	{ "GET", "/api/v1/auth/me", h, 0 },
	{ "GET", "/api/v1/auth/keys", h, RT_PUBLIC },
	{ "GET", "/api/v1/notifications", h, 0 },
	{ "POST", "/api/v1/notifications/{id}/read", h, 0 },
	{ "GET", "/api/v1/accounts", h, 0 },
	{ "POST", "/api/v1/accounts", h, RT_JSON_BODY },
	{ "GET", "/api/v1/accounts/{id}", h, 0 },
	{ "POST", "/api/v1/accounts/{id}/disable", h, 0 },
	{ "POST", "/api/v1/accounts/{id}/rotate-secret", h, 0 },
	{ "GET", "/api/v1/agencies", h, 0 },
	{ "POST", "/api/v1/agencies", h, RT_JSON_BODY },
	{ "GET", "/api/v1/agencies/{id}", h, 0 },
	{ "PATCH", "/api/v1/agencies/{id}", h, RT_JSON_BODY },
	{ "GET", "/api/v1/agencies/{id}/focal-points", h, 0 },
	{ "POST", "/api/v1/agencies/{id}/focal-points", h, RT_JSON_BODY },
	{ "GET", "/api/v1/databases", h, 0 },
	{ "POST", "/api/v1/databases", h, RT_JSON_BODY },
	{ "GET", "/api/v1/databases/{id}", h, 0 },
	{ "PATCH", "/api/v1/databases/{id}", h, RT_JSON_BODY },
	{ "GET", "/api/v1/datasets", h, 0 },
	{ "POST", "/api/v1/datasets", h, RT_JSON_BODY },
	{ "GET", "/api/v1/datasets/{id}", h, 0 },
	{ "GET", "/api/v1/datasets/{id}/files", h, 0 },
	{ "POST", "/api/v1/datasets/{id}/files", h, RT_RAW_BODY },
	{ "GET", "/api/v1/services", h, RT_OPTIONAL_AUTH },
	{ "GET", "/api/v1/catalog/proposals", h, 0 },
	{ "POST", "/api/v1/catalog/proposals", h, RT_JSON_BODY },
	{ "POST", "/api/v1/catalog/proposals/{id}/review", h, RT_JSON_BODY },
	{ "POST", "/api/v1/catalog/proposals/{id}/decision", h, RT_JSON_BODY },
	{ "GET", "/api/v1/catalog/versions", h, RT_PUBLIC },
	{ "GET", "/api/v1/catalog/versions/{id}", h, RT_PUBLIC },
	{ "GET", "/api/v1/assessments", h, 0 },
	{ "POST", "/api/v1/assessments", h, RT_JSON_BODY },
	{ "GET", "/api/v1/open-data", h, RT_PUBLIC },
	{ "GET", "/api/v1/open-data/{id}", h, RT_PUBLIC },
	{ "GET", "/api/v1/search", h, RT_OPTIONAL_AUTH },
	{ "GET", "/api/v1/sharing-requests", h, 0 },
	{ "POST", "/api/v1/sharing-requests", h, RT_JSON_BODY },
	{ "GET", "/api/v1/sharing-requests/{id}", h, 0 },
	{ "POST", "/api/v1/sharing-requests/{id}/approve", h, RT_JSON_BODY },
	{ "POST", "/api/v1/sharing-requests/{id}/refuse", h, RT_JSON_BODY },
	{ "POST", "/api/v1/sharing-requests/{id}/withdraw", h, 0 },
	{ "GET", "/api/v1/grants", h, 0 },
	{ "GET", "/api/v1/grants/{id}", h, 0 },
	{ "GET", "/api/v1/grants/{id}/accounts", h, 0 },
	{ "POST", "/api/v1/grants/{id}/accounts", h, RT_JSON_BODY },
	{ "GET", "/api/v1/data/{id}/files/{id}", h, 0 },
	{ "GET", "/api/v1/access-log", h, 0 },
	{ "GET", "/api/v1/usage-reports", h, 0 },
	{ "POST", "/api/v1/usage-reports", h, RT_JSON_BODY },
	{ "GET", "/api/v1/error-reports", h, 0 },
	{ "POST", "/api/v1/error-reports", h, RT_JSON_BODY },
	{ "GET", "/api/v1/grants/{id}/suspensions", h, 0 },
	{ "POST", "/api/v1/grants/{id}/suspensions", h, RT_JSON_BODY },
	{ "POST", "/api/v1/suspensions/{id}/lift", h, RT_JSON_BODY },
	{ "GET", "/api/v1/suspensions", h, 0 },
	{ "POST", "/api/v1/grants/{id}/termination", h, RT_JSON_BODY },
	{ "GET", "/api/v1/disputes", h, 0 },
	{ "POST", "/api/v1/disputes", h, RT_JSON_BODY },
	{ "GET", "/api/v1/disputes/{id}", h, 0 },
	{ "GET", "/api/v1/disputes/{id}/comments", h, 0 },
	{ "POST", "/api/v1/disputes/{id}/comments", h, RT_JSON_BODY },
	{ "POST", "/api/v1/disputes/{id}/transition", h, RT_JSON_BODY },
	{ "POST", "/api/v1/disputes/{id}/escalate", h, RT_JSON_BODY },
	{ "GET", "/api/v1/reports/requests", h, 0 },
	{ "GET", "/api/v1/reports/grants", h, 0 },
	{ "GET", "/api/v1/reports/disputes", h, 0 },
	{ "GET", "/api/v1/health", h, RT_PUBLIC },
	{ "PUT", "/api/v1/health", h, RT_PUBLIC },
	{ "DELETE", "/api/v1/health", h, RT_PUBLIC },
	{ "OPTIONS", "/api/v1/health", h, RT_PUBLIC },
	/* the gateway (modules/gateway/main.c) */
	{ "GET", "/gw/*", h, RT_PUBLIC | RT_RAW_BODY },
	{ "POST", "/gw/*", h, RT_PUBLIC | RT_RAW_BODY },
	{ "PUT", "/gw/*", h, RT_PUBLIC | RT_RAW_BODY },
	{ "PATCH", "/gw/*", h, RT_PUBLIC | RT_RAW_BODY },
	{ "DELETE", "/gw/*", h, RT_PUBLIC | RT_RAW_BODY },
	{ "GET", "/api/v1/opmon/records", h, 0 },
	{ "GET", "/api/v1/services/{id}/health", h, 0 },
};

/* Next '/'-separated segment of *s; returns its length, moves *s. */
static size_t
segment(const char **s)
{
	const char *slash = strchr(*s, '/');
	size_t n = slash ? (size_t)(slash - *s) : strlen(*s);

	*s += n + (slash != NULL);
	return n;
}

static bool
ref_match(const char *pat, const char *path, long long *cap, size_t *ncap)
{
	bool pdone = false, sdone = false;

	*ncap = 0;
	/* Both begin with '/': compare segment by segment after it. */
	if (pat[0] != '/' || path[0] != '/')
		return pat[0] == path[0] && strcmp(pat, path) == 0;
	pat++;
	path++;
	for (;;) {
		const char *ps = pat, *ss = path;
		bool plast = strchr(pat, '/') == NULL;
		bool slast = strchr(path, '/') == NULL;
		size_t pn = segment(&pat), sn = segment(&path);

		/* "*" last: whatever is left, nothing included. */
		if (plast && pn == 1 && ps[0] == '*')
			return true;
		if (pn >= 2 && ps[0] == '{' && ps[pn - 1] == '}') {
			long long v = 0;

			if (sn == 0 || sn > 15 || *ncap == HTTP_MAX_CAPTURES)
				return false;
			for (size_t i = 0; i < sn; i++) {
				if (ss[i] < '0' || ss[i] > '9')
					return false;
				v = v * 10 + (ss[i] - '0');
			}
			if (v == 0)
				return false;
			cap[(*ncap)++] = v;
		} else if (pn != sn || memcmp(ps, ss, pn) != 0)
			return false;
		pdone = plast;
		sdone = slast;
		if (pdone || sdone)
			return pdone && sdone;
	}
}

/* Adds method to the reference Allow list unless it is there. */
static void
ref_allow(char *want_allow, const char *method)
{
	bool seen = false;
	const char *p = want_allow;

	while (*p != '\0' && !seen) {
		size_t l = strcspn(p, ",");

		seen = l == strlen(method) && memcmp(p, method, l) == 0;
		p += l;
		p += strspn(p, ", ");
	}
	if (!seen) {
		if (want_allow[0] != '\0')
			strcat(want_allow, ", ");
		strcat(want_allow, method);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *a = arena_new();
	const char *method, *path;
	const struct route *hit = NULL, *want = NULL;
	long long cap[HTTP_MAX_CAPTURES], rcap[HTTP_MAX_CAPTURES],
	    first[HTTP_MAX_CAPTURES];
	size_t ncap = 0, rn, nfirst = 0;
	char allow[64], want_allow[64] = "";
	enum route_match rm, expect = ROUTE_NO_PATH;

	method = fuzz_line(a, &data, &size);
	path = arena_strndup(a, (const char *)data, size);
	rm = router_match(routes, NPARAMS(routes), method, path, &hit, cap,
	    &ncap, allow, sizeof(allow));
	for (size_t i = 0; i < NPARAMS(routes); i++) {
		if (!ref_match(routes[i].pattern, path, rcap, &rn))
			continue;
		/* HEAD is served by the GET route (RFC 9110 9.3.2). */
		if (strcmp(routes[i].method, method) == 0 ||
		    (strcmp(method, "HEAD") == 0 &&
		    strcmp(routes[i].method, "GET") == 0)) {
			want = &routes[i];
			memcpy(first, rcap, sizeof(rcap));
			nfirst = rn;
			expect = ROUTE_FOUND;
			break;
		}
		expect = ROUTE_NO_METHOD;
		/* Each method once, in table order, HEAD right after GET. */
		ref_allow(want_allow, routes[i].method);
		if (strcmp(routes[i].method, "GET") == 0)
			ref_allow(want_allow, "HEAD");
	}
	FUZZ_CHECK(rm == expect, "%s %s: router %d, reference %d", method,
	    path, rm, expect);
	if (rm == ROUTE_FOUND) {
		FUZZ_CHECK(hit == want, "%s %s: route %s, expected %s", method,
		    path, hit->pattern, want->pattern);
		FUZZ_CHECK(ncap == nfirst && memcmp(cap, first, ncap *
		    sizeof(cap[0])) == 0, "%s: captures differ", path);
	}
	if (rm == ROUTE_NO_METHOD)
		FUZZ_CHECK(strcmp(allow, want_allow) == 0, "%s %s: Allow '%s', "
		    "expected '%s'", method, path, allow, want_allow);
	arena_free(a);
	return 0;
}
