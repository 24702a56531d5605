#include "buf.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define BUF_FIRST 256             /* the first allocation, at least */

/* Room for need bytes (the NUL counted); -1 when out of memory. */
static int
buf_grow(struct buf *b, size_t need)
{
	size_t cap;
	char *grown;

	if (need <= b->cap)
		return 0;
	cap = b->cap != 0 ? b->cap : BUF_FIRST;
	while (cap < need)
		cap = cap <= SIZE_MAX / 2 ? cap * 2 : need;
	/* Never more than a full buffer needs: len <= max, and its NUL. */
	if (b->max != 0 && cap - 1 > b->max)
		cap = b->max + 1;
	if ((grown = realloc(b->data, cap)) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	b->data = grown;
	b->cap = cap;
	return 0;
}

void
buf_append(struct buf *b, const void *p, size_t n)
{
	if (b->failed)
		return;
	if (b->max != 0 && n > b->max - b->len) {
		b->failed = b->too_big = true;
		return;
	}
	if (n > SIZE_MAX - 1 - b->len) {
		errno = ENOMEM;
		b->failed = true;
		return;
	}
	if (buf_grow(b, b->len + n + 1) == -1) {
		b->failed = true;
		return;
	}
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
buf_append_str(struct buf *b, const char *s)
{
	buf_append(b, s, strlen(s));
}

void
buf_append_char(struct buf *b, char c)
{
	buf_append(b, &c, 1);
}

int
buf_read(struct buf *b, FILE *f, size_t stop)
{
	char chunk[4096];
	size_t n;

	while ((stop == 0 || b->len <= stop) && !b->failed &&
	    (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(b, chunk, n);
	if (b->failed) {
		if (b->too_big)
			errno = EFBIG;
		return -1;
	}
	return ferror(f) ? -1 : 0;
}

char *
buf_finish(struct buf *b, size_t *lenp)
{
	char *s;
	size_t len = b->len;

	if (b->failed) {
		buf_free(b);
		return NULL;
	}
	if ((s = b->data) == NULL && (s = calloc(1, 1)) == NULL)
		return NULL;
	b->data = NULL;
	buf_free(b);
	if (lenp != NULL)
		*lenp = len;
	return s;
}

void
buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
	b->failed = b->too_big = false;
}
