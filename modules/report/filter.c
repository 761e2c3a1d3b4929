/*
 * What every report takes: ?from=YYYY-MM-DD&to=YYYY-MM-DD (inclusive),
 * ?agency_id=N and ?format=json|csv (R9: the reports of Art. 16.2.đ and
 * 19.4).
 *
 * The dates are days of the province's calendar, as the other modules
 * count working days: local time is UTC plus utc_offset_minutes (default
 * 420, Vietnam, which keeps no daylight saving). A record belongs to the
 * range when its UTC time falls in [local midnight starting `from`, local
 * midnight ending `to`). Without dates the range is the current local
 * year, by the database's clock.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ds.h"
#include "report.h"

#define SECONDS_PER_DAY	86400LL

static const char *const known_params[] = {
	"from", "to", "agency_id", "format", NULL
};

int
report_parse_date(const char *s, long long *days)
{
	long long t;

	/* Reports start with the platform: no year before 2000. */
	if (date_parse(s, &t) != 0 || strncmp(s, "2000", 4) < 0)
		return -1;
	*days = t / SECONDS_PER_DAY;
	return 0;
}

void
report_local_midnight_utc(long long days, long long offset_minutes,
    char out[20])
{
	time_t t = (time_t)(days * SECONDS_PER_DAY - offset_minutes * 60);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 20, "%Y-%m-%d %H:%M:%S", &tm);
}

/* 422 detail for every query parameter no report takes (a typo such as
 * ?form=csv would otherwise silently give JSON). */
static void
check_unknown_params(struct http_req *r)
{
	for (size_t i = 0; i < r->nparams; i++) {
		size_t k = 0;

		while (known_params[k] != NULL &&
		    strcmp(known_params[k], r->params[i].key) != 0)
			k++;
		if (known_params[k] == NULL)
			json_detail(r, r->params[i].key, "unknown parameter");
	}
}

/* Reads ?key= as a local date into *days; absent: def. */
static void
read_date(struct http_req *r, const char *key, long long def,
    long long *days)
{
	const char *v = http_param(r, key);

	*days = def;
	if (v != NULL && report_parse_date(v, days) != 0)
		json_detail(r, key, "must be a date YYYY-MM-DD (year 2000 or "
		    "later)");
}

static void
read_agency(struct http_req *r, long long *id)
{
	const char *v = http_param(r, "agency_id");

	*id = 0;
	if (v != NULL && parse_ll(v, 1, 1LL << 53, id) != 0)
		json_detail(r, "agency_id", "must be a positive integer");
}

static void
read_format(struct http_req *r, bool *csv)
{
	const char *v = http_param(r, "format");

	*csv = v != NULL && strcmp(v, "csv") == 0;
	if (v != NULL && !*csv && strcmp(v, "json") != 0)
		json_detail(r, "format", "must be json or csv");
}

/* The agency must exist: a mistyped id would give an empty report that
 * reads as "nothing happened". */
static int
check_agency_or_reply(struct http_req *r, long long id)
{
	static const char *sql = "SELECT id FROM agencies WHERE id = ?";
	struct db_param p[] = { P_INT(id) };
	struct db_rows *rows;
	int st;

	if (id == 0)
		return 0;
	if ((st = db_query(r->arena, sql, p, 1, &rows)) != DS_OK)
		return http_error_status(r, st);
	if (rows->nrows == 0) {
		json_detail(r, "agency_id", "no such agency");
		return json_details_reply(r, "invalid query parameter");
	}
	return 0;
}

static char *
day_text(struct arena *a, long long days)
{
	char buf[11];

	date_format(days * SECONDS_PER_DAY, buf);
	return arena_strdup(a, buf);
}

/* The current local year's first and last days, by the database clock. */
static void
current_year(long long now, long long offset, long long *first,
    long long *last)
{
	char day[11];
	long long t;

	date_format(now + offset * 60, day);
	memcpy(day + 4, "-01-01", 7);
	(void)date_parse(day, &t);
	*first = t / SECONDS_PER_DAY;
	memcpy(day + 4, "-12-31", 7);
	(void)date_parse(day, &t);
	*last = t / SECONDS_PER_DAY;
}

int
report_filter_or_reply(struct http_req *r, struct report_filter *f)
{
	long long now, first, last, from, to;
	char start[20], end[20], stamp[21];
	time_t t;
	struct tm tm;

	memset(f, 0, sizeof(*f));
	if (auth_require_role_or_reply(r, ROLE_REPORT_READER))
		return DS_REPLIED;
	(void)db_connect();	/* ds_now() reads the database's clock */
	now = ds_now();
	f->offset_minutes = workdays_utc_offset() / 60;
	current_year(now, f->offset_minutes, &first, &last);
	check_unknown_params(r);
	read_date(r, "from", first, &from);
	read_date(r, "to", last, &to);
	read_agency(r, &f->agency_id);
	read_format(r, &f->csv);
	if (!json_has_details(r) && from > to)
		json_detail(r, "from", "must not be after to");
	if (json_has_details(r))
		return json_details_reply(r, "invalid query parameter");
	if (check_agency_or_reply(r, f->agency_id))
		return DS_REPLIED;
	f->from = day_text(r->arena, from);
	f->to = day_text(r->arena, to);
	f->year = strtoll(f->to, NULL, 10);
	report_local_midnight_utc(from, f->offset_minutes, start);
	report_local_midnight_utc(to + 1, f->offset_minutes, end);
	f->range_start = arena_strdup(r->arena, start);
	f->range_end = arena_strdup(r->arena, end);
	t = (time_t)now;
	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	f->now = arena_strdup(r->arena, stamp);
	return 0;
}
