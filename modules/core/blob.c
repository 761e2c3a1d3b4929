/*
 * The warehouse's storage: bytes kept once, under their SHA-256, in
 * warehouse_dir (content-addressed: the same bytes uploaded twice, a
 * grant's narrowed copy made twice, or the same body of two gateway calls
 * are one file). The sharing module's data files and the gateway's kept
 * bodies (log mode "full") both live here.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ds.h"

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

