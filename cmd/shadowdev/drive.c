#include "drive.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent.h"
#include "config.h"
#include "conn.h"
#include "device.h"
#include "doc.h"
#include "events.h"
#include "json.h"
#include "log.h"
#include "owned.h"

#define DRIVE_BACKOFF_FIRST_MS 1000
#define DRIVE_BACKOFF_MAX_MS 60000
#define DRIVE_STDERR_LINES 3
#define DRIVE_STDERR_TEXT 512

struct drive {
	struct agent_job exec;       /* the --exec run */
	struct agent_job telemetry;  /* the --telemetry-exec run */
	json_object *pending;        /* owned keys still to apply */
	json_object *running;        /* what the running command was given */
	int64_t version;             /* of the latest delta merged */
	long long started;
	long long retry_at;          /* 0: no retry pending */
	long long backoff_ms;
};

struct drive *
drive_new(struct device *d)
{
	struct drive *x = calloc(1, sizeof(*x));

	if (x == NULL)
		return NULL;
	x->backoff_ms = DRIVE_BACKOFF_FIRST_MS;
	x->version = -1;
	x->exec.ud = d;
	x->telemetry.ud = d;
	return x;
}

void
drive_free(struct drive *x)
{
	if (x == NULL)
		return;
	json_object_put(x->pending);
	json_object_put(x->running);
	free(x);
}

static long long
timeout_ms(const struct device *d)
{
	return (long long)(d->cfg->exec_timeout * 1000.0);
}

/* The environment of a command: ours without secrets, and what it is for. */
static char **
drive_env(const struct device *d, int64_t version)
{
	char thing[300], shadow[300], ver[64];
	const char *extra[] = { thing, shadow, ver, NULL };

	snprintf(thing, sizeof(thing), "SHADOW_THING=%s", d->thing);
	snprintf(shadow, sizeof(shadow), "SHADOW_SHADOW=%s",
	    d->shadow != NULL ? d->shadow : "");
	if (version >= 0)
		snprintf(ver, sizeof(ver), "SHADOW_VERSION=%lld",
		    (long long)version);
	else
		snprintf(ver, sizeof(ver), "SHADOW_VERSION=");
	return child_env(extra);
}

static int
job_prepare(struct agent_job *j, const struct device *d, const char *cmd,
    json_object *input, int64_t version)
{
	const char *text = NULL;

	if (input != NULL && (text = json_object_to_json_string_ext(input,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)) == NULL)
		return -1;
	j->cmd = cmd;
	j->timeout_ms = timeout_ms(d);
	j->input = NULL;
	j->input_len = 0;
	if (text != NULL && asprintf(&j->input, "%s\n", text) < 0) {
		j->input = NULL;
		return -1;
	}
	if (text != NULL)
		j->input_len = strlen(j->input);
	if ((j->env = drive_env(d, version)) == NULL) {
		free(j->input);
		j->input = NULL;
		return -1;
	}
	return 0;
}

static agent_done_fn exec_done;
static agent_done_fn telemetry_done;

/* Run the command for what is pending, when nothing runs and no retry
 * waits. Keys already at their value need no command. */
static void
drive_next(struct device *d)
{
	struct drive *x = d->drive;
	json_object *input;
	json_object *f;

	if (x->pending == NULL || agent_busy(&x->exec) || x->retry_at != 0)
		return;
	input = doc_delta(x->pending, d->state);
	json_object_put(x->pending);
	x->pending = NULL;
	if (input == NULL) {
		device_report(d);
		return;
	}
	if (job_prepare(&x->exec, d, d->cfg->exec, input, x->version) != 0) {
		log_error("%s: can't prepare the command: out of memory",
		    d->thing);
		json_object_put(input);
		return;
	}
	x->running = input;
	x->started = conn_now_ms();
	x->exec.done = exec_done;
	f = json_object_new_object();
	if (f != NULL && (json_object_object_add(f, "state",
	    json_object_get(input)) != 0 || (x->version >= 0 &&
	    json_object_object_add(f, "version",
	    json_object_new_int64(x->version)) != 0))) {
		json_object_put(f);
		f = NULL;
	}
	event_emit(d->thing, "exec", f, "%s version %lld",
	    event_json_text(input), (long long)x->version);
	agent_submit(d->agent, &x->exec);
}

void
drive_delta(struct device *d, json_object *apply, int64_t version,
    bool from_delta)
{
	struct drive *x = d->drive;

	doc_merge(&x->pending, apply);
	if (version >= 0)
		x->version = version;
	if (from_delta) {
		x->backoff_ms = DRIVE_BACKOFF_FIRST_MS;
		x->retry_at = 0;
	}
	drive_next(d);
}

/* A command's stdout as a JSON object (json.h's strict reader), or NULL. */
static json_object *
output_object(const struct child_result *r)
{
	struct json_result jr;

	if (json_read(r->out, r->out_len, NULL, &jr) == JSON_OK &&
	    json_object_is_type(jr.value, json_type_object))
		return jr.value;
	json_object_put(jr.value);
	return NULL;
}

/* Nothing but white space. */
static bool
blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strchr(" \t\r\n", s[i]) == NULL)
			return false;
	return true;
}

/* The last lines of a command's stderr, for the log. */
static void
stderr_tail(const struct child_result *r, char *buf, size_t size)
{
	size_t end = r->err_len, start;
	int lines = 0;

	while (end > 0 && strchr(" \t\r\n", r->err[end - 1]) != NULL)
		end--;
	start = end;
	while (start > 0) {
		if (r->err[start - 1] == '\n' && ++lines == DRIVE_STDERR_LINES)
			break;
		start--;
	}
	if (end - start >= size)
		start = end - (size - 1);
	memcpy(buf, r->err + start, end - start);
	buf[end - start] = '\0';
	for (char *p = buf; *p != '\0'; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
}

/* "exit 1", "killed by signal 9", ... for a failed run. */
static void
failure_text(const struct child_result *r, const char *error, long long tmo,
    char *buf, size_t size)
{
	if (r == NULL || r->ok)
		snprintf(buf, size, "%s", error != NULL ? error : "failed");
	else if (r->timed_out)
		snprintf(buf, size, "timed out after %.1f s (%s)", tmo / 1000.0,
		    r->killed ? "killed with SIGKILL" :
		    "stopped with SIGTERM");
	else if (r->overflow)
		snprintf(buf, size, "wrote more than %d KiB of output",
		    CHILD_OUTPUT_MAX / 1024);
	else if (r->signal != 0)
		snprintf(buf, size, "killed by signal %d", r->signal);
	else if (r->exit_code != 0)
		snprintf(buf, size, "exit %d", r->exit_code);
	else
		snprintf(buf, size, "%s", error != NULL ? error : "failed");
}

static json_object *
failure_fields(const struct child_result *r, const char *status,
    const char *tail)
{
	json_object *f = json_object_new_object();

	if (f == NULL)
		return NULL;
	if (json_object_object_add(f, "status", json_object_new_string(status)) ||
	    (r != NULL && r->exit_code >= 0 && json_object_object_add(f,
	    "exit_code", json_object_new_int(r->exit_code))) ||
	    (r != NULL && r->signal != 0 && json_object_object_add(f,
	    "signal", json_object_new_int(r->signal))) ||
	    (r != NULL && json_object_object_add(f, "timed_out",
	    json_object_new_boolean(r->timed_out))) ||
	    (r != NULL && r->killed && json_object_object_add(f, "killed",
	    json_object_new_boolean(true))) ||
	    json_object_object_add(f, "stderr", json_object_new_string(tail))) {
		json_object_put(f);
		return NULL;
	}
	return f;
}

static void
exec_failed(struct device *d, const struct child_result *r,
    const char *error)
{
	struct drive *x = d->drive;
	char status[256], tail[DRIVE_STDERR_TEXT];
	json_object *f, *retry = x->running;

	tail[0] = '\0';
	if (r != NULL)
		stderr_tail(r, tail, sizeof(tail));
	failure_text(r, error, timeout_ms(d), status, sizeof(status));
	/* What failed comes back, under what arrived meanwhile. */
	x->running = NULL;
	doc_merge(&retry, x->pending);
	json_object_put(x->pending);
	x->pending = retry;
	x->retry_at = conn_now_ms() + x->backoff_ms;
	f = failure_fields(r, status, tail);
	if (f != NULL && json_object_object_add(f, "retry_in",
	    json_object_new_double((double)x->backoff_ms / 1000.0)) != 0) {
		json_object_put(f);
		f = NULL;
	}
	event_emit(d->thing, "exec-failed", f, "%s; retrying in %lld s%s%s",
	    status, x->backoff_ms / 1000, tail[0] != '\0' ? ": " : "", tail);
	x->backoff_ms *= 2;
	if (x->backoff_ms > DRIVE_BACKOFF_MAX_MS)
		x->backoff_ms = DRIVE_BACKOFF_MAX_MS;
}

/* What the command reports: its stdout's object (owned keys only), or what
 * it was given when it printed nothing. NULL with *why when unusable. */
static json_object *
exec_outcome(struct device *d, const struct child_result *r,
    const char **why)
{
	struct owned_split sp;
	json_object *out, *applied;

	if (blank(r->out, r->out_len))
		return json_object_get(d->drive->running);
	if ((out = output_object(r)) == NULL) {
		*why = "exit 0 but stdout is not a JSON object";
		return NULL;
	}
	if (owned_split(d->owned, out, NULL, 0, 0, &sp) != 0) {
		*why = "out of memory";
		json_object_put(out);
		return NULL;
	}
	if (sp.ignored != NULL)
		device_log_ignored(d, sp.ignored);
	applied = json_object_get(sp.apply);
	owned_split_free(&sp);
	json_object_put(out);
	if (applied == NULL)
		*why = "exit 0 but stdout has no key the device owns";
	return applied;
}

static void
exec_done(struct agent_job *j, const struct child_result *r,
    const char *error, void *ud)
{
	struct device *d = ud;
	struct drive *x = d->drive;
	const char *why = error;
	json_object *applied = NULL, *f;
	double secs = (double)(conn_now_ms() - x->started) / 1000.0;

	(void)j;
	if (r != NULL && r->ok)
		applied = exec_outcome(d, r, &why);
	if (applied == NULL) {
		exec_failed(d, r, why);
		drive_next(d);
		return;
	}
	json_object_put(x->running);
	x->running = NULL;
	x->backoff_ms = DRIVE_BACKOFF_FIRST_MS;
	f = json_object_new_object();
	if (f != NULL && (json_object_object_add(f, "state",
	    json_object_get(applied)) || json_object_object_add(f, "seconds",
	    json_object_new_double((double)(long long)(secs * 1000) / 1000)))) {
		json_object_put(f);
		f = NULL;
	}
	event_emit(d->thing, "exec-done", f, "%s in %.3f s",
	    event_json_text(applied), secs);
	device_adopt(d, applied);
	device_report(d);
	json_object_put(applied);
	drive_next(d);
	device_wake(d);
}

bool
drive_tick(struct device *d, long long now)
{
	struct drive *x = d->drive;

	if (x == NULL || x->retry_at == 0 || now < x->retry_at)
		return false;
	x->retry_at = 0;
	/* Ask again: only what desired still wants is applied. */
	json_object_put(x->pending);
	x->pending = NULL;
	log_debug("%s: retrying: asking for the shadow again", d->thing);
	if (d->connected)
		device_get(d);
	return true;
}

long long
drive_next_ms(const struct device *d)
{
	return d->drive != NULL ? d->drive->retry_at : 0;
}

static void
telemetry_failed(struct device *d, const struct child_result *r,
    const char *error)
{
	char status[256], tail[DRIVE_STDERR_TEXT];

	tail[0] = '\0';
	if (r != NULL)
		stderr_tail(r, tail, sizeof(tail));
	failure_text(r, error, timeout_ms(d), status, sizeof(status));
	event_emit(d->thing, "telemetry-failed", failure_fields(r, status,
	    tail), "%s%s%s", status, tail[0] != '\0' ? ": " : "", tail);
}

/* A member name that makes one topic level below the prefix. */
static bool
member_name_ok(const char *name)
{
	return name[0] != '\0' && strpbrk(name, "+#") == NULL;
}

static void
telemetry_publish(struct device *d, json_object *out)
{
	char topic[512];
	int n;

	json_object_object_foreach(out, name, value) {
		n = snprintf(topic, sizeof(topic), "%s/%s",
		    d->telemetry_prefix, name);
		if (!member_name_ok(name) || n < 0 ||
		    (size_t)n >= sizeof(topic)) {
			json_object *f = json_object_new_object();

			if (f != NULL && json_object_object_add(f, "member",
			    json_object_new_string(name)) != 0) {
				json_object_put(f);
				f = NULL;
			}
			event_emit(d->thing, "telemetry-failed", f, "member "
			    "'%.64s' is not a topic name: skipped", name);
			continue;
		}
		device_telemetry_send(d, topic, json_object_get(value));
	}
}

static void
telemetry_done(struct agent_job *j, const struct child_result *r,
    const char *error, void *ud)
{
	struct device *d = ud;
	json_object *out;

	(void)j;
	if (r == NULL || !r->ok) {
		telemetry_failed(d, r, error);
		return;
	}
	if ((out = output_object(r)) == NULL) {
		telemetry_failed(d, r, blank(r->out, r->out_len) ?
		    "printed nothing" : "stdout is not a JSON object");
		return;
	}
	if (d->connected)
		telemetry_publish(d, out);
	json_object_put(out);
	device_wake(d);
}

void
drive_telemetry(struct device *d)
{
	struct drive *x = d->drive;

	if (agent_busy(&x->telemetry)) {
		log_debug("%s: --telemetry-exec still running: this period "
		    "skipped", d->thing);
		return;
	}
	if (job_prepare(&x->telemetry, d, d->cfg->telemetry_exec, NULL,
	    -1) != 0) {
		log_error("%s: can't prepare --telemetry-exec: out of memory",
		    d->thing);
		return;
	}
	x->telemetry.done = telemetry_done;
	agent_submit(d->agent, &x->telemetry);
}
