#include "config.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>


#include "ini.h"
#include "log.h"
#include "tls.h"
#include "topic.h"

enum opt_kind {
	K_BOOL,       /* bool; --no-X */
	K_TRISTATE,   /* int -1 auto, 0 off, 1 on; --no-X */
	K_STRING,
	K_NAME_THING,
	K_NAME_SHADOW,
	K_INT,        /* int within [min, max] */
	K_LONG,       /* long within [min, max] */
	K_INT64,      /* int64_t within [min, max] */
	K_DOUBLE,     /* finite double > min (or >= min with OPT_MIN_INCL) */
	K_LIST,       /* char ** + size_t count right after it */
	K_MQTT,
	K_VERBOSE,
	K_QUIET,
	K_PASSWORD,
	K_PASSWORD_FILE,
	K_HELP,
	K_VERSION
};

#define OPT_NOFILE   0x01    /* not a config file key */
#define OPT_MIN_INCL 0x02    /* K_DOUBLE: min itself is allowed */
#define OPT_GIVEN_ARGV 0x04  /* given_off records the command line only */

#define ALL  (PROG_SHADOWCTL | PROG_SHADOWDEV | PROG_SHADOWD)
#define CD   (PROG_SHADOWCTL | PROG_SHADOWDEV)
#define CTL  PROG_SHADOWCTL
#define DEV  PROG_SHADOWDEV
#define SD   PROG_SHADOWD

#define F(field) offsetof(struct shadow_config, field)
#define NONE ((size_t)-1)

struct option_def {
	const char *name;
	char letter;
	enum opt_kind kind;
	size_t off;
	size_t given_off;     /* bool set true when the option is given, or NONE */
	unsigned progs;
	const char *env;
	unsigned flags;
	double min, max;
	const char *what;     /* "a port number (1-65535)" */
};

#define PASSWORD_MAX 65535

/* Sorted by name: options_find uses bsearch. */
static const struct option_def options[] = {
	{ "all", 0, K_BOOL, F(all), NONE, CTL, NULL, OPT_NOFILE, 0, 0, NULL },
	{ "alpn", 0, K_STRING, F(alpn), NONE, ALL, NULL, 0, 0, 0, NULL },
	{ "aws-profile", 0, K_STRING, F(aws_profile), NONE, CTL, "AWS_PROFILE",
	    0, 0, 0, NULL },
	{ "ca", 0, K_STRING, F(ca), NONE, ALL, "SHADOW_CA", 0, 0, 0, NULL },
	{ "cert", 0, K_STRING, F(cert), NONE, ALL, "SHADOW_CERT", 0, 0, 0, NULL },
	{ "certs", 0, K_STRING, F(certs), NONE, ALL, "SHADOW_CERTS", 0, 0, 0,
	    NULL },
	{ "client-id", 'i', K_STRING, F(client_id), NONE, ALL,
	    "SHADOW_CLIENT_ID", 0, 0, 0, NULL },
	{ "compact", 'c', K_BOOL, F(compact), NONE, CTL, NULL, 0, 0, 0, NULL },
	{ "config", 0, K_STRING, F(config_file), NONE, ALL, "SHADOW_CONFIG",
	    OPT_NOFILE, 0, 0, NULL },
	{ "connect-rate", 0, K_DOUBLE, F(connect_rate), NONE, DEV, NULL, 0,
	    0, 0, "a number of connections per second > 0" },
	{ "count", 0, K_LONG, F(count), NONE, CTL | DEV, NULL, 0, 1,
	    (double)LONG_MAX, "a count >= 1" },
	{ "data-dir", 0, K_STRING, F(data_dir), NONE, SD, NULL, 0, 0, 0, NULL },
	{ "dedupe-window", 0, K_LONG, F(dedupe_window), NONE, SD, NULL, 0, 0,
	    (double)LONG_MAX, "a number of seconds >= 0 (0: off)" },
	{ "duration", 0, K_DOUBLE, F(duration), NONE, DEV, NULL, OPT_MIN_INCL,
	    0, 0, "a number of seconds >= 0 (0: run until stopped)" },
	{ "endpoint", 'e', K_STRING, F(endpoint), NONE, ALL, "SHADOW_ENDPOINT",
	    0, 0, 0, NULL },
	{ "exec", 0, K_STRING, F(exec), NONE, DEV, NULL, 0, 0, 0, NULL },
	{ "exec-jobs", 0, K_LONG, F(exec_jobs), NONE, DEV, NULL, 0, 1,
	    (double)LONG_MAX, "a count >= 1" },
	{ "exec-timeout", 0, K_DOUBLE, F(exec_timeout), NONE, DEV, NULL, 0, 0,
	    0, "a number of seconds > 0" },
	{ "expect-version", 0, K_INT64, F(expect_version),
	    F(has_expect_version), CTL, NULL, OPT_NOFILE, 0, (double)INT64_MAX,
	    "a version number >= 0" },
	{ "file", 'f', K_STRING, F(file), NONE, CTL, NULL, OPT_NOFILE, 0, 0,
	    NULL },
	{ "forget-deleted", 0, K_LONG, F(forget_deleted), NONE, SD, NULL, 0,
	    0, (double)LONG_MAX, "a number of seconds >= 0" },
	{ "help", 'h', K_HELP, NONE, NONE, ALL, NULL, OPT_NOFILE, 0, 0, NULL },
	{ "http", 0, K_STRING, F(http), NONE, SD, NULL, 0, 0, 0, NULL },
	{ "http-cert", 0, K_STRING, F(http_cert), NONE, SD, NULL, 0, 0, 0,
	    NULL },
	{ "http-credentials", 0, K_STRING, F(http_credentials), NONE, SD,
	    NULL, 0, 0, 0, NULL },
	{ "http-insecure", 0, K_BOOL, F(http_insecure), NONE, SD, NULL, 0, 0,
	    0, NULL },
	{ "http-key", 0, K_STRING, F(http_key), NONE, SD, NULL, 0, 0, 0,
	    NULL },
	{ "http-max-connections", 0, K_LONG, F(http_max_connections), NONE,
	    SD, NULL, 0, 1, 100000, "a count (1-100000)" },
	{ "insecure", 0, K_BOOL, F(insecure), NONE, ALL, NULL, 0, 0, 0, NULL },
	{ "interval", 0, K_DOUBLE, F(interval), NONE, DEV, NULL, 0, 0, 0,
	    "a number of seconds > 0" },
	{ "json", 0, K_BOOL, F(json), NONE, DEV, NULL, 0, 0, 0, NULL },
	{ "keepalive", 'k', K_INT, F(keepalive), NONE, ALL, NULL, 0, 5, 65535,
	    "a keep-alive in seconds (5-65535)" },
	{ "key", 0, K_STRING, F(key), NONE, ALL, "SHADOW_KEY", 0, 0, 0, NULL },
	{ "max-desired-age", 0, K_DOUBLE, F(max_desired_age), NONE, DEV, NULL,
	    OPT_MIN_INCL, 0, 0, "a number of seconds >= 0 (0: off)" },
	{ "max-doc-size", 0, K_LONG, F(max_doc_size), NONE, SD, NULL, 0, 1,
	    (double)LONG_MAX, "a size in bytes >= 1" },
	{ "mqtt", 0, K_MQTT, F(mqtt_version), NONE, ALL, NULL, 0, 0, 0,
	    "an MQTT version (3.1.1 or 5)" },
	{ "page-size", 0, K_LONG, F(page_size), NONE, CTL, NULL, 0, 1, 100,
	    "a page size (1-100)" },
	{ "password", 'P', K_PASSWORD, F(password), NONE, ALL,
	    "SHADOW_PASSWORD", 0, 0, 0, NULL },
	{ "password-file", 0, K_PASSWORD_FILE, F(password_file), NONE, ALL,
	    NULL, 0, 0, 0, NULL },
	{ "port", 'p', K_INT, F(port), NONE, ALL, "SHADOW_PORT", 0, 1, 65535,
	    "a port number (1-65535)" },
	{ "profile", 0, K_STRING, F(profile), NONE, ALL, "SHADOW_PROFILE",
	    OPT_NOFILE, 0, 0, NULL },
	{ "quiet", 'q', K_QUIET, F(verbosity), NONE, ALL, NULL, 0, 0, 0, NULL },
	{ "rate-limit", 0, K_LONG, F(rate_limit), NONE, SD, NULL, 0, 0,
	    (double)LONG_MAX, "a number >= 0" },
	{ "raw", 'r', K_BOOL, F(raw), NONE, CTL, NULL, 0, 0, 0, NULL },
	{ "region", 0, K_STRING, F(region), NONE, CTL, "AWS_REGION", 0, 0, 0,
	    NULL },
	{ "reported", 0, K_BOOL, F(reported), NONE, CTL, NULL, 0, 0, 0, NULL },
	{ "shadow", 'n', K_NAME_SHADOW, F(shadow), NONE, CD, "SHADOW_NAME", 0,
	    0, 0, NULL },
	{ "state", 0, K_LIST, F(state), NONE, DEV, NULL, 0, 0, 0, NULL },
	{ "state-dir", 0, K_STRING, F(state_dir), NONE, DEV, NULL, 0, 0, 0,
	    NULL },
	{ "telemetry-exec", 0, K_STRING, F(telemetry_exec), NONE, DEV, NULL,
	    0, 0, 0, NULL },
	{ "telemetry-prefix", 0, K_STRING, F(telemetry_prefix), NONE, DEV, NULL,
	    0, 0, 0, NULL },
	{ "thing", 't', K_NAME_THING, F(thing), NONE, CD, "SHADOW_THING", 0, 0,
	    0, NULL },
	{ "things-from", 0, K_STRING, F(things_from), NONE, DEV, NULL, 0, 0, 0,
	    NULL },
	{ "timeout", 0, K_DOUBLE, F(timeout), F(timeout_set), CTL, NULL,
	    OPT_GIVEN_ARGV, 0, 0, "a number of seconds > 0" },
	{ "tls", 0, K_TRISTATE, F(tls), NONE, ALL, NULL, 0, 0, 0, NULL },
	{ "username", 'u', K_STRING, F(username), NONE, ALL, "SHADOW_USERNAME",
	    0, 0, 0, NULL },
	{ "verbose", 'v', K_VERBOSE, F(verbosity), NONE, ALL, NULL, 0, 0, 0,
	    NULL },
	{ "version", 0, K_VERSION, NONE, NONE, ALL, NULL, OPT_NOFILE, 0, 0,
	    NULL },
	{ "wait", 0, K_BOOL, F(wait), NONE, CTL, NULL, OPT_NOFILE, 0, 0, NULL },
};

#define NOPTIONS (sizeof(options) / sizeof(options[0]))

/* K_LIST keeps its count right after the array pointer. */
_Static_assert(offsetof(struct shadow_config, nstate) ==
    offsetof(struct shadow_config, state) + sizeof(char **),
    "nstate must follow state");

/* Where a value comes from; a source never overrides a stronger one. */
enum source {
	SRC_DEFAULT,
	SRC_FILE_GLOBAL,
	SRC_FILE_PROFILE,
	SRC_ENV,
	SRC_ARGV
};

struct loader {
	struct shadow_config *cfg;
	unsigned char src[NOPTIONS];
	bool profile_explicit;
	bool config_explicit;
};

#define ERRLEN 512

static bool
needs_value(const struct option_def *o)
{
	switch (o->kind) {
	case K_BOOL:
	case K_TRISTATE:
	case K_VERBOSE:
	case K_QUIET:
	case K_HELP:
	case K_VERSION:
		return false;
	default:
		return true;
	}
}

static bool
negatable(const struct option_def *o)
{
	return o->kind == K_BOOL || o->kind == K_TRISTATE;
}

static int
option_cmp(const void *key, const void *elem)
{
	const struct option_def *o = elem;

	return strcmp(key, o->name);
}

static const struct option_def *
options_find(const char *name)
{
	return bsearch(name, options, NOPTIONS, sizeof(options[0]), option_cmp);
}

static const struct option_def *
options_find_letter(char letter, enum prog prog)
{
	size_t i;

	for (i = 0; i < NOPTIONS; i++)
		if (options[i].letter == letter && (options[i].progs & prog))
			return &options[i];
	return NULL;
}

/* Options that share a field share a slot, so precedence applies to both. */
static size_t
option_slot(const struct option_def *o)
{
	const struct option_def *base = o;

	if (o->kind == K_QUIET)
		base = options_find("verbose");
	else if (o->kind == K_PASSWORD_FILE)
		base = options_find("password");
	return (size_t)(base - options);
}

/* Edit distance counting a swap of neighbours as one edit (typos). */
static size_t
edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, v;
	size_t d[40][40];

	if (la >= 40 || lb >= 40)
		return SIZE_MAX;
	for (i = 0; i <= la; i++)
		d[i][0] = i;
	for (j = 0; j <= lb; j++)
		d[0][j] = j;
	for (i = 1; i <= la; i++) {
		for (j = 1; j <= lb; j++) {
			v = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			if (d[i - 1][j] + 1 < v)
				v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	}
	return d[la][lb];
}

/* The closest option name for prog (file: keys only), or NULL. */
static const char *
options_suggest(const char *name, enum prog prog, bool file)
{
	const char *best = NULL;
	size_t i, d, bestd = SIZE_MAX, limit;

	limit = strlen(name) <= 4 ? 1 : 2;
	for (i = 0; i < NOPTIONS; i++) {
		if (!(options[i].progs & prog))
			continue;
		if (file && (options[i].flags & OPT_NOFILE))
			continue;
		d = edit_distance(name, options[i].name);
		if (d <= limit && d < bestd) {
			bestd = d;
			best = options[i].name;
		}
	}
	return best;
}

static const char *
prog_name(enum prog prog)
{
	switch (prog) {
	case PROG_SHADOWCTL:
		return "shadowctl";
	case PROG_SHADOWDEV:
		return "shadowdev";
	case PROG_SHADOWD:
		return "shadowd";
	}
	return "shadow";
}

static int
parse_bool(const char *s, bool *out)
{
	static const char *yes[] = { "true", "yes", "on", "1" };
	static const char *no[] = { "false", "no", "off", "0" };
	size_t i;

	for (i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

static int
parse_integer(const char *s, long long *out)
{
	char *end;

	errno = 0;
	*out = strtoll(s, &end, 10);
	if (s[0] == '\0' || *end != '\0' || errno != 0)
		return -1;
	return 0;
}

static int
parse_double(const char *s, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	if (s[0] == '\0' || *end != '\0' || errno != 0 || !isfinite(*out))
		return -1;
	return 0;
}

static int
set_string(char **field, const char *value)
{
	char *copy = strdup(value);

	if (copy == NULL)
		return -1;
	free(*field);
	*field = copy;
	return 0;
}

static void
list_clear(char ***list, size_t *n)
{
	size_t i;

	for (i = 0; i < *n; i++)
		free((*list)[i]);
	free(*list);
	*list = NULL;
	*n = 0;
}

static int
list_append(char ***list, size_t *n, const char *value)
{
	char **grown, *copy;

	if ((copy = strdup(value)) == NULL)
		return -1;
	grown = reallocarray(*list, *n + 1, sizeof(**list));
	if (grown == NULL) {
		free(copy);
		return -1;
	}
	grown[(*n)++] = copy;
	*list = grown;
	return 0;
}

static int
set_number(struct shadow_config *cfg, const struct option_def *o,
    const char *value, char *err, size_t errlen)
{
	char *base = (char *)cfg;
	long long n;
	double d;

	if (o->kind == K_DOUBLE) {
		if (parse_double(value, &d) == -1 || d < o->min ||
		    (d == o->min && !(o->flags & OPT_MIN_INCL)))
			goto bad;
		*(double *)(base + o->off) = d;
		return 0;
	}
	if (parse_integer(value, &n) == -1 || (double)n < o->min ||
	    (double)n > o->max)
		goto bad;
	if (o->kind == K_INT)
		*(int *)(base + o->off) = (int)n;
	else if (o->kind == K_LONG)
		*(long *)(base + o->off) = (long)n;
	else
		*(int64_t *)(base + o->off) = (int64_t)n;
	return 0;
bad:
	snprintf(err, errlen, "'%s' is not %s", value, o->what);
	return -1;
}

static int
set_name(char **field, const struct option_def *o, const char *value,
    char *err, size_t errlen)
{
	size_t len = strlen(value);

	if (o->kind == K_NAME_THING && !shadow_thing_name_valid(value, len)) {
		snprintf(err, errlen, "'%s' is not a valid thing name "
		    "(1-%d bytes of A-Z a-z 0-9 : _ -)", value,
		    SHADOW_THING_MAX);
		return -1;
	}
	if (o->kind == K_NAME_SHADOW && !shadow_name_valid(value, len)) {
		snprintf(err, errlen, "'%s' is not a valid shadow name "
		    "(1-%d bytes of A-Z a-z 0-9 : _ - $)", value,
		    SHADOW_NAME_MAX);
		return -1;
	}
	return set_string(field, value);
}

static int
set_mqtt(int *field, const char *value, char *err, size_t errlen)
{
	if (strcmp(value, "3.1.1") == 0 || strcmp(value, "311") == 0 ||
	    strcmp(value, "4") == 0)
		*field = CONFIG_MQTT_311;
	else if (strcmp(value, "5") == 0 || strcmp(value, "5.0") == 0)
		*field = CONFIG_MQTT_5;
	else {
		snprintf(err, errlen, "'%s' is not an MQTT version "
		    "(3.1.1 or 5)", value);
		return -1;
	}
	return 0;
}

/*
 * The one setter behind argv, environment and config file. value is NULL
 * for a flag given without one; negate is --no-X. fresh: first value of a
 * stronger source, so lists and counters start over.
 */
static int
option_set(struct shadow_config *cfg, const struct option_def *o,
    const char *value, bool negate, bool fresh, char *err, size_t errlen)
{
	char *base = (char *)cfg;
	bool b = !negate;
	int rc = 0;

	if ((o->kind == K_BOOL || o->kind == K_TRISTATE ||
	    o->kind == K_VERBOSE || o->kind == K_QUIET) && value != NULL &&
	    parse_bool(value, &b) == -1) {
		snprintf(err, errlen, "'%s' is not a boolean "
		    "(true/false, yes/no, on/off, 1/0)", value);
		return -1;
	}
	switch (o->kind) {
	case K_BOOL:
		*(bool *)(base + o->off) = b;
		break;
	case K_TRISTATE:
		*(int *)(base + o->off) = b ? 1 : 0;
		break;
	case K_STRING:
		rc = set_string((char **)(base + o->off), value);
		break;
	case K_NAME_THING:
	case K_NAME_SHADOW:
		return set_name((char **)(base + o->off), o, value, err,
		    errlen);
	case K_INT:
	case K_LONG:
	case K_INT64:
	case K_DOUBLE:
		if (set_number(cfg, o, value, err, errlen) == -1)
			return -1;
		break;
	case K_LIST:
		if (fresh)
			list_clear((char ***)(base + o->off),
			    (size_t *)(base + o->off + sizeof(char **)));
		rc = list_append((char ***)(base + o->off),
		    (size_t *)(base + o->off + sizeof(char **)), value);
		break;
	case K_MQTT:
		return set_mqtt((int *)(base + o->off), value, err, errlen);
	case K_VERBOSE:
		if (value != NULL)
			cfg->verbosity = b ? 1 : 0;
		else if (fresh || cfg->verbosity < 0)
			cfg->verbosity = 1;
		else if (cfg->verbosity < 3)
			cfg->verbosity++;
		break;
	case K_QUIET:
		if (b)
			cfg->verbosity = -1;
		else if (cfg->verbosity < 0)
			cfg->verbosity = 0;
		break;
	case K_PASSWORD:
		free(cfg->password_file);
		cfg->password_file = NULL;
		rc = set_string(&cfg->password, value);
		break;
	case K_PASSWORD_FILE:
		free(cfg->password);
		cfg->password = NULL;
		rc = set_string(&cfg->password_file, value);
		break;
	case K_HELP:
	case K_VERSION:
		break;
	}
	if (rc == -1) {
		snprintf(err, errlen, "%s", strerror(errno));
		return -1;
	}
	return 0;
}

/* Applies a value from src unless a stronger source already set it. */
static int
loader_set(struct loader *ld, const struct option_def *o, const char *value,
    bool negate, enum source src, char *err, size_t errlen)
{
	size_t slot = option_slot(o);
	bool fresh;

	if (ld->src[slot] > src)
		return 0;
	fresh = ld->src[slot] < src;
	ld->src[slot] = src;
	if (option_set(ld->cfg, o, value, negate, fresh, err, errlen) == -1)
		return -1;
	/* A timeout from the file is a request timeout, not a watch length. */
	if (o->given_off != NONE &&
	    (src == SRC_ARGV || !(o->flags & OPT_GIVEN_ARGV)))
		*(bool *)((char *)ld->cfg + o->given_off) = true;
	return 0;
}

static void
report_unknown(const char *dashes, const char *name, enum prog prog)
{
	const char *hint = options_suggest(name, prog, false);

	if (hint != NULL)
		log_error("unknown option '%s%s' (did you mean '--%s'?)",
		    dashes, name, hint);
	else
		log_error("unknown option '%s%s' (see --help)", dashes, name);
}

/* "--name", "--name=value", "--no-name"; *i advances past a taken value. */
static enum config_status
argv_long(struct loader *ld, int argc, char **argv, int *i)
{
	enum prog prog = ld->cfg->prog;
	const struct option_def *o;
	char name[64], err[ERRLEN];
	const char *arg = argv[*i] + 2, *eq, *value = NULL;
	bool negate = false;
	size_t len;

	eq = strchr(arg, '=');
	len = eq != NULL ? (size_t)(eq - arg) : strlen(arg);
	if (len >= sizeof(name)) {
		log_error("unknown option '--%.*s...'", 20, arg);
		return CONFIG_USAGE;
	}
	memcpy(name, arg, len);
	name[len] = '\0';
	o = options_find(name);
	if ((o == NULL || !(o->progs & prog)) && strncmp(name, "no-", 3) == 0) {
		o = options_find(name + 3);
		negate = true;
		if (o != NULL && !negatable(o))
			o = NULL;
	}
	if (o == NULL || !(o->progs & prog)) {
		report_unknown("--", name, prog);
		return CONFIG_USAGE;
	}
	if (o->kind == K_HELP)
		return CONFIG_HELP;
	if (o->kind == K_VERSION)
		return CONFIG_VERSION;
	if (needs_value(o)) {
		if (eq != NULL)
			value = eq + 1;
		else if (*i + 1 < argc)
			value = argv[++*i];
		else {
			log_error("--%s needs a value", o->name);
			return CONFIG_USAGE;
		}
	} else if (eq != NULL) {
		log_error("--%s takes no value", name);
		return CONFIG_USAGE;
	}
	if (loader_set(ld, o, value, negate, SRC_ARGV, err, sizeof(err)) == -1) {
		log_error("--%s: %s", o->name, err);
		return CONFIG_USAGE;
	}
	return CONFIG_OK;
}

/* "-v", "-cr", "-p1883", "-p 1883". */
static enum config_status
argv_short(struct loader *ld, int argc, char **argv, int *i)
{
	const struct option_def *o;
	const char *arg = argv[*i], *value;
	char err[ERRLEN], letter[2] = { 0, 0 };
	size_t j;

	for (j = 1; arg[j] != '\0'; j++) {
		o = options_find_letter(arg[j], ld->cfg->prog);
		if (o == NULL) {
			letter[0] = arg[j];
			log_error("unknown option '-%s' (see --help)", letter);
			return CONFIG_USAGE;
		}
		if (o->kind == K_HELP)
			return CONFIG_HELP;
		value = NULL;
		if (needs_value(o)) {
			if (arg[j + 1] != '\0')
				value = arg + j + 1;
			else if (*i + 1 < argc)
				value = argv[++*i];
			else {
				log_error("-%c (--%s) needs a value", arg[j],
				    o->name);
				return CONFIG_USAGE;
			}
		}
		if (loader_set(ld, o, value, false, SRC_ARGV, err,
		    sizeof(err)) == -1) {
			log_error("--%s: %s", o->name, err);
			return CONFIG_USAGE;
		}
		if (value != NULL)
			break;
	}
	return CONFIG_OK;
}

static enum config_status
argv_parse(struct loader *ld, int argc, char **argv)
{
	struct shadow_config *cfg = ld->cfg;
	enum config_status st;
	bool options_done = false;
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (options_done || a[0] != '-' || a[1] == '\0') {
			if (list_append(&cfg->args, &cfg->nargs, a) == -1) {
				log_error("%s", strerror(errno));
				return CONFIG_USAGE;
			}
			continue;
		}
		if (strcmp(a, "--") == 0) {
			options_done = true;
			continue;
		}
		st = a[1] == '-' ? argv_long(ld, argc, argv, &i) :
		    argv_short(ld, argc, argv, &i);
		if (st != CONFIG_OK)
			return st;
	}
	return CONFIG_OK;
}

static enum config_status
env_parse(struct loader *ld)
{
	char err[ERRLEN];
	const char *value;
	size_t i;

	for (i = 0; i < NOPTIONS; i++) {
		const struct option_def *o = &options[i];

		if (o->env == NULL || !(o->progs & ld->cfg->prog))
			continue;
		value = getenv(o->env);
		if (value == NULL || value[0] == '\0')
			continue;
		if (loader_set(ld, o, value, false, SRC_ENV, err,
		    sizeof(err)) == -1) {
			log_error("%s: %s", o->env, err);
			return CONFIG_USAGE;
		}
	}
	return CONFIG_OK;
}

char *
config_default_path(char *buf, size_t size)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	int n;

	if (xdg != NULL && xdg[0] == '/')
		n = snprintf(buf, size, "%s/shadow/config", xdg);
	else if (home != NULL && home[0] != '\0')
		n = snprintf(buf, size, "%s/.config/shadow/config", home);
	else
		return NULL;
	if (n < 0 || (size_t)n >= size)
		return NULL;
	return buf;
}

static void
trim_end(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' ||
	    s[n - 1] == '\r'))
		s[--n] = '\0';
}

/* Cuts a '#' comment (at the start or after a blank) outside quotes. */
static void
cut_comment(char *s)
{
	char quote = 0;
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		if (quote != 0) {
			if (s[i] == quote)
				quote = 0;
		} else if (s[i] == '"' || s[i] == '\'')
			quote = s[i];
		else if (s[i] == '#' && (i == 0 || s[i - 1] == ' ' ||
		    s[i - 1] == '\t')) {
			s[i] = '\0';
			return;
		}
	}
}

/* Strips one pair of surrounding quotes; -1 if a quote is not closed. */
static int
unquote(char **value)
{
	char *v = *value;
	size_t n = strlen(v);

	if (n == 0 || (v[0] != '"' && v[0] != '\''))
		return 0;
	if (n < 2 || v[n - 1] != v[0])
		return -1;
	v[n - 1] = '\0';
	*value = v + 1;
	return 0;
}

struct file_state {
	struct loader *ld;
	bool in_profile;
	bool profile_found;
};

/* Every key is checked against a scratch config; applying is separate. */
static int
file_key(struct file_state *fs, const char *section, const char *key,
    char *value, char *err, size_t errlen)
{
	struct shadow_config scratch;
	const struct option_def *o;
	const char *hint;
	char msg[ERRLEN];
	enum source src;
	int rc;

	cut_comment(value);
	trim_end(value);
	if (unquote(&value) == -1) {
		snprintf(err, errlen, "%s: unterminated quote in '%s'", key,
		    value);
		return -1;
	}
	if ((o = options_find(key)) == NULL) {
		hint = options_suggest(key, PROG_SHADOWCTL | PROG_SHADOWDEV |
		    PROG_SHADOWD, true);
		if (hint != NULL)
			snprintf(err, errlen, "unknown key '%s' (did you mean "
			    "'%s'?)", key, hint);
		else
			snprintf(err, errlen, "unknown key '%s'", key);
		return -1;
	}
	if (o->flags & OPT_NOFILE) {
		snprintf(err, errlen, "key '%s' is not allowed in a config "
		    "file", key);
		return -1;
	}
	if (!(o->progs & fs->ld->cfg->prog))
		return 0;
	memset(&scratch, 0, sizeof(scratch));
	rc = option_set(&scratch, o, value, false, true, msg, sizeof(msg));
	config_free(&scratch);
	if (rc == 0 && section != NULL && !fs->in_profile)
		return 0;
	src = section == NULL ? SRC_FILE_GLOBAL : SRC_FILE_PROFILE;
	if (rc == 0 && loader_set(fs->ld, o, value, false, src, msg,
	    sizeof(msg)) == 0)
		return 0;
	snprintf(err, errlen, "%s: %s", key, msg);
	return -1;
}

/* common/ini.c calls this for each section header and key = value line. */
static int
file_entry(void *ud, const char *section, const char *key, const char *value,
    unsigned line, char *err, size_t errlen)
{
	struct file_state *fs = ud;
	char *copy;
	int rc;

	(void)line;
	if (key == NULL) {
		fs->in_profile = strcmp(section, fs->ld->cfg->profile) == 0;
		fs->profile_found |= fs->in_profile;
		return 0;
	}
	if ((copy = strdup(value)) == NULL) {
		snprintf(err, errlen, "%s", strerror(errno));
		return -1;
	}
	rc = file_key(fs, section, key, copy, err, errlen);
	free(copy);
	return rc;
}

static enum config_status
file_load(struct loader *ld)
{
	struct shadow_config *cfg = ld->cfg;
	struct file_state fs = { .ld = ld };
	char buf[4096], err[ERRLEN + 4096];
	const char *path;

	if (cfg->config_file != NULL)
		path = cfg->config_file;
	else
		path = config_default_path(buf, sizeof(buf));
	switch (path != NULL ? ini_read_file(path, file_entry, &fs, err,
	    sizeof(err)) : INI_ERR_OPEN) {
	case INI_OK:
		break;
	case INI_ERR_OPEN:
		if (path != NULL && (ld->config_explicit || errno != ENOENT)) {
			log_error("config file: %s", err);
			return CONFIG_USAGE;
		}
		if (ld->profile_explicit) {
			log_error("profile '%s' asked for, but there is no "
			    "config file %s", cfg->profile,
			    path != NULL ? path : "(no HOME)");
			return CONFIG_USAGE;
		}
		return CONFIG_OK;
	default:
		log_error("%s", err);
		return CONFIG_USAGE;
	}
	if (ld->profile_explicit && !fs.profile_found) {
		log_error("%s: no profile [%s] in this file", path,
		    cfg->profile);
		return CONFIG_USAGE;
	}
	if (cfg->config_file == NULL && set_string(&cfg->config_file,
	    path) == -1) {
		log_error("%s", strerror(errno));
		return CONFIG_USAGE;
	}
	return CONFIG_OK;
}

static char *
path_join(const char *dir, const char *name)
{
	char *p;

	if (asprintf(&p, "%s%s%s", dir,
	    dir[0] != '\0' && dir[strlen(dir) - 1] == '/' ? "" : "/",
	    name) == -1)
		return NULL;
	return p;
}

static int
certs_fill(struct shadow_config *cfg)
{
	if (cfg->certs == NULL)
		return 0;
	if (cfg->ca == NULL &&
	    (cfg->ca = path_join(cfg->certs, "AmazonRootCA1.pem")) == NULL)
		return -1;
	if (cfg->cert == NULL &&
	    (cfg->cert = path_join(cfg->certs, "certificate.pem")) == NULL)
		return -1;
	if (cfg->key == NULL &&
	    (cfg->key = path_join(cfg->certs, "privateKey.pem")) == NULL)
		return -1;
	return 0;
}

static enum config_status
password_read(struct shadow_config *cfg)
{
	FILE *fp;
	char *line;
	size_t n;
	int c;

	if (cfg->password_file == NULL || cfg->password != NULL)
		return CONFIG_OK;
	if ((fp = fopen(cfg->password_file, "r")) == NULL) {
		log_error("can't read password file %s: %s",
		    cfg->password_file, strerror(errno));
		return CONFIG_USAGE;
	}
	/* Bounded: a password file may be a pipe (<(pass show x)), but must
	 * not be an endless stream like /dev/zero. */
	if ((line = malloc(PASSWORD_MAX + 2)) == NULL) {
		fclose(fp);
		log_error("can't read password file %s: out of memory",
		    cfg->password_file);
		return CONFIG_USAGE;
	}
	n = 0;
	while ((c = getc(fp)) != EOF && c != '\n' && n <= PASSWORD_MAX)
		line[n++] = (char)c;
	line[n] = '\0';
	if (ferror(fp) || n == 0) {
		if (ferror(fp))
			log_error("can't read password file %s: %s",
			    cfg->password_file, strerror(errno));
		else
			log_error("password file %s has no password on its "
			    "first line", cfg->password_file);
		free(line);
		fclose(fp);
		return CONFIG_USAGE;
	}
	fclose(fp);
	if (n > 0 && line[n - 1] == '\r')
		line[--n] = '\0';
	if (memchr(line, '\0', n) != NULL)
		n = PASSWORD_MAX + 1;
	if (n > PASSWORD_MAX) {
		log_error("password file %s: the first line is longer than %d "
		    "bytes (the MQTT limit) or holds a NUL byte",
		    cfg->password_file, PASSWORD_MAX);
		free(line);
		return CONFIG_USAGE;
	}
	cfg->password = line;
	return CONFIG_OK;
}

static int
data_dir_default(struct shadow_config *cfg)
{
	const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");

	if (cfg->prog != PROG_SHADOWD || cfg->data_dir != NULL)
		return 0;
	if (xdg != NULL && xdg[0] == '/')
		return asprintf(&cfg->data_dir, "%s/shadowd", xdg) == -1 ?
		    -1 : 0;
	if (home != NULL && home[0] != '\0')
		return asprintf(&cfg->data_dir, "%s/.local/state/shadowd",
		    home) == -1 ? -1 : 0;
	return 0;
}

static bool
endpoint_is_url(const struct shadow_config *cfg)
{
	return cfg->prog == PROG_SHADOWCTL &&
	    (strncmp(cfg->endpoint, "http://", 7) == 0 ||
	    strncmp(cfg->endpoint, "https://", 8) == 0);
}

static enum config_status
derive(struct shadow_config *cfg)
{
	const char *alpn;

	if (certs_fill(cfg) == -1 || data_dir_default(cfg) == -1) {
		log_error("%s", strerror(errno));
		return CONFIG_USAGE;
	}
	if (cfg->tls == -1)
		cfg->tls = cfg->ca != NULL || cfg->cert != NULL ||
		    cfg->key != NULL;
	/* A URL endpoint (shadowctl's HTTP transport) carries its port. */
	if (cfg->port == 0 && !endpoint_is_url(cfg))
		cfg->port = cfg->tls ? 8883 : 1883;
	if (cfg->alpn == NULL && cfg->tls) {
		alpn = tls_alpn_default(cfg->port, cfg->cert != NULL,
		    cfg->username != NULL);
		if (alpn != NULL && set_string(&cfg->alpn, alpn) == -1) {
			log_error("%s", strerror(errno));
			return CONFIG_USAGE;
		}
	}
	if (password_read(cfg) != CONFIG_OK)
		return CONFIG_USAGE;
	if (cfg->password != NULL && cfg->username == NULL) {
		log_error("a password (--password, --password-file or "
		    "SHADOW_PASSWORD) needs a user name: add -u/--username");
		return CONFIG_USAGE;
	}
	return CONFIG_OK;
}

static int
defaults_set(struct shadow_config *cfg, enum prog prog)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->prog = prog;
	cfg->tls = -1;
	cfg->keepalive = 30;
	cfg->mqtt_version = CONFIG_MQTT_311;
	cfg->timeout = 10;
	cfg->interval = 5;
	cfg->connect_rate = 200;
	cfg->max_doc_size = 8192;
	cfg->http_max_connections = 256;
	cfg->dedupe_window = 600;
	cfg->exec_timeout = 30;
	cfg->exec_jobs = 4;
	if (set_string(&cfg->endpoint, "localhost") == -1 ||
	    set_string(&cfg->telemetry_prefix, "data") == -1)
		return -1;
	return 0;
}

enum config_status
config_load(struct shadow_config *cfg, enum prog prog, int argc, char **argv)
{
	struct loader ld;
	enum config_status st;
	size_t profile_slot, config_slot;

	log_init(prog_name(prog), 0);
	memset(&ld, 0, sizeof(ld));
	ld.cfg = cfg;
	if (defaults_set(cfg, prog) == -1) {
		log_error("%s", strerror(errno));
		return CONFIG_USAGE;
	}
	if ((st = argv_parse(&ld, argc, argv)) != CONFIG_OK)
		return st;
	log_init(prog_name(prog), cfg->verbosity);
	if ((st = env_parse(&ld)) != CONFIG_OK)
		return st;
	profile_slot = option_slot(options_find("profile"));
	config_slot = option_slot(options_find("config"));
	ld.profile_explicit = ld.src[profile_slot] != SRC_DEFAULT;
	ld.config_explicit = ld.src[config_slot] != SRC_DEFAULT;
	if (cfg->profile == NULL && set_string(&cfg->profile, "default") == -1) {
		log_error("%s", strerror(errno));
		return CONFIG_USAGE;
	}
	if ((st = file_load(&ld)) != CONFIG_OK)
		return st;
	log_init(prog_name(prog), cfg->verbosity);
	return derive(cfg);
}

void
config_free(struct shadow_config *cfg)
{
	size_t i;

	for (i = 0; i < NOPTIONS; i++) {
		const struct option_def *o = &options[i];
		char *base = (char *)cfg;

		switch (o->kind) {
		case K_STRING:
		case K_NAME_THING:
		case K_NAME_SHADOW:
		case K_PASSWORD:
		case K_PASSWORD_FILE:
			free(*(char **)(base + o->off));
			*(char **)(base + o->off) = NULL;
			break;
		case K_LIST:
			list_clear((char ***)(base + o->off),
			    (size_t *)(base + o->off + sizeof(char **)));
			break;
		default:
			break;
		}
	}
	list_clear(&cfg->args, &cfg->nargs);
}

enum config_status
config_main(struct shadow_config *cfg, enum prog prog, int argc, char **argv,
    void (*usage)(FILE *))
{
	enum config_status st = config_load(cfg, prog, argc, argv);

	if (st == CONFIG_OK)
		return st;
	if (st == CONFIG_HELP)
		usage(stdout);
	else if (st == CONFIG_VERSION)
		printf("%s %s\n", prog_name(prog), SHADOW_TOOLS_VERSION);
	config_free(cfg);
	return st;
}
