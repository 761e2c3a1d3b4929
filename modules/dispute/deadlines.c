/*
 * Due dates of a ticket (R8.3): the acknowledge and resolve limits are
 * counted in working days ("ngày làm việc": Monday to Friday minus public
 * holidays) from the database's clock, or in calendar days when
 * dispute_calendar_days=1. A limit of n days ends at the end (local
 * midnight) of the n-th working day after the day of filing, the reading
 * the sharing module gives its decision deadlines too.
 *
 * Days are counted on the province's calendar, not UTC's: a ticket filed
 * at 20:00 UTC on a Monday is filed on Tuesday morning in Vietnam. The
 * offset is the setting utc_offset_minutes (default 420, UTC+7; the
 * country has no daylight saving time), the one the sharing module reads.
 *
 * Holidays are the sharing module's table holidays(day, name) (migration
 * 0003). Until that table exists the count skips weekends only; the same
 * code then picks the holidays up without a change here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ds.h"
#include "dispute.h"

#define DAY	86400

/* "YYYY-MM-DD HH:MM:SS[.ffffff]" -> seconds since the epoch (UTC) and the
 * fraction as written ("" or ".ffffff"). Returns 0 or -1. */
static int
parse_db_time(const char *s, time_t *t, const char **frac)
{
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof(tm));
	if (strlen(s) < 19 || (end = strptime(s, "%Y-%m-%d %H:%M:%S",
	    &tm)) == NULL || end != s + 19 || (*end != '\0' && (*end != '.' ||
	    strlen(end) > 7 || strspn(end + 1, "0123456789") !=
	    strlen(end + 1))))
		return -1;
	*t = timegm(&tm);
	*frac = end;
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool
is_holiday(const char *ymd, const char *const *holidays, size_t n)
{
	return n > 0 && bsearch(&ymd, holidays, n, sizeof(*holidays),
	    cmp_str) != NULL;
}

int
workdays_add(const char *from, int days, int offset_minutes, bool calendar,
    const char *const *holidays, size_t nholidays,
    const char *holidays_until, char out[20])
{
	const char *frac;
	struct tm tm;
	char ymd[16];
	time_t t;

	if (days < 0 || parse_db_time(from, &t, &frac) != 0)
		return -1;
	t += (time_t)offset_minutes * 60;	/* local wall clock, as UTC */
	t -= t % DAY;				/* local midnight */
	while (days > 0) {
		t += DAY;
		gmtime_r(&t, &tm);
		if (calendar) {
			days--;
			continue;
		}
		strftime(ymd, sizeof(ymd), "%Y-%m-%d", &tm);
		if (holidays_until != NULL && strcmp(ymd, holidays_until) > 0)
			return -1;
		if (tm.tm_wday != 0 && tm.tm_wday != 6 &&
		    !is_holiday(ymd, holidays, nholidays))
			days--;
	}
	/* The end of that day: the next local midnight, back in UTC. */
	t += DAY - (time_t)offset_minutes * 60;
	gmtime_r(&t, &tm);
	strftime(out, 20, "%Y-%m-%d %H:%M:%S", &tm);
	return 0;
}

/* The local date of from plus plus days, "YYYY-MM-DD" into out. */
static int
local_date(const char *from, int offset_minutes, int plus, char out[16])
{
	const char *frac;
	struct tm tm;
	time_t t;

	if (parse_db_time(from, &t, &frac) != 0)
		return -1;
	t += (time_t)offset_minutes * 60 + (time_t)plus * DAY;
	gmtime_r(&t, &tm);
	strftime(out, 16, "%Y-%m-%d", &tm);
	return 0;
}

/* Holidays between two local dates, sorted. A missing table (migration
 * 0003 not applied yet) is no holidays. */
static int
holidays_load(struct arena *a, const char *first, const char *last,
    const char ***out, size_t *n)
{
	static const char *sql =
	    "SELECT DATE_FORMAT(day, '%Y-%m-%d') AS day FROM holidays "
	    "WHERE day BETWEEN ? AND ? ORDER BY day";
	struct db_param p[] = { P_STR(first), P_STR(last) };
	struct db_rows *rows;
	int st;

	*out = NULL;
	*n = 0;
	if ((st = db_query(a, sql, p, NPARAMS(p), &rows)) != DS_OK)
		return table_missing(st) ? DS_OK : st;
	*out = arena_calloc(a, rows->nrows ? rows->nrows : 1, sizeof(char *));
	for (size_t i = 0; i < rows->nrows; i++)
		(*out)[i] = db_cell(rows, i, 0);
	*n = rows->nrows;
	return DS_OK;
}

/* A setting, its default when malformed (said in the log). */
static long long
setting(const char *key, long long def, long long min, long long max)
{
	const char *err;
	long long v = conf_int(key, def, min, max, &err);

	if (err != NULL)
		log_warnx(__func__, "%s must be %lld..%lld; using %lld", err,
		    min, max, def);
	return v;
}

int
dispute_due(struct arena *a, const char *from, const char *days_key,
    long long def, char **out)
{
	long long days = setting(days_key, def, 1, 365);
	long long offset = setting("utc_offset_minutes", 420, -720, 840);
	bool calendar = setting("dispute_calendar_days", 0, 0, 1) == 1;
	const char **hol = NULL;
	char first[16], last[16];
	size_t nhol = 0;
	int st;

	*out = arena_alloc(a, 20);
	/* Generous window: two calendar days per working day, and a year
	 * for holiday seasons (Tết alone is up to nine days off). */
	if (local_date(from, (int)offset, 1, first) != 0 ||
	    local_date(from, (int)offset, (int)(2 * days + 366), last) != 0) {
		log_warnx(__func__, "bad time '%s'", from);
		return DS_ERR;
	}
	if (!calendar && (st = holidays_load(a, first, last, &hol, &nhol)))
		return st;
	if (workdays_add(from, (int)days, (int)offset, calendar, hol, nhol,
	    calendar ? NULL : last, *out) != 0) {
		log_warnx(__func__, "no due date for '%s' + %lld days", from,
		    days);
		return DS_ERR;
	}
	return DS_OK;
}

int
dispute_dues(struct arena *a, struct dispute_dues *due)
{
	static const char *sql = "SELECT UTC_TIMESTAMP(6) AS now";
	struct db_rows *rows;
	int st;

	if ((st = db_query(a, sql, NULL, 0, &rows)) != DS_OK)
		return st;
	if (rows->nrows != 1 || (due->now = db_get(rows, 0, "now")) == NULL)
		return DS_ERR;
	if ((st = dispute_due(a, due->now, "dispute_ack_days", 2,
	    &due->ack)) != DS_OK)
		return st;
	return dispute_due(a, due->now, "dispute_resolve_days", 10,
	    &due->resolve);
}
