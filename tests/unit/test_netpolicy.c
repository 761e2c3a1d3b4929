/*
 * netpolicy.c: which upstream URLs a provider may register and which
 * resolved addresses the gateway may connect to (issue 18, "Where
 * upstreams may be").
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "unit.h"

/* The URL is allowed; else fails naming the reason. */
#define ALLOWED(url) do {						\
	const char *why_ = netpolicy_url_check(url);			\
	if (why_ != NULL)						\
		fail_msg("%s refused: %s", (url), why_);		\
} while (0)

/* The URL is refused with a reason that says part. */
#define REFUSED(url, part) do {						\
	const char *why_ = netpolicy_url_check(url);			\
	if (why_ == NULL)						\
		fail_msg("%s allowed", (url));				\
	if (strstr(why_, (part)) == NULL)				\
		fail_msg("%s: \"%s\" does not say \"%s\"", (url), why_,	\
		    (part));						\
} while (0)

/* Sets the two gateway keys (NULL: unset) and forgets what was read. */
static void
configure(const char *networks, const char *hosts)
{
	conf_clear();
	if (networks != NULL)
		conf_set("gateway_upstream_networks", networks);
	if (hosts != NULL)
		conf_set("gateway_upstream_hosts", hosts);
	netpolicy_reset();
}

static int
teardown(void **state)
{
	(void)state;
	conf_clear();
	netpolicy_reset();
	return 0;
}

static bool
v4_allowed(const char *ip, unsigned port)
{
	struct sockaddr_in in = { .sin_family = AF_INET,
	    .sin_port = htons((uint16_t)port) };

	assert_int_equal(inet_pton(AF_INET, ip, &in.sin_addr), 1);
	return netpolicy_addr_allowed((struct sockaddr *)&in, sizeof(in));
}

static bool
v6_allowed(const char *ip, unsigned port)
{
	struct sockaddr_in6 in6 = { .sin6_family = AF_INET6,
	    .sin6_port = htons((uint16_t)port) };

	assert_int_equal(inet_pton(AF_INET6, ip, &in6.sin6_addr), 1);
	return netpolicy_addr_allowed((struct sockaddr *)&in6, sizeof(in6));
}

/* stderr into a temporary file while the settings are read. */
static int saved_stderr = -1;
static FILE *captured;

static void
capture_start(void)
{
	fflush(stderr);
	assert_non_null(captured = tmpfile());
	assert_true((saved_stderr = dup(2)) >= 0);
	assert_true(dup2(fileno(captured), 2) >= 0);
}

/* What was written since capture_start (the caller frees it). */
static char *
capture_end(void)
{
	char *text = calloc(1, 8192);
	size_t n;

	fflush(stderr);
	assert_true(dup2(saved_stderr, 2) >= 0);
	close(saved_stderr);
	rewind(captured);
	assert_non_null(text);
	n = fread(text, 1, 8191, captured);
	text[n] = '\0';
	fclose(captured);
	return text;
}

static void
test_only_http_and_https_are_taken(void **state)
{
	(void)state;
	configure(NULL, "api.example.vn");
	ALLOWED("http://api.example.vn/x");
	ALLOWED("https://api.example.vn/x");
	ALLOWED("HTTPS://API.Example.VN/x?y=1");
	ALLOWED("https://api.example.vn");
	ALLOWED("https://api.example.vn?q");
	REFUSED("file:///etc/passwd", "http:// or https://");
	REFUSED("file://api.example.vn/etc/passwd", "http:// or https://");
	REFUSED("gopher://api.example.vn:70/_x", "http:// or https://");
	REFUSED("ftp://api.example.vn/", "http:// or https://");
	REFUSED("http:/api.example.vn/", "http:// or https://");
	REFUSED("//api.example.vn/", "http:// or https://");
	REFUSED("httpx://api.example.vn/", "http:// or https://");
	REFUSED("api.example.vn", "http:// or https://");
	REFUSED("", "must not be empty");
	REFUSED(NULL, "must not be empty");
	REFUSED("http://", "must have a host");
	REFUSED("https:///x", "must have a host");
	REFUSED("http://?x", "must have a host");
	REFUSED("http://:80/", "must have a host");
}

static void
test_credentials_are_refused(void **state)
{
	(void)state;
	configure(NULL, "api.example.vn");
	REFUSED("https://user:pass@api.example.vn/", "user:pass@");
	REFUSED("https://user@api.example.vn/", "user:pass@");
	REFUSED("https://@api.example.vn/", "user:pass@");
	REFUSED("https://api.example.vn@evil.example.com/", "user:pass@");
	/* An '@' after the authority is the path's. */
	ALLOWED("https://api.example.vn/a@b?c=d@e");
}

static void
test_ports(void **state)
{
	(void)state;
	configure("10.0.0.0/8", "api.example.vn");
	ALLOWED("http://api.example.vn:1/");
	ALLOWED("http://api.example.vn:65535/");
	ALLOWED("http://api.example.vn:8080");
	ALLOWED("http://api.example.vn:08080/");
	ALLOWED("http://10.0.0.1:8443/x");
	ALLOWED("http://[::ffff:10.0.0.1]:8443/x");
	REFUSED("http://api.example.vn:0/", "port from 1 to 65535");
	REFUSED("http://api.example.vn:65536/", "port from 1 to 65535");
	REFUSED("http://api.example.vn:99999/", "port from 1 to 65535");
	REFUSED("http://api.example.vn:/", "port from 1 to 65535");
	REFUSED("http://api.example.vn:+80/", "port from 1 to 65535");
	REFUSED("http://api.example.vn:-1/", "port from 1 to 65535");
	REFUSED("http://api.example.vn:8o/", "port from 1 to 65535");
	REFUSED("http://api.example.vn:0000080/", "port from 1 to 65535");
	REFUSED("http://10.0.0.1:0/", "port from 1 to 65535");
	REFUSED("http://[::ffff:10.0.0.1]x/", "port from 1 to 65535");
}

static void
test_length_is_at_most_1000(void **state)
{
	char url[1100];
	const char *head = "https://api.example.vn/";

	(void)state;
	configure(NULL, "api.example.vn");
	memset(url, 'a', sizeof(url));
	memcpy(url, head, strlen(head));
	url[1000] = '\0';
	ALLOWED(url);
	url[1000] = 'a';
	url[1001] = '\0';
	REFUSED(url, "at most 1000 characters");
	url[1001] = 'a';
	url[sizeof(url) - 1] = '\0';
	REFUSED(url, "at most 1000 characters");
}

static void
test_control_characters_spaces_and_fragments_are_refused(void **state)
{
	static const char *const bad[] = {
		"https://api.example.vn/a b", "https://api.example.vn/a\tb",
		"https://api.example.vn/\r\nHost: evil", "https://api.example.vn/\x7f",
		"https://api.example.vn/\x01", " https://api.example.vn/",
		"https://api.example.vn/ ", "https://api.example.vn/\xc3\xa1",
		"https://api.example.vn/\xc2\x85", "https://api.\xe1\xba\xa1.vn/",
	};

	(void)state;
	configure(NULL, "api.example.vn");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		REFUSED(bad[i], "spaces, control characters or non-ASCII");
	REFUSED("https://api.example.vn/#top", "fragment");
	REFUSED("https://api.example.vn#", "fragment");
	REFUSED("https://api.example.vn\\@evil.example.com/", "may not");
	REFUSED("https://api.example.vn/a\\b", "may not");
	REFUSED("https://api.example.vn/<x>", "may not");
	REFUSED("https://api.example.vn/{x}", "may not");
	REFUSED("https://api.example.vn/a|b", "may not");
	REFUSED("https://api.example.vn/\"", "may not");
	REFUSED("https://api.example.vn/%", "%XX");
	REFUSED("https://api.example.vn/%4", "%XX");
	REFUSED("https://api.example.vn/%zz", "%XX");
	REFUSED("https://%61pi.example.vn/", "valid host name");
	ALLOWED("https://api.example.vn/a%20b/%C3%A1?x=%2F&y=~_-.!$'()*+,;=:@");
}

static void
test_names_match_the_configured_hosts(void **state)
{
	(void)state;
	configure(NULL, " api.example.vn , *.svc.example.vn,LOCALHOST,, ");
	ALLOWED("https://api.example.vn/");
	ALLOWED("https://API.EXAMPLE.VN/");
	ALLOWED("http://localhost:8080/");
	ALLOWED("https://a.svc.example.vn/");
	ALLOWED("https://a.b.svc.example.vn/");
	REFUSED("https://svc.example.vn/", "gateway_upstream_hosts");
	REFUSED("https://xsvc.example.vn/", "gateway_upstream_hosts");
	REFUSED("https://a.api.example.vn/", "gateway_upstream_hosts");
	REFUSED("https://api.example.vn.evil.com/", "gateway_upstream_hosts");
	REFUSED("https://example.vn/", "gateway_upstream_hosts");
	REFUSED("https://other.example.vn/", "gateway_upstream_hosts");
	REFUSED("https://metadata.google.internal/", "gateway_upstream_hosts");
	/* Not names: a trailing dot, empty labels, bad characters. */
	REFUSED("https://api.example.vn./", "valid host name");
	REFUSED("https://api..example.vn/", "valid host name");
	REFUSED("https://-api.example.vn/", "valid host name");
	REFUSED("https://api-.example.vn/", "valid host name");
	REFUSED("https://api_x.example.vn/", "valid host name");
	REFUSED("https://a[b]/", "valid host name");
}

static void
test_no_names_when_the_hosts_are_unset(void **state)
{
	(void)state;
	configure("0.0.0.0/0", NULL);
	REFUSED("https://api.example.vn/", "gateway_upstream_hosts");
	REFUSED("https://localhost/", "gateway_upstream_hosts");
	configure(NULL, "");
	REFUSED("https://api.example.vn/", "gateway_upstream_hosts");
}

static void
test_numbers_inet_aton_reads_are_not_names(void **state)
{
	(void)state;
	configure("10.0.0.0/8", "*.example.vn,localhost");
	REFUSED("http://127.1/", "a.b.c.d");
	REFUSED("http://2130706433/", "a.b.c.d");
	REFUSED("http://0x7f000001/", "a.b.c.d");
	REFUSED("http://0177.0.0.1/", "a.b.c.d");
	REFUSED("http://010.0.0.1/", "a.b.c.d");
	REFUSED("http://10.1/", "a.b.c.d");
	REFUSED("http://0xa9.0xfe.0xa9.0xfe/", "a.b.c.d");
	ALLOWED("http://10.0.0.1/");
	ALLOWED("http://0x7f.example.vn/");
}

static void
test_literal_addresses_must_be_in_a_network(void **state)
{
	(void)state;
	configure(NULL, "localhost");
	REFUSED("http://10.0.0.1/", "gateway_upstream_networks");
	REFUSED("http://127.0.0.1/", "loopback");
	REFUSED("http://[::1]/", "loopback");
	REFUSED("http://[2001:db8::1]/", "gateway_upstream_networks");
	configure("10.0.0.0/8, 192.168.1.0/25, 2001:db8::/32", NULL);
	ALLOWED("http://10.0.0.0/");
	ALLOWED("http://10.255.255.255/");
	REFUSED("http://11.0.0.0/", "inside gateway_upstream_networks");
	REFUSED("http://9.255.255.255/", "inside gateway_upstream_networks");
	ALLOWED("http://192.168.1.0/");
	ALLOWED("http://192.168.1.127/");
	REFUSED("http://192.168.1.128/", "inside gateway_upstream_networks");
	ALLOWED("http://[2001:db8::1]/");
	ALLOWED("http://[2001:DB8:FFFF:ffff::1]:8080/x");
	REFUSED("http://[2001:db9::1]/", "inside gateway_upstream_networks");
	REFUSED("http://127.0.0.1/", "loopback");
}

static void
test_ipv6_needs_brackets_and_a_valid_address(void **state)
{
	(void)state;
	configure("::/0", NULL);
	ALLOWED("http://[2001:db8::1]/");
	ALLOWED("http://[2001:db8::1]");
	ALLOWED("http://[2001:db8::1]:443");
	REFUSED("http://2001:db8::1/", "brackets");
	REFUSED("http://::1/", "brackets");
	REFUSED("http://[2001:db8::1/", "valid IPv6 address");
	REFUSED("http://[]/", "valid IPv6 address");
	REFUSED("http://[2001:db8::g]/", "valid IPv6 address");
	REFUSED("http://[10.0.0.1]/", "valid IPv6 address");
	REFUSED("http://[fe80::1%25eth0]/", "valid IPv6 address");
	REFUSED("http://[v1.x]/", "valid IPv6 address");
	REFUSED("http://[2001:db8::1]]/", "port from 1 to 65535");
	REFUSED("http://x[2001:db8::1]/", "brackets");
}

static void
test_always_refused_addresses(void **state)
{
	static const char *const v4[] = { "0.0.0.0", "0.1.2.3",
	    "169.254.169.254", "169.254.0.1", "224.0.0.1", "239.255.255.255",
	    "255.255.255.255" };
	static const char *const v6[] = { "::", "fe80::1", "febf::1",
	    "ff02::1", "ff00::", "::ffff:169.254.169.254", "::ffff:0.0.0.0",
	    "::ffff:224.0.0.1", "::ffff:255.255.255.255" };
	char url[128];

	(void)state;
	/* Every address is inside one of these: none of the above may be
	 * called anyway. */
	configure("0.0.0.0/0, ::/0, ::ffff:0:0/96, 169.254.0.0/16", NULL);
	for (size_t i = 0; i < sizeof(v4) / sizeof(v4[0]); i++) {
		snprintf(url, sizeof(url), "http://%s/", v4[i]);
		REFUSED(url, "link-local, multicast");
		assert_false(v4_allowed(v4[i], 80));
	}
	for (size_t i = 0; i < sizeof(v6) / sizeof(v6[0]); i++) {
		snprintf(url, sizeof(url), "http://[%s]/", v6[i]);
		REFUSED(url, "link-local, multicast");
		assert_false(v6_allowed(v6[i], 80));
	}
	ALLOWED("http://169.255.0.1/");
	ALLOWED("http://223.255.255.255/");
	ALLOWED("http://240.0.0.1/");
	ALLOWED("http://255.255.255.254/");
	ALLOWED("http://[fec0::1]/");
	ALLOWED("http://[fe7f::1]/");
	ALLOWED("http://127.0.0.1/");
	ALLOWED("http://[::1]/");
}

static void
test_mapped_addresses_are_their_ipv4_address(void **state)
{
	(void)state;
	configure("10.0.0.0/8", NULL);
	ALLOWED("http://[::ffff:10.1.2.3]/");
	ALLOWED("http://[::FFFF:a01:203]/");
	REFUSED("http://[::ffff:11.1.2.3]/", "inside gateway_upstream_networks");
	REFUSED("http://[::ffff:127.0.0.1]/", "loopback");
	assert_false(v6_allowed("::ffff:127.0.0.1", 80));
	assert_true(v6_allowed("::ffff:10.1.2.3", 80));
	/* A network written in its mapped form is the IPv4 network. */
	configure("::ffff:192.168.0.0/112", NULL);
	ALLOWED("http://192.168.3.4/");
	ALLOWED("http://[::ffff:192.168.3.4]/");
	REFUSED("http://192.169.0.1/", "inside gateway_upstream_networks");
	/* An IPv6 network holds no IPv4 address, and the other way round. */
	configure("::/0", NULL);
	REFUSED("http://10.0.0.1/", "inside gateway_upstream_networks");
	REFUSED("http://[::ffff:10.0.0.1]/", "inside gateway_upstream_networks");
	configure("0.0.0.0/0", NULL);
	REFUSED("http://[2001:db8::1]/", "inside gateway_upstream_networks");
	ALLOWED("http://[::ffff:10.0.0.1]/");
}

static void
test_cidr_edges(void **state)
{
	(void)state;
	configure("0.0.0.0/0", NULL);
	ALLOWED("http://1.2.3.4/");
	ALLOWED("http://255.255.255.254/");
	configure("10.0.0.1/32", NULL);
	ALLOWED("http://10.0.0.1/");
	REFUSED("http://10.0.0.2/", "inside gateway_upstream_networks");
	REFUSED("http://10.0.0.0/", "inside gateway_upstream_networks");
	configure("10.0.0.1", NULL);	/* an address alone: /32 */
	ALLOWED("http://10.0.0.1/");
	REFUSED("http://10.0.0.2/", "inside gateway_upstream_networks");
	configure("2001:db8::1/128", NULL);
	ALLOWED("http://[2001:db8::1]/");
	REFUSED("http://[2001:db8::2]/", "inside gateway_upstream_networks");
	configure("2001:db8::1", NULL);
	ALLOWED("http://[2001:db8::1]/");
	REFUSED("http://[2001:db8::]/", "inside gateway_upstream_networks");
	configure("2001:db8:8000::/33", NULL);
	ALLOWED("http://[2001:db8:ffff::1]/");
	REFUSED("http://[2001:db8:7fff::1]/", "inside gateway_upstream_networks");
	/* Host bits after the prefix do not matter. */
	configure("10.1.2.3/8", NULL);
	ALLOWED("http://10.200.0.1/");
	configure("172.16.0.0/12", NULL);
	ALLOWED("http://172.31.255.255/");
	REFUSED("http://172.32.0.0/", "inside gateway_upstream_networks");
}

static void
test_bad_networks_are_ignored_and_logged(void **state)
{
	static const char *const bad[] = { "10.0.0.0/33", "10.0.0.0/",
	    "10.0.0/8", "::/129", "10.0.0.0/8x", "bogus", "10.0.0.0/-1",
	    "[2001:db8::]/32", "10.0.0.0/0008", "10.0.0.0/8/8" };
	char list[512] = "192.168.5.0/24";
	char *log;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		strcat(list, ",");
		strcat(list, bad[i]);
	}
	configure(list, "ok.example.vn, *.bad_name.vn, 10.0.0.1, *, *., "
	    "-x.vn");
	capture_start();
	ALLOWED("http://192.168.5.9/");
	log = capture_end();
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (strstr(log, bad[i]) == NULL)
			fail_msg("'%s' not logged in: %s", bad[i], log);
	assert_non_null(strstr(log, "*.bad_name.vn"));
	assert_non_null(strstr(log, "'10.0.0.1'"));
	assert_non_null(strstr(log, "'*'"));
	assert_non_null(strstr(log, "'-x.vn'"));
	assert_non_null(strstr(log, "ignored"));
	free(log);
	REFUSED("http://10.0.0.1/", "inside gateway_upstream_networks");
	REFUSED("http://[2001:db8::1]/", "inside gateway_upstream_networks");
	ALLOWED("https://ok.example.vn/");
	REFUSED("https://10.0.0.1.example.vn/", "gateway_upstream_hosts");
	/* Read once: nothing more is logged on the next calls. */
	capture_start();
	REFUSED("http://10.0.0.1/", "inside gateway_upstream_networks");
	log = capture_end();
	assert_string_equal(log, "");
	free(log);
}

static void
test_the_database_is_never_an_upstream(void **state)
{
	(void)state;
	configure("10.0.0.0/8", "*.internal");
	conf_set("db_host", "10.0.0.5");
	ALLOWED("http://10.0.0.5/");
	ALLOWED("http://10.0.0.5:3307/");
	REFUSED("http://10.0.0.5:3306/", "database");
	REFUSED("http://[::ffff:10.0.0.5]:3306/", "database");
	assert_false(v4_allowed("10.0.0.5", 3306));
	assert_false(v6_allowed("::ffff:10.0.0.5", 3306));
	assert_true(v4_allowed("10.0.0.5", 3307));
	assert_true(v4_allowed("10.0.0.6", 3306));

	configure("10.0.0.0/8", "*.internal");
	conf_set("db_host", "10.0.0.5");
	conf_set("db_port", "3307");
	ALLOWED("http://10.0.0.5:3306/");
	REFUSED("http://10.0.0.5:3307/", "database");
	assert_false(v4_allowed("10.0.0.5", 3307));

	configure("10.0.0.0/8", "*.internal");
	conf_set("db_host", "DB.Internal");
	REFUSED("http://db.internal:3306/", "database");
	REFUSED("http://DB.INTERNAL:3306/x", "database");
	ALLOWED("http://db.internal/");
	ALLOWED("http://db2.internal:3306/");

	/* The default port when it is the database's. */
	configure("10.0.0.0/8", NULL);
	conf_set("db_host", "10.0.0.5");
	conf_set("db_port", "80");
	REFUSED("http://10.0.0.5/", "database");
	ALLOWED("https://10.0.0.5/");

	/* No db_host (a socket): no address is the database's. */
	configure("10.0.0.0/8", NULL);
	conf_set("db_port", "3306");
	ALLOWED("http://10.0.0.5:3306/");
	assert_true(v4_allowed("10.0.0.5", 3306));
}

static void
test_a_database_named_is_looked_up_for_addresses(void **state)
{
	(void)state;
	configure("127.0.0.0/8", "localhost");
	conf_set("db_host", "localhost");
	assert_false(v4_allowed("127.0.0.1", 3306));
	assert_true(v4_allowed("127.0.0.1", 8080));
	REFUSED("http://localhost:3306/", "database");
	ALLOWED("http://localhost:8080/");
}

static void
test_resolved_addresses(void **state)
{
	struct sockaddr_in in = { .sin_family = AF_INET };
	struct sockaddr_un un = { .sun_family = AF_UNIX };

	(void)state;
	configure(NULL, "api.example.vn");
	/* A name allowed by name may resolve to a private address. */
	assert_true(v4_allowed("10.1.2.3", 443));
	assert_true(v4_allowed("192.168.1.1", 80));
	assert_true(v4_allowed("8.8.8.8", 80));
	assert_true(v6_allowed("fd00::1", 443));
	assert_true(v6_allowed("2001:db8::1", 443));
	/* Never to an always-refused one, or loopback outside the networks. */
	assert_false(v4_allowed("169.254.169.254", 80));
	assert_false(v4_allowed("0.0.0.0", 80));
	assert_false(v4_allowed("224.0.0.1", 80));
	assert_false(v4_allowed("255.255.255.255", 80));
	assert_false(v4_allowed("127.0.0.1", 80));
	assert_false(v4_allowed("127.255.0.1", 80));
	assert_false(v6_allowed("::1", 80));
	assert_false(v6_allowed("::", 80));
	assert_false(v6_allowed("fe80::1", 80));
	assert_false(v6_allowed("ff02::1", 80));
	assert_false(v6_allowed("::ffff:169.254.169.254", 80));
	configure("127.0.0.0/8", NULL);
	assert_true(v4_allowed("127.0.0.1", 80));
	assert_false(v6_allowed("::1", 80));
	configure("::1/128", NULL);
	assert_true(v6_allowed("::1", 80));
	assert_false(v4_allowed("127.0.0.1", 80));
	/* Whatever is not an IPv4 or IPv6 address of its full size. */
	assert_false(netpolicy_addr_allowed(NULL, 0));
	assert_int_equal(inet_pton(AF_INET, "10.0.0.1", &in.sin_addr), 1);
	assert_false(netpolicy_addr_allowed((struct sockaddr *)&in,
	    sizeof(in) - 1));
	assert_true(netpolicy_addr_allowed((struct sockaddr *)&in,
	    sizeof(in)));
	assert_false(netpolicy_addr_allowed((struct sockaddr *)&un,
	    sizeof(un)));
}

static void
test_settings_are_read_once_until_reset(void **state)
{
	(void)state;
	configure("10.0.0.0/8", "a.example.vn");
	ALLOWED("http://10.0.0.1/");
	ALLOWED("http://a.example.vn/");
	conf_set("gateway_upstream_networks", "192.168.0.0/16");
	conf_set("gateway_upstream_hosts", "b.example.vn");
	ALLOWED("http://10.0.0.1/");
	REFUSED("http://b.example.vn/", "gateway_upstream_hosts");
	netpolicy_reset();
	REFUSED("http://10.0.0.1/", "inside gateway_upstream_networks");
	ALLOWED("http://192.168.0.1/");
	ALLOWED("http://b.example.vn/");
	REFUSED("http://a.example.vn/", "gateway_upstream_hosts");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_only_http_and_https_are_taken,
		    teardown),
		cmocka_unit_test_teardown(test_credentials_are_refused, teardown),
		cmocka_unit_test_teardown(test_ports, teardown),
		cmocka_unit_test_teardown(test_length_is_at_most_1000, teardown),
		cmocka_unit_test_teardown(
		    test_control_characters_spaces_and_fragments_are_refused,
		    teardown),
		cmocka_unit_test_teardown(test_names_match_the_configured_hosts,
		    teardown),
		cmocka_unit_test_teardown(test_no_names_when_the_hosts_are_unset,
		    teardown),
		cmocka_unit_test_teardown(
		    test_numbers_inet_aton_reads_are_not_names, teardown),
		cmocka_unit_test_teardown(
		    test_literal_addresses_must_be_in_a_network, teardown),
		cmocka_unit_test_teardown(
		    test_ipv6_needs_brackets_and_a_valid_address, teardown),
		cmocka_unit_test_teardown(test_always_refused_addresses,
		    teardown),
		cmocka_unit_test_teardown(
		    test_mapped_addresses_are_their_ipv4_address, teardown),
		cmocka_unit_test_teardown(test_cidr_edges, teardown),
		cmocka_unit_test_teardown(
		    test_bad_networks_are_ignored_and_logged, teardown),
		cmocka_unit_test_teardown(test_the_database_is_never_an_upstream,
		    teardown),
		cmocka_unit_test_teardown(
		    test_a_database_named_is_looked_up_for_addresses, teardown),
		cmocka_unit_test_teardown(test_resolved_addresses, teardown),
		cmocka_unit_test_teardown(test_settings_are_read_once_until_reset,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
