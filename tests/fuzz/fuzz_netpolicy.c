/*
 * Fuzzes netpolicy.c's judgement of the upstream URLs providers register
 * (netpolicy_url_check): a URL it lets through is one the gateway will
 * call, so whatever it allows must be what the contract allows.
 *
 * The input is the URL (up to its first NUL). The settings are fixed:
 * networks 10.0.0.0/8, 127.0.0.0/8, 2001:db8::/32 (and a bad entry),
 * hosts localhost and *.example.vn, the database at 10.0.0.5:3306.
 *
 * Properties:
 * - the answer is NULL or a reason worded as a 422 detail ("must ..."),
 *   and the same URL gets the same answer twice;
 * - an allowed URL is http:// or https:// (any case), at most 1000
 *   bytes of printable ASCII with no '#', '\', '"', '<', '>', '^', '`',
 *   '{', '|', '}' and every '%' starting %XX, and its authority (up to
 *   the first '/' or '?') has no '@';
 * - its port, when given, is 1-65535 in decimal;
 * - its host is "[v6]" that inet_pton reads, a.b.c.d that inet_pton
 *   reads, or a name (no address inet_aton reads) that is localhost or
 *   under example.vn;
 * - a literal address is inside the networks above by a reference check
 *   written apart (mapped IPv4 as its IPv4), is not 10.0.0.5:3306, and
 *   netpolicy_addr_allowed takes it with its port (what the gateway will
 *   connect to once the URL is allowed);
 * - nothing leaks.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <strings.h>
#include <sys/socket.h>

#include "fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	conf_set("gateway_upstream_networks",
	    "10.0.0.0/8, 127.0.0.0/8, 2001:db8::/32, 300.0.0.0/8");
	conf_set("gateway_upstream_hosts", "localhost, *.example.vn");
	conf_set("db_host", "10.0.0.5");
	conf_set("db_port", "3306");
	netpolicy_reset();
	return 0;
}

static bool
ref_chars(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= 0x20 || c >= 0x7f || strchr("#\\\"<>^`{|}", c) != NULL)
			return false;
		if (c == '%' && (!isxdigit((unsigned char)s[i + 1]) ||
		    !isxdigit((unsigned char)s[i + 2])))
			return false;
	}
	return true;
}

/* The port text after ':' (len n): 1-65535, digits only. */
static bool
ref_port(const char *s, size_t n, unsigned *port)
{
	unsigned long v = 0;

	if (n == 0 || n > 5)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	*port = (unsigned)v;
	return v >= 1 && v <= 65535;
}

/* Inside 10/8, 127/8 (IPv4 or mapped) or 2001:db8::/32, and not the
 * database. */
static bool
ref_in_networks(const unsigned char *b, bool v6, unsigned port)
{
	static const unsigned char mapped[12] = { [10] = 0xff, [11] = 0xff };
	const unsigned char *v4 = NULL;

	if (!v6)
		v4 = b;
	else if (memcmp(b, mapped, 12) == 0)
		v4 = b + 12;
	if (v4 == NULL)
		return b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d &&
		    b[3] == 0xb8;
	if (v4[0] == 10 && v4[1] == 0 && v4[2] == 0 && v4[3] == 5 &&
	    port == 3306)
		return false;
	return v4[0] == 10 || v4[0] == 127;
}

static bool
ref_name(const char *h)
{
	size_t n = strlen(h), k = strlen(".example.vn");
	struct in_addr in;

	if (inet_aton(h, &in) != 0)
		return false;
	return strcasecmp(h, "localhost") == 0 ||
	    (n > k && strcasecmp(h + n - k, ".example.vn") == 0);
}

/* Checks an allowed URL's host and port (authority auth, alen bytes). */
static void
check_host(const char *url, const char *auth, size_t alen, unsigned port)
{
	struct sockaddr_in6 in6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in in = { .sin_family = AF_INET };
	const char *hend, *pstart;
	char host[300];
	bool v6 = auth[0] == '[';

	hend = v6 ? memchr(auth, ']', alen) : memchr(auth, ':', alen);
	if (hend == NULL)
		hend = auth + alen;
	FUZZ_CHECK(!v6 || *hend == ']', "%s: no ']'", url);
	pstart = hend + (v6 ? 1 : 0);
	if (pstart < auth + alen)
		FUZZ_CHECK(*pstart == ':' && ref_port(pstart + 1,
		    (size_t)(auth + alen - pstart - 1), &port),
		    "%s: a bad port allowed", url);
	FUZZ_CHECK((size_t)(hend - auth) < sizeof(host), "%s: host", url);
	memcpy(host, auth + (v6 ? 1 : 0), (size_t)(hend - auth) - (v6 ? 1 : 0));
	host[(size_t)(hend - auth) - (v6 ? 1 : 0)] = '\0';
	if (v6) {
		FUZZ_CHECK(inet_pton(AF_INET6, host, &in6.sin6_addr) == 1,
		    "%s: not IPv6", url);
		in6.sin6_port = htons((uint16_t)port);
		FUZZ_CHECK(ref_in_networks(in6.sin6_addr.s6_addr, true, port) &&
		    netpolicy_addr_allowed((struct sockaddr *)&in6,
		    sizeof(in6)), "%s: an address outside", url);
	} else if (inet_pton(AF_INET, host, &in.sin_addr) == 1) {
		in.sin_port = htons((uint16_t)port);
		FUZZ_CHECK(ref_in_networks((const unsigned char *)
		    &in.sin_addr, false, port) &&
		    netpolicy_addr_allowed((struct sockaddr *)&in, sizeof(in)),
		    "%s: an address outside", url);
	} else
		FUZZ_CHECK(ref_name(host), "%s: a name not configured", url);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *url = fuzz_copy(data, size, true);
	const char *why = netpolicy_url_check(url), *again, *auth;
	size_t len = strlen(url), alen;
	unsigned port;

	again = netpolicy_url_check(url);
	FUZZ_CHECK(why == again, "two answers for %s", url);
	if (why != NULL) {
		FUZZ_CHECK(strncmp(why, "must ", 5) == 0, "reason \"%s\"", why);
		free(url);
		return 0;
	}
	FUZZ_CHECK(len <= 1000 && ref_chars(url, len), "%s: bad text", url);
	if (strncasecmp(url, "http://", 7) == 0) {
		auth = url + 7;
		port = 80;
	} else {
		FUZZ_CHECK(strncasecmp(url, "https://", 8) == 0,
		    "%s: scheme", url);
		auth = url + 8;
		port = 443;
	}
	alen = strcspn(auth, "/?");
	FUZZ_CHECK(alen > 0 && memchr(auth, '@', alen) == NULL,
	    "%s: authority", url);
	check_host(url, auth, alen, port);
	free(url);
	return 0;
}
