/*
 * Handing the warehouse's files (core blob.c) to nginx to send.
 *
 * The module never streams a download: after its checks (and, through a
 * grant, the access-log row) it answers "X-Accel-Redirect:
 * /warehouse/<aa>/<sha256>" and nginx sends the file from its internal
 * location (sendfile).
 */
#include <string.h>

#include "ds.h"
#include "sharing.h"

/* The name offered to the client: ASCII letters, digits, . _ - only. */
static const char *
safe_name(struct arena *a, const char *name)
{
	char *s = arena_strdup(a, name);

	for (char *p = s; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' ||
		    *p == '-'))
			*p = '_';
	return s;
}

/* Hands the blob to nginx: no body, the internal redirect names it.
 * nginx keeps Content-Type and Content-Disposition through the redirect
 * and drops the module's other headers. */
void
deliver(struct http_req *r, const char *sha, const char *format,
    const char *name)
{
	http_header(r, "X-Accel-Redirect",
	    arena_printf(r->arena, "/warehouse/%.2s/%s", sha, sha));
	http_header(r, "Content-Disposition", arena_printf(r->arena,
	    "attachment; filename=\"%s\"", safe_name(r->arena, name)));
	http_reply_raw(r, 200, strcmp(format, "json") == 0 ?
	    "application/json; charset=utf-8" : "text/csv; charset=utf-8",
	    "", 0);
}
