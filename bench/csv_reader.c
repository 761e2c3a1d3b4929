/*
 * derive.c's CSV reader (data_scan: the whole upload check) against
 * Debian's libcsv tokenizing the same file with callbacks that do nothing:
 * the measurement behind the note at the top of modules/sharing/derive.c
 * (issue 17, item 7). Not part of ./stack bench: it needs libcsv-dev.
 *
 *   apt-get install libcsv-dev
 *   B=build; cc -O2 -D_GNU_SOURCE -Imodules/core -Imodules/sharing \
 *     $(pkg-config --cflags json-c) bench/csv_reader.c \
 *     $B/modules/sharing/derive.o $B/modules/core/libdscore.a -lcsv \
 *     $(pkg-config --libs json-c libsodium libcrypto libmariadb) -lfcgi \
 *     -ljwt -o /tmp/csv_reader
 *   /tmp/csv_reader FILE.csv     (three rounds of each)
 */
#include <csv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ds.h"
#include "sharing.h"

static long nfields, nrecords;

static void
on_field(void *s, size_t len, void *data)
{
	(void)s;
	(void)len;
	(void)data;
	nfields++;
}

static void
on_record(int c, void *data)
{
	(void)c;
	(void)data;
	nrecords++;
}

static double
now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* derive.c's one outside need (sharing/util.c), for linking it alone. */
bool
names_contain(json_object *names, const char *name)
{
	for (size_t i = 0; i < json_object_array_length(names); i++)
		if (strcmp(json_object_get_string(
		    json_object_array_get_idx(names, i)), name) == 0)
			return true;
	return false;
}

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: csv_reader FILE.csv\n");
		return 2;
	}
	for (int round = 0; round < 3; round++) {
		struct arena *a = arena_new();
		struct csv_parser cp;
		json_object *cols = NULL;
		const char *problem = NULL;
		char buf[65536];
		double t0, t1;
		size_t n;
		FILE *f;
		int rc;

		t0 = now();
		rc = data_scan(a, argv[1], FMT_CSV, &cols, &problem);
		t1 = now();
		printf("derive.c data_scan: %s, %.3f s\n", rc == DS_OK ? "valid" :
		    problem, t1 - t0);
		json_object_put(cols);
		arena_free(a);

		if ((f = fopen(argv[1], "r")) == NULL ||
		    csv_init(&cp, CSV_STRICT | CSV_STRICT_FINI) != 0)
			return 1;
		nfields = nrecords = 0;
		t0 = now();
		while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
			if (csv_parse(&cp, buf, n, on_field, on_record,
			    NULL) != n) {
				printf("libcsv: %s\n", csv_strerror(
				    csv_error(&cp)));
				break;
			}
		csv_fini(&cp, on_field, on_record, NULL);
		t1 = now();
		fclose(f);
		csv_free(&cp);
		printf("libcsv csv_parse, no-op callbacks: %.3f s (%ld fields, "
		    "%ld records)\n", t1 - t0, nfields, nrecords);
	}
	return 0;
}
