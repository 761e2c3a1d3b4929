/*
 * What the files of token verification share with each other and with
 * nothing else: auth_keys.c (the public keys), auth_jwt.c (the check of a
 * token) and auth_memo.c (the tokens verified before). Modules and the
 * other core files use ds.h.
 */
#ifndef AUTH_PRIV_H
#define AUTH_PRIV_H

#include <stdbool.h>
#include <openssl/evp.h>

#include "ds.h"

/* A token's times, checked on every use (check_times): now < 0 leaves
 * them to the caller, who checks them against the database clock. */
struct times {
	long long	exp, nbf, iat;
};

/* A token checked by auth_verify_deferred, its account not yet: what
 * auth_settle_or_reply needs to finish the check (r->pending). */
struct auth_pending {
	struct identity	 who;		/* from the claims; not authenticated */
	struct times	 t;
	unsigned	 route_flags;	/* for auth_confine_system */
};

/* auth_keys.c: the ready verify context (owned by the key table, valid
 * for the process; never freed by the caller) of the key the JWS header
 * hdr[0..n) names, RS256 pinned; NULL with *why otherwise. */
const EVP_MD_CTX *header_key(struct arena *, const char *hdr, size_t n,
	    const char **why);

/* auth_memo.c: the token memo, by the BLAKE2b-256 digest of a token. */
/* Forgets every token (auth_init: new keys, nothing verified yet). */
void	 memo_forget(void);
/* The token's entry copied to who (jti into the arena) and t; false when
 * it has none. */
bool	 memo_get(struct arena *, const unsigned char *digest,
	    struct identity *who, struct times *t);
/* Keeps a verified token (copies what it needs: nothing is borrowed). */
void	 memo_put(const unsigned char *digest, const struct identity *who,
	    const struct times *t);

#endif /* AUTH_PRIV_H */
