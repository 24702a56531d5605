/* Unit tests for common/buf.c: growth, the limit, the failed flag that
 * sticks, NUL termination and handing the result over. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "check.h"

static void
test_growth(void)
{
	struct buf b = { 0 };
	char big[5000];
	size_t cap;

	buf_append(&b, "abc", 3);
	CHECK(!b.failed && b.len == 3 && b.cap >= 4, "a first append allocates");
	CHECK_STR(b.data, "abc", "the bytes are there, NUL-terminated");
	cap = b.cap;
	memset(big, 'x', sizeof(big));
	buf_append(&b, big, sizeof(big));
	CHECK(!b.failed && b.len == 5003 && b.cap > cap && b.cap >= 5004,
	    "an append larger than the room grows it in one step");
	CHECK(memcmp(b.data, "abcxxx", 6) == 0 && b.data[5002] == 'x' &&
	    b.data[5003] == '\0', "growing keeps what was there");
	buf_free(&b);
}

static void
test_many(void)
{
	struct buf b = { 0 };
	size_t i;
	int same = 1;

	for (i = 0; i < 100000; i++)
		buf_append_char(&b, (char)('a' + i % 26));
	CHECK(!b.failed && b.len == 100000, "100000 one-byte appends");
	for (i = 0; i < b.len; i++)
		if (b.data[i] != (char)('a' + i % 26))
			same = 0;
	CHECK(same && b.data[b.len] == '\0', "every byte in its place, then a NUL");
	CHECK(b.cap < 4 * b.len, "the room doubles, it does not grow by a byte");
	buf_free(&b);
	buf_append_str(&b, "one ");
	buf_append_str(&b, "two");
	buf_append_char(&b, '!');
	CHECK_STR(b.data, "one two!", "strings and characters mix");
	buf_free(&b);
}

static void
test_limit(void)
{
	struct buf b = { .max = 8 };
	char *s;
	size_t n = 99;

	buf_append(&b, "12345", 5);
	buf_append(&b, "678", 3);
	CHECK(!b.failed && !b.too_big && b.len == 8,
	    "appends that reach the limit exactly are kept");
	CHECK(b.cap <= 9, "no more room than the limit needs");
	buf_append(&b, "", 0);
	CHECK(!b.failed, "an empty append at the limit is no failure");
	buf_append(&b, "9", 1);
	CHECK(b.failed && b.too_big, "one byte past the limit fails, as too big");
	CHECK(b.len == 8 && strcmp(b.data, "12345678") == 0,
	    "a refused append leaves what was there");
	CHECK((s = buf_finish(&b, &n)) == NULL && n == 99,
	    "finish after a failure gives NULL, no length");
	CHECK(b.data == NULL && b.len == 0 && !b.failed && !b.too_big &&
	    b.max == 8, "and empties the buffer, its limit kept");

	buf_append(&b, "123456789", 9);
	CHECK(b.failed && b.too_big && b.data == NULL,
	    "a first append over the limit fails without allocating");
	buf_free(&b);
	buf_append(&b, "ok", 2);
	CHECK(!b.failed && b.max == 8 && strcmp(b.data, "ok") == 0,
	    "buf_free clears the failure: the buffer is usable again");
	buf_free(&b);

	b = (struct buf){ .max = SIZE_MAX };
	buf_append(&b, "x", 1);
	CHECK(!b.failed && b.cap >= 2, "a limit of SIZE_MAX does not overflow");
	buf_free(&b);
}

static void
test_sticks(void)
{
	struct buf b = { 0 };

	buf_append(&b, "a", 1);
	b.failed = true;        /* as a caller's own failure would */
	buf_append(&b, "b", 1);
	buf_append_str(&b, "cd");
	buf_append_char(&b, 'e');
	CHECK(b.failed && !b.too_big && b.len == 1,
	    "after a failure appends do nothing");
	CHECK(buf_finish(&b, NULL) == NULL, "and finish gives NULL");

	errno = 0;
	buf_append(&b, "a", 1);
	buf_append(&b, "b", SIZE_MAX);
	CHECK(b.failed && !b.too_big && errno == ENOMEM && b.len == 1,
	    "a length that would overflow is out of memory, not a crash");
	buf_append(&b, "c", 1);
	CHECK(b.len == 1 && strcmp(b.data, "a") == 0, "and it sticks");
	buf_free(&b);
}

static void
test_finish(void)
{
	struct buf b = { 0 };
	char *s;
	size_t n = 99;

	CHECK((s = buf_finish(&b, &n)) != NULL && s[0] == '\0' && n == 0,
	    "finishing an empty buffer gives an empty string");
	free(s);
	buf_append(&b, "", 0);
	CHECK(!b.failed && b.len == 0 && b.data != NULL && b.data[0] == '\0',
	    "a zero-length append still leaves a NUL-terminated string");
	buf_append(&b, NULL, 0);
	CHECK(!b.failed && b.len == 0, "a zero-length append of NULL is fine");
	buf_append(&b, "a\0b", 3);
	CHECK((s = buf_finish(&b, &n)) != NULL && n == 3 &&
	    memcmp(s, "a\0b", 4) == 0, "the length counts bytes after a NUL");
	CHECK(b.data == NULL && b.len == 0 && b.cap == 0,
	    "the result is handed over: the buffer is empty");
	free(s);
	buf_append_str(&b, "again");
	CHECK((s = buf_finish(&b, NULL)) != NULL && strcmp(s, "again") == 0,
	    "a finished buffer can be used again");
	free(s);
}

static void
test_free_empty(void)
{
	struct buf b = { 0 };

	buf_free(&b);
	buf_free(&b);
	CHECK(b.data == NULL && b.len == 0 && b.cap == 0 && !b.failed,
	    "freeing an empty buffer, twice, is fine");
}

/* A FILE holding n bytes of 'x'. */
static FILE *
file_of(size_t n)
{
	FILE *f = tmpfile();

	if (f == NULL) {
		perror("tmpfile");
		exit(99);
	}
	for (size_t i = 0; i < n; i++)
		fputc('x', f);
	rewind(f);
	return f;
}

static void
test_read(void)
{
	struct buf b = { 0 };
	FILE *f;
	int rc;

	f = file_of(10000);
	rc = buf_read(&b, f, 0);
	CHECK(rc == 0 && b.len == 10000 && b.data[10000] == '\0' &&
	    b.data[9999] == 'x', "a file is read to its end, NUL-terminated");
	fclose(f);
	buf_free(&b);

	f = file_of(0);
	rc = buf_read(&b, f, 0);
	CHECK(rc == 0 && b.len == 0, "an empty file reads as nothing");
	fclose(f);
	buf_free(&b);

	f = file_of(100);
	rc = buf_read(&b, f, 100);
	CHECK(rc == 0 && b.len == 100, "a file of exactly the stop is read whole");
	fclose(f);
	buf_free(&b);

	f = file_of(20000);
	rc = buf_read(&b, f, 100);
	CHECK(rc == 0 && b.len > 100 && b.len < 20000 && !feof(f),
	    "past the stop reading ends, the length over it, the rest unread");
	fclose(f);
	buf_free(&b);

	b.max = 50;
	f = file_of(100);
	errno = 0;
	rc = buf_read(&b, f, 0);
	CHECK(rc == -1 && b.failed && b.too_big && errno == EFBIG,
	    "past the buffer's max: -1, too_big, EFBIG");
	fclose(f);
	buf_free(&b);
	b.max = 0;

	f = fopen(".", "r");
	errno = 0;
	rc = f != NULL ? buf_read(&b, f, 0) : -2;
	CHECK(rc == -1 && errno == EISDIR && !b.failed,
	    "a read error (a directory): -1 with its errno");
	if (f != NULL)
		fclose(f);
	buf_free(&b);
}

int
main(void)
{
	test_growth();
	test_many();
	test_limit();
	test_sticks();
	test_finish();
	test_free_empty();
	test_read();
	CHECK_DONE();
}
