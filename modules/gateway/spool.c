/*
 * The log's rows that the database could not take (issue 18: "none
 * forwarded unlogged", "nothing acknowledged to the consumer is missing
 * from the log after a crash").
 *
 * The check statement needs the database, so a call is forwarded only
 * while it answers; but it may stop between the check and the row. Then
 * the row goes to a spool file on the local disk instead, written and
 * fsync'ed before the answer's last piece goes out, and the master's tick
 * moves spooled rows into the table once the database is back, each
 * file in one transaction, then removes the file. The same row is never
 * both in the table and in a spool file, except for a crash between that
 * commit and the removal, which would insert the file's rows a second
 * time (two rows with one request_id; docs/gateway.md says so).
 *
 * A file per worker, <warehouse_dir>/gateway-spool/<pid>.rows, one row a
 * line: the INSERT's parameters as text, tab-separated, NULL as \N, with
 * backslash, tab and newline escaped. A writer and the replaying master
 * take the file's flock in turn; a writer that finds its file removed
 * under it (link count 0) opens a new one.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ds.h"
#include "gateway.h"

#define LINE_MAX_BYTES	(64 * 1024)

static char *
spool_dir(struct arena *a)
{
	const char *w = conf_get("warehouse_dir");

	return w == NULL ? NULL : arena_printf(a, "%s/gateway-spool", w);
}

/* One parameter as spool text. */
static void
put_param(struct arena *a, char **line, const struct db_param *p)
{
	const char *v;
	char *out, *o;

	if (p->type == DBT_NULL) {
		*line = arena_printf(a, "%s\\N\t", *line);
		return;
	}
	v = p->type == DBT_INT ? arena_printf(a, "%lld", p->i) : p->s;
	o = out = arena_alloc(a, strlen(v) * 2 + 1);
	for (; *v != '\0'; v++) {
		if (*v == '\\' || *v == '\t' || *v == '\n') {
			*o++ = '\\';
			*o++ = *v == '\t' ? 't' : *v == '\n' ? 'n' : '\\';
		} else
			*o++ = *v;
	}
	*o = '\0';
	*line = arena_printf(a, "%s%s\t", *line, out);
}

/* Opens this worker's file under its lock, a fresh one if the master
 * removed the last. Returns the fd or -1. */
static int
open_locked(struct arena *a, const char *dir)
{
	char *path = arena_printf(a, "%s/%ld.rows", dir, (long)getpid());
	struct stat sb;
	int fd;

	if (mkdir(dir, 0750) != 0 && errno != EEXIST)
		return -1;
	for (int tries = 0; tries < 3; tries++) {
		if ((fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
		    0640)) < 0)
			return -1;
		if (flock(fd, LOCK_EX) == 0 && fstat(fd, &sb) == 0 &&
		    sb.st_nlink > 0)
			return fd;
		close(fd);
	}
	return -1;
}

int
spool_append(struct arena *a, const struct db_param *p, size_t n)
{
	char *dir = spool_dir(a), *line = arena_strdup(a, "");
	size_t len;
	int fd, ok;

	if (dir == NULL || (fd = open_locked(a, dir)) < 0) {
		log_warn(__func__, "the gateway's spool");
		return DS_ERR;
	}
	for (size_t i = 0; i < n; i++)
		put_param(a, &line, &p[i]);
	len = strlen(line);
	line[len - 1] = '\n';
	ok = write(fd, line, len) == (ssize_t)len && fsync(fd) == 0;
	close(fd);
	if (!ok) {
		log_warn(__func__, "the gateway's spool");
		return DS_ERR;
	}
	log_warnx(__func__, "a call's row is spooled until the database "
	    "is back");
	return DS_OK;
}

/* Reads one spooled field back in place; NULL for \N. */
static char *
field_unescape(char *f)
{
	char *o = f;

	if (strcmp(f, "\\N") == 0)
		return NULL;
	for (char *s = f; *s != '\0'; s++) {
		if (*s == '\\' && s[1] != '\0') {
			s++;
			*o++ = *s == 't' ? '\t' : *s == 'n' ? '\n' : *s;
		} else
			*o++ = *s;
	}
	*o = '\0';
	return f;
}

/* Inserts one spooled line (its fields split at tabs: an empty field is
 * an empty string). */
static int
replay_line(char *line)
{
	struct db_param p[GW_RECORD_PARAMS];
	size_t i = 0;
	char *f = line, *tab;

	for (; i < GW_RECORD_PARAMS; i++) {
		char *v;

		if ((tab = strchr(f, '\t')) != NULL)
			*tab = '\0';
		v = field_unescape(f);
		p[i] = v == NULL ? P_NULL : P_STR(v);
		if (tab == NULL)
			break;
		f = tab + 1;
	}
	/* Only spool_append writes these files; a line it did not write
	 * whole (the disk filled) is named in the log and left out. */
	if (i + 1 != GW_RECORD_PARAMS || tab != NULL) {
		log_warnx(__func__, "a spooled row has not %d fields: left "
		    "out", GW_RECORD_PARAMS);
		return DS_OK;
	}
	return gw_record_params(p);
}

/* Moves one file's rows into the table in one transaction, then removes
 * it. A file another process holds is left for the next round. */
static int
replay_file(struct arena *a, const char *path)
{
	FILE *fp;
	char *line = arena_alloc(a, LINE_MAX_BYTES);
	int fd, st = DS_OK;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return DS_OK;
	if (flock(fd, LOCK_EX | LOCK_NB) != 0 ||
	    (fp = fdopen(fd, "r")) == NULL) {
		close(fd);
		return DS_OK;
	}
	if ((st = db_begin()) == DS_OK) {
		while (st == DS_OK && fgets(line, LINE_MAX_BYTES, fp) != NULL) {
			line[strcspn(line, "\n")] = '\0';
			st = replay_line(line);
		}
		st = st == DS_OK ? db_commit() : st;
		if (st != DS_OK && db_in_tx())
			db_rollback();
	}
	if (st == DS_OK) {
		unlink(path);
		log_warnx(__func__, "%s: spooled rows moved to the log", path);
	}
	fclose(fp);
	return st;
}

int
spool_replay(void)
{
	struct arena *a = arena_new();
	char *dir = spool_dir(a);
	struct dirent *de;
	DIR *d;
	int st = DS_OK;

	if (dir == NULL || (d = opendir(dir)) == NULL) {
		arena_free(a);
		return DS_OK;
	}
	while (st == DS_OK && (de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);

		if (n > 5 && strcmp(de->d_name + n - 5, ".rows") == 0)
			st = replay_file(a, arena_printf(a, "%s/%s", dir,
			    de->d_name));
	}
	closedir(d);
	arena_free(a);
	return st;
}
