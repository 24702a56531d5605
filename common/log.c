#include "log.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *log_prog = "shadow";
static int log_level;

void
log_init(const char *progname, int verbosity)
{
	log_prog = progname;
	log_level = verbosity;
}

const char *
log_progname(void)
{
	return log_prog;
}

int
log_verbosity(void)
{
	return log_level;
}

static void log_vline(int, const char *, va_list)
    __attribute__((format(printf, 2, 0)));

/* Control characters (a clientToken, a topic or a URL can carry them) are
 * written as \n, \r, \t or \xNN, so that every message is one line and a
 * request cannot forge a line of its own or send a terminal escape. */
static void
log_put_line(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch >= 0x20 && ch != 0x7f)
			fputc(ch, stderr);
		else if (ch == '\n')
			fputs("\\n", stderr);
		else if (ch == '\r')
			fputs("\\r", stderr);
		else if (ch == '\t')
			fputs("\\t", stderr);
		else
			fprintf(stderr, "\\x%02x", ch);
	}
}

static void
log_vline(int min_level, const char *fmt, va_list ap)
{
	char line[1024], *big = NULL;
	const char *text = line;
	va_list again;
	int n;

	if (log_level < min_level)
		return;
	va_copy(again, ap);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n < 0) {
		n = snprintf(line, sizeof(line), "(a message that could not "
		    "be formatted: %s)", fmt);
		if (n < 0)
			n = 0;
		else if ((size_t)n >= sizeof(line))
			n = sizeof(line) - 1;
	} else if ((size_t)n >= sizeof(line)) {
		big = malloc((size_t)n + 1);
		if (big != NULL && vsnprintf(big, (size_t)n + 1, fmt, again) == n)
			text = big;
		else
			n = sizeof(line) - 1;   /* out of memory: cut short */
	}
	va_end(again);
	fprintf(stderr, "%s: ", log_prog);
	log_put_line(text, (size_t)n);
	fputc('\n', stderr);
	fflush(stderr);
	free(big);
}

#define LOG_FN(name, level)                                 \
	void name(const char *fmt, ...)                     \
	{                                                   \
		va_list ap;                                 \
		va_start(ap, fmt);                          \
		log_vline(level, fmt, ap);                  \
		va_end(ap);                                 \
	}

LOG_FN(log_error, -100)
LOG_FN(log_warn, 0)
LOG_FN(log_info, 0)
LOG_FN(log_debug, 1)

void
log_iso_time(char buf[LOG_ISO_TIME_LEN])
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(buf, LOG_ISO_TIME_LEN, "%Y-%m-%dT%H:%M:%S", &tm);

	snprintf(buf + n, LOG_ISO_TIME_LEN - n, ".%03dZ",
	    (int)(ts.tv_nsec / 1000000));
}

int
log_json_line(FILE *out, json_object *obj)
{
	const char *s = json_object_to_json_string_ext(obj,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);

	if (s == NULL)
		return -1;
	if (fputs(s, out) == EOF || fputc('\n', out) == EOF)
		return -1;
	return fflush(out) == 0 ? 0 : -1;
}

bool
log_color(FILE *stream)
{
	const char *nc = getenv("NO_COLOR");

	if (nc != NULL && nc[0] != '\0')
		return false;
	return isatty(fileno(stream)) == 1;
}
