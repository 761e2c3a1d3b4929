/*
 * datashare-report: read-only province-wide reports for DIC and auditors
 * (R9.3; Art. 19.4). One file per report; filter.c reads the date range,
 * agency and format every report takes; output.c runs a report's sections
 * and writes them as JSON or CSV.
 *
 * A report is a table of sections, each one SELECT. Every statement
 * starts FROM REPORT_PARAMS, a one-row table holding the request's
 * parameters by name, so a statement binds the same four values in the
 * same order however often it uses them, and never builds SQL from input.
 */
#ifndef REPORT_H
#define REPORT_H

#include <stdbool.h>

#include "ds.h"

/* Who reads reports: DIC and auditors (R9.3). */
#define ROLE_REPORT_READER	(ROLE_DIC_ADMIN | ROLE_AUDITOR)

/*
 * The parameters of every report statement, as columns of p:
 *   p.range_start  first instant of the range (UTC, inclusive)
 *   p.range_end    first instant after it (UTC, exclusive)
 *   p.agency       the agency asked for, 0 for every agency
 *   p.year         the calendar year of the range's last day
 */
#define REPORT_PARAMS \
	"(SELECT CAST(? AS DATETIME(6)) AS range_start, " \
	"CAST(? AS DATETIME(6)) AS range_end, CAST(? AS SIGNED) AS agency, " \
	"CAST(? AS SIGNED) AS year) p"
/* col falls in the range. */
#define IN_RANGE(col)	"(" col " >= p.range_start AND " col " < p.range_end)"
/* The agency asked for (if any) is one of the listed columns. */
#define FOR_AGENCY(cols)	"(p.agency = 0 OR p.agency IN (" cols "))"

/* ------------------------------------------------------------------ */
/* filter.c: ?from=&to=&agency_id=&format=                             */

struct report_filter {
	const char	*from;		/* YYYY-MM-DD, local calendar */
	const char	*to;		/* YYYY-MM-DD, inclusive */
	const char	*range_start;	/* UTC "YYYY-MM-DD HH:MM:SS" */
	const char	*range_end;	/* UTC, exclusive */
	long long	 offset_minutes;	/* local = UTC + this */
	long long	 agency_id;	/* 0: every agency */
	long long	 year;		/* year of `to` */
	bool		 csv;		/* format=csv */
	const char	*now;		/* the database's UTC time, RFC 3339 */
};

/* Authorises the caller (401 is core's; 403 unless DIC admin or auditor)
 * and reads the query: from and to (local dates, default the current
 * year), agency_id (must exist), format (json or csv); anything else is a
 * 422 naming it. Strings belong to the arena. Returns 0, or -1 replied. */
int	 report_filter_or_reply(struct http_req *, struct report_filter *);
/* Parses a strict YYYY-MM-DD (years 2000-9999) into days since
 * 1970-01-01. Returns 0 or -1. */
int	 report_parse_date(const char *, long long *days);
/* Writes the UTC "YYYY-MM-DD HH:MM:SS" of local midnight starting day
 * (days since 1970-01-01) at offset_minutes east of UTC. */
void	 report_local_midnight_utc(long long days, long long offset_minutes,
	    char out[20]);

/* ------------------------------------------------------------------ */
/* output.c: sections, JSON and CSV                                    */

enum section_kind {
	SECTION_OBJECT,		/* the first row, as an object of figures */
	SECTION_LIST,		/* every row; the first column is its key */
	SECTION_DURATIONS,	/* one column `hours`: the count, median and
				   90th percentile of its values */
};

struct report_section {
	const char		*name;	/* its member in the JSON answer */
	enum section_kind	 kind;
	const char		*sql;	/* FROM REPORT_PARAMS ... */
};

/* Runs every section of report `name` under filter f, in one read-only
 * snapshot, and replies 200 with the JSON document, or with CSV when
 * f->csv. On a database error replies it. */
void	 report_run(struct http_req *, const char *name,
	    const struct report_filter *, const struct report_section *,
	    size_t n);

/* The p-th percentile (0..1) of n ascending values, interpolated between
 * the closest ranks as PERCENTILE_CONT does. n must be > 0. */
double	 report_percentile(const double *sorted, size_t n, double p);
/* A number rounded to 2 decimals as a JSON double that prints as written
 * ("8.4", not "8.4000000000000004"). */
json_object *report_number(double);
/* The report document as CSV in the arena (RFC 4180, CRLF): a header
 * `section,dimension,key,name,metric,value` and one line per figure.
 * Top-level scalars are figures of section "report", objects are sections
 * of figures, arrays of objects are sections of rows whose first member
 * is the dimension and key and whose `name` member names the row. Text
 * that a spreadsheet would read as a formula is prefixed with '. */
char	*report_csv(struct arena *, json_object *doc, size_t *len);

/* ------------------------------------------------------------------ */
/* the reports, one file each                                          */

void	 reports_index(struct http_req *);	/* main.c */
void	 report_sharing_requests(struct http_req *);	/* requests.c */
void	 report_grants(struct http_req *);		/* grants.c */
void	 report_suspensions(struct http_req *);	/* suspensions.c */
void	 report_disputes(struct http_req *);		/* disputes.c */
void	 report_catalog(struct http_req *);		/* catalog.c */

#endif /* REPORT_H */
