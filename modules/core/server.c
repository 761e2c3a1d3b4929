/*
 * The process model shared by every module (the request path itself is
 * dispatch.c's).
 *
 * A master process owns the listening unix socket, forks --workers
 * workers, replaces one that dies and, on SIGTERM, stops them: an idle
 * worker exits at once, a busy one after the response it is writing.
 * Each worker is a plain FCGX_Accept_r loop with its own database
 * connection and keys; nothing else survives a request. Between its
 * waits the master links what the workers wrote into the hash chains
 * (seal_interval_ms), so that a write request costs one commit, not two,
 * writes the counts they added (counter.c), so that a read costs none,
 * and runs the module's timed work (its tick), so that a deadline's notice
 * goes out when the deadline passes, not with the next request.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>
#include <sodium.h>

#include "ds.h"

#define MAX_WORKERS	64
#define SEAL_BATCH	1000

static volatile sig_atomic_t stopping;
static volatile sig_atomic_t busy;
/* The master seals every seal_ms milliseconds (1 to 60000: there is no
 * mode where workers seal, issue 17, item 8). */
static long long seal_ms;
/* The module's tick runs at most every tick_ms milliseconds; tick_next is
 * when it may run again, on the monotonic clock (0: at once). */
static long long tick_ms;
static long long tick_next;

/* ------------------------------------------------------------------ */
/* FastCGI plumbing                                                     */

static int
fcgi_read(void *src, char *buf, int n)
{
	return FCGX_GetStr(buf, n, (FCGX_Stream *)src);
}

static int
fcgi_write(void *dst, const char *buf, size_t n)
{
	while (n > 0) {
		int chunk = n > 65536 ? 65536 : (int)n;

		if (FCGX_PutStr(buf, chunk, (FCGX_Stream *)dst) != chunk)
			return -1;
		buf += chunk;
		n -= (size_t)chunk;
	}
	return 0;
}

static const char *
safe_request_id(struct arena *a, const char *given)
{
	unsigned char rnd[16];
	size_t n;

	if (given != NULL && (n = strlen(given)) > 0 && n <= 64 &&
	    strspn(given, "0123456789abcdefABCDEF-") == n)
		return given;
	randombytes_buf(rnd, sizeof(rnd));
	return b64url_encode(a, rnd, sizeof(rnd));
}

static void
request_from_fcgi(struct http_req *r, FCGX_Request *fr)
{
	char **env = fr->envp;
	const char *uri, *q, *cl;
	long long len;

	r->method = FCGX_GetParam("REQUEST_METHOD", env);
	if (r->method == NULL)
		r->method = "GET";
	uri = FCGX_GetParam("DOCUMENT_URI", env);
	if (uri == NULL) {
		uri = FCGX_GetParam("REQUEST_URI", env);
		if (uri == NULL)
			uri = "/";
		q = strchr(uri, '?');
		uri = q ? arena_strndup(r->arena, uri, (size_t)(q - uri)) : uri;
	}
	r->path = uri;
	r->query = FCGX_GetParam("QUERY_STRING", env);
	r->content_type = FCGX_GetParam("CONTENT_TYPE", env);
	r->authorization = FCGX_GetParam("HTTP_AUTHORIZATION", env);
	r->idempotency_key = FCGX_GetParam("HTTP_IDEMPOTENCY_KEY", env);
	r->accept_language = FCGX_GetParam("HTTP_ACCEPT_LANGUAGE", env);
	r->remote_addr = FCGX_GetParam("REMOTE_ADDR", env);
	r->request_id = safe_request_id(r->arena,
	    FCGX_GetParam("REQUEST_ID", env));
	cl = FCGX_GetParam("CONTENT_LENGTH", env);
	r->content_length = cl != NULL && *cl != '\0' ?
	    (parse_ll(cl, 0, 1LL << 40, &len) == 0 ? len : -1) : 0;
	r->body_read = fcgi_read;
	r->body_src = fr->in;
	r->env = env;
	r->out_write = fcgi_write;
	r->out_dst = fr->out;
}

/* A bad query string is answered before routing: 400. */
static int
parse_query(struct http_req *r)
{
	if (r->query == NULL || *r->query == '\0')
		return 0;
	return http_parse_form(r->arena, r->query, strlen(r->query),
	    &r->params, &r->nparams);
}

/* The answer a handler set (a streamed one is written already). */
static void
write_response(struct http_req *r)
{
	const char *body = NULL;
	size_t len = 0;

	if (r->streamed)
		return;
	if (r->resp != NULL) {
		body = json_object_to_json_string_ext(r->resp,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
		len = strlen(body);
	} else if (r->resp_raw != NULL) {
		body = r->resp_raw;
		len = r->resp_raw_len;
	}
	if (http_stream_head(r, r->status, body == NULL ? NULL :
	    r->resp != NULL ? "application/json; charset=utf-8" :
	    r->resp_type, NULL) != 0)
		return;
	/* HEAD: the GET's status and headers, no body (RFC 9110 9.3.2). */
	if (body != NULL && len > 0 && !r->head)
		http_stream_write(r, body, len);
}

static void
worker_signal(int sig)
{
	(void)sig;
	if (!busy)
		_exit(0);
	stopping = 1;
}

static void
worker_loop(const struct module *m, int fd)
{
	FCGX_Request fr;
	struct arena *a = arena_new();
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = worker_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* A write past a file-size limit (RLIMIT_FSIZE) must fail with EFBIG
	 * for the handler to answer, not kill the worker mid-request. */
	signal(SIGXFSZ, SIG_IGN);
	if (FCGX_InitRequest(&fr, fd, 0) != 0) {
		log_warnx(__func__, "FCGX_InitRequest failed");
		_exit(1);
	}
	while (!stopping) {
		struct http_req r;

		if (FCGX_Accept_r(&fr) < 0)
			break;
		busy = 1;
		memset(&r, 0, sizeof(r));
		r.arena = a;
		request_from_fcgi(&r, &fr);
		if (parse_query(&r) != 0)
			http_error(&r, 400, "bad_request",
			    "the query string is malformed");
		else
			server_dispatch(m, &r);
		write_response(&r);
		json_object_put(r.resp);
		/* An answer that must not look complete (the gateway could
		 * not log a call it forwarded): the worker leaves without
		 * ending the request, nginx sees its upstream fail and cuts
		 * the client's response short; the master starts another. */
		if (r.abort) {
			log_warnx(__func__, "%s %s: answer cut off", r.method,
			    r.path);
			_exit(3);
		}
		FCGX_Finish_r(&fr);
		arena_reset(a);
		busy = 0;
	}
	db_disconnect();
	arena_free(a);
	_exit(0);
}

/* ------------------------------------------------------------------ */
/* master                                                               */

static volatile sig_atomic_t master_stop;

static void
master_signal(int sig)
{
	(void)sig;
	master_stop = 1;
}

static pid_t
spawn(const struct module *m, int fd)
{
	pid_t pid;

	/* A child must not inherit the master's database connection: both
	 * would talk over one socket. The master connects again when it
	 * next seals. */
	db_disconnect();
	pid = fork();

	if (pid == 0)
		worker_loop(m, fd);
	if (pid < 0)
		log_warn(__func__, "fork");
	return pid;
}

/*
 * Links every chain's unsealed rows, in batches, in one order: writers
 * only insert rows, so no business transaction waits on the chain head,
 * and the sealing commit is shared by every write since the last round
 * (bench/RESULTS.md measures the difference). Several masters may run
 * this at once; chain_seal skips while another holds the head. Returns
 * the milliseconds to wait before the next round: longer when the
 * database is away, so a stopped database does not fill the log.
 */
static long long
master_seal(void)
{
	long n = 0, c;

	/* The counts the workers added since the last round (counter.c). */
	c = counter_flush();
	while (!master_stop && (n = chain_seal_all(SEAL_BATCH)) >= SEAL_BATCH)
		;
	/* Other failures of the counts (a deadlock) are retried at the
	 * usual pace: they stay pending. */
	if (n < 0 || c == DS_EUNAVAIL) {
		db_disconnect();
		return seal_ms < 5000 ? 5000 : seal_ms;
	}
	return seal_ms;
}

static long long
monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Runs the module's timed work when its interval has passed since the
 * last run began (the local clock only paces it: the work compares its
 * deadlines with the database's clock). A failure is logged and waits for
 * the next interval like a success, so a stopped database does not fill
 * the log; the connection is dropped if it was lost, and the next run (or
 * sealing round) reconnects.
 */
static void
master_tick(const struct module *m)
{
	long long now = monotonic_ms();
	int st;

	if (m->tick == NULL || now < tick_next)
		return;
	tick_next = now + tick_ms;
	if ((st = m->tick()) != DS_OK) {
		log_warnx(__func__, "%s: the timed work failed (status %d); "
		    "it runs again in %lld s", m->name, st, tick_ms / 1000);
		if (db_in_tx())
			db_rollback();
		if (st == DS_EUNAVAIL)
			db_disconnect();
	}
}

static void
sleep_ms(long long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static void
usage(const char *name)
{
	fprintf(stderr, "usage: %s --config FILE --socket PATH [--workers N] "
	    "[--socket-mode 0660] [--pidfile FILE]\n", name);
}

int
server_main(const struct module *m, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "socket", required_argument, NULL, 's' },
		{ "workers", required_argument, NULL, 'w' },
		{ "socket-mode", required_argument, NULL, 'm' },
		{ "pidfile", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL, *sockpath = NULL, *pidfile = NULL;
	long long nworkers = 2, mode = 0660;
	pid_t pids[MAX_WORKERS] = { 0 };
	char err[512];
	struct sigaction sa;
	int ch, fd;

	while ((ch = getopt_long(argc, argv, "c:s:w:m:p:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': config = optarg; break;
		case 's': sockpath = optarg; break;
		case 'p': pidfile = optarg; break;
		case 'w':
			if (parse_ll(optarg, 1, MAX_WORKERS, &nworkers) != 0) {
				fprintf(stderr, "%s: --workers must be 1..%d\n",
				    m->name, MAX_WORKERS);
				return 2;
			}
			break;
		case 'm': {
			char *end;

			mode = strtol(optarg, &end, 8);
			if (*end != '\0' || mode < 0 || mode > 0777) {
				fprintf(stderr, "%s: bad --socket-mode\n",
				    m->name);
				return 2;
			}
			break;
		}
		case 'h':
			usage(m->name);
			return 0;
		default:
			usage(m->name);
			return 2;
		}
	}
	if (config == NULL || sockpath == NULL) {
		usage(m->name);
		return 2;
	}
	if (conf_load(config, err, sizeof(err)) != DS_OK) {
		fprintf(stderr, "%s: %s\n", m->name, err);
		return 1;
	}
	if (conf_get("db_user") == NULL || conf_get("db_name") == NULL ||
	    (conf_get("db_socket") == NULL && conf_get("db_host") == NULL)) {
		fprintf(stderr, "%s: db_user, db_name and db_socket (or "
		    "db_host) must be set in %s\n", m->name, config);
		return 1;
	}
	{
		const char *errstr = NULL;

		seal_ms = conf_int("seal_interval_ms", 200, 1, 60000, &errstr);
		if (errstr != NULL) {
			fprintf(stderr, "%s: seal_interval_ms: %s\n", m->name,
			    errstr);
			return 1;
		}
	}
	if (m->tick != NULL) {
		const char *key = m->tick_setting != NULL ? m->tick_setting :
		    "tick_interval", *errstr = NULL;

		tick_ms = 1000 * conf_int(key, m->tick_default > 0 ?
		    m->tick_default : TICK_DEFAULT_S, 1, 86400,
		    &errstr);
		if (errstr != NULL) {
			fprintf(stderr, "%s: %s must be 1..86400 (seconds)\n",
			    m->name, key);
			return 1;
		}
	}
	if (counter_wanted()) {
		const char *errstr = NULL;
		long long slots = conf_int("counter_slots", 4096, 0, 1 << 24,
		    &errstr);

		/* Mapped before the workers fork, so that every worker,
		 * replacements too, adds into the table the master drains. */
		if (errstr != NULL || counter_init((size_t)slots) != DS_OK) {
			fprintf(stderr, "%s: counter_slots: %s\n", m->name,
			    errstr ? errstr : "cannot map the table");
			return 1;
		}
	}
	if (sodium_init() < 0 || auth_init(err, sizeof(err)) != DS_OK) {
		fprintf(stderr, "%s: %s\n", m->name, err);
		return 1;
	}
	if (m->init != NULL && m->init() != DS_OK) {
		fprintf(stderr, "%s: cannot start (see the log above)\n",
		    m->name);
		return 1;
	}
	if (FCGX_Init() != 0) {
		fprintf(stderr, "%s: FCGX_Init failed\n", m->name);
		return 1;
	}
	unlink(sockpath);
	if ((fd = FCGX_OpenSocket(sockpath, 128)) < 0) {
		fprintf(stderr, "%s: cannot listen on %s: %s\n", m->name,
		    sockpath, strerror(errno));
		return 1;
	}
	if (chmod(sockpath, (mode_t)mode) != 0) {
		fprintf(stderr, "%s: chmod %s: %s\n", m->name, sockpath,
		    strerror(errno));
		return 1;
	}
	if (pidfile != NULL) {
		FILE *f = fopen(pidfile, "w");

		if (f == NULL) {
			fprintf(stderr, "%s: %s: %s\n", m->name, pidfile,
			    strerror(errno));
			return 1;
		}
		fprintf(f, "%ld\n", (long)getpid());
		fclose(f);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = master_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	for (long long i = 0; i < nworkers; i++)
		pids[i] = spawn(m, fd);
	log_info("%s: listening on %s with %lld workers", m->name, sockpath,
	    nworkers);
	while (!master_stop) {
		int status;
		pid_t pid = waitpid(-1, &status,
		    WNOHANG);

		if (pid == 0) {
			/* The workers are all well: the timed work when it
			 * is due, then seal (what it wrote too), then rest. */
			master_tick(m);
			sleep_ms(master_seal());
			continue;
		}
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (long long i = 0; i < nworkers; i++)
			if (pids[i] == pid && !master_stop) {
				log_warnx(__func__, "worker %ld ended (status "
				    "%d); starting another", (long)pid, status);
				/* Do not spin if workers die at once. */
				usleep(100 * 1000);
				pids[i] = spawn(m, fd);
			}
	}
	for (long long i = 0; i < nworkers; i++)
		if (pids[i] > 0)
			kill(pids[i], SIGTERM);
	while (wait(NULL) > 0 || errno == EINTR)
		;
	/* No worker can add any more: write what they added last. */
	if (counter_flush() < 0)
		log_warnx(__func__, "%zu counts not written: the database "
		    "is away", counter_pending());
	db_disconnect();
	unlink(sockpath);
	if (pidfile != NULL)
		unlink(pidfile);
	log_info("%s: stopped", m->name);
	return 0;
}
