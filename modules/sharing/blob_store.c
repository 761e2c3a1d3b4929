/*
 * The warehouse's storage: data files kept once, under their SHA-256, in
 * warehouse_dir (content-addressed: the same bytes uploaded twice, or a
 * grant's narrowed copy made twice, are one file), and handed to nginx to
 * send.
 *
 * The module never streams a download: after its checks (and, through a
 * grant, the access-log row) it answers "X-Accel-Redirect:
 * /warehouse/<aa>/<sha256>" and nginx sends the file from its internal
 * location (sendfile).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ds.h"
#include "sharing.h"

/* "<warehouse_dir>/<sha[0:2]>/<sha>" for a blob, into the arena. A fresh
 * temporary file in <warehouse_dir>/tmp gives its fd and path, or -1
 * (logged, errno says why); blob_store moves a finished one to its
 * content address, or removes it when that blob exists already (stored
 * once), and on failure removes it too, errno saying why. */

static const char *
warehouse_dir(void)
{
	const char *d = conf_get("warehouse_dir");

	if (d == NULL)
		log_warnx(__func__, "warehouse_dir is not set");
	return d;
}

char *
blob_path(struct arena *a, const char *sha)
{
	return arena_printf(a, "%s/%.2s/%s", warehouse_dir(), sha, sha);
}

int
blob_tmp(struct arena *a, char **path)
{
	const char *dir = warehouse_dir();
	char *tmpdir;
	int fd;

	if (dir == NULL)
		return -1;
	tmpdir = arena_printf(a, "%s/tmp", dir);
	if (mkdir(tmpdir, 0750) != 0 && errno != EEXIST) {
		log_warn(__func__, "mkdir %s", tmpdir);
		return -1;
	}
	*path = arena_printf(a, "%s/part-XXXXXX", tmpdir);
	if ((fd = mkstemp(*path)) < 0) {
		log_warn(__func__, "mkstemp %s", *path);
		return -1;
	}
	/* nginx reads what it serves: group-readable, like the folder. */
	fchmod(fd, 0640);
	return fd;
}

/* Removes tmp after a failure, keeping the failure's errno. */
static int
blob_drop(const char *tmp)
{
	int e = errno;

	unlink(tmp);
	errno = e;
	return DS_ERR;
}

int
blob_store(struct arena *a, const char *tmp, const char *sha)
{
	char *dir = arena_printf(a, "%s/%.2s", warehouse_dir(), sha);
	char *dst = blob_path(a, sha);
	struct stat sb;

	if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
		log_warn(__func__, "mkdir %s", dir);
		return blob_drop(tmp);
	}
	/* Stored once: the same content uploaded again is the same blob. */
	if (stat(dst, &sb) == 0) {
		unlink(tmp);
		return DS_OK;
	}
	if (rename(tmp, dst) != 0) {
		log_warn(__func__, "rename %s", dst);
		return blob_drop(tmp);
	}
	return DS_OK;
}

/* Whether a write failed for lack of room: the disk or quota is full, or
 * the file passes the process's size limit. */
bool
no_room(int err)
{
	return err == ENOSPC || err == EDQUOT || err == EFBIG;
}

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
