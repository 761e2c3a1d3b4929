/*
 * The CPU cost of the gateway's own pieces alone, per call (issue 18):
 * the RS256 assertion it signs for the provider on every call
 * (forward.c: the same claims, jws_sign with the platform's key), the
 * SHA-256 it takes of every answer as it passes (forward.c, keep_piece:
 * libsodium), and narrow_json on an answer of the benchmark's upstream
 * with a grant's fields (forward.c, end_narrowed).
 *
 *   gwcost KEYS_DIR ANSWER_FILE POINTER FIELD[,FIELD...] [ITERATIONS]
 *
 * Prints one line per piece, "GWCOST {json}" with the microseconds a call
 * (CPU time of this process, the best of five runs of ITERATIONS calls,
 * so that a neighbour's burst on a shared machine weighs less). bench.py
 * builds it against the build's core library and prints its figures
 * under the gateway's rows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "ds.h"

#define RUNS	5

static double
cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* The answer file, whole (malloc'd; the caller frees). */
static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0 || (buf = malloc((size_t)n + 1)) ==
	    NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "gwcost: cannot read %s\n", path);
		exit(1);
	}
	fclose(f);
	buf[n] = '\0';
	*len = (size_t)n;
	return buf;
}

/* The assertion's claims as forward.c builds them for one call. */
static json_object *
claims(long i)
{
	json_object *o = json_object_new_object();
	long long now = (long long)time(NULL);
	char rid[33];

	snprintf(rid, sizeof(rid), "%032lx", i);
	json_object_object_add(o, "iss", json_object_new_string("datashare"));
	json_object_object_add(o, "sub", json_object_new_string("BENCH00002"));
	json_object_object_add(o, "aud",
	    json_object_new_string("BENCH00001/tra-cuu-cong-dan"));
	json_object_object_add(o, "grant", json_object_new_int64(5001));
	json_object_object_add(o, "service", json_object_new_int64(10001));
	json_object_object_add(o, "request_id", json_object_new_string(rid));
	json_object_object_add(o, "iat", json_object_new_int64(now));
	json_object_object_add(o, "exp", json_object_new_int64(now + 60));
	return o;
}

static void
report(const char *name, double best, const char *extra)
{
	printf("GWCOST {\"name\":\"%s\",\"us\":%.2f%s}\n", name, best,
	    extra ? extra : "");
}

int
main(int argc, char **argv)
{
	const char *fields[64];
	struct arena *a;
	char err[256], *text, *list, *out;
	long n = argc > 5 ? atol(argv[5]) : 500;
	size_t len, nf = 0, outlen = 0;
	long long removed = 0;
	const char *why = NULL;
	double best, t;

	if (argc < 5 || n < 1) {
		fprintf(stderr, "usage: gwcost KEYS_DIR ANSWER_FILE POINTER "
		    "FIELD[,FIELD...] [ITERATIONS]\n");
		return 2;
	}
	conf_set("jwt_keys_dir", argv[1]);
	if (sodium_init() < 0 || auth_init(err, sizeof(err)) != DS_OK) {
		fprintf(stderr, "gwcost: %s\n", err);
		return 1;
	}
	text = slurp(argv[2], &len);
	list = strdup(argv[4]);
	for (char *s = strtok(list, ","); s != NULL && nf < 64;
	    s = strtok(NULL, ","))
		fields[nf++] = s;
	a = arena_new();

	/* the assertion: claims built, signed, base64url */
	best = 1e18;
	for (int run = 0; run < RUNS; run++) {
		t = cpu_us();
		for (long i = 0; i < n; i++) {
			json_object *o = claims(i);

			arena_reset(a);
			if (jws_sign(a, o, NULL) == NULL) {
				fprintf(stderr, "gwcost: jws_sign failed\n");
				return 1;
			}
			json_object_put(o);
		}
		if ((t = (cpu_us() - t) / (double)n) < best)
			best = t;
	}
	report("assertion RS256 signature (jws_sign)", best, NULL);

	/* the answer's digest as it passes (libsodium's SHA-256) */
	best = 1e18;
	for (int run = 0; run < RUNS; run++) {
		unsigned char md[crypto_hash_sha256_BYTES];

		t = cpu_us();
		for (long i = 0; i < n; i++)
			crypto_hash_sha256(md, (unsigned char *)text, len);
		if ((t = (cpu_us() - t) / (double)n) < best)
			best = t;
	}
	{
		char extra[64];

		snprintf(extra, sizeof(extra), ",\"bytes\":%zu", len);
		report("SHA-256 of the whole answer (libsodium)", best, extra);
	}

	/* narrowing the answer to the grant's fields */
	best = 1e18;
	for (int run = 0; run < RUNS; run++) {
		t = cpu_us();
		for (long i = 0; i < n; i++) {
			arena_reset(a);
			if (narrow_json(a, text, len, *argv[3] ? argv[3] : NULL,
			    fields, nf, &out, &outlen, &removed, &why) !=
			    DS_OK) {
				fprintf(stderr, "gwcost: narrow_json: %s\n",
				    why);
				return 1;
			}
		}
		if ((t = (cpu_us() - t) / (double)n) < best)
			best = t;
	}
	{
		char extra[96];

		snprintf(extra, sizeof(extra), ",\"bytes\":%zu,\"out_bytes\":"
		    "%zu,\"removed\":%lld", len, outlen, removed);
		report("narrow_json of the answer", best, extra);
	}
	arena_free(a);
	free(list);
	free(text);
	return 0;
}
