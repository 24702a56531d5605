/* test_ids.c - random client ids and clientTokens. */
#include <errno.h>
#include <stdbool.h>

#include "check.h"
#include "ids.h"

static bool
all_lower_alnum(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9')))
			return false;
	return true;
}

static void
test_random_chars(void)
{
	char a[IDS_RANDOM_MAX + 2], b[IDS_RANDOM_MAX + 2];

	memset(a, 'X', sizeof(a));
	CHECK(ids_random_chars(a, 5) == 0 && strlen(a) == 5 &&
	    all_lower_alnum(a, 5), "5 random characters of [a-z0-9], "
	    "NUL-terminated");
	CHECK(ids_random_chars(a, 0) == 0 && a[0] == '\0',
	    "zero characters is the empty string");
	CHECK(ids_random_chars(a, IDS_RANDOM_MAX) == 0 &&
	    strlen(a) == IDS_RANDOM_MAX && all_lower_alnum(a, IDS_RANDOM_MAX),
	    "the most characters at once: %d", IDS_RANDOM_MAX);
	memset(b, 'X', sizeof(b));
	errno = 0;
	CHECK(ids_random_chars(b, IDS_RANDOM_MAX + 1) == -1 &&
	    errno == EINVAL && b[0] == 'X',
	    "more than %d is refused and the buffer left alone",
	    IDS_RANDOM_MAX);
	ids_random_chars(b, IDS_RANDOM_MAX);
	CHECK(strcmp(a, b) != 0, "two draws of 64 differ");
}

static void
test_client_id(void)
{
	char *a = ids_client_id("shadowctl-");
	char *b = ids_client_id("shadowctl-");
	char *c = ids_client_id(NULL);

	CHECK(a != NULL && strlen(a) == 10 + IDS_CLIENT_ID_RANDOM &&
	    strncmp(a, "shadowctl-", 10) == 0 &&
	    all_lower_alnum(a + 10, IDS_CLIENT_ID_RANDOM),
	    "a random client id is the prefix and 12 of [a-z0-9]");
	CHECK(a != NULL && b != NULL && strcmp(a, b) != 0,
	    "two random client ids differ");
	CHECK(c != NULL && strlen(c) == IDS_CLIENT_ID_RANDOM &&
	    all_lower_alnum(c, IDS_CLIENT_ID_RANDOM),
	    "no prefix: 12 random characters only");
	free(a);
	free(b);
	free(c);
}

static void
test_token(void)
{
	char a[IDS_TOKEN_LEN + 1], b[IDS_TOKEN_LEN + 1];

	ids_token(a);
	ids_token(b);
	CHECK(strlen(a) == IDS_TOKEN_LEN && all_lower_alnum(a, IDS_TOKEN_LEN),
	    "a clientToken is 24 of [a-z0-9]");
	CHECK(strcmp(a, b) != 0, "two clientTokens differ");
}

int
main(void)
{
	test_random_chars();
	test_client_id();
	test_token();
	CHECK_DONE();
}
