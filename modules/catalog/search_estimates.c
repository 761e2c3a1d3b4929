/*
 * The optimiser's estimates of how many index rows a word has, which
 * order a query's words (search.c, rarest_first), remembered for the
 * minute by all of the catalog's workers in one shared table.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>
#include <sys/mman.h>

#include "ds.h"
#include "catalog.h"
#include "search_index.h"

/*
 * The estimates the catalog's workers have read lately: a word's share of
 * the index changes slowly, and most queries then need no estimate from
 * the database (a statement of 16 index dives, about a sixth of a
 * search's MariaDB time). The walked word is also the ranking word, so
 * the table is one for all the workers, mapped by the master before it
 * forks them (search_estimates_share), and a word is known by its folded
 * spelling: every worker and every spelling of a query ("dat dai", "đất
 * đai") then orders its words alike and answers in one order.
 *
 * A slot is one 64-bit word, so that workers read and write it without a
 * lock: the folded word's 32-bit hash, the estimate (24 bits, saturated)
 * and the minute it was read (8 bits). An estimate holds until the minute
 * ends, for every word at once. Two words of one hash share an estimate:
 * a query may walk the commoner one, never answer otherwise. Without the
 * mapping (unit tests, or mmap failed) nothing is remembered.
 */
#define ESTIMATE_SLOTS		1024
#define ESTIMATE_ROWS_MAX	((1LL << 24) - 1)

static _Atomic uint64_t *estimates;

void
search_estimates_share(void)
{
	void *p = mmap(NULL, ESTIMATE_SLOTS * sizeof(*estimates),
	    PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		log_warn(__func__, "mmap: search estimates not remembered");
	else
		estimates = p;
}

static _Atomic uint64_t *
estimate_slot(const struct word *w, uint32_t *tag)
{
	uint64_t h = folded_hash(w);

	*tag = (uint32_t)h | 1;		/* 0: a free slot */
	return &estimates[(h >> 32) % ESTIMATE_SLOTS];
}

static unsigned
minute(time_t now)
{
	return (unsigned)(now / 60) & 0xff;
}

/* The word's remembered estimate, or -1. */
long long
estimate_get(const struct word *w, time_t now)
{
	uint32_t tag;
	uint64_t v;

	if (estimates == NULL)
		return -1;
	v = atomic_load_explicit(estimate_slot(w, &tag), memory_order_relaxed);
	if ((uint32_t)(v >> 32) != tag || (v & 0xff) != minute(now))
		return -1;
	return (long long)((v >> 8) & ESTIMATE_ROWS_MAX);
}

void
estimate_put(const struct word *w, long long rows, time_t now)
{
	_Atomic uint64_t *slot;
	uint32_t tag;

	if (estimates == NULL)
		return;
	slot = estimate_slot(w, &tag);
	if (rows > ESTIMATE_ROWS_MAX)
		rows = ESTIMATE_ROWS_MAX;
	atomic_store_explicit(slot, (uint64_t)tag << 32 |
	    (uint64_t)(rows < 0 ? 0 : rows) << 8 | minute(now),
	    memory_order_relaxed);
}

