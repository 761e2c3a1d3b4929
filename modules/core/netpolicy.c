/*
 * Where the gateway's upstreams may be (issue 18, "Where upstreams may
 * be"; settings in docs/operations.md, Gateway): the URLs providers register
 * (netpolicy_url_check, judged by their text alone: no DNS) and the
 * addresses the gateway is about to connect to once a name is resolved
 * (netpolicy_addr_allowed). A gateway that forwards wherever a provider
 * says is a way into the platform's own network (the cloud metadata
 * address, the database): literal addresses must lie inside configured
 * networks, names must be configured, and a few addresses are refused
 * whatever the configuration says.
 *
 * Addresses are compared in one form: an IPv4-mapped IPv6 address
 * (::ffff:a.b.c.d) is the IPv4 address it maps, since a connection to
 * one reaches the other.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "ds.h"

#define URL_MAX		1000
#define HOST_MAX	253	/* a DNS name's longest text (RFC 1035) */
#define NETS_MAX	256
#define HOSTS_MAX	256
#define DB_ADDRS_MAX	16

struct addr {
	int		 family;	/* AF_INET or AF_INET6 */
	unsigned char	 b[16];		/* 4 or 16 bytes used */
};

struct net {
	struct addr	 a;
	unsigned	 prefix;
};

/* The configuration, parsed once per process (netpolicy_reset forgets
 * it). */
static struct {
	bool		 loaded;
	struct net	 nets[NETS_MAX];
	size_t		 nnets;
	char		*hosts[HOSTS_MAX];	/* lower case; "*.x" patterns */
	size_t		 nhosts;
	bool		 db_set;		/* db_host is set */
	bool		 db_literal;		/* and is an address */
	struct addr	 db_addr;
	char		*db_name;		/* or a name, lower case */
	unsigned	 db_port;
	bool		 db_resolved;		/* db_name's addresses */
	struct addr	 db_addrs[DB_ADDRS_MAX];
	size_t		 ndb_addrs;
} pol;

/* A URL taken apart. */
struct url {
	char		 host[HOST_MAX + 1];	/* lower case, no brackets */
	bool		 literal;
	struct addr	 addr;			/* when literal */
	unsigned	 port;			/* given, or the scheme's */
};

/* ------------------------------------------------------------------ */
/* addresses                                                            */

/* ::ffff:a.b.c.d becomes a.b.c.d. */
static void
addr_unmap(struct addr *a)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0, 0xff, 0xff };

	if (a->family == AF_INET6 && memcmp(a->b, mapped, 12) == 0) {
		memmove(a->b, a->b + 12, 4);
		memset(a->b + 4, 0, 12);
		a->family = AF_INET;
	}
}

/* An address in its text form (no brackets), not unmapped. */
static bool
addr_parse(const char *s, struct addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, a->b) == 1)
		a->family = AF_INET;
	else if (inet_pton(AF_INET6, s, a->b) == 1)
		a->family = AF_INET6;
	else
		return false;
	return true;
}

static bool
addr_from_sockaddr(const struct sockaddr *sa, size_t salen, struct addr *a,
    unsigned *port)
{
	memset(a, 0, sizeof(*a));
	if (sa == NULL)
		return false;
	if (sa->sa_family == AF_INET && salen >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *in = (const void *)sa;

		a->family = AF_INET;
		memcpy(a->b, &in->sin_addr, 4);
		*port = ntohs(in->sin_port);
	} else if (sa->sa_family == AF_INET6 &&
	    salen >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		a->family = AF_INET6;
		memcpy(a->b, &in6->sin6_addr, 16);
		*port = ntohs(in6->sin6_port);
	} else
		return false;
	addr_unmap(a);
	return true;
}

static bool
addr_equal(const struct addr *x, const struct addr *y)
{
	return x->family == y->family &&
	    memcmp(x->b, y->b, x->family == AF_INET ? 4 : 16) == 0;
}

static bool
addr_in_net(const struct addr *a, const struct net *n)
{
	unsigned whole = n->prefix / 8, rest = n->prefix % 8;
	unsigned char mask;

	if (a->family != n->a.family ||
	    memcmp(a->b, n->a.b, whole) != 0)
		return false;
	if (rest == 0)
		return true;
	mask = (unsigned char)(0xff << (8 - rest));
	return (a->b[whole] & mask) == (n->a.b[whole] & mask);
}

static bool
addr_in_networks(const struct addr *a)
{
	for (size_t i = 0; i < pol.nnets; i++)
		if (addr_in_net(a, &pol.nets[i]))
			return true;
	return false;
}

/* Never an upstream: 0.0.0.0/8 and :: (which Linux connects to itself),
 * link-local (169.254.0.0/16: cloud metadata; fe80::/10), multicast
 * (224.0.0.0/4, ff00::/8) and broadcast. */
static bool
addr_refused_always(const struct addr *a)
{
	static const unsigned char zero[16];
	const unsigned char *b = a->b;

	if (a->family == AF_INET)
		return b[0] == 0 || (b[0] == 169 && b[1] == 254) ||
		    (b[0] & 0xf0) == 224 ||
		    (b[0] == 255 && b[1] == 255 && b[2] == 255 && b[3] == 255);
	return memcmp(b, zero, 16) == 0 ||
	    (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) || b[0] == 0xff;
}

static bool
addr_is_loopback(const struct addr *a)
{
	static const unsigned char one[16] = { [15] = 1 };

	return a->family == AF_INET ? a->b[0] == 127 :
	    memcmp(a->b, one, 16) == 0;
}

/* ------------------------------------------------------------------ */
/* host names                                                           */

/* Letters, digits and hyphens in labels of 1-63 characters that neither
 * start nor end with a hyphen (RFC 1123 2.1), no empty label. */
static bool
name_valid(const char *s)
{
	size_t label = 0, len = strlen(s);

	if (len == 0 || len > HOST_MAX)
		return false;
	for (size_t i = 0; i <= len; i++) {
		char c = s[i];

		if (c == '.' || c == '\0') {
			if (label == 0 || label > 63 || s[i - 1] == '-')
				return false;
			label = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || (c == '-' && label > 0))
			label++;
		else
			return false;
	}
	return true;
}

static void
lower(char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

/* Whether name (lower case) is a configured host: equal to an entry, or
 * under a "*.suffix" entry (not the suffix itself). */
static bool
name_allowed(const char *name)
{
	size_t len = strlen(name);

	for (size_t i = 0; i < pol.nhosts; i++) {
		const char *h = pol.hosts[i];
		size_t hl;

		if (h[0] != '*') {
			if (strcmp(h, name) == 0)
				return true;
			continue;
		}
		hl = strlen(h + 1);	/* ".suffix" */
		if (len > hl && strcmp(name + len - hl, h + 1) == 0)
			return true;
	}
	return false;
}

/* ------------------------------------------------------------------ */
/* the configuration                                                    */

/* Calls fn on each non-empty, trimmed item of a comma-separated key. */
static void
conf_each(const char *key, void (*fn)(const char *key, char *item))
{
	char *copy, *item, *save = NULL;
	const char *v = conf_str(key, "");

	if ((copy = strdup(v)) == NULL)
		abort();
	for (item = strtok_r(copy, ",", &save); item != NULL;
	    item = strtok_r(NULL, ",", &save)) {
		char *end;

		item += strspn(item, " \t");
		end = item + strlen(item);
		while (end > item && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		if (*item != '\0')
			fn(key, item);
	}
	free(copy);
}

/* "a.b.c.d/n", "x::y/n", or an address alone (all its bits). An IPv6
 * network inside ::ffff:0:0/96 is the IPv4 network it maps. */
static bool
net_parse(char *text, struct net *n)
{
	char *slash = strchr(text, '/');
	unsigned max, prefix = 0;
	size_t digits;

	if (slash != NULL)
		*slash = '\0';
	if (!addr_parse(text, &n->a))
		return false;
	max = n->a.family == AF_INET ? 32 : 128;
	if (slash == NULL)
		prefix = max;
	else {
		digits = strspn(slash + 1, "0123456789");
		if (digits == 0 || digits > 3 || slash[1 + digits] != '\0')
			return false;
		prefix = (unsigned)atoi(slash + 1);
		if (prefix > max)
			return false;
	}
	n->prefix = prefix;
	if (n->a.family == AF_INET6 && prefix >= 96) {
		addr_unmap(&n->a);
		if (n->a.family == AF_INET)
			n->prefix -= 96;
	}
	return true;
}

static void
add_net(const char *key, char *item)
{
	char shown[64];

	snprintf(shown, sizeof(shown), "%s", item);
	if (pol.nnets == NETS_MAX)
		log_warnx(__func__, "%s: more than %d networks: '%s' ignored",
		    key, NETS_MAX, shown);
	else if (!net_parse(item, &pol.nets[pol.nnets]))
		log_warnx(__func__, "%s: '%s' is not a network (a.b.c.d/n or "
		    "x:y::z/n): ignored", key, shown);
	else
		pol.nnets++;
}

static void
add_host(const char *key, char *item)
{
	const char *name = strncmp(item, "*.", 2) == 0 ? item + 2 : item;
	struct addr a;

	if (pol.nhosts == HOSTS_MAX)
		log_warnx(__func__, "%s: more than %d hosts: '%.64s' ignored",
		    key, HOSTS_MAX, item);
	else if (!name_valid(name) || addr_parse(name, &a))
		log_warnx(__func__, "%s: '%.64s' is not a host name or "
		    "*.name: ignored", key, item);
	else {
		if ((pol.hosts[pol.nhosts] = strdup(item)) == NULL)
			abort();
		lower(pol.hosts[pol.nhosts++]);
	}
}

/* The database's host and port, which no upstream may be. */
static void
load_db(void)
{
	const char *host = conf_str("db_host", NULL), *errstr = NULL;

	pol.db_port = (unsigned)conf_int("db_port", 3306, 1, 65535, &errstr);
	if (host == NULL || *host == '\0')
		return;
	pol.db_set = true;
	if (addr_parse(host, &pol.db_addr)) {
		addr_unmap(&pol.db_addr);
		pol.db_literal = true;
	} else {
		if ((pol.db_name = strdup(host)) == NULL)
			abort();
		lower(pol.db_name);
	}
}

static void
policy_load(void)
{
	if (pol.loaded)
		return;
	pol.loaded = true;
	conf_each("gateway_upstream_networks", add_net);
	conf_each("gateway_upstream_hosts", add_host);
	load_db();
}

void
netpolicy_reset(void)
{
	for (size_t i = 0; i < pol.nhosts; i++)
		free(pol.hosts[i]);
	free(pol.db_name);
	memset(&pol, 0, sizeof(pol));
}

/* The addresses db_host names, looked up once per process (the gateway's
 * check of a resolved address; never netpolicy_url_check's). */
static void
db_resolve(void)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	unsigned port;
	int e;

	if (pol.db_resolved)
		return;
	pol.db_resolved = true;
	if ((e = getaddrinfo(pol.db_name, NULL, &hints, &res)) != 0) {
		log_warnx(__func__, "db_host %s: %s", pol.db_name,
		    gai_strerror(e));
		return;
	}
	for (ai = res; ai != NULL && pol.ndb_addrs < DB_ADDRS_MAX;
	    ai = ai->ai_next)
		if (addr_from_sockaddr(ai->ai_addr, ai->ai_addrlen,
		    &pol.db_addrs[pol.ndb_addrs], &port))
			pol.ndb_addrs++;
	freeaddrinfo(res);
}

static bool
addr_is_database(const struct addr *a, unsigned port)
{
	if (!pol.db_set || port != pol.db_port)
		return false;
	if (pol.db_literal)
		return addr_equal(a, &pol.db_addr);
	db_resolve();
	for (size_t i = 0; i < pol.ndb_addrs; i++)
		if (addr_equal(a, &pol.db_addrs[i]))
			return true;
	return false;
}

/* ------------------------------------------------------------------ */
/* URLs                                                                 */

/* The characters a URL may hold (RFC 3986 2.2, 2.3; '%' checked apart):
 * no space, control or non-ASCII byte, none of "<>\^`{|}, and no '#'
 * (a fragment is never sent). */
static const char *
url_chars(const char *url, size_t len)
{
	static const char other[] = "-._~:/?[]@!$&'()*+,;=";

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)url[i];

		if (c == '#')
			return "must not have a fragment (#)";
		if (c == '%') {
			if (!isxdigit((unsigned char)url[i + 1]) ||
			    !isxdigit((unsigned char)url[i + 2]))
				return "must write % only as %XX";
			continue;
		}
		if (c <= ' ' || c >= 0x7f)
			return "must not hold spaces, control characters or "
			    "non-ASCII characters";
		if (!isalnum(c) && strchr(other, (char)c) == NULL)
			return "must not hold characters a URL may not "
			    "(\" < > \\ ^ ` { | })";
	}
	return NULL;
}

/* ":port" (or nothing) after the host; *port keeps the scheme's. */
static const char *
url_port(const char *s, size_t n, unsigned *port)
{
	unsigned v = 0;

	if (n == 0)
		return NULL;
	if (s[0] != ':' || n < 2 || n > 6)
		return "must have a port from 1 to 65535";
	for (size_t i = 1; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return "must have a port from 1 to 65535";
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v < 1 || v > 65535)
		return "must have a port from 1 to 65535";
	*port = v;
	return NULL;
}

/* "[v6]" and an optional port. */
static const char *
url_bracketed(const char *auth, size_t n, struct url *u)
{
	const char *end = memchr(auth, ']', n);
	size_t hl;

	if (end == NULL || (hl = (size_t)(end - auth - 1)) == 0 ||
	    hl >= sizeof(u->host))
		return "must have a valid IPv6 address in brackets";
	memcpy(u->host, auth + 1, hl);
	u->host[hl] = '\0';
	if (inet_pton(AF_INET6, u->host, u->addr.b) != 1)
		return "must have a valid IPv6 address in brackets";
	u->addr.family = AF_INET6;
	u->literal = true;
	addr_unmap(&u->addr);
	lower(u->host);
	return url_port(end + 1, n - (size_t)(end + 1 - auth), &u->port);
}

/* "host" or "a.b.c.d" and an optional port. A host that inet_aton would
 * read as an address (127.1, 0x7f000001, 2130706433) but inet_pton does
 * not is refused: it is no name, and its address would go unchecked. */
static const char *
url_plain(const char *auth, size_t n, struct url *u)
{
	const char *colon = memchr(auth, ':', n);
	size_t hl = colon != NULL ? (size_t)(colon - auth) : n;
	struct in_addr in;

	if (colon != NULL && memchr(colon + 1, ':', n - hl - 1) != NULL)
		return "must put an IPv6 address in brackets";
	if (hl == 0)
		return "must have a host";
	if (hl >= sizeof(u->host))
		return "must have a valid host name";
	memcpy(u->host, auth, hl);
	u->host[hl] = '\0';
	lower(u->host);
	if (inet_pton(AF_INET, u->host, u->addr.b) == 1) {
		u->addr.family = AF_INET;
		u->literal = true;
	} else if (inet_aton(u->host, &in) != 0)
		return "must write an IPv4 address as a.b.c.d";
	else if (!name_valid(u->host))
		return "must have a valid host name";
	return url_port(auth + hl, n - hl, &u->port);
}

/* Takes url apart into u, or says why it is no URL an upstream may
 * have. */
static const char *
url_parse(const char *url, struct url *u)
{
	size_t len, alen;
	const char *why, *auth;

	memset(u, 0, sizeof(*u));
	if (url == NULL || (len = strnlen(url, URL_MAX + 1)) == 0)
		return "must not be empty";
	if (len > URL_MAX)
		return "must have at most 1000 characters";
	if ((why = url_chars(url, len)) != NULL)
		return why;
	if (strncasecmp(url, "http://", 7) == 0) {
		auth = url + 7;
		u->port = 80;
	} else if (strncasecmp(url, "https://", 8) == 0) {
		auth = url + 8;
		u->port = 443;
	} else
		return "must start with http:// or https://";
	alen = strcspn(auth, "/?");
	if (memchr(auth, '@', alen) != NULL)
		return "must not hold credentials (user:pass@)";
	if (alen == 0)
		return "must have a host";
	return auth[0] == '[' ? url_bracketed(auth, alen, u) :
	    url_plain(auth, alen, u);
}

const char *
netpolicy_url_check(const char *url)
{
	struct url u;
	const char *why;

	policy_load();
	if ((why = url_parse(url, &u)) != NULL)
		return why;
	if (!u.literal) {
		if (!name_allowed(u.host))
			return "must have a host named in "
			    "gateway_upstream_hosts";
		if (pol.db_name != NULL && strcmp(u.host, pol.db_name) == 0 &&
		    u.port == pol.db_port)
			return "must not be the database's host and port";
		return NULL;
	}
	if (addr_refused_always(&u.addr))
		return "must not be an unspecified, link-local, multicast or "
		    "broadcast address";
	if (!addr_in_networks(&u.addr))
		return addr_is_loopback(&u.addr) ? "must not be a loopback "
		    "address outside gateway_upstream_networks" :
		    "must have an address inside gateway_upstream_networks";
	if (pol.db_literal && addr_equal(&u.addr, &pol.db_addr) &&
	    u.port == pol.db_port)
		return "must not be the database's address and port";
	return NULL;
}

bool
netpolicy_addr_allowed(const struct sockaddr *sa, size_t salen)
{
	struct addr a;
	unsigned port = 0;

	policy_load();
	if (!addr_from_sockaddr(sa, salen, &a, &port) ||
	    addr_refused_always(&a))
		return false;
	if (addr_is_loopback(&a) && !addr_in_networks(&a))
		return false;
	return !addr_is_database(&a, port);
}
