#include "ctl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "json.h"
#include "ids.h"
#include "log.h"

int
session_topic(const struct shadow_config *cfg, enum shadow_msg msg,
    char buf[SHADOW_TOPIC_MAX])
{
	return shadow_topic_build(buf, SHADOW_TOPIC_MAX, cfg->thing,
	    cfg->shadow, msg, NULL) == TOPIC_OK ? 0 : -1;
}

/* {"clientToken":token}, the whole payload of a get or delete. */
json_object *
session_token_doc(const char *token)
{
	json_object *req;

	if ((req = json_object_new_object()) == NULL ||
	    json_object_object_add(req, "clientToken",
	    json_object_new_string(token)) != 0) {
		json_object_put(req);
		log_error("out of memory");
		return NULL;
	}
	return req;
}

void
session_init(struct session *s, const struct shadow_config *cfg,
    enum shadow_msg op)
{
	memset(s, 0, sizeof(*s));
	s->cfg = cfg;
	s->op = op;
	s->deadline = conn_now_ms() + (long long)(cfg->timeout * 1000.0);
	ids_token(s->token);
}

static int
left_ms(const struct session *s)
{
	long long left = s->deadline - conn_now_ms();

	if (left <= 0)
		return 0;
	return left > 1000000000 ? 1000000000 : (int)left;
}

static bool
token_is(json_object *doc, const char *token)
{
	json_object *t;

	return token[0] != '\0' &&
	    json_object_object_get_ex(doc, "clientToken", &t) &&
	    json_object_is_type(t, json_type_string) &&
	    strcmp(json_object_get_string(t), token) == 0;
}

static json_object *
payload_parse(const void *payload, size_t len)
{
	struct json_result jr;

	if (len > DOC_MAX_PAYLOAD ||
	    json_read(payload, len, NULL, &jr) != JSON_OK)
		return NULL;
	if (!json_object_is_type(jr.value, json_type_object)) {
		json_object_put(jr.value);
		return NULL;
	}
	return jr.value;
}

static void
note_answer(struct session *s, json_object *doc, bool rejected)
{
	if (s->answered || !token_is(doc, s->token))
		return;
	s->answer = json_object_get(doc);
	s->answered = true;
	s->rejected = rejected;
}

static void
note_snapshot(struct session *s, enum shadow_msg msg, json_object *doc)
{
	json_object *snap = doc, *state = NULL, *version = NULL;

	if (msg == SHADOW_MSG_UPDATE_DOCUMENTS &&
	    !json_object_object_get_ex(doc, "current", &snap))
		return;
	if (!json_object_object_get_ex(snap, "state", &state) ||
	    !json_object_object_get_ex(snap, "version", &version))
		return;
	wait_note(s->wait, state, version);
}

static void
on_message(void *ud, const char *topic, const void *payload, size_t len)
{
	struct session *s = ud;
	struct shadow_topic t;
	json_object *doc;

	if (shadow_topic_match(topic, strlen(topic), &t) != TOPIC_OK ||
	    (doc = payload_parse(payload, len)) == NULL)
		return;
	if (t.msg == shadow_msg_accepted(s->op))
		note_answer(s, doc, false);
	else if (t.msg == shadow_msg_rejected(s->op))
		note_answer(s, doc, true);
	if (s->wait != NULL && (t.msg == SHADOW_MSG_UPDATE_DOCUMENTS ||
	    t.msg == SHADOW_MSG_GET_ACCEPTED))
		note_snapshot(s, t.msg, doc);
	json_object_put(doc);
}

static void
on_refused(void *ud, int mid, int reason)
{
	struct session *s = ud;

	if (mid == s->req_mid)
		s->refused = reason;
}

/*
 * Under MQTT 5 the request goes out at QoS 1, so a broker that refuses it
 * (ACL, policy) says so in its PUBACK. MQTT 3.1.1 has no way to say it:
 * there QoS 0 saves a round trip, and the answer is the acknowledgement.
 */
static int
request_qos(const struct session *s)
{
	return s->cfg->mqtt_version == CONFIG_MQTT_5 ? 1 : 0;
}

/*
 * The answers to a request, and with --wait the documents and the answer
 * to the get that covers a report made before the update (session_wait).
 */
static const char *const answers_get[] = { "get/accepted", "get/rejected" };
static const char *const answers_update[] = { "update/accepted",
	"update/rejected", "update/documents", "get/accepted" };
static const char *const answers_delete[] = { "delete/accepted",
	"delete/rejected" };

enum ctl_status
session_open(struct session *s, bool with_wait)
{
	static const struct conn_handlers h = {
		.on_message = on_message,
		.on_publish_refused = on_refused,
	};
	const struct shadow_config *cfg = s->cfg;
	struct conn_options o = {
		.client_id = cfg->client_id,
		.client_id_prefix = "shadowctl-",
		.sub = { cfg->thing, cfg->shadow, answers_get, 2, 1 },
	};
	char err[CTL_ERRLEN];
	enum conn_status st;

	if (s->op == SHADOW_MSG_UPDATE) {
		o.sub.what = answers_update;
		o.sub.n = with_wait ? 4 : 2;
	} else if (s->op == SHADOW_MSG_DELETE)
		o.sub.what = answers_delete;
	if ((s->conn = conn_new(cfg, &o, &h, s, err, sizeof(err))) == NULL) {
		log_error("%s", err);
		return CTL_USAGE;
	}
	if ((st = conn_open(s->conn, left_ms(s), err, sizeof(err))) != CONN_OK) {
		log_error("%s", err);
		return ctl_status_of(st);
	}
	return CTL_OK;
}

static void
report_timeout(const struct session *s, const char *what)
{
	char topic[SHADOW_TOPIC_MAX];

	if (session_topic(s->cfg, s->op, topic) == -1)
		topic[0] = '\0';
	log_error("no %s from the shadow service on %s:%d within %g s; is "
	    "shadowd running? (on AWS IoT a policy that does not allow "
	    "iot:Publish on %s or iot:Subscribe/iot:Receive on its answers "
	    "looks the same)", what, s->cfg->endpoint, s->cfg->port,
	    s->cfg->timeout, topic);
}

static void
report_lost(const struct session *s)
{
	char topic[SHADOW_TOPIC_MAX];

	if (session_topic(s->cfg, s->op, topic) == -1)
		topic[0] = '\0';
	log_error("lost the connection to %s:%d while waiting for the answer "
	    "to %s (on AWS IoT this usually means the policy does not allow "
	    "publishing to %s)", s->cfg->endpoint, s->cfg->port,
	    shadow_msg_name(s->op), topic);
}

/* Run the network until done(s) or the deadline. */
static enum ctl_status
session_run(struct session *s, bool (*done)(const struct session *))
{
	enum conn_status st;

	while (!done(s)) {
		if (left_ms(s) == 0)
			return CTL_TIMEOUT;
		if ((st = conn_loop(s->conn, left_ms(s))) != CONN_OK)
			return ctl_status_of(st);
	}
	return CTL_OK;
}

static bool
answered(const struct session *s)
{
	return s->answered || s->refused != 0;
}

static void
report_rejected(const struct session *s)
{
	json_object *code = NULL, *msg = NULL;

	json_object_object_get_ex(s->answer, "code", &code);
	json_object_object_get_ex(s->answer, "message", &msg);
	log_error("%s rejected: %s %s", shadow_msg_name(s->op),
	    code != NULL ? json_object_get_string(code) : "(no code)",
	    msg != NULL ? json_object_get_string(msg) : "(no message)");
}

enum ctl_status
session_request(struct session *s, const char *payload, size_t len)
{
	char topic[SHADOW_TOPIC_MAX];
	enum ctl_status st;

	if (session_topic(s->cfg, s->op, topic) == -1 ||
	    conn_publish(s->conn, topic, payload, len, request_qos(s),
	    &s->req_mid) == -1) {
		log_error("can't publish to %s on %s:%d: not connected", topic,
		    s->cfg->endpoint, s->cfg->port);
		return CTL_CONNECT;
	}
	st = session_run(s, answered);
	if (st == CTL_OK && !s->answered) {
		log_error("not authorised to publish to %s (%s): the broker's "
		    "ACL or the AWS IoT policy does not allow it", topic,
		    conn_reason_string(s->refused));
		return CTL_CONNECT;
	}
	if (st == CTL_TIMEOUT)
		report_timeout(s, "answer");
	else if (st == CTL_CONNECT)
		report_lost(s);
	if (st != CTL_OK)
		return st;
	if (s->rejected) {
		report_rejected(s);
		return CTL_REJECTED;
	}
	return CTL_OK;
}

static bool
converged(const struct session *s)
{
	json_object *v;
	int64_t accepted;

	if (!json_object_object_get_ex(s->answer, "version", &v))
		return false;
	accepted = json_object_get_int64(v);
	return s->wait->snap_version >= accepted &&
	    wait_holds(s->wait->expect, s->wait->reported);
}

/*
 * The subscription to update/documents predates the update, so every later
 * report is seen; the get covers one that landed before our update.
 */
enum ctl_status
session_wait(struct session *s, struct wait_state *w)
{
	char topic[SHADOW_TOPIC_MAX], buf[CTL_ERRLEN];
	json_object *req;
	const char *text;
	enum ctl_status st;
	int rc;

	s->wait = w;
	if (converged(s))
		return CTL_OK;
	ids_token(w->get_token);
	if ((req = session_token_doc(w->get_token)) == NULL)
		return CTL_CONNECT;
	text = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
	rc = session_topic(s->cfg, SHADOW_MSG_GET, topic) == -1 ? -1 :
	    conn_publish(s->conn, topic, text, strlen(text), 0, NULL);
	json_object_put(req);
	if (rc == -1) {
		log_error("can't publish to %s on %s:%d: not connected", topic,
		    s->cfg->endpoint, s->cfg->port);
		return CTL_CONNECT;
	}
	st = session_run(s, converged);
	if (st == CTL_TIMEOUT) {
		wait_describe(w, buf, sizeof(buf));
		log_error("--wait: timed out after %g s; still different: %s",
		    s->cfg->timeout, buf);
	} else if (st == CTL_CONNECT)
		log_error("--wait: lost the connection to %s:%d",
		    s->cfg->endpoint, s->cfg->port);
	return st;
}

void
session_close(struct session *s)
{
	conn_free(s->conn);
	s->conn = NULL;
	json_object_put(s->answer);
	s->answer = NULL;
}
