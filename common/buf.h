/*
 * buf.h - a growable byte buffer: bytes appended piece by piece, one
 * NUL-terminated result. The one home of "append with a doubling
 * realloc": HTTP bodies (httpc's answers, shadowd's requests), SigV4's
 * canonical request, shadowctl's update document from a file or stdin.
 *
 * A zeroed struct buf is an empty buffer without a limit; set max for one
 * (len never passes it). A failed append (out of memory, or past max)
 * sets failed, which sticks: later appends do nothing, so a caller checks
 * once, at the end. too_big tells the limit from memory (errno is ENOMEM
 * after an allocation failure). A caller may set failed itself to make a
 * failure of its own stick the same way. After any append that did not
 * fail, data is NUL-terminated (the NUL is not counted in len).
 *
 * Offers:
 *   buf_append       n bytes
 *   buf_append_str   a string, without its NUL
 *   buf_append_char  one byte
 *   buf_read         what a FILE holds, to its end or past a stop: the
 *                    one home of "read a whole file" (update documents,
 *                    state files, PEM files)
 *   buf_finish       the result, malloc'd, handed to the caller ("" when
 *                    nothing was appended); NULL after a failure
 *   buf_free         free the bytes; the buffer is empty again
 */
#ifndef SHADOW_BUF_H
#define SHADOW_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct buf {
	char *data;            /* NULL until the first append */
	size_t len;            /* bytes appended */
	size_t cap;            /* bytes allocated */
	size_t max;            /* the most len may reach; 0: no limit */
	bool failed;           /* an append failed: sticks until emptied */
	bool too_big;          /* it failed because it would pass max */
};

void buf_append(struct buf *b, const void *p, size_t n);
void buf_append_str(struct buf *b, const char *s);
void buf_append_char(struct buf *b, char c);
/* Appends what f holds, to its end or until len passes stop (0: no
 * stop). Stopped, len is over stop and the rest of f is left unread, so
 * a caller tells "too large" from the length. 0 when done; -1 with errno
 * on a read error or a failed append (b->failed; EFBIG past b->max). */
int buf_read(struct buf *b, FILE *f, size_t stop);
/* The bytes and their length (lenp may be NULL); b is empty again, its
 * max kept. NULL, with the bytes freed, when an append failed or the
 * empty result could not be allocated. */
char *buf_finish(struct buf *b, size_t *lenp);
/* Frees the bytes and empties b (flags cleared, max kept). */
void buf_free(struct buf *b);

#endif
