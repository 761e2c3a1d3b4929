/*
 * What every report takes: ?from=YYYY-MM-DD&to=YYYY-MM-DD (inclusive),
 * ?agency_id=N and ?format=json|csv.
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

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil). */
static long long
days_from_civil(long long y, long long m, long long d)
{
	long long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int
days_in_month(long long y, long long m)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : mdays[m - 1];
}

int
report_parse_date(const char *s, long long *days)
{
	long long y, m, d;

	if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-' ||
	    strspn(s, "0123456789") != 4 || strspn(s + 5, "0123456789") != 2 ||
	    strspn(s + 8, "0123456789") != 2)
		return -1;
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 +
	    (s[3] - '0');
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (y < 2000 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
		return -1;
	*days = days_from_civil(y, m, d);
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
	time_t t = (time_t)(days * SECONDS_PER_DAY);
	struct tm tm;
	char buf[11];

	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%d", &tm);
	return arena_strdup(a, buf);
}

/* The current local year's first and last days, by the database clock. */
static void
current_year(long long now, long long offset, long long *first,
    long long *last)
{
	time_t t = (time_t)(now + offset * 60);
	struct tm tm;

	gmtime_r(&t, &tm);
	*first = days_from_civil(tm.tm_year + 1900, 1, 1);
	*last = days_from_civil(tm.tm_year + 1900, 12, 31);
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
