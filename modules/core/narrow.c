/*
 * Narrowing (issue 18; Art. 17.2.b): a consumer gets, of each record in a
 * provider's answer, only the fields its grant names. The answer is read
 * by json_parse_strict, the records found (the document, or what an RFC
 * 6901 pointer names), their other top-level keys deleted, and the
 * document written back by json-c.
 *
 * What that round trip keeps (json-c 0.16, measured; test_narrow.c):
 * - strings, byte for byte (UTF-8 as it came); only escapes change
 *   spelling: "\u00e9" comes out as the UTF-8 of é, "\/" as "/";
 * - doubles, as written ("1.10", "1E5", "-0.0"): json-c keeps their text
 *   (json_object_new_double_s);
 * - integers json-c would not: it prints its int64 or uint64, so "-0"
 *   would become 0 and an integer beyond 64 bits would be clamped
 *   (18446744073709551616 to 18446744073709551615), a changed value the
 *   consumer could not tell from a real one. numbers_keep gives those
 *   their own text back;
 * - not the white space between tokens.
 * Numbers json-c takes though RFC 8259 does not ("1.", "-.5", "-01",
 * "00") are refused: as they came they would not be JSON, and corrected
 * they would not be what the provider sent. So is 1e400, by
 * json_parse_strict (a double that is not finite).
 */
#include <stdlib.h>
#include <string.h>

#include "ds.h"

/* An integer whose text json-c may not print back, by its place among
 * the document's numbers (0 is the first number of the text). */
struct odd_int {
	size_t	 ord;
	size_t	 off, len;
};

struct numbers {
	const char	*text;
	struct odd_int	*odd;
	size_t		 nodd, cap;
	size_t		 total;		/* numbers in the text */
	size_t		 seen;		/* numbers met by the walk */
	size_t		 next;		/* the next odd[] the walk looks for */
};

/*
 * Whether t[i..end) is a number by RFC 8259's grammar,
 * -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?, with *isint
 * telling whether it has neither fraction nor exponent.
 */
static bool
number_ok(const char *t, size_t i, size_t end, bool *isint)
{
	size_t d;

	*isint = true;
	if (i < end && t[i] == '-')
		i++;
	if (i < end && t[i] == '0')
		i++;
	else if (i < end && t[i] >= '1' && t[i] <= '9')
		while (i < end && t[i] >= '0' && t[i] <= '9')
			i++;
	else
		return false;
	if (i < end && t[i] == '.') {
		*isint = false;
		for (d = ++i; i < end && t[i] >= '0' && t[i] <= '9'; i++)
			;
		if (i == d)
			return false;
	}
	if (i < end && (t[i] == 'e' || t[i] == 'E')) {
		*isint = false;
		if (++i < end && (t[i] == '+' || t[i] == '-'))
			i++;
		for (d = i; i < end && t[i] >= '0' && t[i] <= '9'; i++)
			;
		if (i == d)
			return false;
	}
	return i == end;
}

/* Notes the integer t[off..off+len) if json-c could print it otherwise:
 * "-0", or 19 digits and more (int64 ends at 19, uint64 at 20 digits). */
static void
note_odd_int(struct numbers *nb, size_t off, size_t len)
{
	const char *s = nb->text + off;
	size_t digits = len - (s[0] == '-');

	if (digits < 19 && !(len == 2 && s[0] == '-' && s[1] == '0'))
		return;
	if (nb->nodd == nb->cap) {
		nb->cap = nb->cap ? nb->cap * 2 : 8;
		if ((nb->odd = realloc(nb->odd, nb->cap *
		    sizeof(*nb->odd))) == NULL)
			abort();
	}
	nb->odd[nb->nodd++] = (struct odd_int){ nb->total, off, len };
}

/*
 * Reads the numbers of text json_parse_strict took, in order: each must
 * be RFC 8259's; odd integers are noted. Outside strings a number is the
 * only token that starts with '-' or a digit. Returns 0 or -1.
 */
static int
numbers_scan(struct numbers *nb, size_t len)
{
	const char *t = nb->text;
	size_t i, end;
	bool isint;

	for (i = 0; i < len; i++) {
		if (t[i] == '"') {
			for (i++; i < len && t[i] != '"'; i++)
				if (t[i] == '\\')
					i++;
			continue;
		}
		if (t[i] != '-' && (t[i] < '0' || t[i] > '9'))
			continue;
		for (end = i; end < len && t[end] != '\0' &&
		    strchr("0123456789+-.eE", t[end]) != NULL; end++)
			;
		if (!number_ok(t, i, end, &isint))
			return -1;
		if (isint)
			note_odd_int(nb, i, end - i);
		nb->total++;
		i = end - 1;
	}
	return 0;
}

/* Walks o in the text's order (json-c keeps members in the order parsed)
 * and gives each odd integer its text to print. */
static void
numbers_walk(json_object *o, struct numbers *nb)
{
	const struct odd_int *odd;
	char *s;
	size_t i, n;

	switch (json_object_get_type(o)) {
	case json_type_object: {
		json_object_object_foreach(o, k, v) {
			(void)k;
			numbers_walk(v, nb);
		}
		break;
	}
	case json_type_array:
		n = json_object_array_length(o);
		for (i = 0; i < n; i++)
			numbers_walk(json_object_array_get_idx(o, i), nb);
		break;
	case json_type_int:
		odd = nb->next < nb->nodd ? &nb->odd[nb->next] : NULL;
		if (odd != NULL && odd->ord == nb->seen) {
			if ((s = strndup(nb->text + odd->off, odd->len)) ==
			    NULL)
				abort();
			json_object_set_serializer(o,
			    json_object_userdata_to_json_string, s,
			    json_object_free_userdata);
			nb->next++;
		}
		nb->seen++;
		break;
	case json_type_double:
		nb->seen++;
		break;
	default:
		break;
	}
}

/* Makes every number of root print as text[0..len) wrote it, or refuses
 * the document. */
static int
numbers_keep(json_object *root, const char *text, size_t len,
    const char **why)
{
	struct numbers nb = { .text = text };
	int st = DS_OK;

	if (numbers_scan(&nb, len) != 0) {
		*why = "a number that is not JSON (such as 1. or -01)";
		st = DS_EINVAL;
	} else if (nb.nodd > 0) {
		numbers_walk(root, &nb);
		/* Never met: the scan and json-c would disagree on which
		 * number is which. Refuse rather than send a changed one. */
		if (nb.seen != nb.total || nb.next != nb.nodd) {
			log_warnx(__func__, "%zu numbers in the text, %zu in "
			    "json-c's tree", nb.total, nb.seen);
			*why = "cannot keep the text of its numbers";
			st = DS_EINVAL;
		}
	}
	free(nb.odd);
	return st;
}

/* RFC 6901: "" or ("/" token)*, each '~' starting "~0" or "~1". */
static bool
pointer_valid(const char *p)
{
	if (*p != '\0' && *p != '/')
		return false;
	for (; *p != '\0'; p++)
		if (*p == '~' && p[1] != '0' && p[1] != '1')
			return false;
	return true;
}

/* Copies the token at *p (after a '/') into tok, unescaped; *p moves to
 * the next '/' or the end. */
static void
pointer_token(const char **p, char *tok)
{
	const char *s = *p;

	for (; *s != '\0' && *s != '/'; s++) {
		if (*s == '~') {
			s++;
			*tok++ = *s == '0' ? '~' : '/';
		} else
			*tok++ = *s;
	}
	*tok = '\0';
	*p = s;
}

/* An array index as RFC 6901 writes it ("0" or no leading zero), below
 * n; "-" (past the end) names nothing. */
static bool
array_index(const char *tok, size_t n, size_t *idx)
{
	size_t v = 0;

	if (tok[0] == '\0' || (tok[0] == '0' && tok[1] != '\0'))
		return false;
	for (; *tok != '\0'; tok++) {
		if (*tok < '0' || *tok > '9' || v >= n)
			return false;
		v = v * 10 + (size_t)(*tok - '0');
	}
	if (v >= n)
		return false;
	*idx = v;
	return true;
}

/* The value ptr names in root, in *found. json-c holds a JSON null as
 * NULL, which json_object_is_type takes only as json_type_null: a null
 * on the way names nothing, a null at the end is no record set. */
static int
pointer_find(struct arena *a, json_object *root, const char *ptr,
    json_object **found, const char **why)
{
	json_object *o = root;
	char *tok;
	size_t idx;

	if (ptr == NULL)
		ptr = "";
	if (!pointer_valid(ptr)) {
		*why = "the records pointer is not an RFC 6901 JSON pointer";
		return DS_EINVAL;
	}
	tok = arena_alloc(a, strlen(ptr) + 1);
	while (*ptr == '/') {
		ptr++;
		pointer_token(&ptr, tok);
		if (json_object_is_type(o, json_type_object) &&
		    json_object_object_get_ex(o, tok, &o))
			continue;
		if (json_object_is_type(o, json_type_array) &&
		    array_index(tok, json_object_array_length(o), &idx)) {
			o = json_object_array_get_idx(o, idx);
			continue;
		}
		*why = "the records pointer names nothing in the document";
		return DS_EINVAL;
	}
	*found = o;
	return DS_OK;
}

static bool
is_kept(const char *key, const char *const *keep, size_t nkeep)
{
	for (size_t i = 0; i < nkeep; i++)
		if (strcmp(key, keep[i]) == 0)
			return true;
	return false;
}

/* Deletes the keys of rec not in keep (the others stay in their order);
 * returns how many went. lh_table_delete_entry spares the lookup
 * json_object_object_del would make again, and puts the value. */
static long long
record_narrow(json_object *rec, const char *const *keep, size_t nkeep)
{
	struct lh_table *t = json_object_get_object(rec);
	struct lh_entry *e, *next;
	long long n = 0;

	lh_foreach_safe(t, e, next) {
		if (!is_kept(lh_entry_k(e), keep, nkeep)) {
			lh_table_delete_entry(t, e);
			n++;
		}
	}
	return n;
}

/* Narrows the record set: one object, or an array of objects only. */
static int
records_narrow(json_object *set, const char *const *keep, size_t nkeep,
    long long *removed, const char **why)
{
	json_object *rec;
	size_t i, n;

	*removed = 0;
	if (json_object_is_type(set, json_type_object)) {
		*removed = record_narrow(set, keep, nkeep);
		return DS_OK;
	}
	if (!json_object_is_type(set, json_type_array)) {
		*why = "the records are neither an object nor an array";
		return DS_EINVAL;
	}
	n = json_object_array_length(set);
	for (i = 0; i < n; i++) {
		rec = json_object_array_get_idx(set, i);
		if (!json_object_is_type(rec, json_type_object)) {
			*why = "a record in the array is not an object";
			return DS_EINVAL;
		}
		*removed += record_narrow(rec, keep, nkeep);
	}
	return DS_OK;
}

int
narrow_json(struct arena *a, const char *text, size_t len,
    const char *pointer, const char *const *keep, size_t nkeep,
    char **out, size_t *outlen, long long *nremoved, const char **why)
{
	json_object *root, *set = NULL;
	const char *s;
	char err[160];
	long long removed = 0;
	size_t n = 0;
	int st;

	*out = NULL;
	if (outlen != NULL)
		*outlen = 0;
	if (nremoved != NULL)
		*nremoved = 0;
	/* err says which byte is wrong; *why must be static text. */
	if ((root = json_parse_strict(text, len, err, sizeof(err))) == NULL) {
		*why = "the document is not strict JSON";
		return DS_EINVAL;
	}
	if ((st = numbers_keep(root, text, len, why)) != DS_OK ||
	    (st = pointer_find(a, root, pointer, &set, why)) != DS_OK ||
	    (st = records_narrow(set, keep, nkeep, &removed, why)) != DS_OK) {
		json_object_put(root);
		return st;
	}
	s = json_object_to_json_string_length(root, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE, &n);
	if (s == NULL) {
		json_object_put(root);
		log_warnx(__func__, "json-c could not write the document");
		*why = "out of memory";
		return DS_ERR;
	}
	*out = arena_strndup(a, s, n);
	json_object_put(root);
	if (outlen != NULL)
		*outlen = n;
	if (nremoved != NULL)
		*nremoved = removed;
	return DS_OK;
}
