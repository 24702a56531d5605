/*
 * ini.h - INI files, read with libinih: our config file (shadow.conf(5)),
 * ~/.aws/credentials and ~/.aws/config. One reader for all three.
 *
 * The dialect is Python configparser's as the AWS CLI reads it: "key = value"
 * or "key: value" (spaces around key and value trimmed), "[section]" (name
 * trimmed, any length), whole-line comments starting with '#' or ';', no
 * inline comments (a caller that wants them cuts them from the value), no
 * continuation lines: an indented line is a line like any other.
 *
 * Every error names the file and the line ("FILE:LINE: what is wrong").
 * Not thread-safe: libinih's settings are process-wide (Debian's build).
 *
 * Offers:
 *   ini_read_file    call fn for every section header and every
 *                    key = value line, with its section and line number
 */
#ifndef SHADOW_INI_H
#define SHADOW_INI_H

#include <stddef.h>

/* Lines longer than this (in bytes, without the newline) are an error. */
#define INI_LINE_MAX 70000

/* section is NULL before the first [section]. At a section header fn is
 * called once with key and value NULL (so an empty section is seen too).
 * Return 0 to go on; -1 to stop, with err filled (the caller's words; the
 * reader prefixes FILE:LINE). */
typedef int (*ini_entry_fn)(void *ud, const char *section, const char *key,
    const char *value, unsigned line, char *err, size_t errlen);

enum ini_status {
	INI_OK = 0,
	INI_ERR_OPEN,      /* cannot open or read the file (err says why;
	                      errno is kept, e.g. ENOENT) */
	INI_ERR_SYNTAX,    /* a line that is no section, key = value or comment */
	INI_ERR_ENTRY,     /* fn refused an entry */
	INI_ERR_NOMEM
};

enum ini_status ini_read_file(const char *path, ini_entry_fn fn, void *ud,
    char *err, size_t errlen);

#endif
