/*
 * Logging to stderr, which the supervisor sends to the module's log file.
 * log_warn appends errno's text; log_warnx does not.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ds.h"

static void
vlog(const char *fn, const char *fmt, va_list ap, int err)
{
	char when[32];
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(stderr, "%s [%ld] ", when, (long)getpid());
	if (fn != NULL)
		fprintf(stderr, "%s: ", fn);
	vfprintf(stderr, fmt, ap);
	if (err != 0)
		fprintf(stderr, ": %s", strerror(err));
	fputc('\n', stderr);
}

void
log_warn(const char *fn, const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	va_start(ap, fmt);
	vlog(fn, fmt, ap, err);
	va_end(ap);
	/* Callers may still decide on errno after logging it. */
	errno = err;
}

void
log_warnx(const char *fn, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(fn, fmt, ap, 0);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(NULL, fmt, ap, 0);
	va_end(ap);
}
