/*
 * Account credentials. A client id and secret are generated here, never
 * chosen by people, and only the secret's argon2id hash is stored.
 *
 * The secrets carry 256 random bits, so no password-cracking margin is
 * needed from the hash: light argon2id parameters (2 passes over 1 MiB)
 * keep a token request near a millisecond and a worker within its memory
 * budget, while a stolen table still yields nothing.
 */
#include <string.h>

#include <sodium.h>

#include "ds.h"

#define HASH_OPS	2
#define HASH_MEM	(1024 * 1024)

char *
secret_generate(struct arena *a, size_t bytes)
{
	unsigned char buf[64];

	if (bytes > sizeof(buf))
		bytes = sizeof(buf);
	randombytes_buf(buf, bytes);
	return b64url_encode(a, buf, bytes);
}

int
secret_hash(const char *secret, char out[SECRET_HASH_MAX])
{
	if (crypto_pwhash_str(out, secret, strlen(secret), HASH_OPS,
	    HASH_MEM) != 0)
		return DS_ERR;
	return DS_OK;
}

/* A hash made from a secret nobody knows: checking an unknown client id
 * against it costs what checking a real one does, so timing does not
 * tell which client ids exist. */
static char dummy[SECRET_HASH_MAX];

int
secret_issue(struct arena *a, const char **client_id, const char **secret,
    char hash[SECRET_HASH_MAX])
{
	if (client_id != NULL)
		*client_id = arena_printf(a, "ds-%s", secret_generate(a, 12));
	*secret = secret_generate(a, 32);
	return secret_hash(*secret, hash);
}

bool
secret_verify(const char *hash, const char *secret)
{
	if (hash == NULL) {
		if (dummy[0] == '\0' && secret_hash("unknown-client",
		    dummy) != DS_OK)
			return false;
		if (crypto_pwhash_str_verify(dummy, secret, strlen(secret)) == 0)
			log_warnx(__func__, "the dummy secret was guessed");
		return false;
	}
	return crypto_pwhash_str_verify(hash, secret, strlen(secret)) == 0;
}

int
secret_rotate_reply(struct http_req *r, long long account, json_object *shown,
    const char *action, const struct notice *told)
{
	static const char *sql =
	    "UPDATE accounts SET secret_hash = ?, updated_at = UTC_TIMESTAMP(6) "
	    "WHERE id = ? AND status = 'active'";
	char hash[SECRET_HASH_MAX];
	const char *secret;
	unsigned long long n;
	int st;

	if (secret_issue(r->arena, NULL, &secret, hash) != DS_OK) {
		json_object_put(shown);
		return http_error_status(r, DS_ERR);
	}
	{
		struct db_param p[] = { P_STR(hash), P_INT(account) };

		if ((st = db_begin()) ||
		    (st = db_exec(sql, p, NPARAMS(p), &n, NULL)))
			goto fail;
	}
	if (n == 0) {
		db_rollback();
		json_object_put(shown);
		return http_error(r, 409, "conflict", "the account is not active");
	}
	/* The audit row records that the secret changed, never the secret. */
	if ((st = audit_append(&r->who, action, "account", account, NULL,
	    json_object_get(shown))) || (told != NULL && (st = notify(
	    told->agency_id, told->kind, told->entity, told->entity_id,
	    NULL))) || (st = db_commit()))
		goto fail;
	json_object_object_add(shown, "client_secret",
	    json_object_new_string(secret));
	http_header(r, "Cache-Control", "no-store");
	http_reply(r, 200, shown);
	return DS_OK;
fail:
	json_object_put(shown);
	return tx_fail_reply(r, st);
}
