/*
 * Due dates of a ticket (R8.3): the acknowledge and resolve limits are
 * counted from the database's clock in working days ("ngày làm việc",
 * core's workdays.c: the province's calendar, weekends and holidays
 * skipped), or in calendar days when dispute_calendar_days=1. Either way a
 * limit of n days ends at the end (local midnight) of the n-th day after
 * the local day of filing, as the sharing module's decision deadlines do.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ds.h"
#include "dispute.h"

#define DAY	86400LL

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

/* The end of the local day days calendar days after from's local day. */
static int
calendar_due(const char *from, long long days, char out[20])
{
	long long offset = workdays_utc_offset(), t;

	if (datetime_parse(from, &t) != 0)
		return DS_EINVAL;
	t += offset;
	t = t - t % DAY + (days + 1) * DAY - offset;
	datetime_format(t, out);
	return DS_OK;
}

int
dispute_due(struct arena *a, const char *from, const char *days_key,
    long long def, char **out)
{
	long long days = setting(days_key, def, 1, 365);
	int st;

	*out = arena_alloc(a, 20);
	st = setting("dispute_calendar_days", 0, 0, 1) == 1 ?
	    calendar_due(from, days, *out) :
	    workdays_due(a, from, (int)days, *out);
	if (st == DS_EINVAL)
		log_warnx(__func__, "no due date for '%s' + %lld days", from,
		    days);
	return st;
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
