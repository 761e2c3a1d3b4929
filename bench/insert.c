/*
 * The ceiling of any write: CONNECTIONS connections, each looping
 * single-row INSERTs, every one its own durable commit (autocommit, with
 * the server's innodb_flush_log_at_trx_commit, 1 by default), for SECONDS
 * seconds after WARMUP seconds not counted.
 *
 *   insert CONNECTIONS WARMUP SECONDS
 *
 * Writes into bench_insert.t (made by the driver) through BENCH_DB_SOCKET
 * as BENCH_DB_USER. Prints one line: BENCH {"requests":...,"p50_us":...}
 * like the wrk script, so the driver reads both the same way.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mysql.h>

#define MAX_CONN	64
#define MAX_SAMPLES	(1 << 20)

static double warmup, seconds, t0;

struct worker {
	pthread_t	 th;
	int		 n;
	long		 count;
	long		 nsamples;
	unsigned	*us;		/* latency of each counted commit */
	int		 failed;
};

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *
run(void *arg)
{
	static const char *sql =
	    "INSERT INTO bench_insert.t (agency_id, kind, payload) "
	    "VALUES (?, 'bench', ?)";
	struct worker *w = arg;
	MYSQL *m = mysql_init(NULL);
	MYSQL_STMT *s;
	MYSQL_BIND b[2];
	long long agency = w->n + 1;
	char payload[200];
	unsigned long plen;
	double start, end;

	if (m == NULL || mysql_real_connect(m, NULL, getenv("BENCH_DB_USER"),
	    getenv("BENCH_DB_PASSWORD"), NULL, 0, getenv("BENCH_DB_SOCKET"),
	    0) == NULL || (s = mysql_stmt_init(m)) == NULL ||
	    mysql_stmt_prepare(s, sql, strlen(sql)) != 0) {
		fprintf(stderr, "insert: %s\n", m ? mysql_error(m) : "memory");
		w->failed = 1;
		return NULL;
	}
	memset(payload, 'x', sizeof(payload));
	plen = sizeof(payload);
	memset(b, 0, sizeof(b));
	b[0].buffer_type = MYSQL_TYPE_LONGLONG;
	b[0].buffer = &agency;
	b[1].buffer_type = MYSQL_TYPE_STRING;
	b[1].buffer = payload;
	b[1].buffer_length = plen;
	b[1].length = &plen;
	mysql_stmt_bind_param(s, b);
	end = t0 + warmup + seconds;
	while ((start = now()) < end) {
		if (mysql_stmt_execute(s) != 0) {
			fprintf(stderr, "insert: %s\n", mysql_stmt_error(s));
			w->failed = 1;
			break;
		}
		if (start >= t0 + warmup) {
			w->count++;
			if (w->nsamples < MAX_SAMPLES)
				w->us[w->nsamples++] =
				    (unsigned)((now() - start) * 1e6);
		}
	}
	mysql_stmt_close(s);
	mysql_close(m);
	return NULL;
}

static int
cmp(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	static struct worker w[MAX_CONN];
	unsigned *all;
	long total = 0, n = 0;
	int conns, failed = 0;

	if (argc != 4 || (conns = atoi(argv[1])) < 1 || conns > MAX_CONN) {
		fprintf(stderr, "usage: insert CONNECTIONS(1-%d) WARMUP "
		    "SECONDS\n", MAX_CONN);
		return 2;
	}
	warmup = atof(argv[2]);
	seconds = atof(argv[3]);
	if (seconds <= 0 || warmup < 0)
		return 2;
	mysql_library_init(0, NULL, NULL);
	t0 = now();
	for (int i = 0; i < conns; i++) {
		w[i].n = i;
		if ((w[i].us = malloc(sizeof(unsigned) * MAX_SAMPLES)) == NULL)
			return 1;
		pthread_create(&w[i].th, NULL, run, &w[i]);
	}
	for (int i = 0; i < conns; i++) {
		pthread_join(w[i].th, NULL);
		total += w[i].count;
		n += w[i].nsamples;
		failed |= w[i].failed;
	}
	if ((all = malloc(sizeof(unsigned) * (size_t)(n ? n : 1))) == NULL)
		return 1;
	n = 0;
	for (int i = 0; i < conns; i++) {
		memcpy(all + n, w[i].us, sizeof(unsigned) * w[i].nsamples);
		n += w[i].nsamples;
	}
	qsort(all, (size_t)n, sizeof(unsigned), cmp);
	printf("BENCH {\"requests\":%ld,\"duration_us\":%.0f,"
	    "\"errors_status\":%d,\"p50_us\":%u,\"p99_us\":%u,"
	    "\"max_us\":%u}\n", total, seconds * 1e6, failed,
	    n ? all[n / 2] : 0, n ? all[(long)(n * 0.99)] : 0,
	    n ? all[n - 1] : 0);
	return failed;
}
