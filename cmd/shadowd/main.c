/*
 * shadowd - a local AWS IoT Device Shadow service over any MQTT broker
 * (docs/PROTOCOL.md). Requests that arrive together are handled in one
 * store transaction; their answers go out only after it is committed.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "config.h"
#include "conn.h"
#include "doc.h"
#include "log.h"
#include "rate.h"
#include "store.h"
#include "tls.h"
#include "topic.h"

#define SHADOWD_CLIENT_ID "shadowd"
#define SHADOWD_QOS 1
#define BATCH_MAX 512
#define CONNECT_TIMEOUT_MS 10000
#define FLUSH_TIMEOUT_MS 5000
#define IDLE_WAKEUP_MS 1000
#define SENT_SLOTS 64

struct answer {
	enum shadow_msg msg;
	json_object *body;
};

/* One request of the batch and the answers it waits to publish. */
struct request {
	char thing[SHADOW_THING_MAX + 1];
	char shadow[SHADOW_NAME_MAX + 1];
	bool named;
	enum shadow_msg op;
	bool wrote;
	char token[DOC_MAX_TOKEN + 1];
	bool has_token;
	int nanswers;
	struct answer answers[3];
};

struct shadowd {
	struct shadow_config *cfg;
	struct conn *conn;
	struct store *store;
	struct rate *rate;
	struct request *batch;
	size_t nbatch;
	size_t batch_cap;
	bool ready;
	bool stopping;
	bool taken_over;
	/* recent answers by mid, to name the topic of one the broker refuses */
	struct sent {
		int mid;
		char topic[SHADOW_TOPIC_MAX];
	} sent[SENT_SLOTS];
};

static volatile sig_atomic_t stop_requested;
static int signal_pipe[2] = { -1, -1 };

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: shadowd [--data-dir DIR] [--rate-limit N] "
	    "[--max-doc-size BYTES]\n"
	    "               [--forget-deleted SEC] [-e HOST] [-p PORT] "
	    "[--ca FILE]\n"
	    "               [--cert FILE] [--key FILE] [--certs DIR] "
	    "[--tls | --no-tls]\n"
	    "               [--alpn PROTO] [--insecure] [-u USER] "
	    "[-P PASS]\n"
	    "               [--password-file FILE] [-i CLIENT_ID] "
	    "[-k SEC] [--mqtt 3.1.1|5]\n"
	    "               [--profile NAME] [--config FILE] [-v | -q]\n"
	    "       shadowd -h | --version\n"
	    "\n"
	    "A local AWS IoT Device Shadow service: answers classic and "
	    "named shadow\n"
	    "requests on $aws/things/+/shadow/... and keeps the shadows in "
	    "SQLite.\n"
	    "\n"
	    "  --data-dir DIR        where shadows.db lives (default "
	    "$XDG_STATE_HOME/shadowd)\n"
	    "  --rate-limit N        requests per second and thing, 0 = off "
	    "(default 0)\n"
	    "  --max-doc-size BYTES  largest desired+reported (default "
	    "8192)\n"
	    "  --forget-deleted SEC  forget deleted versions after SEC, "
	    "0 = never (default 0)\n"
	    "  -i, --client-id ID    MQTT client id (default shadowd)\n"
	    "\n"
	    "See shadowd(8) for the connection options.\n");
}

static void
on_signal(int sig)
{
	int saved = errno;
	char c = (char)sig;

	stop_requested = 1;
	/* A full pipe already holds a wakeup: nothing to do on failure. */
	if (signal_pipe[1] != -1 && write(signal_pipe[1], &c, 1) == -1)
		stop_requested = 1;
	errno = saved;
}

static int
signals_setup(void)
{
	struct sigaction sa;
	int i;

	if (pipe(signal_pipe) == -1)
		return -1;
	for (i = 0; i < 2; i++)
		if (fcntl(signal_pipe[i], F_SETFL, O_NONBLOCK) == -1 ||
		    fcntl(signal_pipe[i], F_SETFD, FD_CLOEXEC) == -1)
			return -1;
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_signal;
	if (sigaction(SIGINT, &sa, NULL) == -1 ||
	    sigaction(SIGTERM, &sa, NULL) == -1)
		return -1;
	sa.sa_handler = SIG_IGN;
	/* A file size limit makes the write fail (500), not kill us. */
	if (sigaction(SIGXFSZ, &sa, NULL) == -1)
		return -1;
	return sigaction(SIGPIPE, &sa, NULL);
}

static void
signals_close(void)
{
	int i;

	for (i = 0; i < 2; i++)
		if (signal_pipe[i] != -1)
			close(signal_pipe[i]);
}

static int64_t
now_seconds(void)
{
	return (int64_t)time(NULL);
}

static const char *
shadow_arg(const struct request *r)
{
	return r->named ? r->shadow : NULL;
}

static void
answer_add(struct request *r, enum shadow_msg msg, json_object *body)
{
	if (body == NULL || r->nanswers == 3) {
		json_object_put(body);
		log_error("out of memory answering %s", r->thing);
		return;
	}
	r->answers[r->nanswers].msg = msg;
	r->answers[r->nanswers].body = body;
	r->nanswers++;
}

static void
answers_clear(struct request *r)
{
	int i;

	for (i = 0; i < r->nanswers; i++)
		json_object_put(r->answers[i].body);
	r->nanswers = 0;
}

static void
log_request(const struct request *r, int code)
{
	log_debug("%s %s%s%s: %d", shadow_msg_name(r->op), r->thing,
	    r->named ? "~" : "", r->named ? r->shadow : "", code);
}

static void
answer_error(struct request *r, const struct doc_error *e)
{
	answer_add(r, shadow_msg_rejected(r->op), doc_error_json(e, now_seconds()));
	log_request(r, e->code);
}

static void
answer_internal_error(struct request *r)
{
	struct doc_error e;

	answers_clear(r);
	r->wrote = false;
	doc_error_set(&e, 500, DOC_MSG_INTERNAL, r->has_token ? r->token :
	    NULL);
	answer_error(r, &e);
}

/* The writes of the batch so far are gone: answer each of them 500. */
static void
batch_fail_writes(struct shadowd *d)
{
	size_t i;

	for (i = 0; i < d->nbatch; i++)
		if (d->batch[i].wrote)
			answer_internal_error(&d->batch[i]);
}

static void
store_failed(struct shadowd *d, struct request *r, const char *err)
{
	log_error("store: %s", err);
	answer_internal_error(r);
	if (!store_in_transaction(d->store))
		batch_fail_writes(d);
}

static void
token_keep(struct request *r, bool has, const char *token)
{
	r->has_token = has;
	if (has)
		snprintf(r->token, sizeof(r->token), "%s", token);
}

static int
shadow_load(struct shadowd *d, struct request *r, struct doc_shadow *s)
{
	char err[512];

	if (store_load(d->store, r->thing, shadow_arg(r), now_seconds(),
	    d->cfg->forget_deleted, s, err, sizeof(err)) == 0)
		return 0;
	store_failed(d, r, err);
	return -1;
}

static void
answer_update(struct shadowd *d, struct request *r, struct doc_shadow *s,
    const struct doc_request *rq)
{
	struct doc_update_result res;
	struct doc_error e;
	char err[512];

	if (doc_apply_update(s, rq, now_seconds(), (size_t)d->cfg->max_doc_size,
	    &res, &e) == -1) {
		answer_error(r, &e);
		return;
	}
	if (store_save(d->store, r->thing, shadow_arg(r), s, err,
	    sizeof(err)) == -1) {
		doc_update_result_free(&res);
		store_failed(d, r, err);
		return;
	}
	r->wrote = true;
	answer_add(r, SHADOW_MSG_UPDATE_ACCEPTED, json_object_get(res.accepted));
	if (res.delta != NULL)
		answer_add(r, SHADOW_MSG_UPDATE_DELTA,
		    json_object_get(res.delta));
	answer_add(r, SHADOW_MSG_UPDATE_DOCUMENTS,
	    json_object_get(res.documents));
	doc_update_result_free(&res);
	log_request(r, 200);
}

static void
handle_update(struct shadowd *d, struct request *r, const void *payload,
    size_t len)
{
	struct doc_request rq;
	struct doc_shadow s;
	struct doc_error e;

	if (doc_parse_update(payload, len, &rq, &e) == -1) {
		answer_error(r, &e);
		return;
	}
	token_keep(r, rq.has_token, rq.token);
	if (shadow_load(d, r, &s) == 0) {
		answer_update(d, r, &s, &rq);
		doc_shadow_free(&s);
	}
	doc_request_free(&rq);
}

static void
answer_not_found(struct request *r)
{
	struct doc_error e;

	doc_error_not_found(&e, r->thing, shadow_arg(r),
	    r->has_token ? r->token : NULL);
	answer_error(r, &e);
}

static void
handle_get(struct shadowd *d, struct request *r)
{
	struct doc_shadow s;

	if (shadow_load(d, r, &s) == -1)
		return;
	if (!s.exists) {
		answer_not_found(r);
	} else {
		answer_add(r, SHADOW_MSG_GET_ACCEPTED, doc_get_accepted(&s,
		    r->has_token ? r->token : NULL, now_seconds()));
		log_request(r, 200);
	}
	doc_shadow_free(&s);
}

static void
handle_delete(struct shadowd *d, struct request *r)
{
	struct doc_shadow s;
	char err[512];

	if (shadow_load(d, r, &s) == -1)
		return;
	if (!s.exists) {
		answer_not_found(r);
	} else if (store_mark_deleted(d->store, r->thing, shadow_arg(r),
	    s.version, now_seconds(), err, sizeof(err)) == -1) {
		store_failed(d, r, err);
	} else {
		r->wrote = true;
		answer_add(r, SHADOW_MSG_DELETE_ACCEPTED,
		    doc_delete_accepted(s.version,
		    r->has_token ? r->token : NULL, now_seconds()));
		log_request(r, 200);
	}
	doc_shadow_free(&s);
}

static bool
rate_exceeded(struct shadowd *d, struct request *r, const void *payload,
    size_t len)
{
	struct doc_error e;

	if (d->rate == NULL ||
	    rate_allow(d->rate, r->thing, conn_now_ms() / 1000))
		return false;
	r->has_token = doc_read_token(payload, len, r->token);
	doc_error_set(&e, 429, DOC_MSG_RATE, r->has_token ? r->token : NULL);
	answer_error(r, &e);
	return true;
}

/* One conn_loop call may deliver more than BATCH_MAX requests. */
static struct request *
batch_add(struct shadowd *d, const struct shadow_topic *t)
{
	struct request *r;
	size_t cap;

	if (d->nbatch == d->batch_cap) {
		cap = d->batch_cap ? d->batch_cap * 2 : BATCH_MAX;
		if ((r = reallocarray(d->batch, cap, sizeof(*r))) == NULL)
			return NULL;
		d->batch = r;
		d->batch_cap = cap;
	}
	r = &d->batch[d->nbatch];
	memset(r, 0, sizeof(*r));
	memcpy(r->thing, t->thing, t->thing_len);
	r->thing[t->thing_len] = '\0';
	if (t->shadow != NULL) {
		r->named = true;
		memcpy(r->shadow, t->shadow, t->shadow_len);
		r->shadow[t->shadow_len] = '\0';
	}
	r->op = t->msg;
	d->nbatch++;
	return r;
}

static bool
request_topic(const char *topic, struct shadow_topic *t)
{
	enum topic_status st;

	st = shadow_topic_match(topic, strlen(topic), t);
	if (st == TOPIC_BAD_THING || st == TOPIC_BAD_SHADOW) {
		log_debug("no answer to %s: invalid %s name", topic,
		    st == TOPIC_BAD_THING ? "thing" : "shadow");
		return false;
	}
	return st == TOPIC_OK && shadow_msg_is_request(t->msg);
}

static void
on_message(void *ud, const char *topic, const void *payload, size_t len)
{
	struct shadowd *d = ud;
	struct shadow_topic t;
	struct request *r;
	char err[512];

	if (!request_topic(topic, &t))
		return;
	if ((r = batch_add(d, &t)) == NULL) {
		log_error("out of memory: no answer to %s", topic);
		return;
	}
	if (!store_in_transaction(d->store) &&
	    store_begin(d->store, err, sizeof(err)) == -1) {
		if (r->op != SHADOW_MSG_UPDATE)
			r->has_token = doc_read_token(payload, len, r->token);
		store_failed(d, r, err);
		return;
	}
	if (rate_exceeded(d, r, payload, len))
		return;
	switch (r->op) {
	case SHADOW_MSG_UPDATE:
		handle_update(d, r, payload, len);
		break;
	case SHADOW_MSG_GET:
		r->has_token = doc_read_token(payload, len, r->token);
		handle_get(d, r);
		break;
	default:
		r->has_token = doc_read_token(payload, len, r->token);
		handle_delete(d, r);
		break;
	}
}

static void
publish_answers(struct shadowd *d, struct request *r)
{
	char topic[SHADOW_TOPIC_MAX];
	struct sent *slot;
	int i, mid;

	for (i = 0; i < r->nanswers; i++) {
		if (shadow_topic_build(topic, sizeof(topic), r->thing,
		    shadow_arg(r), r->answers[i].msg, NULL) != TOPIC_OK) {
			log_error("can't build the answer topic for %s",
			    r->thing);
			continue;
		}
		if (conn_publish_json(d->conn, topic, r->answers[i].body,
		    SHADOWD_QOS, &mid) == -1) {
			log_error("can't publish on %s", topic);
			continue;
		}
		slot = &d->sent[(unsigned int)mid % SENT_SLOTS];
		slot->mid = mid;
		snprintf(slot->topic, sizeof(slot->topic), "%s", topic);
	}
	answers_clear(r);
}

static void
batch_finish(struct shadowd *d)
{
	char err[512];
	size_t i;

	if (store_in_transaction(d->store) &&
	    store_commit(d->store, err, sizeof(err)) == -1) {
		log_error("store: %s; answering the batch's writes 500", err);
		store_rollback(d->store);
		batch_fail_writes(d);
	}
	for (i = 0; i < d->nbatch; i++)
		publish_answers(d, &d->batch[i]);
	d->nbatch = 0;
}

static bool
socket_ready(struct shadowd *d, int timeout_ms)
{
	struct pollfd p[2];
	int fd = conn_socket(d->conn);

	p[0].fd = fd;
	p[0].events = POLLIN | (conn_want_write(d->conn) ? POLLOUT : 0);
	p[0].revents = 0;
	p[1].fd = signal_pipe[0];
	p[1].events = POLLIN;
	p[1].revents = 0;
	if (fd < 0) {
		conn_loop(d->conn, timeout_ms);
		return false;
	}
	return poll(p, 2, timeout_ms) > 0 && p[0].revents != 0;
}

static void
serve(struct shadowd *d)
{
	char c;

	while (!stop_requested && !d->taken_over) {
		(void)socket_ready(d, IDLE_WAKEUP_MS);
		while (read(signal_pipe[0], &c, 1) == 1)
			;
		conn_loop(d->conn, 0);
		while (d->nbatch > 0 && d->nbatch < BATCH_MAX &&
		    socket_ready(d, 0))
			conn_loop(d->conn, 0);
		if (d->nbatch > 0)
			batch_finish(d);
	}
}

static void
on_connect(void *ud, bool session_present)
{
	struct shadowd *d = ud;

	if (!d->ready)
		return;
	log_info("connection to %s:%d regained%s", d->cfg->endpoint,
	    d->cfg->port, session_present ? "" :
	    " (session lost: subscribing again)");
}

/* MQTT 5 only: under 3.1.1 the broker drops a denied publish silently. */
static void
on_publish_refused(void *ud, int mid, int reason)
{
	struct shadowd *d = ud;
	const struct sent *slot = &d->sent[(unsigned int)mid % SENT_SLOTS];

	log_error("the broker refused the answer on %s: %s; the client will "
	    "time out (check that the broker's ACL lets shadowd publish to "
	    "$aws/things/#)", slot->mid == mid ? slot->topic : "(unknown topic)",
	    conn_reason_string(reason));
}

static void
on_disconnect(void *ud, int rc)
{
	struct shadowd *d = ud;

	if (!d->ready || d->stopping || rc == 0)
		return;
	log_warn("lost the connection to %s:%d (%s); reconnecting",
	    d->cfg->endpoint, d->cfg->port, conn_disconnect_reason(rc));
}

static const char *
client_id(const struct shadowd *d)
{
	return d->cfg->client_id ? d->cfg->client_id : SHADOWD_CLIENT_ID;
}

/* Two shadowd with one client id would take the session in turns forever. */
static void
on_taken_over(void *ud, const char *why)
{
	struct shadowd *d = ud;

	if (d->taken_over)
		return;
	d->taken_over = true;
	log_error("another client uses the client id '%s' on %s:%d: %s. Is a "
	    "second shadowd running? Stop the other shadowd, or give each "
	    "its own client id with -i", client_id(d), d->cfg->endpoint,
	    d->cfg->port, why);
}

/* The requests of every thing, classic and named shadows. */
static const char *const request_filters[] = { "get", "update", "delete",
	"name/+/get", "name/+/update", "name/+/delete" };
#define NFILTERS (int)(sizeof(request_filters) / sizeof(request_filters[0]))

static enum conn_status
service_connect(struct shadowd *d)
{
	static const struct conn_handlers h = {
		.on_connect = on_connect,
		.on_disconnect = on_disconnect,
		.on_message = on_message,
		.on_publish_refused = on_publish_refused,
		.on_taken_over = on_taken_over,
	};
	const struct conn_options o = {
		.client_id = client_id(d),
		.persistent = true,
		.reconnect = true,
		.sub = { "+", NULL, request_filters, NFILTERS, SHADOWD_QOS },
	};
	enum conn_status st;
	char err[1024];

	if ((d->conn = conn_new(d->cfg, &o, &h, d, err, sizeof(err))) == NULL) {
		log_error("%s", err);
		return CONN_ERR_USAGE;
	}
	if ((st = conn_open(d->conn, CONNECT_TIMEOUT_MS, err,
	    sizeof(err))) != CONN_OK)
		log_error("%s", err);
	return st;
}

static void
service_stop(struct shadowd *d)
{
	d->stopping = true;
	if (d->conn != NULL) {
		if (d->nbatch > 0)
			batch_finish(d);
		if (conn_connected(d->conn) &&
		    conn_flush(d->conn, FLUSH_TIMEOUT_MS) != CONN_OK)
			log_warn("some answers were not acknowledged by the "
			    "broker before shutdown");
		conn_free(d->conn);
		d->conn = NULL;
	}
	store_close(d->store);
	d->store = NULL;
}

/* Printed even with -q: scripts and tests wait for this line. */
static void
log_ready(const struct shadowd *d)
{
	fprintf(stderr, "%s: ready: serving $aws/things/+/shadow/"
	    "{get,update,delete} and .../shadow/name/+/{get,update,delete} "
	    "on %s:%d, store %s\n", log_progname(), d->cfg->endpoint,
	    d->cfg->port, store_path(d->store));
	fflush(stderr);
}

/* shadowd(8), EXIT STATUS: 2 configuration, 3 connection, 4 timeout. */
static int
exit_code(enum conn_status st)
{
	switch (st) {
	case CONN_OK:
		return 0;
	case CONN_ERR_USAGE:
		return 2;
	case CONN_ERR_CONNECT:
		return 3;
	case CONN_ERR_TIMEOUT:
		return 4;
	}
	return 1;
}

static int
service_run(struct shadowd *d)
{
	char err[1024];
	enum conn_status st;
	int rc;

	if (store_open(&d->store, d->cfg->data_dir, err, sizeof(err)) == -1) {
		log_error("%s", err);
		return 1;
	}
	if (d->cfg->rate_limit > 0 &&
	    (d->rate = rate_new(d->cfg->rate_limit)) == NULL) {
		log_error("out of memory");
		store_close(d->store);
		return 1;
	}
	if ((st = service_connect(d)) != CONN_OK) {
		service_stop(d);
		return exit_code(st);
	}
	d->ready = true;
	log_ready(d);
	/* Type=notify in shadowd.service; a no-op outside systemd. */
	if ((rc = sd_notify(0, "READY=1")) < 0)
		log_warn("can't tell systemd that shadowd is ready: %s",
		    strerror(-rc));
	serve(d);
	log_info("stopping: finishing the requests in hand");
	service_stop(d);
	log_info("stopped");
	return d->taken_over ? 3 : 0;
}

static int
check_config(const struct shadow_config *cfg)
{
	char err[1024];

	if (cfg->nargs > 0) {
		log_error("unexpected argument '%s'; shadowd takes options "
		    "only (see shadowd -h)", cfg->args[0]);
		return 2;
	}
	if (tls_check_files(cfg, err, sizeof(err)) == -1) {
		log_error("%s", err);
		return 2;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct shadow_config cfg;
	struct shadowd d;
	enum config_status cs;
	int rc;

	memset(&cfg, 0, sizeof(cfg));
	if ((cs = config_main(&cfg, PROG_SHADOWD, argc, argv, usage)) !=
	    CONFIG_OK)
		return cs == CONFIG_USAGE ? 2 : 0;
	if ((rc = check_config(&cfg)) != 0) {
		config_free(&cfg);
		return rc;
	}
	if (signals_setup() == -1) {
		log_error("can't set up signal handling: %s", strerror(errno));
		config_free(&cfg);
		return 1;
	}
	memset(&d, 0, sizeof(d));
	d.cfg = &cfg;
	rc = service_run(&d);
	rate_free(d.rate);
	free(d.batch);
	signals_close();
	config_free(&cfg);
	return rc;
}
