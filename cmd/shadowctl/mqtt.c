/*
 * mqtt.c - the MQTT transport: each request is published on the shadow's
 * request topic with a fresh clientToken, and only the accepted or
 * rejected answer carrying that token counts. The answer topics (and for
 * --wait update/documents and get/accepted) are subscribed before the
 * request goes out, so no answer can be missed.
 */
#include "transport.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "ids.h"
#include "log.h"

struct mqtt {
	const struct shadow_config *cfg;
	struct conn *conn;
	enum shadow_msg op;         /* SHADOW_MSG_GET, _UPDATE or _DELETE */
	char token[DOC_MAX_TOKEN + 1];
	json_object *answer;        /* owned: accepted or rejected document */
	bool answered;
	bool rejected;
	int req_mid;                /* the request's QoS 1 publish (MQTT 5) */
	int refused;                /* broker's PUBACK reason, 0 if none */
	struct wait_state *wait;    /* while wait_poll runs */
	int64_t seen_version;       /* wait's snapshot when wait_poll began */
	bool get_sent;              /* wait_poll's get is out */
};

static int
topic_of(const struct shadow_config *cfg, enum shadow_msg msg,
    char buf[SHADOW_TOPIC_MAX])
{
	if (shadow_topic_build(buf, SHADOW_TOPIC_MAX, cfg->thing,
	    cfg->shadow, msg, NULL) == TOPIC_OK)
		return 0;
	log_error("can't build the %s topic for thing '%s'%s%s%s",
	    shadow_msg_name(msg), cfg->thing,
	    cfg->shadow != NULL ? " and shadow '" : "",
	    cfg->shadow != NULL ? cfg->shadow : "",
	    cfg->shadow != NULL ? "'" : "");
	return -1;
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

static void
note_answer(struct mqtt *m, json_object *doc, bool rejected)
{
	if (m->answered || !token_is(doc, m->token))
		return;
	m->answer = json_object_get(doc);
	m->answered = true;
	m->rejected = rejected;
}

static void
note_snapshot(struct mqtt *m, enum shadow_msg msg, json_object *doc)
{
	json_object *snap = doc, *state = NULL, *version = NULL;

	if (msg == SHADOW_MSG_UPDATE_DOCUMENTS &&
	    !json_object_object_get_ex(doc, "current", &snap))
		return;
	if (!json_object_object_get_ex(snap, "state", &state) ||
	    !json_object_object_get_ex(snap, "version", &version))
		return;
	wait_note(m->wait, state, version);
}

static void
on_message(void *ud, const char *topic, const void *payload, size_t len)
{
	struct mqtt *m = ud;
	struct shadow_topic t;
	json_object *doc;

	if (shadow_topic_match(topic, strlen(topic), &t) != TOPIC_OK ||
	    (doc = transport_parse_object(payload, len)) == NULL)
		return;
	if (t.msg == shadow_msg_accepted(m->op))
		note_answer(m, doc, false);
	else if (t.msg == shadow_msg_rejected(m->op))
		note_answer(m, doc, true);
	if (m->wait != NULL && (t.msg == SHADOW_MSG_UPDATE_DOCUMENTS ||
	    t.msg == SHADOW_MSG_GET_ACCEPTED))
		note_snapshot(m, t.msg, doc);
	json_object_put(doc);
}

static void
on_refused(void *ud, int mid, int reason)
{
	struct mqtt *m = ud;

	if (mid == m->req_mid)
		m->refused = reason;
}

/*
 * Under MQTT 5 the request goes out at QoS 1, so a broker that refuses it
 * (ACL, policy) says so in its PUBACK. MQTT 3.1.1 has no way to say it:
 * there QoS 0 saves a round trip, and the answer is the acknowledgement.
 */
static int
request_qos(const struct mqtt *m)
{
	return m->cfg->mqtt_version == CONFIG_MQTT_5 ? 1 : 0;
}

/*
 * The answers to a request, and with --wait the documents and the answer
 * to the get that covers a report made before the update (mqtt_wait_poll).
 */
static const char *const answers_get[] = { "get/accepted", "get/rejected" };
static const char *const answers_update[] = { "update/accepted",
	"update/rejected", "update/documents", "get/accepted" };
static const char *const answers_delete[] = { "delete/accepted",
	"delete/rejected" };

static enum ctl_status
mqtt_open(struct transport *t, enum shadow_msg op, bool with_wait)
{
	static const struct conn_handlers h = {
		.on_message = on_message,
		.on_publish_refused = on_refused,
	};
	const struct shadow_config *cfg = t->cfg;
	struct conn_options o = {
		.client_id = cfg->client_id,
		.client_id_prefix = "shadowctl-",
		.sub = { cfg->thing, cfg->shadow, answers_get, 2, 1 },
	};
	char err[CTL_ERRLEN];
	struct mqtt *m;
	enum conn_status st;

	if ((m = calloc(1, sizeof(*m))) == NULL) {
		log_error("out of memory");
		return CTL_USAGE;
	}
	t->impl = m;
	m->cfg = cfg;
	m->op = op;
	if (op == SHADOW_MSG_UPDATE) {
		o.sub.what = answers_update;
		o.sub.n = with_wait ? 4 : 2;
	} else if (op == SHADOW_MSG_DELETE)
		o.sub.what = answers_delete;
	if ((m->conn = conn_new(cfg, &o, &h, m, err, sizeof(err))) == NULL) {
		log_error("%s", err);
		return CTL_USAGE;
	}
	if ((st = conn_open(m->conn, transport_left_ms(t), err,
	    sizeof(err))) != CONN_OK) {
		log_error("%s", err);
		return ctl_status_of(st);
	}
	return CTL_OK;
}

static void
report_timeout(const struct mqtt *m, const char *topic)
{
	log_error("no answer from the shadow service on %s:%d within %g s; "
	    "is shadowd running? (on AWS IoT a policy that does not allow "
	    "iot:Publish on %s or iot:Subscribe/iot:Receive on its answers "
	    "looks the same)", m->cfg->endpoint, m->cfg->port,
	    m->cfg->timeout, topic);
}

static void
report_lost(const struct mqtt *m, const char *topic)
{
	log_error("lost the connection to %s:%d while waiting for the answer "
	    "to %s (on AWS IoT this usually means the policy does not allow "
	    "publishing to %s)", m->cfg->endpoint, m->cfg->port,
	    shadow_msg_name(m->op), topic);
}

/* Run the network until done(m) or the deadline. */
static enum ctl_status
run_until(struct transport *t, bool (*done)(const struct mqtt *))
{
	struct mqtt *m = t->impl;
	enum conn_status st;

	while (!done(m)) {
		if (transport_left_ms(t) == 0)
			return CTL_TIMEOUT;
		if ((st = conn_loop(m->conn, transport_left_ms(t))) != CONN_OK)
			return ctl_status_of(st);
	}
	return CTL_OK;
}

static bool
answered(const struct mqtt *m)
{
	return m->answered || m->refused != 0;
}

static void
report_rejected(const struct mqtt *m)
{
	json_object *code = NULL, *msg = NULL;

	json_object_object_get_ex(m->answer, "code", &code);
	json_object_object_get_ex(m->answer, "message", &msg);
	transport_report_rejected(shadow_msg_name(m->op),
	    code != NULL ? json_object_get_string(code) : NULL,
	    msg != NULL ? json_object_get_string(msg) : NULL);
}

static int
publish(struct mqtt *m, const char *topic, const char *payload, size_t len,
    int qos, int *mid)
{
	if (conn_publish(m->conn, topic, payload, len, qos, mid) == 0)
		return 0;
	log_error("can't publish to %s on %s:%d: the connection is gone",
	    topic, m->cfg->endpoint, m->cfg->port);
	return -1;
}

/* Publish the request (its clientToken is token), wait for the answer. */
static enum ctl_status
request(struct transport *t, const char *payload, size_t len,
    const char *token, json_object **answer)
{
	struct mqtt *m = t->impl;
	char topic[SHADOW_TOPIC_MAX];
	enum ctl_status st;

	*answer = NULL;
	snprintf(m->token, sizeof(m->token), "%s", token);
	if (topic_of(m->cfg, m->op, topic) == -1)
		return CTL_USAGE;
	if (publish(m, topic, payload, len, request_qos(m), &m->req_mid) == -1)
		return CTL_CONNECT;
	st = run_until(t, answered);
	if (st == CTL_OK && !m->answered) {
		log_error("not authorised to publish to %s (%s): the broker's "
		    "ACL or the AWS IoT policy does not allow it", topic,
		    conn_reason_string(m->refused));
		return CTL_CONNECT;
	}
	if (st == CTL_TIMEOUT)
		report_timeout(m, topic);
	else if (st == CTL_CONNECT)
		report_lost(m, topic);
	if (st != CTL_OK)
		return st;
	if (m->rejected) {
		report_rejected(m);
		return CTL_REJECTED;
	}
	*answer = m->answer;
	m->answer = NULL;
	return CTL_OK;
}

/* {"clientToken":token}, the whole payload of a get or delete. */
static json_object *
token_doc(const char *token)
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

static enum ctl_status
token_request(struct transport *t, json_object **answer)
{
	char token[DOC_MAX_TOKEN + 1];
	json_object *req;
	const char *text;
	enum ctl_status st;

	*answer = NULL;
	ids_token(token);
	if ((req = token_doc(token)) == NULL)
		return CTL_USAGE;
	text = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
	st = request(t, text, strlen(text), token, answer);
	json_object_put(req);
	return st;
}

static enum ctl_status
mqtt_get(struct transport *t, json_object **doc)
{
	return token_request(t, doc);
}

static enum ctl_status
mqtt_delete(struct transport *t, json_object **answer)
{
	return token_request(t, answer);
}

static enum ctl_status
mqtt_update(struct transport *t, const char *text, size_t len,
    const char *token, json_object **answer)
{
	return request(t, text, len, token, answer);
}

static bool
newer_snapshot(const struct mqtt *m)
{
	return m->wait->snap_version > m->seen_version;
}

/*
 * The subscription to update/documents predates the update, so every later
 * report is seen; the first poll's get covers one that landed before it.
 */
static enum ctl_status
mqtt_wait_poll(struct transport *t, struct wait_state *w)
{
	struct mqtt *m = t->impl;
	char topic[SHADOW_TOPIC_MAX], token[DOC_MAX_TOKEN + 1];
	json_object *req;
	const char *text;
	enum ctl_status st;
	int rc;

	m->wait = w;
	m->seen_version = w->snap_version;
	if (!m->get_sent) {
		m->get_sent = true;
		ids_token(token);
		if (topic_of(m->cfg, SHADOW_MSG_GET, topic) == -1 ||
		    (req = token_doc(token)) == NULL)
			return CTL_USAGE;
		text = json_object_to_json_string_ext(req,
		    JSON_C_TO_STRING_PLAIN);
		rc = publish(m, topic, text, strlen(text), 0, NULL);
		json_object_put(req);
		if (rc == -1)
			return CTL_CONNECT;
	}
	st = run_until(t, newer_snapshot);
	if (st == CTL_CONNECT)
		log_error("--wait: lost the connection to %s:%d",
		    m->cfg->endpoint, m->cfg->port);
	return st;
}

static void
mqtt_close(struct transport *t)
{
	struct mqtt *m = t->impl;

	if (m == NULL)
		return;
	conn_free(m->conn);
	json_object_put(m->answer);
	free(m);
}

const struct transport_ops transport_mqtt = {
	.name = "MQTT",
	.open = mqtt_open,
	.get = mqtt_get,
	.update = mqtt_update,
	.delete = mqtt_delete,
	.list = NULL,               /* AWS IoT has no list over MQTT */
	.wait_poll = mqtt_wait_poll,
	.close = mqtt_close,
};
