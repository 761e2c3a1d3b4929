/*
 * datashare-admin: the operator's command line (DESIGN.md, Parts).
 *
 * One file per kind of thing it manages (migrate.c, keys.c, agency.c,
 * account.c, token.c, chain.c, search.c); main.c holds the command table. Every
 * command parses its own arguments, prints what it did on stdout and
 * returns 0, or prints why it failed on stderr and returns -1.
 */
#ifndef ADMIN_H
#define ADMIN_H

#include <stdio.h>

#include "ds.h"

struct cmd {
	const char	*name;		/* "account" */
	const char	*sub;		/* "create", or NULL */
	int		(*fn)(int argc, char **argv);
	const char	*synopsis;	/* the arguments, one line */
	const char	*help;		/* what it does, a paragraph */
};

/* The command table (main.c), for usage messages. */
extern const struct cmd	 commands[];
extern const size_t	 ncommands;

/* Commands: argv[0] is the command's own name, options follow. */
int	 cmd_migrate(int, char **);
int	 cmd_keys_generate(int, char **);
int	 cmd_agency_create(int, char **);
int	 cmd_agency_list(int, char **);
int	 cmd_account_create(int, char **);
int	 cmd_account_disable(int, char **);
int	 cmd_account_list(int, char **);
int	 cmd_token_issue(int, char **);
int	 cmd_seal(int, char **);
int	 cmd_verify(int, char **);
int	 cmd_checkpoint(int, char **);
int	 cmd_access_log_purge(int, char **);
int	 cmd_search_index(int, char **);

/* util.c */
/* Connects the core db_ layer as the owner account (db_owner_user,
 * db_owner_password). Returns 0, or -1 after saying why. */
int	 admin_connect(void);
/* One option of a command: --name VALUE (or --name=VALUE), or a flag. */
struct opt {
	const char	*name;		/* without the dashes */
	bool		 flag;		/* no value: *val becomes "1" */
	const char	**val;		/* where the value goes */
	bool		 required;
};
/* Reads argv[1..] against the table: values into their targets, other
 * words into pos (at most maxpos, counted in *npos; pos may be NULL when
 * maxpos is 0). Unknown, repeated or missing options and extra words are
 * refused. Returns 0, or -1 after printing the command's usage. */
int	 opts_parse(const struct cmd *, const struct opt *, size_t nopts,
	    int argc, char **argv, const char **pos, int maxpos, int *npos);
/* Prints the command's usage line to stderr; returns -1. */
int	 usage_error(const struct cmd *);
/* Prints prefix, then "name [sub] [synopsis]" and a newline. */
void	 cmd_print(FILE *, const char *prefix, const struct cmd *);
/* The table entry of a command function, for its usage line. */
const struct cmd *cmd_find(int (*fn)(int, char **));
/* Argument checks: each returns 0, or -1 after naming the option and
 * what was wrong with its value. */
int	 arg_id(const char *opt, const char *s, long long *out);
int	 arg_code(const char *opt, const char *s);
int	 arg_text(const char *opt, const char *s, long maxchars);
/* Prints s as one TSV cell: tabs and line breaks become spaces. */
void	 tsv_cell(const char *s, bool last);
/* Says what failed for a db_ status other than DS_OK (the core has
 * logged the server's own message); returns 0 for DS_OK, else -1. */
int	 admin_db_check(int st, const char *what);

#endif /* ADMIN_H */
