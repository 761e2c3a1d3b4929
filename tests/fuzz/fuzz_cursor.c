/*
 * Fuzzes the paging parameters (http_page_or_reply: ?limit= and the
 * opaque ?cursor=, base64url of "v1:<last id>") and the cursor that
 * http_reply_page issues.
 *
 * The input is: cursor \n limit \n 8 bytes. A cursor line "-" or a limit
 * line "" leaves that parameter out. The 8 bytes are an id whose cursor
 * is issued and read back.
 *
 * Properties:
 * - a cursor is taken only if it is one this API could have issued: the
 *   base64url of "v1:" and a positive decimal id without sign, leading
 *   zero or anything after it; then the page starts after that id (a
 *   forged cursor is a 422 naming "cursor", ds.h);
 * - the limit is 50 when absent, else an integer in [1, 200] or a 422
 *   naming "limit";
 * - the cursor http_reply_page issues for a full page reads back as the
 *   id of the page's last item;
 * - nothing leaks.
 */
#include "fuzz.h"

static struct arena *arena;

/* Whether s is "v1:<id>" base64url-encoded, canonically; the id in *id. */
static bool
ref_cursor(const char *s, long long *id)
{
	unsigned char *dec;
	long n;
	long long v = 0;

	n = b64url_decode(arena, s, strlen(s), &dec);
	if (n < 4 || n > 24 || memcmp(dec, "v1:", 3) != 0 || dec[3] == '0')
		return false;
	for (long i = 3; i < n; i++) {
		if (dec[i] < '0' || dec[i] > '9' || v > (1LL << 62) / 10)
			return false;
		v = v * 10 + (dec[i] - '0');
	}
	if (v < 1 || v > 1LL << 62)
		return false;
	/* The encoder is the one that issues cursors: it must give s back. */
	if (strcmp(b64url_encode(arena, dec, (size_t)n), s) != 0)
		return false;
	*id = v;
	return true;
}

static bool
ref_limit(const char *s, long long *out)
{
	long long v = 0;
	size_t i = 0;

	if (s == NULL) {
		*out = 50;
		return true;
	}
	if (s[0] == '-')
		i = 1;
	if (s[i] == '\0')
		return false;
	for (; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9' || v > 1000)
			return false;
		v = v * 10 + s[i] - '0';
	}
	if (s[0] == '-')
		v = -v;
	if (v < 1 || v > 200)
		return false;
	*out = v;
	return true;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	arena = arena_new();
	return 0;
}

static void
round_trip(long long id)
{
	struct http_req r;
	struct page pg = { 1, 0 }, back;
	struct kv kv;
	json_object *items = json_object_new_array();
	json_object *it = json_object_new_object(), *next;

	fuzz_req_init(&r, arena);
	json_object_object_add(it, "id", json_object_new_int64(id));
	json_object_array_add(items, it);
	http_reply_page(&r, &pg, items);
	FUZZ_CHECK(r.status == 200 && json_object_object_get_ex(r.resp,
	    "next_cursor", &next) && json_object_is_type(next,
	    json_type_string), "no next_cursor for a full page");
	kv.key = "cursor";
	kv.value = arena_strdup(arena, json_object_get_string(next));
	json_object_put(r.resp);
	fuzz_req_init(&r, arena);
	r.params = &kv;
	r.nparams = 1;
	FUZZ_CHECK(http_page_or_reply(&r, &back) == DS_OK && back.after == id,
	    "the cursor issued for id %lld reads back as %lld", id, back.after);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_req r;
	struct kv kv[2];
	struct page pg;
	const char *cursor, *limit;
	long long want_after = 0, want_limit, id = 0;
	bool ok;
	int st;

	fuzz_req_init(&r, arena);
	cursor = fuzz_line(arena, &data, &size);
	limit = fuzz_line(arena, &data, &size);
	if (strcmp(cursor, "-") == 0)
		cursor = NULL;
	if (*limit == '\0')
		limit = NULL;
	r.params = kv;
	if (cursor != NULL)
		kv[r.nparams++] = (struct kv){ "cursor", cursor };
	if (limit != NULL)
		kv[r.nparams++] = (struct kv){ "limit", limit };

	ok = ref_limit(limit, &want_limit) && (cursor == NULL ||
	    ref_cursor(cursor, &want_after));
	st = http_page_or_reply(&r, &pg);
	FUZZ_CHECK((st == DS_OK) == ok, "cursor %s limit %s: core %d, "
	    "reference %s", cursor ? cursor : "-", limit ? limit : "-", st,
	    ok ? "valid" : "forged");
	if (st == DS_OK)
		FUZZ_CHECK(pg.limit == want_limit && pg.after == want_after,
		    "limit %lld after %lld, expected %lld after %lld", pg.limit,
		    pg.after, want_limit, want_after);
	else {
		FUZZ_CHECK(st == DS_REPLIED && r.status == 422 &&
		    fuzz_detail_count(&r) == 1, "status %d", r.status);
		fuzz_check_response(&r);
	}
	fuzz_req_done(&r);

	for (size_t i = 0; i < 8 && i < size; i++)
		id = (long long)((unsigned long long)id << 8 | data[i]);
	if (id < 0)
		id = -(id + 1);
	id = id % (1LL << 62) + 1;
	round_trip(id);
	fuzz_req_done(&r);
	return 0;
}
