/*
 * Fuzzes narrow_json (narrow.c): a provider's answer cut to the granted
 * fields of each record (issue 18; Art. 17.2.b).
 *
 * The input is: one byte choosing the records pointer (pointers[], by its
 * low four bits), one byte choosing the keep list (bit i keeps names[i]),
 * then the document.
 *
 * Properties, against references written here:
 * - narrow_json succeeds exactly when json_parse_strict takes the
 *   document, its numbers are RFC 8259's, the pointer is RFC 6901's and
 *   names an object or an array of objects; otherwise DS_EINVAL with a
 *   reason and no output;
 * - on success the output is strict JSON, equal, member order included,
 *   to the parsed document with the reference's keys deleted, and
 *   *nremoved is how many the reference deleted;
 * - numbers keep their text: the output's numbers are, in order, the
 *   document's less those deleted (all of them when none was);
 * - a document without white space or escapes that loses no key comes
 *   out byte for byte as it went in;
 * - nothing leaks, nothing is read out of bounds.
 */
#include "fuzz.h"

static const char *const pointers[16] = {
	NULL, "", "/data", "/data/items", "/items", "/0", "/1", "/a~1b",
	"/m~0n", "/data/0", "/", "/~", "/-", "/items/0", "/items/", "data",
};

static const char *const names[8] = {
	"id", "name", "a", "b", "", "T\xe1\xba\xbfn", "x/y", "data",
};

static struct arena *arena;

/* The number tokens of a text (offsets and lengths), in order. */
struct toks {
	size_t	 off[4096], len[4096];
	size_t	 n;
	bool	 full;
};

/*
 * RFC 8259's number as a state machine: 0 start, 1 after '-', 2 after a
 * leading 0, 3 in the integer digits, 4 after '.', 5 in the fraction, 6
 * after e/E, 7 after its sign, 8 in the exponent. Accepting: 2, 3, 5, 8.
 */
static bool
ref_number(const char *s, size_t n)
{
	int st = 0;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool dig = c >= '0' && c <= '9';

		if (st == 0 && c == '-')
			st = 1;
		else if ((st == 0 || st == 1) && c == '0')
			st = 2;
		else if ((st == 0 || st == 1 || st == 3) && dig)
			st = 3;
		else if ((st == 2 || st == 3) && c == '.')
			st = 4;
		else if ((st == 4 || st == 5) && dig)
			st = 5;
		else if ((st == 2 || st == 3 || st == 5) &&
		    (c == 'e' || c == 'E'))
			st = 6;
		else if (st == 6 && (c == '+' || c == '-'))
			st = 7;
		else if ((st >= 6 && st <= 8) && dig)
			st = 8;
		else
			return false;
	}
	return st == 2 || st == 3 || st == 5 || st == 8;
}

/* Lists t's number tokens (t is JSON json-c took); false when one is
 * not RFC 8259's. */
static bool
ref_tokens(const char *t, size_t len, struct toks *tk)
{
	bool in_str = false;
	size_t i = 0, j;

	tk->n = 0;
	tk->full = false;
	while (i < len) {
		if (in_str) {
			if (t[i] == '\\')
				i++;
			else if (t[i] == '"')
				in_str = false;
			i++;
			continue;
		}
		if (t[i] == '"') {
			in_str = true;
			i++;
			continue;
		}
		if (!(t[i] == '-' || (t[i] >= '0' && t[i] <= '9'))) {
			i++;
			continue;
		}
		for (j = i; j < len && memchr("+-.0123456789Ee", t[j], 15); j++)
			;
		if (!ref_number(t + i, j - i))
			return false;
		if (tk->n < 4096) {
			tk->off[tk->n] = i;
			tk->len[tk->n++] = j - i;
		} else
			tk->full = true;
		i = j;
	}
	return true;
}

/* RFC 6901, split on '/' and each token unescaped "~1" first, then
 * "~0" (so "~01" is "~1"). The value, or *ok false when nothing. */
static json_object *
ref_pointer(json_object *root, const char *ptr, bool *ok)
{
	json_object *o = root;
	char tok[64], *w;
	const char *p = ptr;

	*ok = false;
	if (ptr == NULL || *ptr == '\0') {
		*ok = true;
		return root;
	}
	if (*p != '/')
		return NULL;
	while (*p == '/') {
		size_t k = strcspn(p + 1, "/");

		FUZZ_CHECK(k < sizeof(tok), "pointer token too long");
		memcpy(tok, p + 1, k);
		tok[k] = '\0';
		p += 1 + k;
		for (w = tok; (w = strchr(w, '~')) != NULL; w++) {
			if (w[1] != '0' && w[1] != '1')
				return NULL;
			if (w[1] == '1') {
				*w = '/';
				memmove(w + 1, w + 2, strlen(w + 2) + 1);
			}
		}
		for (w = tok; (w = strstr(w, "~0")) != NULL; w++)
			memmove(w + 1, w + 2, strlen(w + 2) + 1);
		if (json_object_is_type(o, json_type_object)) {
			if (!json_object_object_get_ex(o, tok, &o))
				return NULL;
		} else if (json_object_is_type(o, json_type_array)) {
			char *end;
			unsigned long v = strtoul(tok, &end, 10);

			if (tok[0] < '0' || tok[0] > '9' || *end != '\0' ||
			    (tok[0] == '0' && tok[1] != '\0') || strlen(tok) > 9 ||
			    v >= json_object_array_length(o))
				return NULL;
			o = json_object_array_get_idx(o, v);
		} else
			return NULL;
	}
	*ok = true;
	return o;
}

/* Deletes from rec the keys keep does not name, the plain way: by name,
 * after the walk (json-c's own deletion, with a copy of each key). */
static long long
ref_narrow_record(json_object *rec, unsigned keep)
{
	size_t n = 0, cap = (size_t)json_object_object_length(rec);
	char **gone = calloc(cap + 1, sizeof(*gone));

	FUZZ_CHECK(gone != NULL, "out of memory");
	json_object_object_foreach(rec, k, v) {
		bool kept = false;

		(void)v;
		for (int i = 0; i < 8; i++)
			if ((keep & (1u << i)) && strcmp(k, names[i]) == 0)
				kept = true;
		if (!kept && (gone[n++] = strdup(k)) == NULL)
			abort();
	}
	for (size_t i = 0; i < n; i++) {
		json_object_object_del(rec, gone[i]);
		free(gone[i]);
	}
	free(gone);
	return (long long)n;
}

/* Whether a and b are the same JSON, member order included. */
static bool
same(json_object *a, json_object *b)
{
	struct lh_entry *ea, *eb;
	size_t i, n;

	if (json_object_get_type(a) != json_object_get_type(b))
		return false;
	switch (json_object_get_type(a)) {
	case json_type_object:
		if (json_object_object_length(a) != json_object_object_length(b))
			return false;
		ea = lh_table_head(json_object_get_object(a));
		eb = lh_table_head(json_object_get_object(b));
		for (; ea != NULL && eb != NULL; ea = lh_entry_next(ea),
		    eb = lh_entry_next(eb))
			if (strcmp(lh_entry_k(ea), lh_entry_k(eb)) != 0 ||
			    !same((json_object *)lh_entry_v(ea),
			    (json_object *)lh_entry_v(eb)))
				return false;
		return ea == NULL && eb == NULL;
	case json_type_array:
		n = json_object_array_length(a);
		if (n != json_object_array_length(b))
			return false;
		for (i = 0; i < n; i++)
			if (!same(json_object_array_get_idx(a, i),
			    json_object_array_get_idx(b, i)))
				return false;
		return true;
	default:
		return json_object_equal(a, b);
	}
}

/* What narrow_json must do: -1 refuse, else the keys it deletes from
 * ref (narrowed here) and *set the records. */
static long long
reference(json_object *ref, const char *ptr, unsigned keep)
{
	json_object *set;
	long long n = 0;
	size_t i, len;
	bool ok;

	set = ref_pointer(ref, ptr, &ok);
	if (!ok)
		return -1;
	if (json_object_is_type(set, json_type_object))
		return ref_narrow_record(set, keep);
	if (!json_object_is_type(set, json_type_array))
		return -1;
	len = json_object_array_length(set);
	for (i = 0; i < len; i++)
		if (!json_object_is_type(json_object_array_get_idx(set, i),
		    json_type_object))
			return -1;
	for (i = 0; i < len; i++)
		n += ref_narrow_record(json_object_array_get_idx(set, i),
		    keep);
	return n;
}

/* Whether t has white space outside strings, or a backslash. */
static bool
loose(const char *t, size_t len)
{
	bool in_str = false;

	for (size_t i = 0; i < len; i++) {
		if (t[i] == '\\')
			return true;
		if (t[i] == '"')
			in_str = !in_str;
		else if (!in_str && strchr(" \t\r\n", t[i]) != NULL)
			return true;
	}
	return false;
}

/* The output's numbers are the input's, in order, less some (or none,
 * when no key went). */
static void
check_numbers(const char *in, size_t inlen, const char *out, size_t outlen,
    bool all)
{
	static struct toks a, b;
	size_t i = 0, j;

	FUZZ_CHECK(ref_tokens(in, inlen, &a), "input numbers");
	FUZZ_CHECK(ref_tokens(out, outlen, &b), "a number that is not JSON "
	    "in the output: %s", out);
	if (a.full || b.full)
		return;
	for (j = 0; j < b.n; j++, i++) {
		while (i < a.n && (a.len[i] != b.len[j] || memcmp(in +
		    a.off[i], out + b.off[j], a.len[i]) != 0) && !all)
			i++;
		FUZZ_CHECK(i < a.n && a.len[i] == b.len[j] && memcmp(in +
		    a.off[i], out + b.off[j], a.len[i]) == 0, "number %.*s "
		    "is not the input's", (int)b.len[j], out + b.off[j]);
	}
	FUZZ_CHECK(!all || b.n == a.n, "%zu numbers in, %zu out", a.n, b.n);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	arena = arena_new();
	return 0;
}

/* Checks a success against the reference's narrowed tree. */
static void
check_output(json_object *ref, long long want, const char *text,
    size_t len, const char *out, size_t outlen, long long n)
{
	json_object *got;
	char err[160];

	FUZZ_CHECK(n == want, "%lld keys removed, the reference %lld", n,
	    want);
	FUZZ_CHECK(out != NULL && strlen(out) == outlen, "output length");
	got = json_parse_strict(out, outlen, err, sizeof(err));
	FUZZ_CHECK(got != NULL, "output not strict JSON (%s): %s", err, out);
	FUZZ_CHECK(same(got, ref), "output %s, the reference %s", out,
	    json_object_to_json_string_ext(ref, JSON_C_TO_STRING_PLAIN));
	json_object_put(got);
	check_numbers(text, len, out, outlen, n == 0);
	if (n == 0 && !loose(text, len))
		FUZZ_CHECK(outlen == len && memcmp(out, text, len) == 0,
		    "changed: %.*s -> %s", (int)len, text, out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct toks tk;
	const char *keep[8], *ptr, *why = NULL;
	unsigned mask;
	size_t nkeep = 0, len, outlen = 0;
	char *text, *out, err[160];
	long long n = -1, want = -1;
	json_object *ref;
	int st;

	if (size < 2)
		return 0;
	ptr = pointers[data[0] & 15];
	mask = data[1];
	for (int i = 0; i < 8; i++)
		if (mask & (1u << i))
			keep[nkeep++] = names[i];
	len = size - 2;
	text = fuzz_copy(data + 2, len, false);

	ref = json_parse_strict(text, len, err, sizeof(err));
	if (ref != NULL && ref_tokens(text, len, &tk))
		want = reference(ref, ptr, mask);
	st = narrow_json(arena, text, len, ptr, keep, nkeep, &out, &outlen,
	    &n, &why);
	if (want < 0)
		FUZZ_CHECK(st == DS_EINVAL && why != NULL && out == NULL &&
		    outlen == 0 && n == 0, "narrow_json %d (%s), the reference "
		    "refuses: %.*s", st, why ? why : "-", (int)len, text);
	else {
		FUZZ_CHECK(st == DS_OK, "narrow_json refused (%s): %.*s",
		    why ? why : "-", (int)len, text);
		check_output(ref, want, text, len, out, outlen, n);
	}
	json_object_put(ref);
	free(text);
	arena_reset(arena);
	return 0;
}
