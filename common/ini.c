#include "ini.h"

#include <inih.h>

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Passed to libinih both as its stream and as its handler's user data. */
struct reader {
	FILE *fp;
	const char *path;
	ini_entry_fn fn;
	void *ud;
	char *err;
	size_t errlen;
	char *line;           /* the current physical line, from getline */
	size_t cap, len, off; /* its size, length and what libinih has had */
	unsigned lineno;
	char *section;        /* as we read it: trimmed, any length */
	enum ini_status st;
};

static int reader_fail(struct reader *, enum ini_status, const char *, ...)
    __attribute__((format(printf, 3, 4)));

static int
reader_fail(struct reader *r, enum ini_status st, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(r->err, r->errlen, "%s:%u: %s", r->path, r->lineno, msg);
	r->st = st;
	return -1;
}

static const char *
skip_blank(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* The line without its end of line, for messages (at most 80 bytes). */
static int
quoted_len(const char *s)
{
	size_t n = strcspn(s, "\r\n");

	return n > 80 ? 80 : (int)n;
}

/*
 * A section header as configparser reads it: "[" name "]", the name
 * trimmed; after the "]" only blanks or a comment. fn hears of it here, so
 * that a section without keys is seen, whatever length its name has
 * (libinih keeps 50 bytes of a section name).
 */
static int
reader_section(struct reader *r, const char *s)
{
	const char *close = strchr(s, ']'), *rest, *name, *end;
	char *copy, msg[512];

	if (close == NULL || ((rest = skip_blank(close + 1)), *rest != '\0' &&
	    *rest != '\r' && *rest != '\n' && *rest != '#' && *rest != ';'))
		return reader_fail(r, INI_ERR_SYNTAX, "bad section header "
		    "'%.*s' (expected [name])", quoted_len(s), s);
	name = skip_blank(s + 1);
	for (end = close; end > name && (end[-1] == ' ' || end[-1] == '\t');)
		end--;
	if (end == name)
		return reader_fail(r, INI_ERR_SYNTAX, "empty section name");
	if ((copy = strndup(name, (size_t)(end - name))) == NULL)
		return reader_fail(r, INI_ERR_NOMEM, "out of memory");
	free(r->section);
	r->section = copy;
	msg[0] = '\0';
	if (r->fn(r->ud, r->section, NULL, NULL, r->lineno, msg,
	    sizeof(msg)) == -1)
		return reader_fail(r, INI_ERR_ENTRY, "%s", msg);
	return 0;
}

/* The next physical line, checked; -1 at the end or on an error. */
static int
reader_next_line(struct reader *r)
{
	ssize_t n;
	const char *s;

	errno = 0;
	if ((n = getline(&r->line, &r->cap, r->fp)) == -1) {
		if (ferror(r->fp))
			return reader_fail(r, INI_ERR_OPEN, "can't read: %s",
			    strerror(errno != 0 ? errno : EIO));
		return -1;
	}
	r->lineno++;
	r->len = (size_t)n;
	r->off = 0;
	if (strlen(r->line) != r->len)
		return reader_fail(r, INI_ERR_SYNTAX, "a NUL byte in the line");
	if (r->len > INI_LINE_MAX + 1 || (r->len == INI_LINE_MAX + 1 &&
	    r->line[r->len - 1] != '\n'))
		return reader_fail(r, INI_ERR_SYNTAX, "line longer than %d "
		    "bytes", INI_LINE_MAX);
	s = r->line;
	if (r->lineno == 1 && strncmp(s, "\xEF\xBB\xBF", 3) == 0)
		s += 3;
	s = skip_blank(s);
	if (*s == '[')
		return reader_section(r, s);
	return 0;
}

/* libinih's reader (fgets-like): hands out the current line, in pieces
 * as large as libinih's buffer, and counts lines as they start. */
static char *
reader_read(char *str, int num, void *stream)
{
	struct reader *r = stream;
	size_t n;

	if (r->st != INI_OK || num < 2)
		return NULL;
	if (r->off == r->len && reader_next_line(r) == -1)
		return NULL;
	n = r->len - r->off;
	if (n > (size_t)num - 1)
		n = (size_t)num - 1;
	memcpy(str, r->line + r->off, n);
	str[n] = '\0';
	r->off += n;
	return str;
}

static int
reader_entry(void *user, const char *section, const char *key,
    const char *value)
{
	struct reader *r = user;
	char msg[1024];

	(void)section;
	msg[0] = '\0';
	if (r->fn(r->ud, r->section, key, value, r->lineno, msg,
	    sizeof(msg)) == -1) {
		reader_fail(r, INI_ERR_ENTRY, "%s", msg);
		return 0;
	}
	return 1;
}

/* configparser's dialect (see ini.h); Debian's libinih takes these at run
 * time. The heap buffer grows up to a whole line, so no line is split. */
static void
inih_settings(void)
{
	ini_use_stack = false;
	ini_allow_realloc = true;
	ini_initial_alloc = 256;
	ini_max_line = INI_LINE_MAX + 3;
	ini_stop_on_first_error = true;
	ini_allow_multiline = false;
	ini_allow_inline_comments = false;
	ini_allow_no_value = false;
	ini_allow_bom = true;
}

enum ini_status
ini_read_file(const char *path, ini_entry_fn fn, void *ud, char *err,
    size_t errlen)
{
	struct reader r = { .path = path, .fn = fn, .ud = ud, .err = err,
	    .errlen = errlen, .st = INI_OK };
	int rc, saved;

	if ((r.fp = fopen(path, "r")) == NULL) {
		saved = errno;
		snprintf(err, errlen, "can't open %s: %s", path,
		    strerror(saved));
		errno = saved;
		return INI_ERR_OPEN;
	}
	inih_settings();
	rc = ini_parse_stream(reader_read, &r, reader_entry, &r);
	if (r.st == INI_OK && rc == -2)
		reader_fail(&r, INI_ERR_NOMEM, "out of memory");
	else if (r.st == INI_OK && rc != 0)
		reader_fail(&r, INI_ERR_SYNTAX, "expected 'key = value', "
		    "'[section]' or a comment, got '%.*s'",
		    quoted_len(skip_blank(r.line)), skip_blank(r.line));
	fclose(r.fp);
	free(r.line);
	free(r.section);
	return r.st;
}
