/*
 * Fuzzes encoding.c's base64url (RFC 4648 section 5, no padding), which reads
 * every token's header and signature and every paging cursor.
 *
 * Properties:
 * - b64url_decode accepts exactly the canonical spellings: characters of
 *   the URL-safe alphabet only, a length that is not 1 mod 4, and unused
 *   trailing bits at zero (a token or a cursor has one spelling);
 * - what it decodes, b64url_encode spells back as the input, and the
 *   decoded bytes are NUL-terminated as ds.h says;
 * - any bytes encode to text that decodes back to them;
 * - the input is not NUL-terminated here: nothing reads past it.
 */
#include "fuzz.h"

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static struct arena *arena;

static bool
ref_canonical(const char *s, size_t n)
{
	const char *last;
	int v;

	if (n % 4 == 1)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '\0' || strchr(alphabet, s[i]) == NULL)
			return false;
	if (n % 4 == 0)
		return true;
	/* 2 chars carry 1 byte (4 spare bits), 3 carry 2 (2 spare bits). */
	last = strchr(alphabet, s[n - 1]);
	v = (int)(last - alphabet);
	return (v & (n % 4 == 2 ? 0x0f : 0x03)) == 0;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	arena = arena_new();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_copy(data, size, false), *enc;
	unsigned char *dec = NULL, *back = NULL;
	long n, m;

	n = b64url_decode(arena, text, size, &dec);
	FUZZ_CHECK((n >= 0) == ref_canonical(text, size), "decode %ld, the "
	    "reference says %s", n, ref_canonical(text, size) ?
	    "canonical" : "not");
	if (n >= 0) {
		FUZZ_CHECK((size_t)n == size / 4 * 3 + (size % 4 ? size % 4 - 1 :
		    0), "decoded %ld bytes from %zu characters", n, size);
		FUZZ_CHECK(dec[n] == '\0', "not NUL-terminated");
		enc = b64url_encode(arena, dec, (size_t)n);
		FUZZ_CHECK(strlen(enc) == size && memcmp(enc, text, size) == 0,
		    "decode then encode changed the text");
	}
	/* The raw bytes as data to encode. */
	enc = b64url_encode(arena, data, size);
	FUZZ_CHECK(strlen(enc) == (size * 4 + 2) / 3, "encoded length %zu",
	    strlen(enc));
	m = b64url_decode(arena, enc, strlen(enc), &back);
	FUZZ_CHECK(m == (long)size && (size == 0 || memcmp(back, data,
	    size) == 0), "encode then decode changed the bytes");
	free(text);
	arena_reset(arena);
	return 0;
}
