/*
 * What the files of the hash chains share with each other and with
 * nothing else: chain_seal.c (the chains and their sealing),
 * chain_verify.c (the walk and the check against a checkpoint) and
 * chain_purge.c (retention). Modules use ds.h.
 */
#ifndef CHAIN_PRIV_H
#define CHAIN_PRIV_H

#include "ds.h"

/* A chain: its name and its statements (chains[] in chain_seal.c). */
struct chain {
	const char	*name;
	const char	*unsealed;	/* content columns of unsealed rows */
	const char	*seal;		/* UPDATE ... SET seq, prev, hash */
	const char	*walk;		/* sealed rows after a seq, in order */
	const char	*count_unsealed;
	const char	*hash_at;	/* the hash of a row by seq */
	/* Retention (NULL: never purged): the last seq that may go (rows
	 * older than a cutoff, up to the first younger one) and the delete,
	 * which only the owner account may run. */
	const char	*purge_last;
	const char	*purge;
	long long	 min_keep_days;
};

/* chain_seal.c: the chain named name, or NULL. The entry belongs to the
 * static table of chains: never freed, valid for the process. */
const struct chain *chain_find(const char *name);
/* One row's content: its first ncols columns, NULL as \N, each followed
 * by US (0x1f), NUL-terminated in the arena, its length in *len. Sealing
 * and verification must build it the same way, so both call this. */
char	*chain_content(struct arena *, const struct db_rows *rows, size_t r,
	    size_t ncols, size_t *len);

#endif /* CHAIN_PRIV_H */
