/*
 * statefile.h - the device's own state across restarts (--state-dir DIR,
 * CLI.md "shadowdev driving real hardware"): a JSON object in
 * DIR/<thing>.json (DIR/<thing>~<shadow>.json for a named shadow),
 * replaced atomically so that a crash at any moment leaves the old file or
 * the new one, never a torn one.
 *
 * Offers:
 *   statefile_path    the file of a thing (and shadow) in DIR (malloc'd)
 *   statefile_dir     create DIR (mode 0700) and its parents when missing
 *   statefile_parse   text to a JSON object (json_read, json.h); anything
 *                     else is an error
 *   statefile_read    the file's object, or *state NULL when there is no
 *                     file; errors name the file
 *   statefile_write   write FILE.tmp, fsync, rename over FILE, fsync DIR
 */
#ifndef SHADOWDEV_STATEFILE_H
#define SHADOWDEV_STATEFILE_H

#include <stddef.h>
#include <json-c/json.h>

/* A state file larger than this is not one of ours. */
#define STATEFILE_MAX (1024 * 1024)

char *statefile_path(const char *dir, const char *thing, const char *shadow);
int statefile_dir(const char *dir, char *err, size_t errlen);
int statefile_parse(const char *text, size_t len, json_object **state,
    char *err, size_t errlen);
int statefile_read(const char *path, json_object **state, char *err,
    size_t errlen);
int statefile_write(const char *path, json_object *state, char *err,
    size_t errlen);

#endif
