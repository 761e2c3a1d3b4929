/*
 * What every command shares: the owner connection, argument reading and
 * checks, TSV output and the wording of database failures.
 */
#include <err.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"

int
admin_connect(void)
{
	const char *user = conf_get("db_owner_user");

	if (user == NULL || *user == '\0') {
		warnx("db_owner_user is not set (config file or "
		    "DS_DB_OWNER_USER)");
		return -1;
	}
	/* db_connect() reads db_user/db_password, and the environment wins
	 * over conf_set(): an application account exported as DS_DB_USER
	 * must not be used here instead of the owner. */
	unsetenv("DS_DB_USER");
	unsetenv("DS_DB_PASSWORD");
	/* The core's 10 s read timeout suits requests; a migration lock
	 * wait (10 s) or a big seal would hit it. */
	if (conf_get("db_timeout") == NULL)
		conf_set("db_timeout", "120");
	conf_set("db_user", user);
	conf_set("db_password", conf_str("db_owner_password", ""));
	if (db_connect() != DS_OK) {
		warnx("cannot connect to database %s as %s (db_errno %u)",
		    conf_str("db_name", "datashare"), user, db_errno());
		return -1;
	}
	return 0;
}

int
admin_db_check(int st, const char *what)
{
	switch (st) {
	case DS_OK:
		return 0;
	case DS_EUNAVAIL:
		warnx("%s: the database is unavailable", what);
		break;
	case DS_ECONFLICT:
		warnx("%s: conflicts with an existing row", what);
		break;
	case DS_EFKEY:
		warnx("%s: refers to a row that does not exist", what);
		break;
	default:
		warnx("%s: database error %u", what, db_errno());
		break;
	}
	return -1;
}

const struct cmd *
cmd_find(int (*fn)(int, char **))
{
	for (size_t i = 0; i < ncommands; i++)
		if (commands[i].fn == fn)
			return &commands[i];
	abort();
}

void
cmd_print(FILE *f, const char *prefix, const struct cmd *c)
{
	fprintf(f, "%s%s%s%s%s%s\n", prefix, c->name, c->sub ? " " : "",
	    c->sub ? c->sub : "", *c->synopsis ? " " : "", c->synopsis);
}

int
usage_error(const struct cmd *c)
{
	cmd_print(stderr, "usage: datashare-admin --config FILE ", c);
	return -1;
}

static const struct opt *
opt_find(const struct opt *o, size_t n, const char *name, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(o[i].name) == len && strncmp(o[i].name, name,
		    len) == 0)
			return &o[i];
	return NULL;
}

/* Takes one option word (and its value from argv[*i + 1] if needed). */
static int
opt_take(const struct opt *o, size_t n, int argc, char **argv, int *i)
{
	const char *word = argv[*i] + 2, *eq = strchr(word, '=');
	size_t len = eq ? (size_t)(eq - word) : strlen(word);
	const struct opt *op;

	if ((op = opt_find(o, n, word, len)) == NULL) {
		warnx("unknown option '%s'", argv[*i]);
		return -1;
	}
	if (*op->val != NULL) {
		warnx("--%s is given twice", op->name);
		return -1;
	}
	if (op->flag) {
		if (eq != NULL) {
			warnx("--%s takes no value", op->name);
			return -1;
		}
		*op->val = "1";
	} else if (eq != NULL)
		*op->val = eq + 1;
	else if (*i + 1 < argc)
		*op->val = argv[++*i];
	else {
		warnx("--%s needs a value", op->name);
		return -1;
	}
	return 0;
}

int
opts_parse(const struct cmd *c, const struct opt *o, size_t n, int argc,
    char **argv, const char **pos, int maxpos, int *npos)
{
	bool dashdash = false;
	int i, np = 0;

	for (size_t k = 0; k < n; k++)
		*o[k].val = NULL;
	for (i = 1; i < argc; i++) {
		if (!dashdash && strcmp(argv[i], "--") == 0)
			dashdash = true;
		else if (!dashdash && strncmp(argv[i], "--", 2) == 0) {
			if (opt_take(o, n, argc, argv, &i) != 0)
				return usage_error(c);
		} else if (np < maxpos)
			pos[np++] = argv[i];
		else {
			warnx("unexpected argument '%s'", argv[i]);
			return usage_error(c);
		}
	}
	for (size_t k = 0; k < n; k++)
		if (o[k].required && *o[k].val == NULL) {
			warnx("--%s is required", o[k].name);
			return usage_error(c);
		}
	if (npos != NULL)
		*npos = np;
	return 0;
}

int
arg_id(const char *opt, const char *s, long long *out)
{
	if (parse_ll(s, 1, LLONG_MAX, out) != 0) {
		warnx("%s: expected a positive integer id, not '%s'", opt, s);
		return -1;
	}
	return 0;
}

/* Codes go into URLs, file names and reports: plain ASCII only. */
int
arg_code(const char *opt, const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 32 || strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_") != n) {
		warnx("%s: expected 1-32 of A-Z a-z 0-9 - _, not '%s'", opt, s);
		return -1;
	}
	return 0;
}

int
arg_text(const char *opt, const char *s, long maxchars)
{
	long n = utf8_length(s, strlen(s));

	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f) {
			warnx("%s: control characters are not allowed", opt);
			return -1;
		}
	if (n < 0) {
		warnx("%s: not valid UTF-8", opt);
		return -1;
	}
	if (n == 0 || n > maxchars) {
		warnx("%s: expected 1-%ld characters, got %ld", opt, maxchars,
		    n);
		return -1;
	}
	return 0;
}

void
tsv_cell(const char *s, bool last)
{
	for (; s != NULL && *s != '\0'; s++)
		putchar(*s == '\t' || *s == '\n' || *s == '\r' ? ' ' : *s);
	putchar(last ? '\n' : '\t');
}
