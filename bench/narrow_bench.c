/*
 * The CPU cost of narrow_json alone (narrow.c; issue 18), per call: a
 * list of RECORDS records (default 100) of ten fields each, Vietnamese
 * text, numbers, an array and an object among them, cut to four fields,
 * as the gateway cuts a provider's answer. Also the peak RSS, since the
 * whole answer (up to gateway_narrow_max_bytes) becomes json-c objects.
 *
 *   narrow_bench [ITERATIONS [RECORDS]]
 *
 * Built and run by hand, like authcost.c (bench/README.md):
 *
 *   cd build && cc -O2 -I../modules/core $(pkg-config --cflags json-c) \
 *     -o narrow_bench ../bench/narrow_bench.c modules/core/libdscore.a \
 *     $(pkg-config --libs json-c libjwt libsodium libcrypto libmariadb) \
 *     -lfcgi && ./narrow_bench 2000
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "ds.h"

static double
cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* The provider's answer: {"data":[records],"total":n}, malloc'd. */
static char *
answer(long n, size_t *len)
{
	size_t cap = (size_t)n * 512 + 64, at = 0;
	char *p = malloc(cap);

	if (p == NULL)
		abort();
	at += (size_t)snprintf(p, cap, "{\"data\":[");
	for (long i = 0; i < n; i++)
		at += (size_t)snprintf(p + at, cap - at, "%s{\"id\":%ld,"
		    "\"ho_ten\":\"Nguy\xe1\xbb\x85n Th\xe1\xbb\x8b \xc3\x81nh "
		    "Tuy\xe1\xba\xbft\",\"ngay_sinh\":\"1990-05-17\","
		    "\"dia_chi\":\"S\xe1\xbb\x91 %ld \xc4\x90\xc6\xb0\xe1\xbb\x9dng "
		    "Tr\xe1\xba\xa7n H\xc6\xb0ng \xc4\x90\xe1\xba\xa1o, H\xc3\xa0 "
		    "N\xe1\xbb\x99i\",\"so_cccd\":\"0010990%05ld\","
		    "\"dien_thoai\":\"0912345678\",\"diem\":7.25,"
		    "\"con_hieu_luc\":true,\"nhan\":[\"a\",\"b\",3],"
		    "\"ghi_chu\":{\"nguon\":\"ho tich\",\"cap\":2}}",
		    i ? "," : "", i + 1, i % 300, i);
	at += (size_t)snprintf(p + at, cap - at, "],\"total\":%ld}", n);
	*len = at;
	return p;
}

int
main(int argc, char **argv)
{
	static const char *const keep[] = { "id", "ho_ten", "ngay_sinh",
	    "con_hieu_luc" };
	struct arena *a = arena_new();
	struct rusage ru;
	const char *why = NULL;
	long iters = argc > 1 ? atol(argv[1]) : 2000;
	long n = argc > 2 ? atol(argv[2]) : 100;
	long long removed = 0;
	size_t len, outlen = 0;
	char *text, *out;
	double t;

	if (iters < 1 || n < 1) {
		fprintf(stderr, "usage: narrow_bench [ITERATIONS [RECORDS]]\n");
		return 2;
	}
	text = answer(n, &len);
	t = cpu_us();
	for (long i = 0; i < iters; i++) {
		if (narrow_json(a, text, len, "/data", keep, 4, &out, &outlen,
		    &removed, &why) != DS_OK) {
			fprintf(stderr, "narrow_json: %s\n", why);
			return 1;
		}
		arena_reset(a);
	}
	t = cpu_us() - t;
	getrusage(RUSAGE_SELF, &ru);
	printf("narrow_json: %ld records, %zu bytes -> %zu, %lld fields "
	    "removed: %.1f us a call (%ld calls), %.0f MB/s; peak RSS %ld KiB\n",
	    n, len, outlen, removed, t / (double)iters, iters,
	    (double)len * (double)iters / t, ru.ru_maxrss);
	free(text);
	arena_free(a);
	return 0;
}
