#include "ids.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>

int
ids_random_chars(char *buf, size_t n)
{
	static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char bytes[IDS_RANDOM_MAX];
	size_t i;

	if (n > sizeof(bytes)) {
		errno = EINVAL;
		return -1;
	}
	if (getrandom(bytes, n, 0) != (ssize_t)n)
		return -1;
	for (i = 0; i < n; i++)
		buf[i] = alphabet[bytes[i] % (sizeof(alphabet) - 1)];
	buf[n] = '\0';
	return 0;
}

char *
ids_client_id(const char *prefix)
{
	char *id;
	size_t n;

	if (prefix == NULL)
		prefix = "";
	n = strlen(prefix);
	if ((id = malloc(n + IDS_CLIENT_ID_RANDOM + 1)) == NULL)
		return NULL;
	memcpy(id, prefix, n);
	if (ids_random_chars(id + n, IDS_CLIENT_ID_RANDOM) == -1) {
		free(id);
		return NULL;
	}
	return id;
}

void
ids_token(char token[IDS_TOKEN_LEN + 1])
{
	struct timespec ts;

	if (ids_random_chars(token, IDS_TOKEN_LEN) == 0)
		return;
	/* getrandom does not fail for 24 bytes; stay unique anyway. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(token, IDS_TOKEN_LEN + 1, "t%ld-%lld-%ld", (long)getpid(),
	    (long long)ts.tv_sec, ts.tv_nsec);
}
