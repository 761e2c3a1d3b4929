/*
 * Rows as CSV (RFC 4180), for the exports that offer it beside JSON: the
 * access log's (sharing) and the gateway's monitoring records. Moved here
 * from the sharing module when the gateway needed the same writer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ds.h"

/* A cell: quoted when it holds a comma, a quote or a line break, quotes
 * doubled; NULL is the empty cell. */
static void
csv_cell(FILE *out, const char *v)
{
	if (v == NULL)
		return;
	if (strpbrk(v, ",\"\r\n") == NULL) {
		fputs(v, out);
		return;
	}
	fputc('"', out);
	for (; *v != '\0'; v++) {
		if (*v == '"')
			fputc('"', out);
		fputc(*v, out);
	}
	fputc('"', out);
}

char *
csv_rows_text(struct arena *a, const struct db_rows *rows, size_t *len)
{
	char *mem = NULL, *text;
	size_t n = 0;
	FILE *out = open_memstream(&mem, &n);

	if (out == NULL)
		abort();
	for (size_t c = 0; c < rows->ncols; c++) {
		fputs(c ? "," : "", out);
		csv_cell(out, rows->names[c]);
	}
	fputs("\r\n", out);
	for (size_t i = 0; i < rows->nrows; i++) {
		for (size_t c = 0; c < rows->ncols; c++) {
			fputs(c ? "," : "", out);
			csv_cell(out, db_cell(rows, i, c));
		}
		fputs("\r\n", out);
	}
	fclose(out);
	text = arena_alloc(a, n + 1);
	memcpy(text, mem, n + 1);
	free(mem);
	if (len != NULL)
		*len = n;
	return text;
}
