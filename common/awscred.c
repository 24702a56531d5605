#include "awscred.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "ini.h"
#include "json.h"

extern char **environ;

#define PROCESS_OUT_MAX (64 * 1024)       /* credential_process's stdout */
#define PROCESS_ERR_KEEP 2048             /* the tail of its stderr we show */

/* What one file says about one profile. */
struct profile_keys {
	const char *profile;
	bool config_file;          /* sections are "profile NAME" */
	char *path;
	bool found;                /* the section exists */
	char *akid, *secret, *token, *process, *region;
	unsigned akid_line, secret_line, process_line;
	char *unsupported;         /* e.g. "sso_start_url", first seen */
};

static void
profile_keys_free(struct profile_keys *pk)
{
	free(pk->path);
	free(pk->akid);
	if (pk->secret != NULL)
		explicit_bzero(pk->secret, strlen(pk->secret));
	free(pk->secret);
	free(pk->token);
	free(pk->process);
	free(pk->region);
	free(pk->unsupported);
	memset(pk, 0, sizeof(*pk));
}

const char *
awscred_profile(const char *profile, bool *explicit_out)
{
	const char *env = getenv("AWS_PROFILE");
	bool given = true;

	if (profile == NULL || profile[0] == '\0')
		profile = env;
	if (profile == NULL || profile[0] == '\0') {
		profile = "default";
		given = false;
	}
	if (explicit_out != NULL)
		*explicit_out = given;
	return profile;
}

static bool
section_is_profile(const struct profile_keys *pk, const char *section)
{
	size_t n;

	if (section == NULL)
		return false;
	if (!pk->config_file)
		return strcmp(section, pk->profile) == 0;
	if (strcmp(pk->profile, "default") == 0 &&
	    strcmp(section, "default") == 0)
		return true;
	if (strncmp(section, "profile", 7) != 0 ||
	    (section[7] != ' ' && section[7] != '\t'))
		return false;
	section += 7;
	section += strspn(section, " \t");
	n = strlen(pk->profile);
	return strncmp(section, pk->profile, n) == 0 && section[n] == '\0';
}

/* An empty value counts as no value (an empty secret is a mistake). */
static int
keep(char **field, unsigned *line_field, const char *value, unsigned line,
    char *err, size_t errlen)
{
	char *copy = NULL;

	if (value[0] != '\0' && (copy = strdup(value)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	free(*field);
	*field = copy;
	if (line_field != NULL)
		*line_field = line;
	return 0;
}

/* Keys that name ways to get credentials shadowctl does not implement. */
static const char *const unsupported_keys[] = {
	"role_arn", "sso_start_url", "sso_session", "web_identity_token_file",
	"credential_source", "login_session",
};

static int
profile_entry(void *ud, const char *section, const char *key,
    const char *value, unsigned line, char *err, size_t errlen)
{
	struct profile_keys *pk = ud;
	size_t i;

	if (!section_is_profile(pk, section))
		return 0;
	pk->found = true;
	if (key == NULL)
		return 0;
	if (strcasecmp(key, "aws_access_key_id") == 0)
		return keep(&pk->akid, &pk->akid_line, value, line, err,
		    errlen);
	if (strcasecmp(key, "aws_secret_access_key") == 0)
		return keep(&pk->secret, &pk->secret_line, value, line, err,
		    errlen);
	if (strcasecmp(key, "aws_session_token") == 0 ||
	    (strcasecmp(key, "aws_security_token") == 0 && pk->token == NULL))
		return keep(&pk->token, NULL, value, line, err, errlen);
	if (strcasecmp(key, "credential_process") == 0)
		return keep(&pk->process, &pk->process_line, value, line, err,
		    errlen);
	if (strcasecmp(key, "region") == 0)
		return keep(&pk->region, NULL, value, line, err, errlen);
	for (i = 0; i < sizeof(unsupported_keys) / sizeof(*unsupported_keys);
	    i++)
		if (strcasecmp(key, unsupported_keys[i]) == 0 &&
		    pk->unsupported == NULL)
			return keep(&pk->unsupported, NULL, key, line, err,
			    errlen);
	return 0;
}

/* The file's path: the variable's value, else ~/.aws/NAME; NULL if
 * neither (no HOME). */
static char *
aws_file_path(const char *variable, const char *name)
{
	const char *v = getenv(variable), *home = getenv("HOME");
	char *p;

	if (v != NULL && v[0] != '\0')
		return strdup(v);
	if (home == NULL || home[0] == '\0')
		return NULL;
	if (asprintf(&p, "%s/.aws/%s", home, name) == -1)
		return NULL;
	return p;
}

/* Reads what one file says about the profile. A missing file says
 * nothing; any other failure is AWSCRED_ERR_FILE. */
static enum awscred_status
profile_read(struct profile_keys *pk, const char *profile, bool config_file,
    char *err, size_t errlen)
{
	enum awscred_status st;

	memset(pk, 0, sizeof(*pk));
	pk->profile = profile;
	pk->config_file = config_file;
	pk->path = aws_file_path(config_file ? "AWS_CONFIG_FILE" :
	    "AWS_SHARED_CREDENTIALS_FILE", config_file ? "config" :
	    "credentials");
	if (pk->path == NULL) {
		const char *home = getenv("HOME");

		if (home == NULL || home[0] == '\0')
			return AWSCRED_OK;
		snprintf(err, errlen, "out of memory");
		return AWSCRED_ERR_NOMEM;
	}
	switch (ini_read_file(pk->path, profile_entry, pk, err, errlen)) {
	case INI_OK:
		return AWSCRED_OK;
	case INI_ERR_OPEN:
		if (errno == ENOENT)
			return AWSCRED_OK;
		st = AWSCRED_ERR_FILE;
		break;
	case INI_ERR_NOMEM:
		st = AWSCRED_ERR_NOMEM;
		break;
	default:
		st = AWSCRED_ERR_FILE;
		break;
	}
	profile_keys_free(pk);
	return st;
}

static int
cred_set(struct awscred *out, const char *akid, const char *secret,
    const char *token, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int
cred_set(struct awscred *out, const char *akid, const char *secret,
    const char *token, const char *fmt, ...)
{
	va_list ap;
	int n;

	memset(out, 0, sizeof(*out));
	va_start(ap, fmt);
	n = vasprintf(&out->source, fmt, ap);
	va_end(ap);
	if (n == -1)
		out->source = NULL;
	out->access_key_id = strdup(akid);
	out->secret_access_key = strdup(secret);
	out->session_token = token != NULL && token[0] != '\0' ?
	    strdup(token) : NULL;
	if (out->source == NULL || out->access_key_id == NULL ||
	    out->secret_access_key == NULL ||
	    (token != NULL && token[0] != '\0' && out->session_token == NULL)) {
		awscred_free(out);
		return -1;
	}
	return 0;
}

static enum awscred_status
from_environment(struct awscred *out, char *err, size_t errlen)
{
	const char *akid = getenv("AWS_ACCESS_KEY_ID");
	const char *secret = getenv("AWS_SECRET_ACCESS_KEY");

	if ((akid == NULL || akid[0] == '\0') &&
	    (secret == NULL || secret[0] == '\0'))
		return AWSCRED_NONE;
	if (akid == NULL || akid[0] == '\0' || secret == NULL ||
	    secret[0] == '\0') {
		snprintf(err, errlen, "the environment has %s but not %s: set "
		    "both, or unset it", akid != NULL && akid[0] != '\0' ?
		    "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
		    akid != NULL && akid[0] != '\0' ? "AWS_SECRET_ACCESS_KEY" :
		    "AWS_ACCESS_KEY_ID");
		return AWSCRED_ERR_PROFILE;
	}
	if (cred_set(out, akid, secret, getenv("AWS_SESSION_TOKEN"),
	    "environment (AWS_ACCESS_KEY_ID)") == -1)
		return AWSCRED_ERR_NOMEM;
	return AWSCRED_OK;
}

/* Static keys of one file's profile; AWSCRED_NONE when it has none. */
static enum awscred_status
from_keys(const struct profile_keys *pk, struct awscred *out, char *err,
    size_t errlen)
{
	if (pk->akid == NULL && pk->secret == NULL)
		return AWSCRED_NONE;
	if (pk->akid == NULL || pk->secret == NULL) {
		snprintf(err, errlen, "%s:%u: profile %s has %s but no %s",
		    pk->path, pk->akid != NULL ? pk->akid_line :
		    pk->secret_line, pk->profile, pk->akid != NULL ?
		    "aws_access_key_id" : "aws_secret_access_key",
		    pk->akid != NULL ? "aws_secret_access_key" :
		    "aws_access_key_id");
		return AWSCRED_ERR_PROFILE;
	}
	if (cred_set(out, pk->akid, pk->secret, pk->token,
	    "profile %s in %s", pk->profile, pk->path) == -1)
		return AWSCRED_ERR_NOMEM;
	return AWSCRED_OK;
}

/*
 * Splits cmd into words as a POSIX shell would (blanks separate; '...'
 * literal; "..." with \" \\ \$ \` escapes; \x outside quotes), with no
 * expansion of any kind: botocore splits credential_process the same way
 * and runs it without a shell. NULL on an unclosed quote or no memory.
 */
static char **
words_split(const char *cmd, size_t *nwords)
{
	char **argv, *buf, *w;
	size_t n = 0, len = strlen(cmd);
	const char *p = cmd;
	bool in_word = false;

	argv = calloc(len / 2 + 2, sizeof(*argv));
	buf = malloc(2 * len + 2);
	if (argv == NULL || buf == NULL)
		goto fail;
	w = buf;
	while (*p != '\0') {
		if (*p == ' ' || *p == '\t' || *p == '\n') {
			if (in_word) {
				*w++ = '\0';
				in_word = false;
			}
			p++;
			continue;
		}
		if (!in_word) {
			argv[n++] = w;
			in_word = true;
		}
		if (*p == '\'') {
			const char *close = strchr(p + 1, '\'');

			if (close == NULL)
				goto fail;
			memcpy(w, p + 1, (size_t)(close - p - 1));
			w += close - p - 1;
			p = close + 1;
		} else if (*p == '"') {
			for (p++; *p != '"'; p++) {
				if (*p == '\0')
					goto fail;
				if (*p == '\\' && p[1] != '\0' &&
				    strchr("\"\\$`", p[1]) != NULL)
					p++;
				*w++ = *p;
			}
			p++;
		} else if (*p == '\\' && p[1] != '\0') {
			*w++ = p[1];
			p += 2;
		} else
			*w++ = *p++;
	}
	*w = '\0';
	if (n == 0)
		goto fail;
	/* Each word owns a copy so that the caller frees argv's words. */
	for (size_t i = 0; i < n; i++)
		if ((argv[i] = strdup(argv[i])) == NULL) {
			while (i > 0)
				free(argv[--i]);
			goto fail;
		}
	free(buf);
	*nwords = n;
	return argv;
fail:
	free(argv);
	free(buf);
	return NULL;
}

static void
words_free(char **argv, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(argv[i]);
	free(argv);
}

struct capture {
	char *out;
	size_t outlen;
	bool out_overflow;
	char err[PROCESS_ERR_KEEP + 1];
	size_t errlen;
};

/* Reads the child's stdout and stderr to their ends (stdout up to
 * PROCESS_OUT_MAX; the last PROCESS_ERR_KEEP bytes of stderr). */
static int
capture_read(int outfd, int errfd, struct capture *c)
{
	struct pollfd pfd[2] = { { outfd, POLLIN, 0 }, { errfd, POLLIN, 0 } };
	char chunk[4096];
	ssize_t n;
	int i, open_fds = 2;

	if ((c->out = malloc(PROCESS_OUT_MAX + 1)) == NULL)
		return -1;
	while (open_fds > 0) {
		if (poll(pfd, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		for (i = 0; i < 2; i++) {
			if (pfd[i].fd < 0 || pfd[i].revents == 0)
				continue;
			n = read(pfd[i].fd, chunk, sizeof(chunk));
			if (n == -1 && errno == EINTR)
				continue;
			if (n <= 0) {
				pfd[i].fd = -1;
				open_fds--;
				continue;
			}
			if (i == 0) {
				size_t room = PROCESS_OUT_MAX - c->outlen;

				if ((size_t)n > room)
					c->out_overflow = true;
				memcpy(c->out + c->outlen, chunk,
				    (size_t)n < room ? (size_t)n : room);
				c->outlen += (size_t)n < room ? (size_t)n :
				    room;
			} else {
				if ((size_t)n >= PROCESS_ERR_KEEP) {
					memcpy(c->err, chunk + n -
					    PROCESS_ERR_KEEP, PROCESS_ERR_KEEP);
					c->errlen = PROCESS_ERR_KEEP;
				} else {
					size_t drop = c->errlen + (size_t)n >
					    PROCESS_ERR_KEEP ? c->errlen +
					    (size_t)n - PROCESS_ERR_KEEP : 0;

					memmove(c->err, c->err + drop,
					    c->errlen - drop);
					c->errlen -= drop;
					memcpy(c->err + c->errlen, chunk,
					    (size_t)n);
					c->errlen += (size_t)n;
				}
			}
		}
	}
	c->out[c->outlen] = '\0';
	c->err[c->errlen] = '\0';
	while (c->errlen > 0 && (c->err[c->errlen - 1] == '\n' ||
	    c->err[c->errlen - 1] == '\r'))
		c->err[--c->errlen] = '\0';
	return 0;
}

/* Runs argv, its stdout and stderr captured; returns its wait status, or
 * -1 with errno (the command could not be started). */
static int
process_run(char **argv, struct capture *c)
{
	posix_spawn_file_actions_t fa;
	int outp[2] = { -1, -1 }, errp[2] = { -1, -1 }, status = -1, rc, e;
	pid_t pid;

	if (pipe2(outp, O_CLOEXEC) == -1 || pipe2(errp, O_CLOEXEC) == -1)
		goto fail;
	if ((rc = posix_spawn_file_actions_init(&fa)) != 0) {
		errno = rc;
		goto fail;
	}
	posix_spawn_file_actions_adddup2(&fa, outp[1], 1);
	posix_spawn_file_actions_adddup2(&fa, errp[1], 2);
	rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0) {
		errno = rc;
		goto fail;
	}
	close(outp[1]);
	close(errp[1]);
	outp[1] = errp[1] = -1;
	rc = capture_read(outp[0], errp[0], c);
	e = errno;
	close(outp[0]);
	close(errp[0]);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	if (rc == -1) {
		errno = e;
		return -1;
	}
	return status;
fail:
	e = errno;
	for (rc = 0; rc < 2; rc++) {
		if (outp[rc] != -1)
			close(outp[rc]);
		if (errp[rc] != -1)
			close(errp[rc]);
	}
	errno = e;
	return -1;
}

/* ISO 8601 as credential_process writes it: 2026-11-29T18:00:00Z, with
 * optional fractional seconds and a Z or +HH:MM / -HH:MM offset. */
static int
iso8601_parse(const char *s, long long *out)
{
	struct tm tm;
	const char *p;
	int sign, hh, mm;

	memset(&tm, 0, sizeof(tm));
	if ((p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL)
		return -1;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	*out = (long long)timegm(&tm);
	if ((*p == 'Z' || *p == 'z') && p[1] == '\0')
		return 0;
	if ((*p != '+' && *p != '-') || sscanf(p + 1, "%2d:%2d", &hh, &mm) != 2 ||
	    strlen(p) != 6)
		return -1;
	sign = *p == '+' ? 1 : -1;
	*out -= sign * (hh * 3600LL + mm * 60LL);
	return 0;
}

static const char *
json_member(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* credential_process's output: Version 1, the keys, Expiration not past. */
static enum awscred_status
process_output(const char *out, const char *where, const char *source,
    long long now, struct awscred *cred, char *err, size_t errlen)
{
	struct json_result jr;
	json_object *o, *version;
	const char *akid, *secret, *token, *expiration;
	long long expires;
	enum awscred_status st = AWSCRED_ERR_PROCESS;

	if (json_read(out, strlen(out), NULL, &jr) != JSON_OK ||
	    !json_object_is_type(jr.value, json_type_object)) {
		snprintf(err, errlen, "%s printed no JSON object on stdout "
		    "(%s)", where, jr.why != NULL ? jr.why :
		    "another JSON value");
		json_object_put(jr.value);
		return st;
	}
	o = jr.value;
	akid = json_member(o, "AccessKeyId");
	secret = json_member(o, "SecretAccessKey");
	token = json_member(o, "SessionToken");
	expiration = json_member(o, "Expiration");
	if (!json_object_object_get_ex(o, "Version", &version) ||
	    !json_object_is_type(version, json_type_int) ||
	    json_object_get_int64(version) != 1)
		snprintf(err, errlen, "%s: its output needs \"Version\": 1",
		    where);
	else if (akid == NULL || akid[0] == '\0' || secret == NULL ||
	    secret[0] == '\0')
		snprintf(err, errlen, "%s: its output needs the strings "
		    "\"AccessKeyId\" and \"SecretAccessKey\"", where);
	else if (expiration != NULL && iso8601_parse(expiration,
	    &expires) == -1)
		snprintf(err, errlen, "%s: \"Expiration\" '%s' is not an ISO "
		    "8601 time such as 2026-11-29T18:00:00Z", where,
		    expiration);
	else if (expiration != NULL && expires <= now)
		snprintf(err, errlen, "%s returned credentials that expired "
		    "at %s: renew them (e.g. log in again) and retry", where,
		    expiration);
	else if (cred_set(cred, akid, secret, token, "%s", source) == -1)
		st = AWSCRED_ERR_NOMEM;
	else
		st = AWSCRED_OK;
	json_object_put(o);
	return st;
}

static enum awscred_status
from_process(const struct profile_keys *pk, long long now,
    struct awscred *cred, char *err, size_t errlen)
{
	struct capture c;
	char **argv, where[1024], source[1024];
	size_t n;
	int status;
	enum awscred_status st;

	snprintf(where, sizeof(where), "credential_process of profile %s in "
	    "%s (%.200s)", pk->profile, pk->path, pk->process);
	snprintf(source, sizeof(source), "credential_process of profile %s "
	    "in %s", pk->profile, pk->path);
	if ((argv = words_split(pk->process, &n)) == NULL) {
		snprintf(err, errlen, "%s:%u: credential_process is empty or "
		    "has an unclosed quote", pk->path, pk->process_line);
		return AWSCRED_ERR_PROFILE;
	}
	memset(&c, 0, sizeof(c));
	status = process_run(argv, &c);
	if (status == -1) {
		snprintf(err, errlen, "%s: can't run it: %s", where,
		    strerror(errno));
		st = AWSCRED_ERR_PROCESS;
	} else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		if (WIFEXITED(status))
			snprintf(err, errlen, "%s failed (exit %d%s)%s%s",
			    where, WEXITSTATUS(status),
			    WEXITSTATUS(status) == 127 && c.errlen == 0 ?
			    ": could not run it?" : "", c.errlen > 0 ?
			    ": " : "", c.err);
		else
			snprintf(err, errlen, "%s was killed by signal %d%s%s",
			    where, WTERMSIG(status), c.errlen > 0 ? ": " : "",
			    c.err);
		st = AWSCRED_ERR_PROCESS;
	} else if (c.out_overflow) {
		snprintf(err, errlen, "%s printed more than %d bytes", where,
		    PROCESS_OUT_MAX);
		st = AWSCRED_ERR_PROCESS;
	} else
		st = process_output(c.out, where, source, now, cred, err,
		    errlen);
	if (c.out != NULL)
		explicit_bzero(c.out, c.outlen);
	free(c.out);
	words_free(argv, n);
	return st;
}

static enum awscred_status
unsupported(const struct profile_keys *pk, char *err, size_t errlen)
{
	snprintf(err, errlen, "profile %s in %s uses %s, which shadowctl "
	    "cannot follow: add to it 'credential_process = aws configure "
	    "export-credentials --profile %s --format process' (AWS CLI v2), "
	    "or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
	    pk->profile, pk->path, pk->unsupported, pk->profile);
	return AWSCRED_ERR_PROFILE;
}

static enum awscred_status
from_profile(const char *profile, bool given, long long now,
    struct awscred *out, char *err, size_t errlen)
{
	struct profile_keys creds, conf;
	const struct profile_keys *proc;
	enum awscred_status st;

	if ((st = profile_read(&creds, profile, false, err, errlen)) !=
	    AWSCRED_OK)
		return st;
	if ((st = profile_read(&conf, profile, true, err, errlen)) !=
	    AWSCRED_OK) {
		profile_keys_free(&creds);
		return st;
	}
	st = from_keys(&creds, out, err, errlen);
	proc = creds.process != NULL ? &creds : &conf;
	if (st == AWSCRED_NONE && proc->process != NULL)
		st = from_process(proc, now, out, err, errlen);
	if (st == AWSCRED_NONE)
		st = from_keys(&conf, out, err, errlen);
	if (st == AWSCRED_NONE && (creds.unsupported != NULL ||
	    conf.unsupported != NULL))
		st = unsupported(creds.unsupported != NULL ? &creds : &conf,
		    err, errlen);
	if (st == AWSCRED_NONE && given && !creds.found && !conf.found) {
		snprintf(err, errlen, "AWS profile '%s' is in neither %s nor "
		    "%s", profile, creds.path != NULL ? creds.path :
		    "~/.aws/credentials", conf.path != NULL ? conf.path :
		    "~/.aws/config");
		st = AWSCRED_ERR_PROFILE;
	} else if (st == AWSCRED_NONE)
		snprintf(err, errlen, "no AWS credentials found: looked in the "
		    "environment (AWS_ACCESS_KEY_ID), then profile %s in %s "
		    "and in %s", profile, creds.path != NULL ? creds.path :
		    "~/.aws/credentials (no HOME)", conf.path != NULL ?
		    conf.path : "~/.aws/config (no HOME)");
	profile_keys_free(&creds);
	profile_keys_free(&conf);
	return st;
}

enum awscred_status
awscred_find(const char *profile, long long now, struct awscred *out,
    char *err, size_t errlen)
{
	enum awscred_status st = AWSCRED_NONE;
	const char *name;
	bool given;

	memset(out, 0, sizeof(*out));
	name = awscred_profile(profile, &given);
	/* As `aws --profile X`: a profile named on the command line (or in
	 * our config file) overrides keys in the environment. */
	if (profile == NULL || profile[0] == '\0')
		st = from_environment(out, err, errlen);
	if (st == AWSCRED_NONE)
		st = from_profile(name, given, now, out, err, errlen);
	return st;
}

static int
region_set(struct awscred_region *out, const char *name, const char *source)
{
	out->name = strdup(name);
	out->source = strdup(source);
	if (out->name == NULL || out->source == NULL) {
		awscred_region_free(out);
		return -1;
	}
	return 0;
}

static bool
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

/* REGION from HOST = *.iot.REGION.amazonaws.com[.cn], into buf. */
static bool
region_of_host(const char *host, char *buf, size_t size)
{
	const char *iot, *end;
	size_t n;

	for (iot = host; (iot = strstr(iot, ".iot.")) != NULL; iot++) {
		end = strchr(iot + 5, '.');
		if (end == NULL || (strcasecmp(end, ".amazonaws.com") != 0 &&
		    strcasecmp(end, ".amazonaws.com.cn") != 0))
			continue;
		n = (size_t)(end - iot - 5);
		if (n == 0 || n >= size)
			return false;
		memcpy(buf, iot + 5, n);
		buf[n] = '\0';
		return true;
	}
	return false;
}

enum awscred_status
awscred_region(const char *region, const char *profile, const char *host,
    struct awscred_region *out, char *err, size_t errlen)
{
	struct profile_keys creds, conf, *pk;
	const char *v, *name;
	char buf[64], source[1100];
	enum awscred_status st;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	name = awscred_profile(profile, NULL);
	if (region != NULL && region[0] != '\0')
		rc = region_set(out, region, "--region");
	else if ((v = getenv("AWS_REGION")) != NULL && v[0] != '\0')
		rc = region_set(out, v, "AWS_REGION");
	else if ((v = getenv("AWS_DEFAULT_REGION")) != NULL && v[0] != '\0')
		rc = region_set(out, v, "AWS_DEFAULT_REGION");
	else {
		if ((st = profile_read(&creds, name, false, err, errlen)) !=
		    AWSCRED_OK)
			return st;
		if ((st = profile_read(&conf, name, true, err, errlen)) !=
		    AWSCRED_OK) {
			profile_keys_free(&creds);
			return st;
		}
		pk = conf.region != NULL ? &conf : &creds;
		if (pk->region != NULL) {
			snprintf(source, sizeof(source), "profile %s in %s",
			    name, pk->path);
			rc = region_set(out, pk->region, source);
		} else if (host != NULL && region_of_host(host, buf,
		    sizeof(buf)))
			rc = region_set(out, buf, "the endpoint host");
		else if (host != NULL && (ends_with(host, ".amazonaws.com") ||
		    ends_with(host, ".amazonaws.com.cn"))) {
			snprintf(err, errlen, "no AWS region for %s: looked at "
			    "--region, AWS_REGION, AWS_DEFAULT_REGION, the "
			    "region of profile %s in %s and %s, and the host "
			    "name (*.iot.REGION.amazonaws.com); give --region",
			    host, name, conf.path != NULL ? conf.path :
			    "~/.aws/config", creds.path != NULL ? creds.path :
			    "~/.aws/credentials");
			profile_keys_free(&creds);
			profile_keys_free(&conf);
			return AWSCRED_ERR_REGION;
		} else
			rc = region_set(out, "us-east-1", "the default for a "
			    "host that is not AWS's");
		profile_keys_free(&creds);
		profile_keys_free(&conf);
	}
	if (rc == -1) {
		snprintf(err, errlen, "out of memory");
		return AWSCRED_ERR_NOMEM;
	}
	return AWSCRED_OK;
}

void
awscred_free(struct awscred *cred)
{
	if (cred->secret_access_key != NULL)
		explicit_bzero(cred->secret_access_key,
		    strlen(cred->secret_access_key));
	free(cred->access_key_id);
	free(cred->secret_access_key);
	free(cred->session_token);
	free(cred->source);
	memset(cred, 0, sizeof(*cred));
}

void
awscred_region_free(struct awscred_region *region)
{
	free(region->name);
	free(region->source);
	memset(region, 0, sizeof(*region));
}
