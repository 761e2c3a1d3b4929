/*
 * migrate: applies sql_dir/NNNN_name.sql in order, as the owner account.
 *
 * Each applied file is recorded in schema_migrations with its SHA-256; a
 * recorded file that changed or disappeared stops everything, because
 * the database would then no longer be what the files say (migrations
 * are never edited: a fix is a new file). Files are sent whole on a
 * connection of their own that allows several statements per query, so
 * CREATE TRIGGER ... BEGIN ... END; needs no DELIMITER games; the
 * bookkeeping goes through the core db_ layer's prepared statements.
 * GET_LOCK keeps two migrates from interleaving (on one server; a Galera
 * cluster does not share it, so migrate from one node).
 */
#include <ctype.h>
#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mysql.h>

#include "admin.h"

#define MIGRATION_SIZE_MAX	(16 * 1024 * 1024)
#define MIGRATIONS_MAX		1024

struct migration {
	int		 version;
	const char	*file;		/* "0001_x.sql"; NULL: missing */
	const char	*name;		/* "foundation" */
	char		*text;		/* the file, NUL-terminated */
	size_t		 len;
	char		 sum[65];
	bool		 applied;
	const char	*applied_at;	/* RFC 3339 */
	const char	*recorded_sum;
};

static const char *lock_sql = "SELECT GET_LOCK('datashare_migrate', 10)";
static const char *unlock_sql = "SELECT RELEASE_LOCK('datashare_migrate')";
static const char *create_sql =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    "  version    INT NOT NULL PRIMARY KEY,"
    "  name       VARCHAR(255) NOT NULL,"
    "  checksum   CHAR(64) CHARACTER SET ascii NOT NULL,"
    "  applied_at DATETIME(6) NOT NULL"
    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4";
static const char *exists_sql =
    "SELECT COUNT(*) AS n FROM information_schema.tables "
    "WHERE table_schema = DATABASE() AND table_name = 'schema_migrations'";
static const char *applied_sql =
    "SELECT version, name, checksum, applied_at FROM schema_migrations "
    "ORDER BY version";
static const char *record_sql =
    "INSERT INTO schema_migrations (version, name, checksum, applied_at) "
    "VALUES (?, ?, ?, UTC_TIMESTAMP(6))";

/* "0001_foundation.sql" -> 1 and "foundation"; -1 when misnamed. */
static int
parse_file_name(struct arena *a, const char *f, int *version,
    const char **name)
{
	size_t n = strlen(f), nl;

	if (n < 10 || strcmp(f + n - 4, ".sql") != 0 || f[4] != '_')
		return -1;
	for (int i = 0; i < 4; i++)
		if (!isdigit((unsigned char)f[i]))
			return -1;
	nl = n - 9;
	if (nl > 200 || strspn(f + 5, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != nl)
		return -1;
	*version = (f[0] - '0') * 1000 + (f[1] - '0') * 100 +
	    (f[2] - '0') * 10 + (f[3] - '0');
	*name = arena_strndup(a, f + 5, nl);
	return *version > 0 ? 0 : -1;
}

/* Reads dir/file whole into the arena and takes its checksum. */
static int
read_file(struct arena *a, const char *dir, struct migration *m)
{
	char path[PATH_MAX];
	struct stat sb;
	ssize_t got;
	int fd, n;

	n = snprintf(path, sizeof(path), "%s/%s", dir, m->file);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		warnx("%s/%s: path too long", dir, m->file);
		return -1;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &sb) == -1) {
		warn("%s", path);
		if (fd != -1)
			close(fd);
		return -1;
	}
	if (!S_ISREG(sb.st_mode) || sb.st_size > MIGRATION_SIZE_MAX) {
		warnx("%s: not a regular file of at most %d bytes", path,
		    MIGRATION_SIZE_MAX);
		close(fd);
		return -1;
	}
	m->text = arena_alloc(a, (size_t)sb.st_size + 1);
	for (m->len = 0; m->len < (size_t)sb.st_size; m->len += (size_t)got) {
		got = read(fd, m->text + m->len, (size_t)sb.st_size - m->len);
		if (got == -1 && errno == EINTR)
			got = 0;
		else if (got <= 0) {
			warn("%s: short read", path);
			close(fd);
			return -1;
		}
	}
	close(fd);
	m->text[m->len] = '\0';
	sha256_hex(m->text, m->len, m->sum);
	return 0;
}

static int
by_version(const void *x, const void *y)
{
	const struct migration *a = x, *b = y;

	return (a->version > b->version) - (a->version < b->version);
}

/* Lists the migration files of dir, read and sorted. A .sql file that is
 * not named NNNN_name.sql, or two files with one version, is an error:
 * either would silently change what runs. */
static int
scan(struct arena *a, const char *dir, struct migration *ms, size_t *n)
{
	DIR *d;
	struct dirent *de;
	size_t i;
	int rc = 0;

	*n = 0;
	if ((d = opendir(dir)) == NULL) {
		warn("sql_dir %s", dir);
		return -1;
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		struct migration *m = &ms[*n];

		if (de->d_name[0] == '.' || len < 4 ||
		    strcmp(de->d_name + len - 4, ".sql") != 0)
			continue;
		memset(m, 0, sizeof(*m));
		m->file = arena_strdup(a, de->d_name);
		if (parse_file_name(a, m->file, &m->version, &m->name) != 0) {
			warnx("%s/%s: not named NNNN_name.sql", dir, m->file);
			rc = -1;
		} else if (*n == MIGRATIONS_MAX - 1) {
			warnx("%s: more than %d migrations", dir,
			    MIGRATIONS_MAX - 1);
			rc = -1;
		} else if ((rc = read_file(a, dir, m)) == 0)
			(*n)++;
	}
	closedir(d);
	if (rc != 0)
		return -1;
	qsort(ms, *n, sizeof(ms[0]), by_version);
	for (i = 1; i < *n; i++)
		if (ms[i].version == ms[i - 1].version) {
			warnx("%s: %s and %s have the same version", dir,
			    ms[i - 1].file, ms[i].file);
			return -1;
		}
	return 0;
}

/* Marks the applied migrations from schema_migrations; an applied version
 * with no file becomes an entry without a file. */
static int
read_applied(struct arena *a, struct migration *ms, size_t *n)
{
	struct db_rows *rows;
	size_t r, i, nfiles = *n;

	if (admin_db_check(db_query(a, applied_sql, NULL, 0, &rows),
	    "reading schema_migrations") != 0)
		return -1;
	for (r = 0; r < rows->nrows; r++) {
		int v = (int)db_get_int(rows, r, "version");
		struct migration *m = NULL;

		for (i = 0; i < nfiles; i++)
			if (ms[i].version == v)
				m = &ms[i];
		if (m == NULL) {
			if (*n == MIGRATIONS_MAX) {
				warnx("schema_migrations: too many rows");
				return -1;
			}
			m = &ms[(*n)++];
			memset(m, 0, sizeof(*m));
			m->version = v;
			m->name = db_get(rows, r, "name");
		}
		m->applied = true;
		m->applied_at = rfc3339_from_db(a, db_get(rows, r,
		    "applied_at"));
		m->recorded_sum = db_get(rows, r, "checksum");
	}
	qsort(ms, *n, sizeof(ms[0]), by_version);
	return 0;
}

static bool
changed(const struct migration *m)
{
	return m->applied && m->file != NULL &&
	    strcmp(m->sum, m->recorded_sum) != 0;
}

/* Refuses to go on when the files and the database disagree. Names every
 * problem, not only the first, so one run shows what to repair. */
static int
check(const char *dir, const struct migration *ms, size_t n)
{
	int last_applied = 0, rc = 0;

	for (size_t i = 0; i < n; i++)
		if (ms[i].applied)
			last_applied = ms[i].version;
	for (size_t i = 0; i < n; i++) {
		const struct migration *m = &ms[i];

		if (changed(m)) {
			warnx("%s/%s was changed after it was applied on %s "
			    "(recorded sha256 %s, now %s): applied migrations "
			    "are never edited; restore it and add a new one",
			    dir, m->file, m->applied_at, m->recorded_sum,
			    m->sum);
			rc = -1;
		} else if (m->applied && m->file == NULL) {
			warnx("migration %04d_%s.sql was applied on %s but is "
			    "not in %s", m->version, m->name, m->applied_at,
			    dir);
			rc = -1;
		} else if (!m->applied && m->version < last_applied) {
			warnx("%s/%s is pending but version %04d is already "
			    "applied: migrations apply in order only", dir,
			    m->file, last_applied);
			rc = -1;
		}
	}
	return rc;
}

/* A connection of its own that takes a whole file in one query, set up
 * like the core's (UTC, strict mode). No read timeout: an ALTER TABLE on
 * a big table may rightly take long. */
static MYSQL *
multi_connect(void)
{
	static const char *session =
	    "SET time_zone = '+00:00', "
	    "SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_DATE,"
	    "NO_ZERO_IN_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'";
	unsigned int timeout = 5;
	my_bool off = 0;
	const char *errstr = NULL, *sock = conf_get("db_socket");
	long long port = conf_int("db_port", 3306, 1, 65535, &errstr);
	MYSQL *m;

	if (errstr != NULL) {
		warnx("db_port: expected 1-65535");
		return NULL;
	}
	if ((m = mysql_init(NULL)) == NULL)
		abort();
	mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
	mysql_options(m, MYSQL_OPT_RECONNECT, &off);
	mysql_options(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	if (mysql_real_connect(m, sock ? NULL : conf_str("db_host",
	    "127.0.0.1"), conf_get("db_user"), conf_str("db_password", ""),
	    conf_str("db_name", "datashare"), (unsigned)port, sock,
	    CLIENT_MULTI_STATEMENTS) == NULL ||
	    mysql_real_query(m, session, strlen(session)) != 0) {
		warnx("cannot connect for migrations: %s", mysql_error(m));
		mysql_close(m);
		return NULL;
	}
	return m;
}

/* Sends one file and reads every result, so that an error in any of its
 * statements is seen. Returns 0 or -1. */
static int
apply_one(MYSQL *db, const char *dir, const struct migration *m)
{
	MYSQL_RES *res;
	int stmt = 1, rc;

	if (mysql_real_query(db, m->text, m->len) != 0)
		goto fail;
	for (;;) {
		if ((res = mysql_store_result(db)) != NULL)
			mysql_free_result(res);
		else if (mysql_field_count(db) != 0)
			goto fail;
		if ((rc = mysql_next_result(db)) == -1)
			return 0;
		stmt++;
		if (rc > 0)
			goto fail;
	}
fail:
	warnx("%s/%s: statement %d failed: %s (error %u)", dir, m->file, stmt,
	    mysql_error(db), mysql_errno(db));
	if (stmt > 1)
		warnx("the %d statement(s) before it took effect and DDL "
		    "cannot be rolled back: undo them by hand before running "
		    "migrate again", stmt - 1);
	return -1;
}

static int
record(const struct migration *m)
{
	struct db_param p[] = {
		P_INT(m->version), P_STR(m->name), P_STR(m->sum)
	};

	if (db_exec(record_sql, p, NPARAMS(p), NULL, NULL) == DS_OK)
		return 0;
	warnx("%s was applied but could not be recorded: record it by hand "
	    "(version %d, name %s, checksum %s)", m->file, m->version, m->name,
	    m->sum);
	return -1;
}

static int
apply_pending(const char *dir, struct migration *ms, size_t n)
{
	MYSQL *db = NULL;
	int applied = 0, at = 0;

	for (size_t i = 0; i < n; i++) {
		if (ms[i].applied) {
			at = ms[i].version;
			continue;
		}
		if (db == NULL && (db = multi_connect()) == NULL)
			return -1;
		if (apply_one(db, dir, &ms[i]) != 0 ||
		    record(&ms[i]) != 0) {
			mysql_close(db);
			return -1;
		}
		printf("applied %s\n", ms[i].file);
		fflush(stdout);
		applied++;
		at = ms[i].version;
	}
	if (db != NULL)
		mysql_close(db);
	if (applied == 0)
		printf("nothing to apply (at version %04d)\n", at);
	else
		printf("%d migration%s applied, now at version %04d\n", applied,
		    applied == 1 ? "" : "s", at);
	return 0;
}

static int
lock(struct arena *a)
{
	struct db_rows *rows;
	const char *got;

	if (admin_db_check(db_query(a, lock_sql, NULL, 0, &rows),
	    "taking the migration lock") != 0)
		return -1;
	got = db_cell(rows, 0, 0);
	if (got == NULL || strcmp(got, "1") != 0) {
		warnx("another migrate holds the lock 'datashare_migrate' "
		    "(waited 10 s): try again when it is done");
		return -1;
	}
	return 0;
}

static void
unlock(struct arena *a)
{
	struct db_rows *rows;

	(void)db_query(a, unlock_sql, NULL, 0, &rows);
}

static int
migrate(struct arena *a, const char *dir, struct migration *ms)
{
	size_t n;
	int rc = -1;

	if (lock(a) != 0)
		return -1;
	if (admin_db_check(db_exec(create_sql, NULL, 0, NULL, NULL),
	    "creating schema_migrations") == 0 &&
	    scan(a, dir, ms, &n) == 0 && read_applied(a, ms, &n) == 0 &&
	    check(dir, ms, n) == 0)
		rc = apply_pending(dir, ms, n);
	unlock(a);
	return rc;
}

/* Lists without changing anything: no lock, no table created. */
static int
status(struct arena *a, const char *dir, struct migration *ms)
{
	struct db_rows *rows;
	size_t n;
	int rc = 0, last_applied = 0;

	if (scan(a, dir, ms, &n) != 0 ||
	    admin_db_check(db_query(a, exists_sql, NULL, 0, &rows),
	    "looking for schema_migrations") != 0)
		return -1;
	if (db_get_int(rows, 0, "n") > 0 &&
	    read_applied(a, ms, &n) != 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (ms[i].applied)
			last_applied = ms[i].version;
	for (size_t i = 0; i < n; i++) {
		const struct migration *m = &ms[i];

		printf("%04d\t%s\t", m->version, m->name);
		if (changed(m)) {
			printf("CHANGED since applied %s\n", m->applied_at);
			rc = -1;
		} else if (m->applied && m->file == NULL) {
			printf("MISSING, applied %s\n", m->applied_at);
			rc = -1;
		} else if (m->applied)
			printf("applied %s\n", m->applied_at);
		else if (m->version < last_applied) {
			printf("pending, OUT OF ORDER (%04d is applied)\n",
			    last_applied);
			rc = -1;
		} else
			printf("pending\n");
	}
	if (rc != 0)
		warnx("the database and %s disagree: migrate refuses to run",
		    dir);
	return rc;
}

int
cmd_migrate(int argc, char **argv)
{
	const struct cmd *c = cmd_find(cmd_migrate);
	const char *want_status, *dir = conf_str("sql_dir", NULL);
	struct opt o[] = { { "status", true, &want_status, false } };
	struct migration *ms;
	struct arena *a;
	int rc;

	if (opts_parse(c, o, NPARAMS(o), argc, argv, NULL, 0, NULL) != 0)
		return -1;
	if (dir == NULL) {
		warnx("sql_dir is not set (config file or DS_SQL_DIR)");
		return -1;
	}
	if (admin_connect() != 0)
		return -1;
	a = arena_new();
	ms = arena_calloc(a, MIGRATIONS_MAX, sizeof(*ms));
	rc = want_status ? status(a, dir, ms) : migrate(a, dir, ms);
	arena_free(a);
	return rc;
}
