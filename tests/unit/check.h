/*
 * check.h - a minimal TAP harness for the C unit tests.
 *
 *   CHECK(cond, "what the user would call it")   one TAP line per check
 *   CHECK_STR(got, want, name)                   string equality
 *   CHECK_DONE()                                 plan line; exit status
 *   check_capture_begin / check_capture_end      what a call writes to
 *                                                stderr, into a buffer
 */
#ifndef SHADOW_CHECK_H
#define SHADOW_CHECK_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int check_n, check_failed;

#define CHECK(cond, ...)                                                   \
	do {                                                               \
		int ok_ = (cond) ? 1 : 0;                                  \
		check_n++;                                                 \
		if (!ok_)                                                  \
			check_failed++;                                    \
		printf("%s %d - ", ok_ ? "ok" : "not ok", check_n);        \
		printf(__VA_ARGS__);                                       \
		printf("\n");                                              \
		if (!ok_)                                                  \
			printf("#   at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
	} while (0)

#define CHECK_STR(got, want, ...)                                          \
	do {                                                               \
		const char *g_ = (got), *w_ = (want);                      \
		int eq_ = (g_ == NULL && w_ == NULL) ||                    \
		    (g_ != NULL && w_ != NULL && strcmp(g_, w_) == 0);     \
		CHECK(eq_, __VA_ARGS__);                                   \
		if (!eq_)                                                  \
			printf("#   got:  %s\n#   want: %s\n",             \
			    g_ ? g_ : "(null)", w_ ? w_ : "(null)");       \
	} while (0)

struct check_capture {
	int saved, fd;
};

/* Send stderr to the file at path (created or truncated) until _end. */
static inline void
check_capture_begin(struct check_capture *c, const char *path)
{
	fflush(stderr);
	c->saved = dup(2);
	c->fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (c->saved == -1 || c->fd == -1 || dup2(c->fd, 2) == -1) {
		perror("capture stderr");
		exit(99);
	}
}

/* Restore stderr; buf gets what was written, NUL-terminated. */
static inline void
check_capture_end(struct check_capture *c, char *buf, size_t size)
{
	ssize_t n;

	fflush(stderr);
	dup2(c->saved, 2);
	close(c->saved);
	lseek(c->fd, 0, SEEK_SET);
	n = read(c->fd, buf, size - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(c->fd);
}

#define CHECK_DONE()                                                       \
	do {                                                               \
		printf("1..%d\n", check_n);                                \
		return check_failed == 0 ? 0 : 1;                          \
	} while (0)

#endif
