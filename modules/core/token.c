/*
 * Token issuance: RS256 access tokens for datashare-auth (POST
 * /auth/token) and datashare-admin (token issue).
 *
 * The signing key is the newest private key in jwt_keys_dir, picked once
 * per process: keys are rotated by adding a new pair and restarting, and
 * the verifiers (auth.c) keep the old public keys until the tokens signed
 * with them have expired. libjwt does the encoding; the PEM text is read
 * from disk once and kept, so a token costs no file access.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jwt.h>

#include "ds.h"

#define KID_MAX		64
#define PEM_MAX		(64 * 1024)	/* an RSA-8192 key is below 7 KiB */

static struct {
	bool		 loaded;
	char		 kid[KID_MAX + 1];
	unsigned char	*pem;
	int		 len;
} signer;

/* The same kid alphabet as the verifier's (auth.c): it is also a file
 * name, so no slash or dot may appear in it. */
static bool
kid_valid(const char *s, size_t n)
{
	if (n == 0 || n > KID_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
			return false;
	return true;
}

/* Tells whether <dir>/<kid>.pub.pem exists: a private key whose public
 * half is missing would sign tokens that no verifier accepts. */
static bool
has_public_half(const char *dir, const char *kid)
{
	char path[PATH_MAX];
	int n;

	n = snprintf(path, sizeof(path), "%s/%s.pub.pem", dir, kid);
	if (n < 0 || (size_t)n >= sizeof(path))
		return false;
	return access(path, R_OK) == 0;
}

/* Finds the lexically greatest kid with both halves in dir. kids made by
 * datashare-admin begin with their UTC creation time, so that is the
 * newest key. */
static int
signer_pick(const char *dir, char kid[KID_MAX + 1])
{
	DIR *d;
	struct dirent *de;

	kid[0] = '\0';
	if ((d = opendir(dir)) == NULL) {
		log_warn(__func__, "jwt_keys_dir %s", dir);
		return DS_ERR;
	}
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);
		char cand[KID_MAX + 1];

		if (n <= 4 || strcmp(de->d_name + n - 4, ".pem") != 0 ||
		    (n > 8 && strcmp(de->d_name + n - 8, ".pub.pem") == 0) ||
		    !kid_valid(de->d_name, n - 4))
			continue;
		memcpy(cand, de->d_name, n - 4);
		cand[n - 4] = '\0';
		if (strcmp(cand, kid) > 0 && has_public_half(dir, cand))
			memcpy(kid, cand, n - 3);
	}
	closedir(d);
	if (kid[0] == '\0') {
		log_warnx(__func__, "no private key (<kid>.pem with its "
		    "<kid>.pub.pem) in %s", dir);
		return DS_ERR;
	}
	return DS_OK;
}

/* Reads a whole PEM file into a malloc'd buffer that the caller owns. */
static int
pem_read(const char *path, unsigned char **out, int *len)
{
	struct stat sb;
	unsigned char *buf;
	ssize_t got;
	size_t off = 0;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		log_warn(__func__, "%s", path);
		return DS_ERR;
	}
	if (fstat(fd, &sb) == -1 || sb.st_size <= 0 || sb.st_size > PEM_MAX) {
		log_warnx(__func__, "%s: not a key file (size)", path);
		close(fd);
		return DS_ERR;
	}
	if ((buf = malloc((size_t)sb.st_size)) == NULL)
		abort();
	while (off < (size_t)sb.st_size) {
		got = read(fd, buf + off, (size_t)sb.st_size - off);
		if (got == -1 && errno == EINTR)
			continue;
		if (got <= 0) {
			log_warn(__func__, "%s: short read", path);
			free(buf);
			close(fd);
			return DS_ERR;
		}
		off += (size_t)got;
	}
	close(fd);
	*out = buf;
	*len = (int)off;
	return DS_OK;
}

/* Loads the signing key on first use; later calls return at once. */
static int
signer_load(void)
{
	const char *dir = conf_get("jwt_keys_dir");
	char kid[KID_MAX + 1], path[PATH_MAX];
	int n;

	if (signer.loaded)
		return DS_OK;
	if (dir == NULL) {
		log_warnx(__func__, "jwt_keys_dir is not set");
		return DS_ERR;
	}
	if (signer_pick(dir, kid) != DS_OK)
		return DS_ERR;
	n = snprintf(path, sizeof(path), "%s/%s.pem", dir, kid);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		log_warnx(__func__, "%s: path too long", dir);
		return DS_ERR;
	}
	if (pem_read(path, &signer.pem, &signer.len) != DS_OK)
		return DS_ERR;
	memcpy(signer.kid, kid, sizeof(signer.kid));
	signer.loaded = true;
	return DS_OK;
}

/* {"roles":["dic_admin",...]} for jwt_add_grants_json; NULL when no bit
 * is set or one names no role. The caller puts the object. */
static json_object *
roles_claim(unsigned roles)
{
	json_object *o;

	for (unsigned bit = 1; bit != 0; bit <<= 1)
		if ((roles & bit) != 0 && role_name(bit) == NULL)
			return NULL;
	if (roles == 0)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "roles", roles_json(roles));
	return o;
}

char *
token_sign(struct arena *a, long long account_id, long long agency_id,
    unsigned roles, long long iat, long long ttl)
{
	json_object *r = NULL;
	jwt_t *jwt = NULL;
	char sub[24], *enc = NULL, *out = NULL;
	int n;

	if (account_id <= 0 || agency_id <= 0 || iat <= 0 || ttl <= 0 ||
	    iat > LLONG_MAX - ttl) {
		log_warnx(__func__, "bad arguments");
		return NULL;
	}
	if ((r = roles_claim(roles)) == NULL) {
		log_warnx(__func__, "account %lld: bad roles %#x", account_id,
		    roles);
		return NULL;
	}
	if (signer_load() != DS_OK)
		goto done;
	n = snprintf(sub, sizeof(sub), "%lld", account_id);
	if (n < 0 || (size_t)n >= sizeof(sub))
		goto done;
	/* libjwt returns an errno value from each call; any failure here is
	 * memory or a libjwt bug, so one check covers the chain. */
	if (jwt_new(&jwt) != 0 ||
	    jwt_add_header(jwt, "kid", signer.kid) != 0 ||
	    jwt_add_grant(jwt, "iss", conf_str("jwt_issuer",
	    "datashare")) != 0 ||
	    jwt_add_grant(jwt, "sub", sub) != 0 ||
	    jwt_add_grant_int(jwt, "agency", (long)agency_id) != 0 ||
	    jwt_add_grants_json(jwt, json_object_to_json_string_ext(r,
	    JSON_C_TO_STRING_PLAIN)) != 0 ||
	    jwt_add_grant_int(jwt, "iat", (long)iat) != 0 ||
	    jwt_add_grant_int(jwt, "nbf", (long)iat) != 0 ||
	    jwt_add_grant_int(jwt, "exp", (long)(iat + ttl)) != 0 ||
	    jwt_add_grant(jwt, "jti", secret_generate(a, 16)) != 0 ||
	    jwt_set_alg(jwt, JWT_ALG_RS256, signer.pem, signer.len) != 0) {
		log_warnx(__func__, "cannot build the token");
		goto done;
	}
	if ((enc = jwt_encode_str(jwt)) == NULL) {
		log_warnx(__func__, "cannot sign with key %s", signer.kid);
		goto done;
	}
	out = arena_strdup(a, enc);
done:
	free(enc);
	jwt_free(jwt);
	json_object_put(r);
	return out;
}
