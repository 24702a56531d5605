#include "device.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <poll.h>
#include <unistd.h>
#include <sys/random.h>

#include "assign.h"
#include "config.h"
#include "conn.h"
#include "events.h"
#include "agent.h"
#include "drive.h"
#include "json.h"
#include "log.h"
#include "owned.h"
#include "statefile.h"

#define DEVICE_QOS 1
#define DEVICE_DEFAULT_STATE "MOTOR=OFF"
#define TOKEN_GET 'g'
#define TOKEN_REPORT 'r'
#define TOKEN_CLEAR 'x'

/* What the device subscribes to: its deltas and the answers it waits for. */
static const char *const answer_topics[] = {
	"update/delta",
	"get/accepted",
	"get/rejected",
	"update/accepted",
	"update/rejected",
};
#define NANSWERS (int)(sizeof(answer_topics) / sizeof(answer_topics[0]))

static const char *keys_text(json_object *keys, char *buf, size_t size);
static void device_on_connect(void *, bool);
static void device_on_disconnect(void *, int);
static void device_on_message(void *, const char *, const void *, size_t);
static void device_on_taken_over(void *, const char *);

static const struct conn_handlers device_handlers = {
	.on_connect = device_on_connect,
	.on_disconnect = device_on_disconnect,
	.on_message = device_on_message,
	.on_taken_over = device_on_taken_over,
};

static void
field_add(json_object *f, const char *key, json_object *val)
{
	if (f == NULL || json_object_object_add(f, key, val) != 0)
		json_object_put(val);
}

static json_object *
fields_new(const char *key, json_object *val)
{
	json_object *f = json_object_new_object();

	field_add(f, key, val);
	return f;
}

static int
device_state_load(struct device *d, char *err, size_t errlen)
{
	static const char *const defaults[] = { DEVICE_DEFAULT_STATE };
	const char *const *args = (const char *const *)d->cfg->state;
	size_t n = d->cfg->nstate;

	if (n == 0) {
		args = defaults;
		n = 1;
	}
	if ((d->owned = owned_new()) == NULL) {
		snprintf(err, errlen, "owned keys: out of memory");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (assign_apply(&d->state, args[i], err, errlen) != 0 ||
		    owned_add_assignment(d->owned, args[i], err, errlen) != 0)
			return -1;
	}
	return 0;
}

static int
device_topics(struct device *d, char *err, size_t errlen)
{
	const char *prefix = d->cfg->telemetry_prefix;
	char get[SHADOW_TOPIC_MAX], update[SHADOW_TOPIC_MAX];
	char temp[SHADOW_TOPIC_MAX], vib[SHADOW_TOPIC_MAX];
	int n, m;

	if (prefix == NULL || prefix[0] == '\0')
		prefix = "data";
	d->telemetry_prefix = prefix;
	if (shadow_topic_build(get, sizeof(get), d->thing, d->shadow,
	    SHADOW_MSG_GET, NULL) != TOPIC_OK ||
	    shadow_topic_build(update, sizeof(update), d->thing, d->shadow,
	    SHADOW_MSG_UPDATE, NULL) != TOPIC_OK) {
		snprintf(err, errlen, "thing '%s'%s%s: not a valid shadow name",
		    d->thing, d->shadow ? ", shadow " : "",
		    d->shadow ? d->shadow : "");
		return -1;
	}
	n = snprintf(temp, sizeof(temp), "%s/temperature", prefix);
	m = snprintf(vib, sizeof(vib), "%s/vibration", prefix);
	if (n < 0 || (size_t)n >= sizeof(temp) || m < 0 ||
	    (size_t)m >= sizeof(vib))
		goto too_long;
	if ((d->topic_get = strdup(get)) == NULL ||
	    (d->topic_update = strdup(update)) == NULL ||
	    (d->topic_temperature = strdup(temp)) == NULL ||
	    (d->topic_vibration = strdup(vib)) == NULL) {
		snprintf(err, errlen, "topics of %s: out of memory", d->thing);
		return -1;
	}
	return 0;
too_long:
	snprintf(err, errlen, "telemetry prefix '%s': too long (at most %d "
	    "bytes)", prefix, SHADOW_TOPIC_MAX - 16);
	return -1;
}

static void
device_seed(struct device *d)
{
	unsigned int seed;
	static const char hex[] = "0123456789abcdef";

	if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		seed = (unsigned int)time(NULL) ^ (unsigned int)getpid() ^
		    (unsigned int)(uintptr_t)d;
	d->seed = seed;
	memcpy(d->token_prefix, "sd", 2);
	for (int i = 0; i < 10; i++)
		d->token_prefix[2 + i] = hex[rand_r(&d->seed) % 16];
	d->token_prefix[12] = '\0';
}

/* --state-dir: the saved values of owned keys win over --state. */
static int
device_state_restore(struct device *d, char *err, size_t errlen)
{
	json_object *saved;
	struct owned_split sp;
	char text[1024];

	if (d->cfg->state_dir == NULL)
		return 0;
	if (statefile_dir(d->cfg->state_dir, err, errlen) != 0)
		return -1;
	if ((d->state_path = statefile_path(d->cfg->state_dir, d->thing,
	    d->shadow)) == NULL) {
		snprintf(err, errlen, "state file of %s: out of memory",
		    d->thing);
		return -1;
	}
	if (statefile_read(d->state_path, &saved, err, errlen) != 0)
		return -1;
	if (saved == NULL)
		return 0;
	if (owned_split(d->owned, saved, NULL, 0, 0, &sp) != 0) {
		snprintf(err, errlen, "state file %s: out of memory",
		    d->state_path);
		json_object_put(saved);
		return -1;
	}
	if (sp.ignored != NULL)
		log_warn("state file %s: %s not owned by this device (--state): "
		    "ignored", d->state_path, keys_text(sp.ignored, text,
		    sizeof(text)));
	if (sp.apply != NULL)
		doc_merge(&d->state, sp.apply);
	owned_split_free(&sp);
	json_object_put(saved);
	return 0;
}

/*
 * One init for a single device (proto NULL, stats NULL) and the devices of
 * a fleet (the first one reads --state, the others share its owned keys and
 * copy its state).
 */
int
device_init(struct device *d, const struct shadow_config *cfg,
    const char *thing, const struct device *proto, struct device_stats *stats,
    char *err, size_t errlen)
{
	memset(d, 0, sizeof(*d));
	d->fd = -1;
	d->cfg = cfg;
	d->thing = thing;
	d->shadow = cfg->shadow;
	d->stats = stats;
	if ((d->client_id = strdup(cfg->client_id != NULL ? cfg->client_id :
	    thing)) == NULL) {
		snprintf(err, errlen, "client id of %s: %s", thing,
		    strerror(errno));
		return -1;
	}
	if (proto == NULL) {
		if (device_state_load(d, err, errlen) != 0)
			return -1;
	} else {
		d->owned = owned_ref(proto->owned);
		if (json_object_deep_copy(proto->state, &d->state, NULL) != 0) {
			snprintf(err, errlen, "state of %s: out of memory",
			    thing);
			return -1;
		}
	}
	if (device_topics(d, err, errlen) != 0 ||
	    device_state_restore(d, err, errlen) != 0)
		return -1;
	if ((cfg->exec != NULL || cfg->telemetry_exec != NULL) &&
	    (d->drive = drive_new(d)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", thing);
		return -1;
	}
	device_seed(d);
	return 0;
}

static void
device_token(struct device *d, char kind, char *buf, size_t size)
{
	snprintf(buf, size, "%s-%c%lu", d->token_prefix, kind, ++d->token_seq);
}

/* Which kind of our requests a clientToken answers; 0 when not ours. */
static char
device_token_kind(const struct device *d, json_object *doc)
{
	json_object *tok;
	const char *s;
	size_t n = strlen(d->token_prefix);

	if (!json_object_object_get_ex(doc, "clientToken", &tok) ||
	    !json_object_is_type(tok, json_type_string))
		return 0;
	s = json_object_get_string(tok);
	if (strncmp(s, d->token_prefix, n) != 0 || s[n] != '-')
		return 0;
	return s[n + 1];
}

/* Publish {"state":{SECTION:value},"clientToken":...}; value is consumed. */
static int
device_update(struct device *d, const char *section, json_object *value,
    char kind)
{
	char token[DOC_MAX_TOKEN + 1];
	json_object *doc, *state;
	int rc = -1;

	device_token(d, kind, token, sizeof(token));
	if ((doc = json_object_new_object()) == NULL ||
	    (state = json_object_new_object()) == NULL) {
		json_object_put(doc);
		json_object_put(value);
		goto fail;
	}
	if (json_object_object_add(doc, "state", state) != 0) {
		json_object_put(state);
		json_object_put(value);
		goto fail;
	}
	if (json_object_object_add(state, section, value) != 0) {
		json_object_put(value);
		goto fail;
	}
	if (json_object_object_add(doc, "clientToken",
	    json_object_new_string(token)) != 0)
		goto fail;
	if (conn_publish_json(d->conn, d->topic_update, doc, DEVICE_QOS,
	    NULL) != 0) {
		log_warn("can't publish update of %s: not connected?",
		    d->topic_update);
		goto out;
	}
	rc = 0;
	goto out;
fail:
	log_error("can't build update for %s: out of memory", d->topic_update);
out:
	json_object_put(doc);
	return rc;
}

int
device_report(struct device *d)
{
	json_object *copy = NULL;

	if (json_object_deep_copy(d->state, &copy, NULL) != 0) {
		log_error("can't copy state to report: out of memory");
		return -1;
	}
	log_debug("reporting %s", event_json_text(copy));
	return device_update(d, "reported", copy, TOKEN_REPORT);
}

void
device_get(struct device *d)
{
	json_object *doc;

	device_token(d, TOKEN_GET, d->get_token, sizeof(d->get_token));
	if ((doc = json_object_new_object()) == NULL ||
	    json_object_object_add(doc, "clientToken",
	    json_object_new_string(d->get_token)) != 0) {
		log_error("can't build get request: out of memory");
		json_object_put(doc);
		return;
	}
	if (conn_publish_json(d->conn, d->topic_get, doc, DEVICE_QOS,
	    NULL) != 0)
		log_warn("can't publish get on %s", d->topic_get);
	json_object_put(doc);
}

static void
device_on_connect(void *ud, bool session_present)
{
	struct device *d = ud;
	json_object *f = events_enabled() ? json_object_new_object() : NULL;

	d->connected = true;
	if (d->stats != NULL)
		d->stats->connected++;
	if (f != NULL) {
		field_add(f, "session_present",
		    json_object_new_boolean(session_present));
		event_emit(d->thing, "connected", f, "(%s)",
		    session_present ? "session kept" : "new session");
	}
	device_get(d);
}

static void
device_on_disconnect(void *ud, int rc)
{
	struct device *d = ud;
	json_object *f;
	const char *why = conn_disconnect_reason(rc);

	if (!d->connected)
		return;
	d->connected = false;
	if (d->stats != NULL)
		d->stats->connected--;
	if (!events_enabled())
		return;
	f = json_object_new_object();
	field_add(f, "reason", json_object_new_string(why));
	event_emit(d->thing, "disconnected", f, "(%s)%s", why,
	    rc == 0 ? "" : ", reconnecting");
}

/* Two devices with one thing name take the session from each other. */
static void
device_on_taken_over(void *ud, const char *why)
{
	struct device *d = ud;
	json_object *f = json_object_new_object();

	field_add(f, "client_id", json_object_new_string(d->client_id));
	field_add(f, "reason", json_object_new_string(why));
	event_emit(d->thing, "taken-over", f, "client id %s: another client "
	    "uses it (two devices with one thing name?): %s", d->client_id,
	    why);
	log_warn("%s: another client uses the client id %s on %s:%d (two "
	    "devices with one thing name?): %s; give each device its own "
	    "thing name or -i", d->thing, d->client_id, d->cfg->endpoint,
	    d->cfg->port, why);
}

/* "a, b.c" for a human line. */
static const char *
keys_text(json_object *keys, char *buf, size_t size)
{
	size_t n = json_object_array_length(keys), len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && len < size; i++) {
		int w = snprintf(buf + len, size - len, "%s%s", i > 0 ? ", " :
		    "", json_object_get_string(json_object_array_get_idx(keys,
		    i)));
		if (w < 0)
			break;
		len += (size_t)w;
	}
	return buf;
}

void
device_log_ignored(struct device *d, json_object *keys)
{
	char text[1024];

	event_emit(d->thing, "ignored", fields_new("keys", json_object_get(keys)),
	    "%s (not owned by this device)", keys_text(keys, text,
	    sizeof(text)));
}

static void
device_expire(struct device *d, struct owned_split *sp, int64_t now)
{
	json_object *f = fields_new("keys", json_object_get(sp->expired));
	char text[1024];

	field_add(f, "age", json_object_new_int64(now -
	    sp->oldest));
	field_add(f, "max_desired_age",
	    json_object_new_double(d->cfg->max_desired_age));
	event_emit(d->thing, "expired", f, "%s (desired %lld s ago, limit %g "
	    "s): removing from desired", keys_text(sp->expired, text,
	    sizeof(text)),
	    (long long)(now - sp->oldest), d->cfg->max_desired_age);
	device_update(d, "desired", json_object_get(sp->clear), TOKEN_CLEAR);
}

/* A change the device made: into its state, the log and its state file. */
void
device_adopt(struct device *d, json_object *patch)
{
	char err[1024];
	json_object *empty = NULL;

	if (d->stats != NULL)
		d->stats->applied++;
	if (events_enabled())
		event_emit(d->thing, "applied", fields_new("state",
		    json_object_get(patch)), "%s", event_json_text(patch));
	doc_merge(&d->state, patch);
	if (d->state_path == NULL)
		return;
	if (d->state == NULL && (empty = json_object_new_object()) == NULL) {
		log_error("state file %s: out of memory", d->state_path);
		return;
	}
	if (statefile_write(d->state_path, d->state != NULL ? d->state : empty,
	    err, sizeof(err)) != 0)
		log_error("%s (the state is kept in memory; check the "
		    "directory's space and permissions)", err);
	json_object_put(empty);
}

static void
device_log_delta(struct device *d, json_object *delta, int64_t version,
    const char *source)
{
	json_object *f = fields_new("state", json_object_get(delta));

	if (version >= 0)
		field_add(f, "version", json_object_new_int64(version));
	field_add(f, "source", json_object_new_string(source));
	event_emit(d->thing, "delta", f, "%s version %lld (%s)",
	    event_json_text(delta), (long long)version, source);
}

/*
 * Act on a delta: apply the owned keys, clear the expired ones, log the
 * others; then report when something was applied or report is set.
 */
static void
device_handle_delta(struct device *d, json_object *delta, json_object *meta,
    int64_t version, const char *source, bool report)
{
	struct owned_split sp;
	int64_t now = (int64_t)time(NULL);

	if (events_enabled())
		device_log_delta(d, delta, version, source);
	if (owned_split(d->owned, delta, meta, d->cfg->max_desired_age, now,
	    &sp) != 0) {
		log_error("can't handle delta version %lld: out of memory",
		    (long long)version);
		return;
	}
	if (sp.ignored != NULL)
		device_log_ignored(d, sp.ignored);
	if (sp.clear != NULL)
		device_expire(d, &sp, now);
	if (sp.apply != NULL && d->drive != NULL && d->cfg->exec != NULL)
		drive_delta(d, sp.apply, version, strcmp(source, "delta") == 0);
	else if (sp.apply != NULL) {
		device_adopt(d, sp.apply);
		report = true;
	}
	if (report)
		device_report(d);
	owned_split_free(&sp);
}

static int64_t
doc_version(json_object *doc)
{
	json_object *v;

	if (json_object_object_get_ex(doc, "version", &v) &&
	    json_object_is_type(v, json_type_int))
		return json_object_get_int64(v);
	return -1;
}

static json_object *
doc_path(json_object *doc, const char *a, const char *b)
{
	json_object *x, *y;

	if (!json_object_object_get_ex(doc, a, &x) ||
	    !json_object_is_type(x, json_type_object))
		return NULL;
	if (b == NULL)
		return x;
	if (!json_object_object_get_ex(x, b, &y) ||
	    !json_object_is_type(y, json_type_object))
		return NULL;
	return y;
}

static void
device_on_delta(struct device *d, json_object *doc)
{
	int64_t version = doc_version(doc);
	json_object *state = doc_path(doc, "state", NULL), *f;

	if (state == NULL) {
		log_warn("delta on %s without a state object: ignored",
		    d->thing);
		return;
	}
	if (version >= 0 && version <= d->last_version) {
		if (log_verbosity() < 1)
			return;
		f = fields_new("version", json_object_new_int64(version));
		field_add(f, "last_version",
		    json_object_new_int64(d->last_version));
		event_emit(d->thing, "stale", f, "delta version %lld dropped "
		    "(already at version %lld)", (long long)version,
		    (long long)d->last_version);
		return;
	}
	if (version >= 0)
		d->last_version = version;
	/* With --exec, the delta that our own report caused is no order: the
	 * command ran for those values and the hardware answered. */
	if (d->drive != NULL && d->cfg->exec != NULL &&
	    device_token_kind(d, doc) == TOKEN_REPORT) {
		log_debug("%s: delta version %lld follows our report: not a new "
		    "order", d->thing, (long long)version);
		return;
	}
	device_handle_delta(d, state, doc_path(doc, "metadata", NULL), version,
	    "delta", false);
}

/*
 * The offline catch-up: desired is compared with the device's own state,
 * not with reported, which may be older than this run.
 */
static void
device_on_get_accepted(struct device *d, json_object *doc)
{
	json_object *desired = doc_path(doc, "state", "desired");
	json_object *reported = doc_path(doc, "state", "reported");
	json_object *delta = NULL, *behind = NULL;
	int64_t version = doc_version(doc);
	bool report;

	d->get_token[0] = '\0';
	if (version >= 0)
		d->last_version = version;
	if (reported == NULL)
		report = true;
	else {
		behind = doc_delta(d->state, reported);
		report = behind != NULL;
		json_object_put(behind);
	}
	if (desired != NULL)
		delta = doc_delta(desired, d->state);
	log_debug("%s: shadow version %lld: %s", d->thing, (long long)version,
	    delta != NULL ? "desired differs from the device" :
	    "nothing to apply");
	if (delta != NULL)
		device_handle_delta(d, delta, doc_path(doc, "metadata",
		    "desired"), version, "get", report);
	else if (report)
		device_report(d);
	json_object_put(delta);
}

static void
doc_error_read(json_object *doc, int *code, const char **message)
{
	json_object *v;

	*code = 0;
	*message = "(no message)";
	if (json_object_object_get_ex(doc, "code", &v))
		*code = json_object_get_int(v);
	if (json_object_object_get_ex(doc, "message", &v) &&
	    json_object_is_type(v, json_type_string))
		*message = json_object_get_string(v);
}

static void
device_on_get_rejected(struct device *d, json_object *doc)
{
	const char *message;
	int code;

	d->get_token[0] = '\0';
	doc_error_read(doc, &code, &message);
	if (code == 404) {
		log_debug("no shadow for %s yet: reporting the initial state",
		    d->thing);
		d->last_version = 0;
		device_report(d);
		return;
	}
	log_warn("get of %s rejected: %d %s", d->thing, code, message);
}

static void
device_on_update_accepted(struct device *d, json_object *doc, char kind)
{
	json_object *reported = doc_path(doc, "state", "reported"), *f;
	int64_t version = doc_version(doc);

	if (kind == TOKEN_CLEAR) {
		log_debug("expired keys removed from desired (version %lld)",
		    (long long)version);
		return;
	}
	if (reported == NULL)
		return;
	if (d->stats != NULL)
		d->stats->reports++;
	if (!events_enabled())
		return;
	f = fields_new("state", json_object_get(reported));
	field_add(f, "version", json_object_new_int64(version));
	event_emit(d->thing, "reported", f, "%s version %lld",
	    event_json_text(reported), (long long)version);
}

static void
device_on_update_rejected(struct device *d, json_object *doc)
{
	const char *message;
	int code;
	json_object *f;

	doc_error_read(doc, &code, &message);
	log_warn("update of %s rejected: %d %s", d->thing, code, message);
	f = fields_new("code", json_object_new_int(code));
	field_add(f, "message", json_object_new_string(message));
	event_emit(d->thing, "rejected", f, "%d %s", code, message);
}

static bool
device_topic_ours(const struct device *d, const struct shadow_topic *t)
{
	if (t->thing_len != strlen(d->thing) ||
	    memcmp(t->thing, d->thing, t->thing_len) != 0)
		return false;
	if (d->shadow == NULL)
		return t->shadow == NULL;
	return t->shadow != NULL && t->shadow_len == strlen(d->shadow) &&
	    memcmp(t->shadow, d->shadow, t->shadow_len) == 0;
}

static json_object *
payload_parse(const char *topic, const void *payload, size_t len)
{
	struct json_result jr;

	if (len > DOC_MAX_PAYLOAD)
		return NULL;
	if (json_read(payload, len, NULL, &jr) != JSON_OK ||
	    !json_object_is_type(jr.value, json_type_object)) {
		log_warn("message on %s is not a JSON object: ignored", topic);
		json_object_put(jr.value);
		return NULL;
	}
	return jr.value;
}

/* Only the answer to the latest get counts: an older one may be queued. */
static bool
device_get_answer(const struct device *d, json_object *doc)
{
	json_object *tok;

	return d->get_token[0] != '\0' &&
	    json_object_object_get_ex(doc, "clientToken", &tok) &&
	    json_object_is_type(tok, json_type_string) &&
	    strcmp(json_object_get_string(tok), d->get_token) == 0;
}

static void
device_dispatch(struct device *d, enum shadow_msg msg, json_object *doc)
{
	char kind = device_token_kind(d, doc);

	switch (msg) {
	case SHADOW_MSG_UPDATE_DELTA:
		device_on_delta(d, doc);
		break;
	case SHADOW_MSG_GET_ACCEPTED:
		if (device_get_answer(d, doc))
			device_on_get_accepted(d, doc);
		break;
	case SHADOW_MSG_GET_REJECTED:
		if (device_get_answer(d, doc))
			device_on_get_rejected(d, doc);
		break;
	case SHADOW_MSG_UPDATE_ACCEPTED:
		if (kind != 0)
			device_on_update_accepted(d, doc, kind);
		break;
	case SHADOW_MSG_UPDATE_REJECTED:
		if (kind != 0)
			device_on_update_rejected(d, doc);
		break;
	default:
		break;
	}
}

static void
device_on_message(void *ud, const char *topic, const void *payload,
    size_t len)
{
	struct device *d = ud;
	struct shadow_topic t;
	json_object *doc;

	if (shadow_topic_match(topic, strlen(topic), &t) != TOPIC_OK ||
	    !device_topic_ours(d, &t)) {
		log_debug("message on %s: not for this device", topic);
		return;
	}
	if ((doc = payload_parse(topic, payload, len)) == NULL)
		return;
	device_dispatch(d, t.msg, doc);
	json_object_put(doc);
}

static bool
device_motor_on(const struct device *d)
{
	json_object *m;

	return json_object_object_get_ex(d->state, "MOTOR", &m) &&
	    json_object_is_type(m, json_type_string) &&
	    strcmp(json_object_get_string(m), "ON") == 0;
}

static int
random_between(struct device *d, int lo, int hi)
{
	return lo + (int)(rand_r(&d->seed) % (unsigned int)(hi - lo + 1));
}

/* Publish one telemetry message (p consumed) and log it. */
void
device_telemetry_send(struct device *d, const char *topic, json_object *p)
{
	json_object *f;

	if (conn_publish_json(d->conn, topic, p, DEVICE_QOS, NULL) != 0) {
		log_warn("can't publish telemetry on %s", topic);
		json_object_put(p);
		return;
	}
	if (d->stats != NULL)
		d->stats->telemetry++;
	if (!events_enabled()) {
		json_object_put(p);
		return;
	}
	f = fields_new("topic", json_object_new_string(topic));
	field_add(f, "payload", json_object_get(p));
	event_emit(d->thing, "telemetry", f, "%s %s", topic,
	    event_json_text(p));
	json_object_put(p);
}

static void
device_publish_telemetry(struct device *d, const char *topic, const char *key,
    int value, bool with_unit)
{
	json_object *p = json_object_new_object();

	if (p == NULL || json_object_object_add(p, key,
	    json_object_new_int(value)) != 0 || (with_unit &&
	    json_object_object_add(p, "unit", json_object_new_string("F")))) {
		log_error("can't build telemetry for %s: out of memory", topic);
		json_object_put(p);
		return;
	}
	device_telemetry_send(d, topic, p);
}

static void
device_telemetry(struct device *d)
{
	if (!d->connected) {
		log_debug("%s not connected: telemetry skipped", d->thing);
		return;
	}
	if (d->cfg->telemetry_exec != NULL) {
		drive_telemetry(d);
		return;
	}
	device_publish_telemetry(d, d->topic_temperature, "temp",
	    random_between(d, 0, 100), true);
	if (device_motor_on(d))
		device_publish_telemetry(d, d->topic_vibration, "vibration",
		    random_between(d, -500, 500), false);
}

static long long
device_interval_ms(const struct device *d)
{
	long long ms = (long long)(d->cfg->interval * 1000.0);

	return ms > 0 ? ms : 1;
}

/* The one telemetry scheduler: publish when due, then book the next slot. */
static bool
device_telemetry_due(struct device *d, long long now)
{
	if (now < d->next_telemetry_ms)
		return false;
	device_telemetry(d);
	d->next_telemetry_ms += device_interval_ms(d);
	if (d->next_telemetry_ms <= now)
		d->next_telemetry_ms = now + device_interval_ms(d);
	return true;
}

/* The device's connection object, made on first use: persistent session,
 * reconnecting. */
static int
conn_ensure(struct device *d, bool async, char *err, size_t errlen)
{
	const struct conn_options o = {
		.client_id = d->client_id,
		.persistent = true,
		.reconnect = true,
		.async = async,
		.sub = { d->thing, d->shadow, answer_topics, NANSWERS,
		    DEVICE_QOS },
	};

	if (d->conn != NULL)
		return 0;
	if ((d->conn = conn_new(d->cfg, &o, &device_handlers, d, err,
	    errlen)) == NULL)
		return -1;
	return 0;
}

int
device_connect(struct device *d, int timeout_ms, bool *fatal, char *err,
    size_t errlen)
{
	enum conn_status st;

	*fatal = false;
	if (conn_ensure(d, false, err, errlen) == -1) {
		*fatal = true;
		return -1;
	}
	st = conn_open(d->conn, timeout_ms, err, errlen);
	if (st != CONN_OK) {
		*fatal = st == CONN_ERR_USAGE;
		return -1;
	}
	d->next_telemetry_ms = conn_now_ms() + device_interval_ms(d);
	return 0;
}

long long
device_next_ms(const struct device *d)
{
	return d->next_telemetry_ms;
}

static void
wait_until(long long *wait, long long now, long long when)
{
	if (when != 0 && when - now < *wait)
		*wait = when - now;
}

/*
 * With commands to run, one poll covers the connection and the agent's
 * descriptor (its children's pipes and exits); the connection then does
 * what is ready without waiting.
 */
static enum conn_status
device_poll(struct device *d, int wait)
{
	struct pollfd p[2];
	nfds_t n = 1;
	int fd = conn_socket(d->conn);

	p[0] = (struct pollfd){ .fd = agent_fd(d->agent), .events = POLLIN };
	if (fd >= 0)
		p[n++] = (struct pollfd){ .fd = fd, .events = POLLIN |
		    (conn_want_write(d->conn) ? POLLOUT : 0) };
	if (poll(p, n, wait) < 0 && errno != EINTR) {
		log_error("can't poll the connection and the commands: %s",
		    strerror(errno));
		return CONN_ERR_USAGE;
	}
	if (p[0].revents != 0)
		agent_service(d->agent);
	return conn_loop(d->conn, 0);
}

int
device_run_once(struct device *d, int timeout_ms)
{
	long long now = conn_now_ms(), wait = timeout_ms;

	device_telemetry_due(d, now);
	wait_until(&wait, now, d->next_telemetry_ms);
	if (d->agent != NULL) {
		drive_tick(d, now);
		agent_tick(d->agent, now);
		wait_until(&wait, now, drive_next_ms(d));
		wait_until(&wait, now, agent_next_ms(d->agent));
	}
	if (wait < 0)
		wait = 0;
	if (d->agent != NULL)
		return device_poll(d, (int)wait) == CONN_ERR_USAGE ? -1 : 0;
	return conn_loop(d->conn, (int)wait) == CONN_ERR_USAGE ? -1 : 0;
}

void
device_stop(struct device *d)
{
	if (d->conn == NULL)
		return;
	if (d->connected)
		conn_flush(d->conn, 1000);
	d->connected = false;
	conn_close(d->conn);
}

void
device_free(struct device *d)
{
	if (d->conn != NULL)
		conn_free(d->conn);
	drive_free(d->drive);
	free(d->state_path);
	json_object_put(d->state);
	owned_free(d->owned);
	free(d->client_id);
	free(d->topic_get);
	free(d->topic_update);
	free(d->topic_temperature);
	free(d->topic_vibration);
	memset(d, 0, sizeof(*d));
}

int
device_start(struct device *d, long long first_telemetry_ms, bool *fatal,
    char *err, size_t errlen)
{
	enum conn_status st;

	*fatal = false;
	d->next_telemetry_ms = first_telemetry_ms;
	if (conn_ensure(d, true, err, errlen) == -1) {
		*fatal = true;
		return -1;
	}
	st = conn_open(d->conn, 0, err, errlen);
	if (st != CONN_OK) {
		*fatal = st == CONN_ERR_USAGE;
		return -1;
	}
	return 0;
}

void
device_service(struct device *d, bool readable, bool writable)
{
	conn_service(d->conn, readable, writable);
}

/* True when it may have written or changed the connection. */
bool
device_tick(struct device *d, long long now, bool keepalive)
{
	long long retry;
	bool acted = keepalive;

	if (d->conn == NULL)
		return false;
	if (device_telemetry_due(d, now))
		acted = true;
	if (drive_tick(d, now))
		acted = true;
	retry = conn_retry_at(d->conn);
	if (retry != 0 && now >= retry)
		acted = true;
	if (acted)
		conn_tick(d->conn, now, keepalive);
	return acted;
}

int
device_socket(const struct device *d)
{
	return d->conn != NULL ? conn_socket(d->conn) : -1;
}

bool
device_want_write(const struct device *d)
{
	return d->conn != NULL && conn_want_write(d->conn);
}

void
device_wake(struct device *d)
{
	if (d->wake != NULL)
		d->wake(d, d->wake_ud);
}

void
device_disconnect(struct device *d)
{
	if (d->conn != NULL)
		conn_close(d->conn);
}
