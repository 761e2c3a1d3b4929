/*
 * Working-day arithmetic: weekdays that are not public holidays (the
 * holidays table DIC keeps). Working days are days of the province's
 * calendar, so a UTC time is first moved by the setting utc_offset_minutes
 * (Vietnam: +420) to find its local date.
 *
 * Needs only ds.h and the holidays table, so that other modules (dispute
 * deadlines, planned suspensions) and datashare-admin may link this file.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ds.h"
#include "sharing.h"

#define DAY	86400LL

/* "YYYY-MM-DD" -> seconds at 00:00 UTC of that date; -1 if malformed. */
static long long
date_to_epoch(const char *s)
{
	struct tm tm;
	char *end;

	memset(&tm, 0, sizeof(tm));
	if (s == NULL || strlen(s) < 10 ||
	    (end = strptime(s, "%Y-%m-%d", &tm)) == NULL)
		return -1;
	return (long long)timegm(&tm);
}

static void
epoch_to_date(long long t, char out[11])
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

static bool
is_weekend(long long t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	return tm.tm_wday == 0 || tm.tm_wday == 6;
}

long long
workdays_utc_offset(void)
{
	return conf_int("utc_offset_minutes", 420, -720, 840, NULL) * 60;
}

/* Holidays in (from, to] as epoch days, sorted, into *days (arena). */
static int
holidays_between(struct arena *a, long long from, long long to,
    long long **days, size_t *n)
{
	static const char *sql =
	    "SELECT day FROM holidays WHERE day > ? AND day <= ? ORDER BY day";
	char f[11], t[11];
	struct db_rows *rows;
	int st;

	epoch_to_date(from, f);
	epoch_to_date(to, t);
	{
		struct db_param p[] = { P_STR(f), P_STR(t) };

		if ((st = db_query(a, sql, p, 2, &rows)) != DS_OK)
			return st;
	}
	*days = arena_calloc(a, rows->nrows + 1, sizeof(long long));
	for (size_t i = 0; i < rows->nrows; i++)
		(*days)[i] = date_to_epoch(db_cell(rows, i, 0));
	*n = rows->nrows;
	return DS_OK;
}

int
workdays_add(struct arena *a, const char *from, int n, char out[11])
{
	long long day = date_to_epoch(from), window_end, *hol = NULL;
	size_t nhol = 0, h = 0;
	int st;

	if (day < 0 || n < 0)
		return DS_EINVAL;
	/* Fetch holidays a window at a time: a few weeks covers any
	 * realistic limit, and a longer one just fetches again. */
	window_end = day;
	while (n > 0) {
		day += DAY;
		if (day > window_end) {
			window_end = day + (n * 2 + 31) * DAY;
			if ((st = holidays_between(a, day - DAY, window_end,
			    &hol, &nhol)) != DS_OK)
				return st;
			h = 0;
		}
		while (h < nhol && hol[h] < day)
			h++;
		if (is_weekend(day) || (h < nhol && hol[h] == day))
			continue;
		n--;
	}
	epoch_to_date(day, out);
	return DS_OK;
}

int
workdays_due(struct arena *a, const char *filed_utc, int n, char out[20])
{
	long long off = workdays_utc_offset(), t;
	char local[11], last[11];
	struct tm tm;
	time_t end;
	int st;

	memset(&tm, 0, sizeof(tm));
	if (filed_utc == NULL || strptime(filed_utc, "%Y-%m-%d %H:%M:%S",
	    &tm) == NULL)
		return DS_EINVAL;
	t = (long long)timegm(&tm) + off;
	epoch_to_date(t, local);
	if ((st = workdays_add(a, local, n, last)) != DS_OK)
		return st;
	/* Due at the end of the last working day, local time. */
	end = (time_t)(date_to_epoch(last) + DAY - off);
	gmtime_r(&end, &tm);
	strftime(out, 20, "%Y-%m-%d %H:%M:%S", &tm);
	return DS_OK;
}
