/*
 * Counters added in memory by the workers and written in batches by the
 * master (views and downloads of open data, R2.3).
 *
 * A durable UPDATE per read made a read cost a commit (bench/RESULTS.md:
 * GET /open-data/{id} at 0.31x its limit). The master maps one table of
 * 64-bit slots shared with the workers it forks; a worker adds 1 to its
 * (kind, id) slot with a compare-and-swap, and every seal_interval_ms the
 * master empties each slot (atomic exchange with 0) and writes the sums,
 * FLUSH_BATCH rows to a transaction. A slot packs
 *
 *	kind (4 bits) | id (40 bits) | count (20 bits)
 *
 * and 0 is a free slot, so kinds are 1..15. A key may sit in two slots
 * (its first one was full, or was drained and taken by another key while
 * a worker probed): both are drained and summed, which is all that
 * matters. When a worker cannot add (no table, an id of 2^40 or more, no
 * free slot within the probes) it is told so and writes the UPDATE
 * itself. What the master could not write (the database is away) stays
 * in its pending list for the next round, the whole batch; a clean stop
 * drains once more after the workers ended. A kill -9 of the master loses
 * at most one interval's counts: they are statistics, not records.
 *
 * A batch's rows of one kind are one statement, not an UPDATE per row: a
 * single-row UPDATE cost MariaDB ~35 us, and the benchmark reads a new
 * dataset each time (bench/RESULTS.md, "The counts' transaction"). The
 * module names each kind's table and column (counter_use, compile-time
 * constants, never input) and the text is made once from them:
 *
 *	UPDATE t SET c = c + CASE id WHEN ? THEN ? ... ELSE 0 END
 *	WHERE id IN (?, ...)
 *
 * with FLUSH_BATCH (id, sum) pairs and FLUSH_BATCH ids: a range read of
 * the primary key (ANALYZE FORMAT=JSON on the loaded catalog). In a loop
 * of transactions of 64 rows on that catalog it cost MariaDB 10-11.5 us a
 * row, against 22-25 us for an UPDATE per row and 11-12 us for an
 * UPDATE ... JOIN of a UNION ALL of rows (a derived table materialised
 * first). The text lives as long as the process, since db.c caches a
 * prepared statement by the address of its text.
 *
 * A shorter batch is padded with (id 0, sum 0): adding 0 changes no row,
 * whether or not an id 0 exists (ids start at 1: AUTO_INCREMENT), and a
 * repeated 0 in the IN list is one range. One size keeps one prepared
 * statement per kind; the padding costs little (a batch of one row: 160
 * us against 120 us for its single-row UPDATE, in the same loop), and a
 * flush has at most one short batch per kind.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "ds.h"

#define ID_BITS		40
#define COUNT_BITS	20
#define COUNT_MAX	((UINT64_C(1) << COUNT_BITS) - 1)
#define KEY_MASK	(~COUNT_MAX)
#define MAX_PROBES	32

static _Atomic uint64_t *table;
static size_t nslots;

/* Statements by kind, made by counter_use for the process's lifetime. */
static char *stmts[COUNTER_KINDS];
static bool any_stmt;

/* Master only: sums drained but not written yet. */
struct pending {
	unsigned	 kind;
	long long	 id;
	long long	 n;
};
static struct pending *pend;
static size_t npend, cappend;

/* Rows a flush writes per transaction and per statement: one long
 * transaction of a thousand row updates every interval made the reads
 * around it wait (GET /open-data/{id}: p99 5.5 ms without counting, 40-90
 * ms with). */
#define FLUSH_BATCH	COUNTER_BATCH

/* A table or column name as the module spells it: lower case, digits and
 * '_', so that the text made from it is what it seems. */
static bool
sql_name(const char *s)
{
	if (s == NULL || *s == '\0' || strlen(s) > 64)
		return false;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		    *s == '_'))
			return false;
	return true;
}

/* Appends s to buf as snprintf would, counting what does not fit. */
static void
put(char *buf, size_t size, size_t *len, const char *s)
{
	size_t n = strlen(s);

	if (*len < size)
		snprintf(buf + *len, size - *len, "%s", s);
	*len += n;
}

int
counter_sql(char *buf, size_t size, const char *tab, const char *col,
    size_t rows)
{
	size_t len = 0;

	if (!sql_name(tab) || !sql_name(col) || rows == 0 ||
	    rows > 1000)
		return -1;
	put(buf, size, &len, "UPDATE ");
	put(buf, size, &len, tab);
	put(buf, size, &len, " SET ");
	put(buf, size, &len, col);
	put(buf, size, &len, " = ");
	put(buf, size, &len, col);
	put(buf, size, &len, " + CASE id");
	for (size_t i = 0; i < rows; i++)
		put(buf, size, &len, " WHEN ? THEN ?");
	put(buf, size, &len, " ELSE 0 END WHERE id IN (?");
	for (size_t i = 1; i < rows; i++)
		put(buf, size, &len, ", ?");
	put(buf, size, &len, ")");
	return (int)len;
}

static void
stmts_free(void)
{
	for (size_t k = 0; k < COUNTER_KINDS; k++) {
		free(stmts[k]);
		stmts[k] = NULL;
	}
	any_stmt = false;
}

int
counter_use(const struct counter_column *cols, size_t n)
{
	stmts_free();
	if (n > COUNTER_KINDS || (n > 0 && (cols[0].table != NULL ||
	    cols[0].column != NULL))) {
		log_warnx(__func__, "counter kinds are 1..%d",
		    COUNTER_KINDS - 1);
		return DS_ERR;
	}
	for (size_t k = 1; k < n; k++) {
		int len;

		if (cols[k].table == NULL && cols[k].column == NULL)
			continue;
		if ((len = counter_sql(NULL, 0, cols[k].table, cols[k].column,
		    FLUSH_BATCH)) < 0 ||
		    (stmts[k] = malloc((size_t)len + 1)) == NULL) {
			log_warnx(__func__, "counter kind %zu: no statement",
			    k);
			stmts_free();
			return DS_ERR;
		}
		counter_sql(stmts[k], (size_t)len + 1, cols[k].table,
		    cols[k].column, FLUSH_BATCH);
		any_stmt = true;
	}
	return DS_OK;
}

bool
counter_wanted(void)
{
	return any_stmt;
}

int
counter_init(size_t n)
{
	void *p;

	counter_fini();
	if (n == 0)
		return DS_OK;
	p = mmap(NULL, n * sizeof(*table), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		log_warn(__func__, "mmap %zu slots", n);
		return DS_ERR;
	}
	table = p;
	nslots = n;
	for (size_t i = 0; i < n; i++)
		atomic_init(&table[i], 0);
	return DS_OK;
}

void
counter_fini(void)
{
	if (table != NULL)
		munmap((void *)table, nslots * sizeof(*table));
	table = NULL;
	nslots = 0;
	free(pend);
	pend = NULL;
	npend = cappend = 0;
}

static uint64_t
mix(uint64_t x)
{
	/* splitmix64's finaliser: ids are dense, the slots must not be. */
	x ^= x >> 30;
	x *= UINT64_C(0xbf58476d1ce4e5b9);
	x ^= x >> 27;
	x *= UINT64_C(0x94d049bb133111eb);
	return x ^ (x >> 31);
}

int
counter_add(unsigned kind, long long id)
{
	uint64_t key, h;

	if (table == NULL || kind == 0 || kind >= COUNTER_KINDS || id < 0 ||
	    id >= (1LL << ID_BITS))
		return -1;
	key = (uint64_t)kind << (ID_BITS + COUNT_BITS) |
	    (uint64_t)id << COUNT_BITS;
	h = mix(key);
	for (size_t i = 0; i < MAX_PROBES && i < nslots; i++) {
		_Atomic uint64_t *s = &table[(h + i) % nslots];
		uint64_t v = atomic_load_explicit(s, memory_order_relaxed);

		for (;;) {
			uint64_t want;

			if (v == 0)
				want = key | 1;
			else if ((v & KEY_MASK) == key && (v & COUNT_MAX) <
			    COUNT_MAX)
				want = v + 1;
			else
				break;	/* another key, or full: probe on */
			/* On failure v is reloaded: drained (0), bumped by
			 * another worker, or taken by another key. */
			if (atomic_compare_exchange_weak(s, &v, want))
				return 0;
		}
	}
	return -1;
}

long
counter_drain(void (*fn)(void *, unsigned, long long, long long), void *arg)
{
	long n = 0;

	for (size_t i = 0; i < nslots; i++) {
		uint64_t v;

		if (atomic_load_explicit(&table[i], memory_order_relaxed) == 0)
			continue;
		if ((v = atomic_exchange(&table[i], 0)) == 0)
			continue;
		fn(arg, (unsigned)(v >> (ID_BITS + COUNT_BITS)),
		    (long long)((v >> COUNT_BITS) &
		    ((UINT64_C(1) << ID_BITS) - 1)),
		    (long long)(v & COUNT_MAX));
		n++;
	}
	return n;
}

/* Adds to the pending sum of (kind, id); a new key is appended, and the
 * list is merged by sorting when it is written. */
static void
pend_add(void *arg, unsigned kind, long long id, long long n)
{
	(void)arg;
	if (npend == cappend) {
		size_t cap = cappend ? cappend * 2 : 256;
		struct pending *p = realloc(pend, cap * sizeof(*p));

		if (p == NULL) {
			log_warnx(__func__, "out of memory: %lld counts of "
			    "kind %u lost", n, kind);
			return;
		}
		pend = p;
		cappend = cap;
	}
	pend[npend++] = (struct pending){ kind, id, n };
}

static int
pend_cmp(const void *a, const void *b)
{
	const struct pending *x = a, *y = b;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* Sorts the pending list and sums the entries of one key into one. */
static void
pend_merge(void)
{
	size_t o = 0;

	qsort(pend, npend, sizeof(*pend), pend_cmp);
	for (size_t i = 0; i < npend; i++) {
		if (o > 0 && pend[o - 1].kind == pend[i].kind &&
		    pend[o - 1].id == pend[i].id)
			pend[o - 1].n += pend[i].n;
		else
			pend[o++] = pend[i];
	}
	npend = o;
}

/* Writes pend[from..to), all of one kind, with the kind's statement:
 * (id, sum) pairs for the CASE, then the ids, padded with (0, 0). */
static int
pend_write_kind(size_t from, size_t to)
{
	struct db_param p[3 * FLUSH_BATCH];
	const char *sql = stmts[pend[from].kind];

	if (sql == NULL) {
		log_warnx(__func__, "no statement for counter kind %u: %zu "
		    "counts lost", pend[from].kind, to - from);
		return DS_OK;
	}
	for (size_t i = 0; i < FLUSH_BATCH; i++) {
		bool row = from + i < to;

		p[2 * i] = P_INT(row ? pend[from + i].id : 0);
		p[2 * i + 1] = P_INT(row ? pend[from + i].n : 0);
		p[2 * FLUSH_BATCH + i] = p[2 * i];
	}
	return db_exec(sql, p, NPARAMS(p), NULL, NULL);
}

/* Writes pend[from..to) (sorted by kind) in one transaction, a statement
 * per kind. */
static int
pend_write(size_t from, size_t to)
{
	size_t end;
	int st;

	if ((st = db_begin()) != DS_OK)
		return st;
	for (size_t i = from; i < to; i = end) {
		for (end = i + 1; end < to && pend[end].kind == pend[i].kind;
		    end++)
			;
		if ((st = pend_write_kind(i, end)) != DS_OK) {
			db_rollback();
			return st;
		}
	}
	return db_commit();
}

long
counter_flush(void)
{
	size_t done, batch;
	long n;
	int st;

	if (table != NULL)
		counter_drain(pend_add, NULL);
	if (npend == 0)
		return 0;
	pend_merge();
	/* On a failure the sums not written stay pending for the next
	 * round. A commit whose answer was lost may have been applied:
	 * counted twice then, which a statistic can bear better than losing
	 * them. */
	for (done = 0; done < npend; done += batch) {
		batch = npend - done < FLUSH_BATCH ? npend - done : FLUSH_BATCH;
		if ((st = pend_write(done, done + batch)) != DS_OK) {
			memmove(pend, pend + done, (npend - done) *
			    sizeof(*pend));
			npend -= done;
			return st;
		}
	}
	n = (long)npend;
	npend = 0;
	return n;
}

size_t
counter_pending(void)
{
	return npend;
}
