/*
 * search_index.c: the words a search document or query is split into.
 * Documents and queries share the splitter, so what one writes the other
 * finds; the index's collation does the folding, not the splitter.
 */
#include <stdio.h>

#include "unit.h"
#include "search_index.h"

/* The words of text joined by '|', at most max of them. */
static const char *
split(const char *text, size_t max, size_t *count)
{
	static char out[4096];
	struct word w[32];
	size_t n = search_words(text, strlen(text), w, max), o = 0;

	assert_true(max <= 32);
	*count = n;
	out[0] = '\0';
	for (size_t i = 0; i < n && i < max; i++) {
		o += (size_t)snprintf(out + o, sizeof(out) - o, "%s%.*s",
		    i ? "|" : "", (int)w[i].len, w[i].s);
	}
	return out;
}

static void
test_vietnamese_words_split_on_spaces_and_punctuation(void **state)
{
	size_t n;

	(void)state;
	assert_string_equal(split("Cơ sở dữ liệu đất đai", 32, &n),
	    "Cơ|sở|dữ|liệu|đất|đai");
	assert_int_equal(n, 6);
	assert_string_equal(split("Thu hồi đất, giao đất; cho-thuê", 32, &n),
	    "Thu|hồi|đất|giao|đất|cho|thuê");
	assert_string_equal(split("ho_ten ngay_sinh 2024", 32, &n),
	    "ho_ten|ngay_sinh|2024");
}

static void
test_boolean_operators_and_symbols_are_separators(void **state)
{
	size_t n;

	(void)state;
	assert_string_equal(split("\"bảng\" -giá +(đất*) ~<>@", 32, &n),
	    "bảng|giá|đất");
	assert_string_equal(split("a\xc3\x97" "b \xe2\x80\x94 c\xe3\x80\x82", 32,
	    &n), "a|b|c");
	assert_string_equal(split("***", 32, &n), "");
	assert_int_equal(n, 0);
}

static void
test_decomposed_marks_stay_inside_the_word(void **state)
{
	size_t n;

	(void)state;
	/* "đất" written with a combining acute (U+0301) after "â". */
	assert_string_equal(split("\xc4\x91\xc3\xa2\xcc\x81t dai", 32, &n),
	    "\xc4\x91\xc3\xa2\xcc\x81t|dai");
	assert_int_equal(n, 2);
}

static void
test_long_words_are_cut_to_the_column(void **state)
{
	char text[300];
	struct word w[2];
	size_t n;

	(void)state;
	memset(text, 'a', 200);
	strcpy(text + 200, " ngắn");
	n = search_words(text, strlen(text), w, 2);
	assert_int_equal(n, 2);
	assert_int_equal(w[0].len, TERM_MAX_CHARS);
	assert_int_equal(w[1].len, strlen("ngắn"));
	/* Characters, not bytes: 70 "đ" are 64 characters, 128 bytes. */
	text[0] = '\0';
	for (int i = 0; i < 70; i++)
		strcat(text, "\xc4\x91");
	n = search_words(text, strlen(text), w, 2);
	assert_int_equal(n, 1);
	assert_int_equal(w[0].len, 2 * TERM_MAX_CHARS);
}

static void
test_more_words_than_room_are_counted_not_written(void **state)
{
	size_t n;

	(void)state;
	assert_string_equal(split("một hai ba bốn năm", 3, &n), "một|hai|ba");
	assert_int_equal(n, 5);
}

static void
test_bytes_that_are_not_utf8_separate_words(void **state)
{
	size_t n;

	(void)state;
	/* The first byte of "đ" without its second: no read past the end. */
	assert_string_equal(split("dat \xc4", 32, &n), "dat");
	assert_int_equal(n, 1);
	assert_string_equal(split("a\xff" "b \xc0\xaf" "c", 32, &n), "a|b|c");
	assert_int_equal(n, 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vietnamese_words_split_on_spaces_and_punctuation),
		cmocka_unit_test(test_boolean_operators_and_symbols_are_separators),
		cmocka_unit_test(test_decomposed_marks_stay_inside_the_word),
		cmocka_unit_test(test_long_words_are_cut_to_the_column),
		cmocka_unit_test(test_more_words_than_room_are_counted_not_written),
		cmocka_unit_test(test_bytes_that_are_not_utf8_separate_words),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
