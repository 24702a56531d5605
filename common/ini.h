/*
 * ini.h - INI files, read with libinih: our config file (shadow.conf(5)),
 * ~/.aws/credentials and ~/.aws/config. One reader for all three.
 *
 * Every error names the file and the line ("FILE:LINE: what is wrong").
 *
 * Offers:
 *   ini_read_file    call fn for every key = value line, with its section
 *                    and line number
 */
#ifndef SHADOW_INI_H
#define SHADOW_INI_H

#include <stddef.h>

/* Return 0 to go on; -1 to stop, with err filled (the caller's words; the
 * reader prefixes FILE:LINE). */
typedef int (*ini_entry_fn)(void *ud, const char *section, const char *key,
    const char *value, unsigned line, char *err, size_t errlen);

enum ini_status {
	INI_OK = 0,
	INI_ERR_OPEN,      /* cannot open or read the file (err says why) */
	INI_ERR_SYNTAX,    /* a line that is no section, key = value or comment */
	INI_ERR_ENTRY,     /* fn refused an entry */
	INI_ERR_NOMEM
};

enum ini_status ini_read_file(const char *path, ini_entry_fn fn, void *ud,
    char *err, size_t errlen);

#endif
