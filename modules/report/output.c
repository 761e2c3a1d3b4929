/*
 * Running a report's sections and writing the answer: one JSON document
 * (the default), or the same figures as CSV, one line per figure, so that
 * every report has the same columns and a spreadsheet can pivot them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ds.h"
#include "report.h"

double
report_percentile(const double *v, size_t n, double p)
{
	double pos = p * (double)(n - 1);
	size_t i = (size_t)pos;		/* pos >= 0: the lower rank */

	if (i + 1 >= n)
		return v[n - 1];
	return v[i] + (pos - (double)i) * (v[i + 1] - v[i]);
}

json_object *
report_number(double d)
{
	char buf[64];
	size_t n;

	snprintf(buf, sizeof(buf), "%.2f", d);
	n = strlen(buf);
	while (n > 0 && buf[n - 1] == '0')
		buf[--n] = '\0';
	if (n > 0 && buf[n - 1] == '.')
		buf[--n] = '\0';
	if (strcmp(buf, "-0") == 0)
		strcpy(buf, "0");
	return json_object_new_double_s(strtod(buf, NULL), buf);
}

/* A row as an object; decimals (hours, sums) printed as report_number. */
static json_object *
row_json(const struct db_rows *rows, size_t i)
{
	json_object *o = db_row_json(rows, i);

	for (size_t c = 0; c < rows->ncols; c++) {
		const char *v = db_cell(rows, i, c);

		if (rows->kinds[c] == COL_DOUBLE && v != NULL)
			json_object_object_add(o, rows->names[c],
			    report_number(strtod(v, NULL)));
	}
	return o;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* {count, median_hours, p90_hours} of the `hours` column (NULLs skipped);
 * both null when there is none. */
static json_object *
durations_json(struct arena *a, const struct db_rows *rows)
{
	double *v = arena_calloc(a, rows->nrows + 1, sizeof(*v));
	json_object *o = json_object_new_object();
	size_t n = 0;

	for (size_t i = 0; i < rows->nrows; i++) {
		const char *cell = db_get(rows, i, "hours");

		if (cell != NULL)
			v[n++] = strtod(cell, NULL);
	}
	qsort(v, n, sizeof(*v), cmp_double);
	json_object_object_add(o, "count", json_object_new_int64((int64_t)n));
	json_object_object_add(o, "median_hours",
	    n ? report_number(report_percentile(v, n, 0.5)) : NULL);
	json_object_object_add(o, "p90_hours",
	    n ? report_number(report_percentile(v, n, 0.9)) : NULL);
	return o;
}

static json_object *
section_json(struct arena *a, const struct report_section *s,
    const struct db_rows *rows)
{
	json_object *list;

	switch (s->kind) {
	case SECTION_OBJECT:
		return rows->nrows ? row_json(rows, 0) :
		    json_object_new_object();
	case SECTION_DURATIONS:
		return durations_json(a, rows);
	case SECTION_LIST:
		break;
	}
	list = json_object_new_array_ext((int)rows->nrows);
	for (size_t i = 0; i < rows->nrows; i++)
		json_object_array_add(list, row_json(rows, i));
	return list;
}

/* The document's head: which report, over what, when. */
static json_object *
doc_new(const char *name, const struct report_filter *f)
{
	json_object *o = json_object_new_object();
	char start[32], end[32];

	snprintf(start, sizeof(start), "%.10sT%.8sZ", f->range_start,
	    f->range_start + 11);
	snprintf(end, sizeof(end), "%.10sT%.8sZ", f->range_end,
	    f->range_end + 11);
	json_object_object_add(o, "report", json_object_new_string(name));
	json_object_object_add(o, "from", json_object_new_string(f->from));
	json_object_object_add(o, "to", json_object_new_string(f->to));
	json_object_object_add(o, "utc_offset_minutes",
	    json_object_new_int64(f->offset_minutes));
	json_object_object_add(o, "range_start", json_object_new_string(start));
	json_object_object_add(o, "range_end", json_object_new_string(end));
	json_object_object_add(o, "year", json_object_new_int64(f->year));
	json_object_object_add(o, "agency_id", f->agency_id ?
	    json_object_new_int64(f->agency_id) : NULL);
	json_object_object_add(o, "generated_at",
	    json_object_new_string(f->now));
	return o;
}

static void
reply_csv(struct http_req *r, const char *name, const struct report_filter *f,
    json_object *doc)
{
	size_t len;
	char *text = report_csv(r->arena, doc, &len);
	const char *agency = f->agency_id ? arena_printf(r->arena,
	    "_agency-%lld", f->agency_id) : "";

	json_object_put(doc);
	http_header(r, "Content-Disposition", arena_printf(r->arena,
	    "attachment; filename=\"%s_%s_%s%s.csv\"", name, f->from, f->to,
	    agency));
	http_reply_raw(r, 200, "text/csv; charset=utf-8", text, len);
}

void
report_run(struct http_req *r, const char *name, const struct report_filter *f,
    const struct report_section *sections, size_t n)
{
	struct db_param p[] = { P_STR(f->range_start), P_STR(f->range_end),
	    P_INT(f->agency_id), P_INT(f->year) };
	json_object *doc;
	struct db_rows *rows;
	int st;

	/* One transaction, so that every section reads the same snapshot
	 * (REPEATABLE READ): a summary and its breakdown always agree. */
	if ((st = db_begin()) != DS_OK) {
		http_error_status(r, st);
		return;
	}
	doc = doc_new(name, f);
	for (size_t i = 0; i < n; i++) {
		if ((st = db_query(r->arena, sections[i].sql, p, NPARAMS(p),
		    &rows)) != DS_OK) {
			db_rollback();
			json_object_put(doc);
			http_error_status(r, st);
			return;
		}
		json_object_object_add(doc, sections[i].name,
		    section_json(r->arena, &sections[i], rows));
	}
	db_rollback();		/* nothing was written */
	if (f->csv)
		reply_csv(r, name, f, doc);
	else
		http_reply(r, 200, doc);
}

/* ------------------------------------------------------------------ */
/* CSV                                                                  */

/* A cell: quoted when it holds a comma, quote or line break (RFC 4180);
 * text starting like a formula gets a leading ' (OWASP's advice for CSV
 * opened in a spreadsheet: agency names and titles are user input). */
static void
csv_text(FILE *out, const char *s, bool text)
{
	bool formula;

	if (s == NULL)
		return;
	formula = text && s[0] != '\0' && strchr("=+-@\t\r", s[0]) != NULL;
	if (strpbrk(s, ",\"\r\n") == NULL) {
		fputs(formula ? "'" : "", out);
		fputs(s, out);
		return;
	}
	fputs(formula ? "\"'" : "\"", out);
	for (; *s != '\0'; s++) {
		if (*s == '"')
			fputc('"', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

/* A JSON value as a cell: null is empty, numbers as printed in JSON. */
static void
csv_value(FILE *out, json_object *v)
{
	if (v != NULL)
		csv_text(out, json_object_get_string(v),
		    json_object_is_type(v, json_type_string));
}

static void
csv_line(FILE *out, const char *section, const char *dimension,
    json_object *key, json_object *name, const char *metric,
    json_object *value)
{
	csv_text(out, section, true);
	fputc(',', out);
	csv_text(out, dimension, true);
	fputc(',', out);
	csv_value(out, key);
	fputc(',', out);
	csv_value(out, name);
	fputc(',', out);
	csv_text(out, metric, true);
	fputc(',', out);
	csv_value(out, value);
	fputs("\r\n", out);
}

/* One row of a list: its first member is the dimension and key, `name`
 * names it, every other member is a figure. */
static void
csv_row(FILE *out, const char *section, json_object *row)
{
	const char *dimension = NULL;
	json_object *key = NULL, *name = NULL;
	bool figures = false;

	if (!json_object_is_type(row, json_type_object))
		return;
	json_object_object_get_ex(row, "name", &name);
	json_object_object_foreach(row, k, v) {
		if (dimension == NULL) {
			dimension = k;
			key = v;
		} else if (strcmp(k, "name") != 0) {
			csv_line(out, section, dimension, key, name, k, v);
			figures = true;
		}
	}
	if (dimension != NULL && !figures)
		csv_line(out, section, dimension, key, name, NULL, NULL);
}

static void
csv_member(FILE *out, const char *section, json_object *v)
{
	size_t n;

	if (json_object_is_type(v, json_type_array)) {
		n = json_object_array_length(v);
		for (size_t i = 0; i < n; i++)
			csv_row(out, section, json_object_array_get_idx(v, i));
	} else if (json_object_is_type(v, json_type_object)) {
		json_object_object_foreach(v, k, fig)
			csv_line(out, section, NULL, NULL, NULL, k, fig);
	} else
		csv_line(out, "report", NULL, NULL, NULL, section, v);
}

char *
report_csv(struct arena *a, json_object *doc, size_t *len)
{
	char *mem = NULL, *text;
	size_t n = 0;
	FILE *out = open_memstream(&mem, &n);

	if (out == NULL)
		abort();
	fputs("section,dimension,key,name,metric,value\r\n", out);
	json_object_object_foreach(doc, k, v)
		csv_member(out, k, v);
	fclose(out);
	text = arena_alloc(a, n + 1);
	memcpy(text, mem, n + 1);
	free(mem);
	*len = n;
	return text;
}
