/*
 * Dates and times as the API and the database write them, one parser and
 * one writer for each (issue 17: there were three, on strptime, sscanf
 * and days_from_civil). Pure arithmetic on the proleptic Gregorian
 * calendar in UTC (H. Hinnant's days_from_civil and its inverse): no
 * locale, no time zone, no libc table.
 */
#include <string.h>

#include "ds.h"

#define DAY	86400LL

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

static void
civil_from_days(long long z, int *y, int *m, int *d)
{
	long long era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

/* n digits at s as a number, or -1. */
static long long
digits(const char *s, int n)
{
	long long v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static int
days_in_month(long long y, long long m)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : mdays[m - 1];
}

/* "YYYY-MM-DD" at the start of s (not checked beyond) -> days, or -1
 * with *days untouched. */
static int
date_prefix(const char *s, long long *days)
{
	long long y, m, d;

	if (strnlen(s, 10) != 10 || s[4] != '-' || s[7] != '-' ||
	    (y = digits(s, 4)) < 0 || (m = digits(s + 5, 2)) < 1 || m > 12 ||
	    (d = digits(s + 8, 2)) < 1 || d > days_in_month(y, m))
		return -1;
	*days = days_from_civil(y, m, d);
	return 0;
}

int
date_parse(const char *s, long long *epoch)
{
	long long days;

	if (s == NULL || date_prefix(s, &days) != 0 || s[10] != '\0')
		return -1;
	*epoch = days * DAY;
	return 0;
}

int
datetime_parse(const char *s, long long *epoch)
{
	long long days, hh, mm, ss;
	const char *f;

	if (s == NULL || date_prefix(s, &days) != 0 || s[10] != ' ' ||
	    (hh = digits(s + 11, 2)) < 0 || hh > 23 || s[13] != ':' ||
	    (mm = digits(s + 14, 2)) < 0 || mm > 59 || s[16] != ':' ||
	    (ss = digits(s + 17, 2)) < 0 || ss > 59)
		return -1;
	f = s + 19;
	if (*f == '.') {
		if (f[1] < '0' || f[1] > '9')
			return -1;
		for (f++; *f >= '0' && *f <= '9'; f++)
			;
	}
	if (*f != '\0')
		return -1;
	*epoch = days * DAY + hh * 3600 + mm * 60 + ss;
	return 0;
}

void
date_format(long long epoch, char out[11])
{
	long long days = (epoch >= 0 ? epoch : epoch - (DAY - 1)) / DAY;
	int y, m, d;

	civil_from_days(days, &y, &m, &d);
	if (y < 0 || y > 9999) {
		strcpy(out, "0000-00-00");
		return;
	}
	out[0] = (char)('0' + y / 1000);
	out[1] = (char)('0' + y / 100 % 10);
	out[2] = (char)('0' + y / 10 % 10);
	out[3] = (char)('0' + y % 10);
	out[4] = '-';
	out[5] = (char)('0' + m / 10);
	out[6] = (char)('0' + m % 10);
	out[7] = '-';
	out[8] = (char)('0' + d / 10);
	out[9] = (char)('0' + d % 10);
	out[10] = '\0';
}

void
datetime_format(long long epoch, char out[20])
{
	long long s = epoch % DAY;

	if (s < 0)
		s += DAY;
	date_format(epoch, out);
	out[10] = ' ';
	out[11] = (char)('0' + s / 36000);
	out[12] = (char)('0' + s / 3600 % 10);
	out[13] = ':';
	out[14] = (char)('0' + s % 3600 / 600);
	out[15] = (char)('0' + s % 3600 / 60 % 10);
	out[16] = ':';
	out[17] = (char)('0' + s % 60 / 10);
	out[18] = (char)('0' + s % 10);
	out[19] = '\0';
}
