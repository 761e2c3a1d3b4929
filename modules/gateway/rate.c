/*
 * The rate limit and daily quota of each grant on a service (issue 18).
 *
 * A table in memory shared by the gateway's master and all its workers:
 * the master maps it before forking (gw_init), so a worker started later
 * to replace one that died adds to the same counts. One slot per grant,
 * found by open addressing on the grant id, holds the current minute's and
 * the current UTC day's calls; a slot's small spin lock makes "read,
 * compare with the limit, add one" one step, so that 50 racing calls
 * against a limit of 10 let exactly 10 through. No database round trip.
 *
 * The day's counts are read back from the access log when the master
 * starts, so a restart does not hand out a second quota. The minute's are
 * not: a restart forgives at most one minute. The counts are per host; a
 * cluster of application hosts (issue 24) divides a limit among them, or
 * each host allows the whole limit: docs/gateway.md says which.
 */
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "ds.h"
#include "gateway.h"

#define RATE_SLOTS	8192	/* grants calling within a day, per host */
#define RATE_PROBES	64

struct rate_slot {
	atomic_flag	 lock;
	long long	 grant;		/* 0: free */
	long long	 minute;	/* epoch minute of count */
	long long	 count;
	long long	 day;		/* epoch day of day_count */
	long long	 day_count;
};

static struct rate_slot *slots;

static void
slot_lock(struct rate_slot *s)
{
	while (atomic_flag_test_and_set_explicit(&s->lock,
	    memory_order_acquire))
		;
}

static void
slot_unlock(struct rate_slot *s)
{
	atomic_flag_clear_explicit(&s->lock, memory_order_release);
}

/* The slot of grant, claimed when free (under its lock), or NULL when the
 * table is full around it: the call is then not limited, and logged. */
static struct rate_slot *
slot_find(long long grant)
{
	size_t h = (size_t)(grant * 2654435761LL) % RATE_SLOTS;

	for (size_t i = 0; i < RATE_PROBES; i++) {
		struct rate_slot *s = &slots[(h + i) % RATE_SLOTS];

		slot_lock(s);
		if (s->grant == grant)
			return s;
		if (s->grant == 0) {
			memset((char *)s + sizeof(s->lock), 0,
			    sizeof(*s) - sizeof(s->lock));
			s->grant = grant;
			return s;
		}
		slot_unlock(s);
	}
	log_warnx(__func__, "rate table full around grant %lld", grant);
	return NULL;
}

/* Sets the day's count of grant (at start, from the log). */
static void
rate_seed(long long grant, long long day, long long n)
{
	struct rate_slot *s = slot_find(grant);

	if (s == NULL)
		return;
	s->day = day;
	s->day_count = n;
	slot_unlock(s);
}

int
rate_init(void)
{
	static const char *sql =
	    "SELECT grant_id, COUNT(*) AS n FROM access_log "
	    "WHERE kind = 'gateway' AND request_in_ms >= ? "
	    "  AND outcome <> 'refused' AND grant_id IS NOT NULL "
	    "GROUP BY grant_id";
	struct arena *a;
	struct db_rows *rows;
	long long day = (long long)time(NULL) / 86400;

	slots = mmap(NULL, RATE_SLOTS * sizeof(*slots), PROT_READ |
	    PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (slots == MAP_FAILED) {
		slots = NULL;
		log_warn(__func__, "mmap");
		return DS_ERR;
	}
	for (size_t i = 0; i < RATE_SLOTS; i++)
		atomic_flag_clear(&slots[i].lock);
	a = arena_new();
	{
		struct db_param p[] = { P_INT(day * 86400 * 1000) };

		/* Without the database the day starts from zero, as after
		 * midnight; the log says so. */
		if (db_query(a, sql, p, 1, &rows) != DS_OK)
			log_warnx(__func__, "the day's counts are not read "
			    "back: quotas start from zero");
		else
			for (size_t r = 0; r < rows->nrows; r++)
				rate_seed(db_get_int(rows, r, "grant_id"), day,
				    db_get_int(rows, r, "n"));
	}
	arena_free(a);
	db_disconnect();
	return DS_OK;
}

enum rate_verdict
rate_take(long long grant, long long per_minute, long long per_day,
    long long now_ms, long long *retry_after)
{
	long long minute = now_ms / 60000, day = now_ms / 86400000;
	struct rate_slot *s;
	enum rate_verdict v = RATE_OK;

	if ((per_minute <= 0 && per_day <= 0) || slots == NULL ||
	    (s = slot_find(grant)) == NULL)
		return RATE_OK;
	if (s->minute != minute) {
		s->minute = minute;
		s->count = 0;
	}
	if (s->day != day) {
		s->day = day;
		s->day_count = 0;
	}
	if (per_minute > 0 && s->count >= per_minute) {
		v = RATE_MINUTE;
		*retry_after = 60 - (now_ms / 1000) % 60;
	} else if (per_day > 0 && s->day_count >= per_day) {
		v = RATE_DAY;
		*retry_after = 86400 - (now_ms / 1000) % 86400;
	} else {
		s->count++;
		s->day_count++;
	}
	slot_unlock(s);
	return v;
}
