/*
 * A word folded as the index's collation (utf8mb4_uca1400_ai_ci) folds
 * it: case, and the Vietnamese diacritics, đ included, so that "dat dai"
 * and "đất đai" are one word. Here only to know a word by its folded
 * spelling, in memory: the shared word estimates (search_estimates.c).
 */
#include <stdint.h>

#include "ds.h"
#include "catalog.h"
#include "search_index.h"

/* The base letter of a Latin letter with diacritics, as the index's
 * collation folds it (đ included), '\0' for a combining mark, or the code
 * point itself when it has no base here. */
static unsigned long
fold_letter(unsigned long c)
{
	static const char latin1[] =	/* U+00C0..U+00FF */
	    "aaaaaaaceeeeiiiidnooooo\0ouuuuyts"
	    "aaaaaaaceeeeiiiidnooooo\0ouuuuyty";
	static const struct { unsigned long from, to; char base; } runs[] = {
		{ 0x0102, 0x0103, 'a' }, { 0x0110, 0x0111, 'd' },
		{ 0x0128, 0x0129, 'i' }, { 0x0168, 0x0169, 'u' },
		{ 0x01a0, 0x01a1, 'o' }, { 0x01af, 0x01b0, 'u' },
		{ 0x1ea0, 0x1eb7, 'a' }, { 0x1eb8, 0x1ec7, 'e' },
		{ 0x1ec8, 0x1ecb, 'i' }, { 0x1ecc, 0x1ee3, 'o' },
		{ 0x1ee4, 0x1ef1, 'u' }, { 0x1ef2, 0x1ef9, 'y' },
	};

	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 'a';
	if (c >= 0x0300 && c <= 0x036f)
		return 0;
	if (c >= 0xc0 && c <= 0xff && latin1[c - 0xc0] != '\0')
		return (unsigned char)latin1[c - 0xc0];
	for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++)
		if (c >= runs[i].from && c <= runs[i].to)
			return (unsigned char)runs[i].base;
	return c;
}

/* FNV-1a (64 bits) of the word's folded code points. */
uint64_t
folded_hash(const struct word *w)
{
	const unsigned char *p = (const unsigned char *)w->s;
	uint64_t h = 14695981039346656037u;
	unsigned long c;
	size_t i = 0, k;

	while (i < w->len) {
		if ((k = utf8_decode(p + i, w->len - i, &c)) == 0) {
			c = p[i];	/* not UTF-8: the byte, as it is */
			k = 1;
		}
		i += k;
		if ((c = fold_letter(c)) == 0)
			continue;
		for (int b = 0; b < 4; b++, c >>= 8)
			h = (h ^ (c & 0xff)) * 1099511628211u;
	}
	return h;
}
