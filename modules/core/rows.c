/*
 * Reading the rows db_query fetched: a cell by position or by column
 * name, and a row as JSON (datetimes in RFC 3339, "..._json" columns as
 * JSON, booleans as booleans, each named by its column less the suffix).
 * jsonout.c writes the same rows as text without json-c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ds.h"

const char *
db_cell(const struct db_rows *rows, size_t r, size_t c)
{
	if (r >= rows->nrows || c >= rows->ncols)
		return NULL;
	return rows->cells[r * rows->ncols + c];
}

static long
col_index(const struct db_rows *rows, const char *name)
{
	for (size_t c = 0; c < rows->ncols; c++)
		if (strcmp(rows->names[c], name) == 0)
			return (long)c;
	return -1;
}

const char *
db_get(const struct db_rows *rows, size_t r, const char *name)
{
	long c = col_index(rows, name);

	return c < 0 ? NULL : db_cell(rows, r, (size_t)c);
}

long long
db_get_int(const struct db_rows *rows, size_t r, const char *name)
{
	const char *v = db_get(rows, r, name);

	return v == NULL ? 0 : strtoll(v, NULL, 10);
}

char *
rfc3339_from_db(struct arena *a, const char *v)
{
	/* "YYYY-MM-DD HH:MM:SS[.ffffff]" -> "YYYY-MM-DDTHH:MM:SSZ" */
	if (v == NULL || strlen(v) < 19)
		return arena_strdup(a, v);
	return arena_printf(a, "%.10sT%.8sZ", v, v + 11);
}

json_object *
db_row_json(const struct db_rows *rows, size_t r)
{
	json_object *o;
	char buf[40];

	if (r >= rows->nrows)
		return NULL;
	o = json_object_new_object();
	for (size_t c = 0; c < rows->ncols; c++) {
		const char *v = rows->cells[r * rows->ncols + c];
		const char *name = rows->names[c];
		size_t nl = strlen(name);
		json_object *jv = NULL;

		if (v != NULL) {
			switch (rows->kinds[c]) {
			case COL_INT:
				jv = json_object_new_int64(strtoll(v, NULL, 10));
				break;
			case COL_BOOL:
				jv = json_object_new_boolean(v[0] == '1');
				break;
			case COL_DOUBLE:
				jv = json_object_new_double(strtod(v, NULL));
				break;
			case COL_DATETIME:
				if (strlen(v) >= 19) {
					snprintf(buf, sizeof(buf),
					    "%.10sT%.8sZ", v, v + 11);
					jv = json_object_new_string(buf);
				} else
					jv = json_object_new_string(v);
				break;
			case COL_JSON:
				jv = json_tokener_parse(v);
				break;
			default:
				jv = json_object_new_string_len(v,
				    (int)rows->lens[r * rows->ncols + c]);
			}
		}
		if (rows->kinds[c] == COL_JSON || (rows->kinds[c] == COL_BOOL &&
		    nl > 5 && strcmp(name + nl - 5, "_bool") == 0)) {
			char key[128];

			snprintf(key, sizeof(key), "%.*s", (int)(nl - 5), name);
			json_object_object_add(o, key, jv);
		} else
			json_object_object_add(o, name, jv);
	}
	return o;
}

json_object *
db_rows_json(const struct db_rows *rows)
{
	json_object *a = json_object_new_array_ext((int)rows->nrows);

	for (size_t r = 0; r < rows->nrows; r++)
		json_object_array_add(a, db_row_json(rows, r));
	return a;
}

void
db_rows_drop(struct db_rows *rows, const char *const *names)
{
	size_t nc = rows->ncols, keep = 0, on_stack[64], *from = on_stack;

	if (nc > NPARAMS(on_stack) && (from = calloc(nc, sizeof(*from))) ==
	    NULL)
		abort();
	for (size_t c = 0; c < nc; c++) {
		const char *const *n;

		for (n = names; *n != NULL && strcmp(*n, rows->names[c]); n++)
			;
		if (*n == NULL)
			from[keep++] = c;
	}
	/* Row by row, cell by cell: a kept cell only ever moves to a lower
	 * index (r * keep + k <= r * nc + from[k]), so none is overwritten
	 * before it has moved. */
	for (size_t r = 0; keep < nc && r < rows->nrows; r++)
		for (size_t k = 0; k < keep; k++) {
			rows->cells[r * keep + k] = rows->cells[r * nc + from[k]];
			if (rows->lens != NULL)
				rows->lens[r * keep + k] =
				    rows->lens[r * nc + from[k]];
		}
	for (size_t k = 0; k < keep; k++) {
		rows->names[k] = rows->names[from[k]];
		rows->kinds[k] = rows->kinds[from[k]];
	}
	rows->ncols = keep;
	if (from != on_stack)
		free(from);
}
