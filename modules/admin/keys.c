/*
 * keys generate: an RS256 key pair for the token signer (core token.c)
 * and the verifiers (core auth_keys.c).
 *
 * The public half is written first and each file appears under its name
 * only when complete (written to a temporary name, synced, then linked),
 * because a signer scanning the folder must never find a private key
 * that the verifiers cannot know, nor half a file. link() rather than
 * rename() so that an existing key is never replaced.
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
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <sodium.h>

#include "admin.h"

#define KID_MAX	64

/* The verifier's kid alphabet (auth_keys.c): a kid is also a file name. */
static int
kid_check(const char *kid)
{
	size_t n = strlen(kid);

	if (n == 0 || n > KID_MAX || strspn(kid, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_") != n) {
		warnx("--kid: expected 1-%d of A-Z a-z 0-9 - _, not '%s'",
		    KID_MAX, kid);
		return -1;
	}
	return 0;
}

/* kYYYYMMDD-HHMMSS-<6 hex>: UTC time first, so that the newest key has
 * the greatest kid, which is how the signer picks it. */
static int
kid_default(char kid[KID_MAX + 1])
{
	unsigned char rnd[3];
	time_t t = time(NULL);
	struct tm tm;
	char when[32];
	int n;

	randombytes_buf(rnd, sizeof(rnd));
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(when, sizeof(when), "%Y%m%d-%H%M%S", &tm) == 0)
		return -1;
	n = snprintf(kid, KID_MAX + 1, "k%s-%02x%02x%02x", when, rnd[0], rnd[1],
	    rnd[2]);
	return n < 0 || n > KID_MAX ? -1 : 0;
}

static int
path_of(char *buf, size_t len, const char *dir, const char *prefix,
    const char *kid, const char *suffix)
{
	int n = snprintf(buf, len, "%s/%s%s%s", dir, prefix, kid, suffix);

	if (n < 0 || (size_t)n >= len) {
		warnx("%s: path too long", dir);
		return -1;
	}
	return 0;
}

/* Creates the folder (0700: it holds private keys) if it is missing. */
static int
keys_dir(const char *dir)
{
	struct stat sb;

	if (mkdir(dir, 0700) == 0) {
		fprintf(stderr, "created %s (mode 0700)\n", dir);
		return 0;
	}
	if (errno != EEXIST) {
		warn("mkdir %s", dir);
		return -1;
	}
	if (stat(dir, &sb) == -1 || !S_ISDIR(sb.st_mode)) {
		warnx("jwt_keys_dir %s is not a folder", dir);
		return -1;
	}
	if ((sb.st_mode & 077) != 0)
		warnx("note: %s is open to other users (mode %04o); 0700 "
		    "suits a folder of private keys", dir,
		    (unsigned)(sb.st_mode & 07777));
	return 0;
}

/* Writes one half to a temporary name, syncs it and links it in place. */
static int
key_write(const char *dir, const char *kid, EVP_PKEY *k, bool private)
{
	const char *suffix = private ? ".pem" : ".pub.pem";
	mode_t mode = private ? 0600 : 0644;
	char tmp[PATH_MAX], final[PATH_MAX];
	FILE *f;
	int fd, ok;

	if (path_of(tmp, sizeof(tmp), dir, ".", kid, ".tmp") != 0 ||
	    path_of(final, sizeof(final), dir, "", kid, suffix) != 0)
		return -1;
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    mode)) == -1) {
		warn("%s", tmp);
		return -1;
	}
	/* The umask may have taken bits away; set exactly what is meant. */
	if (fchmod(fd, mode) == -1 || (f = fdopen(fd, "w")) == NULL) {
		warn("%s", tmp);
		close(fd);
		unlink(tmp);
		return -1;
	}
	ok = private ? PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL) :
	    PEM_write_PUBKEY(f, k);
	ok = ok == 1 && fflush(f) == 0 && fsync(fileno(f)) == 0;
	if (fclose(f) != 0)
		ok = 0;
	if (!ok) {
		warnx("%s: cannot write the key", tmp);
		unlink(tmp);
		return -1;
	}
	if (link(tmp, final) == -1) {
		warn("%s", final);
		unlink(tmp);
		return -1;
	}
	unlink(tmp);
	fprintf(stderr, "wrote %s (%s, mode %04o)\n", final,
	    private ? "private" : "public", (unsigned)mode);
	return 0;
}

static int
sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc;

	if (fd == -1)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/* Says so when another key sorts after kid: that one, not the new key,
 * stays the signing key. Mirrors the signer's choice (core token.c): the
 * greatest valid kid that has both halves. */
static void
warn_if_not_newest(const char *dir, const char *kid)
{
	char greatest[KID_MAX + 1] = "", cand[KID_MAX + 1], pub[PATH_MAX];
	struct dirent *de;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);

		if (n <= 4 || n - 4 > KID_MAX ||
		    strcmp(de->d_name + n - 4, ".pem") != 0 ||
		    (n > 8 && strcmp(de->d_name + n - 8, ".pub.pem") == 0))
			continue;
		memcpy(cand, de->d_name, n - 4);
		cand[n - 4] = '\0';
		if (strspn(cand, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "abcdefghijklmnopqrstuvwxyz0123456789-_") != n - 4 ||
		    strcmp(cand, greatest) <= 0 ||
		    path_of(pub, sizeof(pub), dir, "", cand, ".pub.pem") != 0 ||
		    access(pub, R_OK) != 0)
			continue;
		memcpy(greatest, cand, n - 3);
	}
	closedir(d);
	if (strcmp(greatest, kid) > 0)
		warnx("note: kid %s sorts after %s, so tokens are still "
		    "signed with %s", greatest, kid, greatest);
}

static int
refuse_existing(const char *dir, const char *kid)
{
	char pub[PATH_MAX], priv[PATH_MAX];

	if (path_of(pub, sizeof(pub), dir, "", kid, ".pub.pem") != 0 ||
	    path_of(priv, sizeof(priv), dir, "", kid, ".pem") != 0)
		return -1;
	if (access(pub, F_OK) == 0 || access(priv, F_OK) == 0) {
		warnx("a key %s exists in %s already", kid, dir);
		return -1;
	}
	return 0;
}

int
cmd_keys_generate(int argc, char **argv)
{
	const struct cmd *c = cmd_find(cmd_keys_generate);
	const char *kid_opt, *bits_opt, *dir = conf_get("jwt_keys_dir");
	struct opt o[] = {
		{ "kid", false, &kid_opt, false },
		{ "bits", false, &bits_opt, false },
	};
	char kid[KID_MAX + 1];
	long long bits = 2048;
	EVP_PKEY *k;
	int rc;

	if (opts_parse(c, o, NPARAMS(o), argc, argv, NULL, 0, NULL) != 0)
		return -1;
	if (dir == NULL || *dir == '\0') {
		warnx("jwt_keys_dir is not set (config file or "
		    "DS_JWT_KEYS_DIR)");
		return -1;
	}
	if (bits_opt != NULL && (parse_ll(bits_opt, 2048, 4096, &bits) != 0 ||
	    (bits != 2048 && bits != 3072 && bits != 4096))) {
		warnx("--bits: expected 2048, 3072 or 4096, not '%s'",
		    bits_opt);
		return -1;
	}
	if (kid_opt != NULL) {
		if (kid_check(kid_opt) != 0)
			return -1;
		memcpy(kid, kid_opt, strlen(kid_opt) + 1);
	} else if (kid_default(kid) != 0) {
		warnx("cannot make a key id");
		return -1;
	}
	if (keys_dir(dir) != 0 || refuse_existing(dir, kid) != 0)
		return -1;
	if ((k = EVP_RSA_gen((unsigned)bits)) == NULL) {
		warnx("RSA key generation failed: %s",
		    ERR_error_string(ERR_get_error(), NULL));
		return -1;
	}
	rc = key_write(dir, kid, k, false) == 0 &&
	    key_write(dir, kid, k, true) == 0 ? 0 : -1;
	EVP_PKEY_free(k);
	if (rc != 0)
		return -1;
	if (sync_dir(dir) != 0)
		warn("fsync %s", dir);
	warn_if_not_newest(dir, kid);
	printf("%s\n", kid);
	return 0;
}
