/*
 * Working days ("ngày làm việc"): Monday to Friday minus the public
 * holidays DIC keeps in the holidays table. Deadlines of sharing decisions,
 * dispute tickets and planned-suspension notices all count on them.
 *
 * Days are the province's calendar days, not UTC's: a matter filed at
 * 20:00 UTC on a Monday is filed on Tuesday morning in Vietnam. The offset
 * is the setting utc_offset_minutes (default 420, UTC+7; no daylight
 * saving). A limit of n working days ends at the end (local midnight) of
 * the n-th working day after the local day of filing.
 *
 * The arithmetic is pure (workdays_after, workdays_due_from) and unit
 * tested; workdays_add and workdays_due add the holidays from the
 * database.
 */
#include <stdlib.h>
#include <string.h>

#include "ds.h"

#define DAY	86400LL

/* "YYYY-MM-DD" -> seconds at 00:00 UTC of that date; -1 if malformed. */
static long long
date_to_epoch(const char *s)
{
	long long t;

	return date_parse(s, &t) == 0 ? t : -1;
}

/* 0 for Sunday .. 6 for Saturday (1970-01-01 was a Thursday). */
static int
weekday(long long t)
{
	long long days = (t >= 0 ? t : t - (DAY - 1)) / DAY;

	return (int)(((days + 4) % 7 + 7) % 7);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

long long
workdays_utc_offset(void)
{
	return conf_int("utc_offset_minutes", 420, -720, 840, NULL) * 60;
}

int
workdays_after(const char *from, int n, const char *const *holidays,
    size_t nhol, char out[11])
{
	long long day = date_to_epoch(from);
	char ymd[11];

	if (day < 0 || n < 0)
		return -1;
	while (n > 0) {
		day += DAY;
		if (weekday(day) == 0 || weekday(day) == 6)
			continue;
		date_format(day, ymd);
		{
			const char *key = ymd;

			if (nhol > 0 && bsearch(&key, holidays, nhol,
			    sizeof(*holidays), cmp_str) != NULL)
				continue;
		}
		n--;
	}
	date_format(day, out);
	return 0;
}

/* The local date of a UTC time "YYYY-MM-DD HH:MM:SS[.ffffff]"; -1 if
 * malformed. */
static int
local_date(const char *utc, long long offset, char out[11])
{
	long long t;

	if (datetime_parse(utc, &t) != 0)
		return -1;
	date_format(t + offset, out);
	return 0;
}

int
workdays_due_from(const char *filed_utc, int n, long long offset,
    const char *const *holidays, size_t nhol, char out[20])
{
	char local[11], last[11];

	if (local_date(filed_utc, offset, local) != 0 ||
	    workdays_after(local, n, holidays, nhol, last) != 0)
		return -1;
	/* The end of the last working day: its local midnight, in UTC. */
	datetime_format(date_to_epoch(last) + DAY - offset, out);
	return 0;
}

/* Holidays after the date from, far enough for n working days (two
 * calendar days each, and a year for Tết and the like), sorted. */
static int
holidays_after(struct arena *a, const char *from, int n,
    const char ***out, size_t *nhol)
{
	static const char *sql =
	    "SELECT DATE_FORMAT(day, '%Y-%m-%d') FROM holidays "
	    "WHERE day > ? AND day <= ? + INTERVAL ? DAY ORDER BY day";
	struct db_param p[] = { P_STR(from), P_STR(from), P_INT(2 * n + 366) };
	struct db_rows *rows;
	int st;

	if ((st = db_query(a, sql, p, NPARAMS(p), &rows)) != DS_OK)
		return st;
	*out = arena_calloc(a, rows->nrows + 1, sizeof(char *));
	for (size_t i = 0; i < rows->nrows; i++)
		(*out)[i] = db_cell(rows, i, 0);
	*nhol = rows->nrows;
	return DS_OK;
}

int
workdays_add(struct arena *a, const char *from, int n, char out[11])
{
	const char **hol;
	size_t nhol;
	int st;

	if (date_to_epoch(from) < 0 || n < 0 || n > 3650)
		return DS_EINVAL;
	if ((st = holidays_after(a, from, n, &hol, &nhol)) != DS_OK)
		return st;
	return workdays_after(from, n, hol, nhol, out) == 0 ? DS_OK : DS_EINVAL;
}

int
workdays_due(struct arena *a, const char *filed_utc, int n, char out[20])
{
	long long offset = workdays_utc_offset();
	char local[11];
	const char **hol;
	size_t nhol;
	int st;

	if (local_date(filed_utc, offset, local) != 0 || n < 0 || n > 3650)
		return DS_EINVAL;
	if ((st = holidays_after(a, local, n, &hol, &nhol)) != DS_OK)
		return st;
	return workdays_due_from(filed_utc, n, offset, hol, nhol, out) == 0 ?
	    DS_OK : DS_EINVAL;
}
