/*
 * log.h - diagnostics on stderr and JSON Lines output.
 *
 * Offers:
 *   log_init           program name and verbosity (-1 quiet .. 2 debug)
 *   log_error/warn/info/debug   "prog: message" lines on stderr;
 *                      warn/info are silenced by -q, debug needs -v;
 *                      control characters in a message are written as
 *                      \n \r \t \xNN, so a message is always one line
 *   log_verbosity      the level set by log_init
 *   log_iso_time       "2026-11-26T18:00:00.123Z" for now (UTC, ms)
 *   log_json_line      one compact JSON object + "\n" to a stream, flushed
 *   log_color          true when stream is a terminal and NO_COLOR is unset
 */
#ifndef SHADOW_LOG_H
#define SHADOW_LOG_H

#include <stdbool.h>
#include <stdio.h>
#include <json-c/json.h>

#define LOG_ISO_TIME_LEN 32

void log_init(const char *progname, int verbosity);
const char *log_progname(void);
int log_verbosity(void);

void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

void log_iso_time(char buf[LOG_ISO_TIME_LEN]);
int log_json_line(FILE *out, json_object *obj);
bool log_color(FILE *stream);

#endif
