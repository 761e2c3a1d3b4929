/*
 * The token memo (bench/RESULTS.md, "Tokens verified once per worker"):
 * what auth_jwt.c learnt from a token's signature and claims, kept per
 * process so that the next request with the same token skips both.
 */
#include <string.h>

#include <sodium.h>

#include "ds.h"
#include "auth_priv.h"

/*
 * The tokens this process has verified. A client sends the same token
 * with each request until it expires, and its RS256 check and claims
 * parse were ~20 us of the ~125 us a worker spends on GET /datasets/{id}
 * (bench/RESULTS.md). The same bytes under the same keys (loaded once,
 * auth_init) always give the same signature and claims, so the memo
 * changes no answer: what can change is still checked on every use, the
 * times against the clock and the account against its row (account_rule,
 * from auth_verify or auth_settle_or_reply).
 * Only tokens that verified are kept, by their BLAKE2b-256 digest (to
 * find one with the same digest is as hard as forging the signature),
 * compared in constant time; a slot is simply overwritten.
 */
#define MEMO_SLOTS	64
#define MEMO_JTI_MAX	64

static struct memo {
	unsigned char	 digest[crypto_generichash_BYTES];
	bool		 used;
	long long	 account_id, agency_id;
	unsigned	 roles;
	struct times	 t;
	char		 jti[MEMO_JTI_MAX + 1];
} memo[MEMO_SLOTS];

void
memo_forget(void)
{
	memset(memo, 0, sizeof(memo));
}

static struct memo *
memo_slot(const unsigned char *digest)
{
	return &memo[digest[0] % MEMO_SLOTS];
}

/* The token's entry, copied to who and t; false when it has none. */
bool
memo_get(struct arena *a, const unsigned char *digest, struct identity *who,
    struct times *t)
{
	const struct memo *m = memo_slot(digest);

	if (!m->used || sodium_memcmp(m->digest, digest, sizeof(m->digest)))
		return false;
	who->account_id = m->account_id;
	who->agency_id = m->agency_id;
	who->roles = m->roles;
	who->jti = arena_strdup(a, m->jti);
	*t = m->t;
	return true;
}

void
memo_put(const unsigned char *digest, const struct identity *who,
    const struct times *t)
{
	struct memo *m = memo_slot(digest);
	size_t n = strlen(who->jti);

	if (n > MEMO_JTI_MAX)
		return;
	memcpy(m->digest, digest, sizeof(m->digest));
	m->account_id = who->account_id;
	m->agency_id = who->agency_id;
	m->roles = who->roles;
	m->t = *t;
	memcpy(m->jti, who->jti, n + 1);
	m->used = true;
}
