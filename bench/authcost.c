/*
 * The CPU cost of the credential and token code alone, per call:
 * secret_verify (argon2id, POST /auth/token), token_sign (POST
 * /auth/token) and auth_verify_token (every authenticated request,
 * before its account check), with the keys of a jwt_keys_dir.
 *
 *   authcost KEYS_DIR [ITERATIONS]
 *
 * Prints one line per function: microseconds a call (CPU time of this
 * process). Built and run by hand for before/after figures
 * (bench/README.md); the benchmark itself measures whole requests.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <sodium.h>

#include "ds.h"

static double
cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

int
main(int argc, char **argv)
{
	struct arena *a;
	struct identity who;
	const char *why;
	char err[256], *tok = NULL;
	long n = argc > 2 ? atol(argv[2]) : 2000;
	double t;

	if (argc < 2 || n < 1) {
		fprintf(stderr, "usage: authcost KEYS_DIR [ITERATIONS]\n");
		return 2;
	}
	conf_set("jwt_keys_dir", argv[1]);
	if (sodium_init() < 0 || auth_init(err, sizeof(err)) != DS_OK) {
		fprintf(stderr, "authcost: %s\n", err);
		return 1;
	}
	a = arena_new();
	{
		char hash[SECRET_HASH_MAX];
		long m = n / 10 > 0 ? n / 10 : 1;

		if (secret_hash("bench-secret", hash) != DS_OK)
			return 1;
		t = cpu_us();
		for (long i = 0; i < m; i++)
			if (!secret_verify(hash, "bench-secret"))
				return 1;
		printf("secret_verify      %8.1f us\n",
		    (cpu_us() - t) / (double)m);
	}
	t = cpu_us();
	for (long i = 0; i < n; i++) {
		arena_reset(a);
		if ((tok = token_sign(a, 7, 3, ROLE_AGENCY_OFFICER, 1700000000,
		    900)) == NULL)
			return 1;
	}
	printf("token_sign         %8.1f us\n", (cpu_us() - t) / (double)n);
	tok = token_sign(a, 7, 3, ROLE_AGENCY_OFFICER, 1700000000, 900);
	t = cpu_us();
	for (long i = 0; i < n; i++)
		if (auth_verify_token(a, tok, 1700000100, &who, &why) != DS_OK) {
			fprintf(stderr, "authcost: %s\n", why);
			return 1;
		}
	printf("auth_verify_token  %8.1f us\n", (cpu_us() - t) / (double)n);
	arena_free(a);
	return 0;
}
