/*
 * The call to the provider (issue 18: "Forwarding", "Narrowing").
 *
 * libcurl's multi interface with one easy handle per worker, kept between
 * calls so that connections to a provider are reused; the worker's own
 * loop waits on it, so the service's timeouts hold to the millisecond:
 * connect_timeout_ms to connect, response_timeout_ms for the answer to
 * begin and then for each pause inside it. Only http and https, no
 * redirect followed, upstream TLS verified (gateway_ca_file), and every
 * address the provider's name resolves to passes netpolicy before a
 * socket is opened.
 *
 * The answer streams through in the pieces libcurl hands over, so a 1 GiB
 * answer passes in bounded memory; the last piece is held back until the
 * call's log row is committed (record.c), so that no answer the consumer
 * holds whole lacks its row. When its row cannot be written, or the
 * provider fails after the head went out, the answer is cut off
 * (r->abort): the consumer sees a broken response, never a complete one.
 * An answer that is narrowed is read whole (up to gateway_narrow_max_bytes)
 * before anything goes out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <sodium.h>

#include "ds.h"
#include "gateway.h"

#define HEAD_MAX	(32 * 1024)	/* the provider's answer head */
#define POLL_MS		50

struct fwd {
	struct gw_call	*c;
	struct http_req	*r;
	long long	 started;	/* epoch ms: the transfer began */
	long long	 deadline;	/* epoch ms: the answer's next piece */
	long long	 timeout_ms;
	long long	 max_bytes;

	/* the provider's answer head, as header lines for the consumer */
	long		 status;
	char		*head;		/* "Name: value\r\n"... */
	size_t		 head_len;
	bool		 head_done, head_sent;
	const char	*ctype;
	long long	 content_length;	/* -1: not given */

	/* narrowing: the whole answer, then the kept fields */
	bool		 narrow;
	char		*nbuf;
	size_t		 nlen, nmax;

	/* streaming: the held-back piece */
	char		*pending;
	size_t		 pending_len, pending_cap;
	crypto_hash_sha256_state sha;
	int		 resp_fd;	/* full mode, else -1 */
	char		*resp_tmp;

	/* why the transfer stopped, when the gateway stopped it */
	int		 fault_status;
	const char	*fault, *fault_text;
	bool		 addr_refused;
	bool		 consumer_gone;
};

static CURLM	*multi;
static CURL	*easy;

/* ------------------------------------------------------------------ */
/* the request                                                          */

/* The assertion the provider may verify against /api/v1/auth/keys. */
static char *
assertion(struct gw_call *c)
{
	json_object *o = json_object_new_object();
	long long now = (long long)time(NULL);
	char *jws;

	json_object_object_add(o, "iss", json_object_new_string(
	    conf_str("jwt_issuer", "datashare")));
	json_object_object_add(o, "sub", json_object_new_string(
	    c->consumer_code));
	json_object_object_add(o, "aud", json_object_new_string(
	    arena_printf(c->r->arena, "%s/%s", c->agency_code,
	    c->service_code)));
	json_object_object_add(o, "grant", json_object_new_int64(c->grant_id));
	json_object_object_add(o, "service",
	    json_object_new_int64(c->service_id));
	json_object_object_add(o, "request_id",
	    json_object_new_string(c->r->request_id));
	json_object_object_add(o, "iat", json_object_new_int64(now));
	json_object_object_add(o, "exp", json_object_new_int64(now + 60));
	jws = jws_sign(c->r->arena, o, NULL);
	json_object_put(o);
	return jws;
}

static struct curl_slist *
request_headers(struct gw_call *c, bool narrow)
{
	struct arena *a = c->r->arena;
	struct curl_slist *l = NULL;
	const char *ct = c->r->content_type, *jws = assertion(c);
	char *h;

	for (char **e = c->r->env; e != NULL && *e != NULL; e++)
		/* An answer to narrow must come as plain JSON. */
		if (strncmp(*e, "HTTP_", 5) == 0 && !(narrow &&
		    strncmp(*e, "HTTP_ACCEPT_ENCODING=", 21) == 0) &&
		    (h = gw_header_from_env(a, *e)) != NULL)
			l = curl_slist_append(l, h);
	if (ct != NULL && *ct != '\0')
		l = curl_slist_append(l, arena_printf(a, "Content-Type: %s",
		    ct));
	/* No "Expect: 100-continue" round trip: the body is here. */
	l = curl_slist_append(l, "Expect:");
	l = curl_slist_append(l, arena_printf(a, "X-Datashare-Consumer: %s",
	    c->consumer_code));
	l = curl_slist_append(l, arena_printf(a, "X-Datashare-Grant: %lld",
	    c->grant_id));
	l = curl_slist_append(l, arena_printf(a,
	    "X-Datashare-Request-Id: %s", c->r->request_id));
	if (jws != NULL)
		l = curl_slist_append(l, arena_printf(a,
		    "X-Datashare-Assertion: %s", jws));
	return l;
}

static char *
upstream_url(struct gw_call *c)
{
	const char *base = db_get(c->svc, 0, "upstream_url");
	size_t n = strlen(base);
	const char *q = c->r->query;

	while (n > 0 && base[n - 1] == '/')
		n--;
	return arena_printf(c->r->arena, "%.*s%s%s%s", (int)n, base,
	    gw_path_encode(c->r->arena, c->rest), q && *q ? "?" : "",
	    q && *q ? q : "");
}

/* The body, from memory or from the temporary file. */
struct body_src {
	struct gw_call	*c;
	size_t		 off;
};

static size_t
body_send(char *buf, size_t size, size_t nmemb, void *arg)
{
	struct body_src *b = arg;
	size_t room = size * nmemb, left = b->c->body_len - b->off;
	ssize_t n;

	if (room > left)
		room = left;
	if (room == 0)
		return 0;
	if (b->c->body != NULL) {
		memcpy(buf, b->c->body + b->off, room);
		n = (ssize_t)room;
	} else if ((n = pread(b->c->body_fd, buf, room, (off_t)b->off)) <= 0)
		return CURL_READFUNC_ABORT;
	b->off += (size_t)n;
	return (size_t)n;
}

/* ------------------------------------------------------------------ */
/* the answer                                                           */

static size_t
stop(struct fwd *f, int status, const char *code, const char *text)
{
	if (f->fault == NULL) {
		f->fault_status = status;
		f->fault = code;
		f->fault_text = text;
	}
	return 0;	/* any count libcurl did not expect ends the transfer */
}

static bool
is_json(const char *ct)
{
	const char *semi;
	size_t n;

	if (ct == NULL)
		return false;
	n = (semi = strchr(ct, ';')) ? (size_t)(semi - ct) : strlen(ct);
	while (n > 0 && ct[n - 1] == ' ')
		n--;
	return (n == 16 && strncasecmp(ct, "application/json", 16) == 0) ||
	    (n > 5 && strncasecmp(ct + n - 5, "+json", 5) == 0);
}

/* The head is complete: what the answer will be, before a byte of it. */
static size_t
head_end(struct fwd *f)
{
	struct gw_call *c = f->c;

	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &f->status);
	if (f->status >= 100 && f->status < 200) {	/* interim */
		f->head_len = 0;
		return 1;
	}
	f->head_done = true;
	if (f->status >= 300 && f->status < 400)
		return stop(f, 502, "upstream_redirect", "the provider "
		    "answered with a redirect, which the gateway never follows");
	if (f->content_length > f->max_bytes)
		return stop(f, 502, "bad_upstream_response", "the provider's "
		    "answer is larger than the service allows");
	f->narrow = f->narrow && f->status >= 200 && f->status < 300 &&
	    strcmp(c->method, "HEAD") != 0;
	if (f->narrow && !is_json(f->ctype))
		return stop(f, 502, "cannot_narrow", "the answer is not JSON, "
		    "so it cannot be narrowed to the granted fields");
	if (f->narrow && f->content_length > (long long)f->nmax)
		return stop(f, 502, "cannot_narrow", "the answer is larger "
		    "than the gateway narrows");
	return 1;
}

/* Keeps one header of the provider's head for the consumer. A malformed
 * one (a name that is not a token, a control character in the value) is
 * dropped; a head past HEAD_MAX ends the call. */
static bool
head_line(struct fwd *f, const char *name, const char *value)
{
	struct arena *a = f->r->arena;
	size_t need;

	if (!gw_header_valid(name, value))
		return true;
	if (strcasecmp(name, "content-length") == 0 &&
	    parse_ll(value, 0, 1LL << 50, &f->content_length) != 0)
		f->content_length = -1;
	if (strcasecmp(name, "content-type") == 0)
		f->ctype = arena_strdup(a, value);
	if (!gw_header_passed(name))
		return true;
	need = strlen(name) + strlen(value) + 4;
	if (f->head_len + need > HEAD_MAX) {
		stop(f, 502, "bad_upstream_response", "the provider's answer "
		    "head is too large");
		return false;
	}
	if (f->head == NULL)
		f->head = arena_alloc(a, HEAD_MAX + 1);
	f->head_len += (size_t)sprintf(f->head + f->head_len, "%s: %s\r\n",
	    name, value);
	return true;
}

/* One line of the provider's head. */
static size_t
on_header(char *line, size_t size, size_t n, void *arg)
{
	struct fwd *f = arg;
	struct arena *a = f->r->arena;
	size_t len = size * n, nl;
	char *colon, *name, *value;

	if (f->c->t_resp_in == 0)
		f->c->t_resp_in = gw_now_ms();
	f->deadline = gw_now_ms() + f->timeout_ms;
	nl = len;
	while (nl > 0 && (line[nl - 1] == '\n' || line[nl - 1] == '\r'))
		nl--;
	if (nl == 0)
		return head_end(f) ? len : 0;
	if (strncmp(line, "HTTP/", 5) == 0) {	/* a status line */
		f->head_len = 0;
		f->content_length = -1;
		f->ctype = NULL;
		return len;
	}
	if ((colon = memchr(line, ':', nl)) == NULL)
		return len;
	name = arena_strndup(a, line, (size_t)(colon - line));
	value = arena_strndup(a, colon + 1, nl - (size_t)(colon - line) - 1);
	while (*value == ' ' || *value == '\t')
		value++;
	return head_line(f, name, value) ? len : 0;
}

/* Sends the consumer the provider's status and head, with the answer's
 * length when it is known (len >= 0) and the gateway's own headers. */
static int
head_send(struct fwd *f, long long len, const char *extra)
{
	struct gw_call *c = f->c;
	char *text;

	text = arena_printf(f->r->arena, "%.*s%s%s" "X-Request-Hash: %s\r\n%s",
	    (int)f->head_len, f->head ? f->head : "", len >= 0 ?
	    arena_printf(f->r->arena, "Content-Length: %lld", len) : "",
	    len >= 0 ? "\r\n" : "", c->req_sha, extra ? extra : "");
	f->head_sent = true;
	if (http_stream_head(f->r, (int)f->status, NULL, text) != 0) {
		f->consumer_gone = true;
		return -1;
	}
	return 0;
}

static void
keep_piece(struct fwd *f, const char *p, size_t n)
{
	crypto_hash_sha256_update(&f->sha, (const unsigned char *)p, n);
	f->c->resp_bytes += (long long)n;
	if (f->resp_fd >= 0 && write(f->resp_fd, p, n) != (ssize_t)n) {
		close(f->resp_fd);
		unlink(f->resp_tmp);
		f->resp_fd = -1;
		log_warn(__func__, "full log mode: the answer is not kept");
	}
}

/* A piece of the answer: kept whole for narrowing, or passed on with the
 * previous piece while this one is held back. */
static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct fwd *f = arg;
	size_t len = size * n;

	f->deadline = gw_now_ms() + f->timeout_ms;
	if (f->c->resp_bytes + (long long)(f->nlen + len) > f->max_bytes)
		return stop(f, 502, "bad_upstream_response", "the provider's "
		    "answer is larger than the service allows");
	if (f->narrow) {
		if (f->nlen + len > f->nmax)
			return stop(f, 502, "cannot_narrow", "the answer is "
			    "larger than the gateway narrows");
		if (f->nbuf == NULL)
			f->nbuf = arena_alloc(f->r->arena, f->nmax + 1);
		memcpy(f->nbuf + f->nlen, p, len);
		f->nlen += len;
		return len;
	}
	if (!f->head_sent && head_send(f, f->content_length, NULL) != 0)
		return 0;
	if (f->pending_len > 0 && http_stream_write(f->r, f->pending,
	    f->pending_len) != 0) {
		f->consumer_gone = true;
		return 0;
	}
	if (len > f->pending_cap) {
		f->pending_cap = len > 65536 ? len : 65536;
		f->pending = arena_alloc(f->r->arena, f->pending_cap);
	}
	memcpy(f->pending, p, len);
	f->pending_len = len;
	keep_piece(f, p, len);
	return len;
}

/* ------------------------------------------------------------------ */
/* the transfer                                                         */

/* Every address a provider's name resolves to is checked before a socket
 * is opened for it (a name that later points elsewhere is refused). */
static curl_socket_t
open_socket(void *arg, curlsocktype purpose, struct curl_sockaddr *sa)
{
	struct fwd *f = arg;

	if (purpose != CURLSOCKTYPE_IPCXN ||
	    !netpolicy_addr_allowed(&sa->addr, sa->addrlen)) {
		f->addr_refused = true;
		return CURL_SOCKET_BAD;
	}
	return socket(sa->family, sa->socktype, sa->protocol);
}

static void
easy_method(struct gw_call *c, struct body_src *b)
{
	const char *m = c->method;
	bool has_body = c->body_len > 0 || strcmp(m, "POST") == 0 ||
	    strcmp(m, "PUT") == 0 || strcmp(m, "PATCH") == 0;

	if (has_body) {
		curl_easy_setopt(easy, CURLOPT_POST, 1L);
		curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)c->body_len);
		curl_easy_setopt(easy, CURLOPT_READFUNCTION, body_send);
		curl_easy_setopt(easy, CURLOPT_READDATA, b);
		if (strcmp(m, "POST") != 0)
			curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, m);
	} else if (strcmp(m, "HEAD") == 0)
		curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
	else if (strcmp(m, "GET") == 0)
		curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
	else
		curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, m);
}

static void
easy_setup(struct fwd *f, struct body_src *b, struct curl_slist *hdrs)
{
	struct gw_call *c = f->c;
	const char *ca = conf_get("gateway_ca_file");

	curl_easy_reset(easy);
	curl_easy_setopt(easy, CURLOPT_URL, upstream_url(c));
	curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(easy, CURLOPT_BUFFERSIZE, 65536L);
	curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
	    (long)db_get_int(c->svc, 0, "connect_timeout_ms"));
	if (ca != NULL && *ca != '\0')
		curl_easy_setopt(easy, CURLOPT_CAINFO, ca);
	curl_easy_setopt(easy, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(easy, CURLOPT_OPENSOCKETFUNCTION, open_socket);
	curl_easy_setopt(easy, CURLOPT_OPENSOCKETDATA, f);
	curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(easy, CURLOPT_HEADERDATA, f);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(easy, CURLOPT_WRITEDATA, f);
	easy_method(c, b);
}

/* Once libcurl has connected and begins to send, the answer has
 * response_timeout_ms to begin (until then, the deadline leaves room for
 * the connection, which libcurl bounds with connect_timeout_ms). */
static void
request_out(struct fwd *f)
{
	curl_off_t us = 0;

	if (curl_easy_getinfo(easy, CURLINFO_PRETRANSFER_TIME_T, &us) !=
	    CURLE_OK || us <= 0)
		return;
	f->c->t_req_out = f->started + us / 1000;
	if (f->c->t_resp_in == 0)
		f->deadline = f->c->t_req_out + f->timeout_ms;
}

/* Runs the transfer in the worker's own loop, so that the deadline (the
 * answer's next piece) holds to within POLL_MS. */
static CURLcode
transfer(struct fwd *f)
{
	CURLcode res = CURLE_OK;
	CURLMsg *m;
	int running = 1, left;

	curl_multi_add_handle(multi, easy);
	while (running) {
		long long now;

		if (curl_multi_perform(multi, &running) != CURLM_OK ||
		    !running || f->fault != NULL)
			break;
		now = gw_now_ms();
		if (f->c->t_req_out == 0)
			request_out(f);
		if (now >= f->deadline) {
			stop(f, 504, "upstream_timeout", "the provider did "
			    "not answer within the service's timeout");
			break;
		}
		curl_multi_poll(multi, NULL, 0, (int)(f->deadline - now <
		    POLL_MS ? f->deadline - now : POLL_MS), NULL);
	}
	while ((m = curl_multi_info_read(multi, &left)) != NULL)
		if (m->msg == CURLMSG_DONE)
			res = m->data.result;
	curl_multi_remove_handle(multi, easy);
	return res;
}

/* ------------------------------------------------------------------ */
/* the end of the call                                                  */

/* The gateway's code for a transfer that libcurl ended with res. */
static void
fault_of(struct fwd *f, CURLcode res)
{
	if (f->addr_refused) {
		f->fault = NULL;
		stop(f, 502, "upstream_refused_address", "the provider's "
		    "address is not among the allowed ones");
		return;
	}
	if (f->fault != NULL)
		return;
	switch (res) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
		stop(f, 502, "upstream_unreachable", "the provider's service "
		    "cannot be reached");
		break;
	case CURLE_OPERATION_TIMEDOUT:
		stop(f, 504, "upstream_timeout", "the provider did not answer "
		    "within the service's timeout");
		break;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CACERT_BADFILE:
		stop(f, 502, "upstream_tls", "the provider's TLS could not be "
		    "verified");
		break;
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
		stop(f, 502, "upstream_reset", "the provider closed the "
		    "connection before its answer was complete");
		break;
	default:
		stop(f, 502, "bad_upstream_response", curl_easy_strerror(res));
	}
}

static void
digest_final(struct fwd *f)
{
	unsigned char md[crypto_hash_sha256_BYTES];

	crypto_hash_sha256_final(&f->sha, md);
	sodium_bin2hex(f->c->resp_sha, sizeof(f->c->resp_sha), md,
	    sizeof(md));
}

/* A transfer that did not end well: the envelope when nothing went out
 * yet; else the row says why and the answer is cut off, unless the
 * consumer is the one who left. */
static void
end_failed(struct fwd *f)
{
	struct gw_call *c = f->c;

	if (!f->head_sent) {
		gw_refuse(c, f->fault_status, f->fault, "%s", f->fault_text);
		return;
	}
	digest_final(f);	/* of the answer as far as it came */
	c->status = (int)f->status;
	c->outcome = "failed";
	c->fault_code = f->consumer_gone ? "consumer_gone" : f->fault;
	c->fault_text = f->consumer_gone ? "the consumer closed the "
	    "connection during the answer" : f->fault_text;
	if (gw_record(c) != DS_OK)
		log_warnx(__func__, "%s: not logged", c->r->request_id);
	f->r->abort = !f->consumer_gone;
}

/* The answer narrowed to the granted fields, recorded, then sent. */
static void
end_narrowed(struct fwd *f)
{
	struct gw_call *c = f->c;
	char *out;
	size_t outlen;
	long long removed = 0;
	const char *why;

	f->nbuf = f->nbuf ? f->nbuf : arena_strdup(f->r->arena, "");
	if (narrow_json(f->r->arena, f->nbuf, f->nlen,
	    db_get(c->svc, 0, "records_pointer"), gw_granted(c),
	    gw_ngranted(c), &out, &outlen, &removed, &why) != DS_OK) {
		gw_refuse(c, 502, "cannot_narrow", "the answer cannot be "
		    "narrowed to the granted fields: %s", why);
		return;
	}
	keep_piece(f, out, outlen);
	digest_final(f);
	c->narrowed = removed > 0;
	if (f->resp_fd >= 0)
		c->bodies_kept = blob_store(f->r->arena, f->resp_tmp,
		    c->resp_sha) == DS_OK;
	if (gw_record(c) != DS_OK) {
		gw_refuse(c, 503, "database_unavailable", "the call could "
		    "not be logged, so its answer is withheld");
		return;
	}
	if (head_send(f, (long long)outlen, arena_printf(f->r->arena,
	    "X-Datashare-Narrowed: %lld\r\n", removed)) == 0)
		http_stream_write(f->r, out, outlen);
}

/* A complete answer: recorded, then its last piece (or its head alone,
 * when it had no body) goes out. */
static void
end_delivered(struct fwd *f)
{
	struct gw_call *c = f->c;

	c->status = (int)f->status;
	c->outcome = "delivered";
	if (f->narrow) {
		end_narrowed(f);
		return;
	}
	digest_final(f);
	if (f->resp_fd >= 0)
		c->bodies_kept = blob_store(f->r->arena, f->resp_tmp,
		    c->resp_sha) == DS_OK;
	if (gw_record(c) != DS_OK) {
		if (!f->head_sent)
			gw_refuse(c, 503, "database_unavailable", "the call "
			    "could not be logged, so its answer is withheld");
		else
			f->r->abort = true;
		return;
	}
	if (!f->head_sent)
		head_send(f, f->content_length >= 0 ? f->content_length : 0,
		    NULL);
	else if (f->pending_len > 0 && http_stream_write(f->r, f->pending,
	    f->pending_len) != 0)
		log_warnx(__func__, "%s: the consumer left at the last piece",
		    c->r->request_id);
}

int
gw_init(void)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_warnx(__func__, "curl_global_init failed");
		return DS_ERR;
	}
	return rate_init();
}

/* The worker's handles, made at its first call (after the fork: a
 * connection must not be shared between processes). */
static bool
handles(void)
{
	if (multi == NULL && (multi = curl_multi_init()) == NULL)
		return false;
	if (easy == NULL && (easy = curl_easy_init()) == NULL)
		return false;
	return true;
}

/* The full log mode keeps the answer in a warehouse file as it passes. */
static void
full_mode_open(struct fwd *f)
{
	f->resp_fd = -1;
	if (strcmp(db_get(f->c->svc, 0, "log_mode"), "full") == 0 &&
	    (f->resp_fd = blob_tmp(f->r->arena, &f->resp_tmp)) < 0)
		log_warnx(__func__, "full log mode: the answer is not kept");
}

void
gw_forward(struct gw_call *c)
{
	struct fwd f = { .c = c, .r = c->r, .content_length = -1 };
	struct body_src b = { .c = c, .off = 0 };
	struct curl_slist *hdrs;
	const char *why;
	CURLcode res;

	if ((why = netpolicy_url_check(db_get(c->svc, 0, "upstream_url"))) !=
	    NULL) {
		gw_refuse(c, 502, "upstream_refused_address", "%s", why);
		return;
	}
	if (!handles()) {
		gw_refuse(c, 502, "bad_upstream_response", "the gateway "
		    "cannot make calls now");
		return;
	}
	f.timeout_ms = db_get_int(c->svc, 0, "response_timeout_ms");
	f.max_bytes = db_get_int(c->svc, 0, "max_response_bytes");
	f.nmax = (size_t)conf_int("gateway_narrow_max_bytes", 8 << 20, 1024,
	    1LL << 30, NULL);
	f.narrow = gw_narrow_due(c);
	f.deadline = gw_now_ms() + f.timeout_ms +
	    db_get_int(c->svc, 0, "connect_timeout_ms");
	crypto_hash_sha256_init(&f.sha);
	full_mode_open(&f);
	hdrs = request_headers(c, f.narrow);
	easy_setup(&f, &b, hdrs);
	f.started = gw_now_ms();
	res = transfer(&f);
	if (c->t_req_out == 0)
		request_out(&f);
	curl_slist_free_all(hdrs);
	c->t_resp_out = gw_now_ms();
	if (res == CURLE_OK && f.fault == NULL && !f.consumer_gone &&
	    !f.addr_refused)
		end_delivered(&f);
	else {
		fault_of(&f, res);
		end_failed(&f);
	}
	if (f.resp_fd >= 0) {
		close(f.resp_fd);
		if (!c->bodies_kept)
			unlink(f.resp_tmp);
	}
}
