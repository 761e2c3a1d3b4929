/*
 * datashare-admin --config FILE <command> [arguments]
 *
 * main() only finds the command, answers --help without touching the
 * configuration (so help works on a machine that is not set up yet), loads
 * the configuration and runs the command. The table below is the whole
 * interface; each entry's help is what "<command> --help" prints.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "admin.h"

const struct cmd commands[] = {
	{ "migrate", NULL, cmd_migrate, "[--status]",
	  "Applies the pending migrations sql_dir/NNNN_name.sql in order as\n"
	  "the owner account (db_owner_user), recording each with its SHA-256\n"
	  "in schema_migrations. Refuses to run anything when an applied file\n"
	  "has changed or is missing, or when a pending file is older than an\n"
	  "applied one; stops at the first failing statement. Running it again\n"
	  "is a no-op. A named lock keeps two migrates from interleaving.\n"
	  "--status lists every migration, tab-separated: version, name and\n"
	  "applied (with its time), pending, CHANGED, MISSING or OUT OF ORDER;\n"
	  "it exits 1 on any of the last three." },
	{ "keys", "generate", cmd_keys_generate,
	  "[--kid KID] [--bits 2048|3072|4096]",
	  "Makes an RS256 key pair in jwt_keys_dir (created with mode 0700 if\n"
	  "missing): KID.pem, the private key (PKCS#8, mode 0600), and\n"
	  "KID.pub.pem, the public key (SubjectPublicKeyInfo). Prints the kid.\n"
	  "The default kid is kYYYYMMDD-HHMMSS-<6 hex> (UTC). Tokens are signed\n"
	  "with the newest key, meaning the lexically greatest kid that has\n"
	  "both files, so a --kid of your own must sort after the current one\n"
	  "to be used. Each process reads the keys once: restart the modules\n"
	  "after adding a key, and keep an old public key until the tokens it\n"
	  "signed have expired (token_lifetime)." },
	{ "agency", "create", cmd_agency_create,
	  "--code CODE --name NAME [--name-en NAME] [--level LEVEL] "
	  "[--parent ID] [--dic]",
	  "Creates an agency and its audit row; prints the new id alone.\n"
	  "CODE: 1-32 of A-Z a-z 0-9 - _. LEVEL: department (default),\n"
	  "province, district, commune, enterprise or other. --dic marks the\n"
	  "Department of Information and Communications (at most one)." },
	{ "agency", "list", cmd_agency_list, "",
	  "Prints one line per agency, tab-separated: id, code, name, is_dic\n"
	  "(1 or 0), without a header line." },
	{ "account", "create", cmd_account_create,
	  "--agency ID --name NAME --roles ROLE[,ROLE...] [--grant ID]",
	  "Creates an active account with a generated client id and secret and\n"
	  "prints {\"id\":N,\"client_id\":\"...\",\"client_secret\":\"...\"} on one\n"
	  "line. The secret is shown only here: only its argon2id hash is kept.\n"
	  "ROLE: dic_admin, chairman, agency_officer, focal_point, auditor or\n"
	  "system. --grant binds a system account to a grant (Art. 16.2.e)." },
	{ "account", "disable", cmd_account_disable, "ID",
	  "Disables an active account: its tokens stop working at once and it\n"
	  "can get no new one. Writes an audit row." },
	{ "account", "list", cmd_account_list, "[--agency ID]",
	  "Prints one line per account, tab-separated: id, agency id, client\n"
	  "id, name, roles (comma-separated), status; no header line." },
	{ "token", "issue", cmd_token_issue, "--account ID [--ttl SECONDS]",
	  "Prints an access token for an active account, signed like the ones\n"
	  "POST /api/v1/auth/token gives (for bootstrapping and tests). The\n"
	  "lifetime defaults to token_lifetime (900 s); at most 86400 s.\n"
	  "Writes an audit row." },
	{ "seal", NULL, cmd_seal, "",
	  "Links every unsealed row of the audit trail, then of the access\n"
	  "log, into its hash chain and prints how many it linked, one line\n"
	  "per chain. Safe to run while the modules write." },
	{ "verify", NULL, cmd_verify, "[--checkpoint FILE]",
	  "Walks the audit hash chain, then the access log's, from its anchor\n"
	  "to its head and prints, one line per chain, the rows checked, the\n"
	  "head's seq and hash and how many rows are not sealed yet. Exits 1,\n"
	  "naming the first edited, removed or reordered row, when a chain is\n"
	  "broken (an anchor moved without a recorded purge included).\n"
	  "--checkpoint FILE (written by checkpoint) first checks the file's\n"
	  "signature with the public keys in jwt_keys_dir, then that each\n"
	  "chain still reaches the checkpoint's head seq and that the row there\n"
	  "has the same hash (or was removed by a recorded purge): rows cut off\n"
	  "the end, with the head moved back, are caught only this way." },
	{ "checkpoint", NULL, cmd_checkpoint, "[--out FILE] [--wait SECONDS]",
	  "Seals both chains first, so that the checkpoint covers every row\n"
	  "committed before it began: where a module's master holds a chain's\n"
	  "head mid-round, it waits for it, up to --wait seconds (default 30)\n"
	  "per chain, and fails with no checkpoint if the head stays held.\n"
	  "Then verifies both chains and signs their heads (seq, hash, rows,\n"
	  "and the rows committed since, unsealed) with the database's time as\n"
	  "a compact JWS (RS256, the newest private key in jwt_keys_dir, named\n"
	  "by kid): to keep outside the database, for verify --checkpoint.\n"
	  "Prints the JWS, or with --out writes it to FILE (replaced\n"
	  "atomically) and prints the rows it linked, each head and the key.\n"
	  "Refuses a chain that does not verify." },
	{ "search", "index", cmd_search_index, "[--all]",
	  "Writes the catalog's search index for the search documents that\n"
	  "have none (after a bulk load with SQL, or once after migration\n"
	  "0008), or for every document with --all, 500 per transaction.\n"
	  "Prints how many it indexed. Safe to run while the modules write:\n"
	  "the catalog indexes each document it changes itself." },
	{ "access-log", "purge", cmd_access_log_purge, "[--days N]",
	  "Removes the access-log rows created more than N days ago (default:\n"
	  "the setting access_log_retention_days, 365), up to the first\n"
	  "younger row: never a younger one. Refuses N below 92 (R5.2: logs\n"
	  "are kept at least 3 months) and a chain that does not verify. The\n"
	  "purge is recorded (chain_purges and an audit row) and the last\n"
	  "removed row's hash becomes the chain's anchor, so verify passes\n"
	  "afterwards. Prints how many rows went and the new anchor." },
};
const size_t ncommands = sizeof(commands) / sizeof(commands[0]);

static void
usage(FILE *f)
{
	fprintf(f, "usage: datashare-admin --config FILE <command> [args]\n"
	    "commands (each takes --help):\n");
	for (size_t i = 0; i < ncommands; i++)
		cmd_print(f, "  ", &commands[i]);
}

/* Finds "name" or "name sub"; says what exists when nothing matches. */
static const struct cmd *
lookup(const char *name, const char *sub)
{
	bool known = false;

	for (size_t i = 0; i < ncommands; i++) {
		if (strcmp(commands[i].name, name) != 0)
			continue;
		known = true;
		if (commands[i].sub == NULL ||
		    (sub != NULL && strcmp(commands[i].sub, sub) == 0))
			return &commands[i];
	}
	if (!known) {
		warnx("unknown command '%s'", name);
		usage(stderr);
		return NULL;
	}
	warnx("%s: expected one of:", name);
	for (size_t i = 0; i < ncommands; i++)
		if (strcmp(commands[i].name, name) == 0)
			cmd_print(stderr, "  ", &commands[i]);
	return NULL;
}

static bool
is_help(const char *arg)
{
	return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

/* "agency --help": the group's commands, on stdout. Returns false when
 * name has no subcommands. */
static bool
group_help(const char *name)
{
	bool any = false;

	for (size_t i = 0; i < ncommands; i++)
		if (strcmp(commands[i].name, name) == 0 &&
		    commands[i].sub != NULL) {
			cmd_print(stdout, "usage: datashare-admin --config "
			    "FILE ", &commands[i]);
			any = true;
		}
	return any;
}

static bool
wants_help(int argc, char **argv)
{
	for (int i = 0; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (is_help(argv[i]))
			return true;
	return false;
}

static void
help(const struct cmd *c)
{
	cmd_print(stdout, "usage: datashare-admin --config FILE ", c);
	printf("\n%s\n", c->help);
}

int
main(int argc, char **argv)
{
	const struct cmd *c;
	const char *config = NULL;
	char errbuf[512];
	int i = 1, skip, rc;

	while (i < argc && argv[i][0] == '-') {
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
			config = argv[i + 1];
			i += 2;
		} else if (strncmp(argv[i], "--config=", 9) == 0) {
			config = argv[i] + 9;
			i++;
		} else if (is_help(argv[i])) {
			usage(stdout);
			return 0;
		} else {
			warnx("unknown option '%s'", argv[i]);
			usage(stderr);
			return 1;
		}
	}
	if (i == argc) {
		usage(stderr);
		return 1;
	}
	if (i + 1 < argc && is_help(argv[i + 1]) && group_help(argv[i]))
		return 0;
	if ((c = lookup(argv[i], i + 1 < argc ? argv[i + 1] : NULL)) == NULL)
		return 1;
	skip = c->sub != NULL ? 1 : 0;
	if (wants_help(argc - i - skip - 1, argv + i + skip + 1)) {
		help(c);
		return 0;
	}
	if (config == NULL) {
		warnx("--config FILE is required");
		return 1;
	}
	if (conf_load(config, errbuf, sizeof(errbuf)) != DS_OK) {
		warnx("%s", errbuf);
		return 1;
	}
	if (sodium_init() < 0) {
		warnx("libsodium cannot start");
		return 1;
	}
	/* The command sees its own word as argv[0], its arguments after. */
	rc = c->fn(argc - i - skip, argv + i + skip);
	db_disconnect();
	return rc == 0 ? 0 : 1;
}
