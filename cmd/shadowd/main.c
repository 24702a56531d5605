/*
 * shadowd - a local AWS IoT Device Shadow service over any MQTT broker
 * (docs/PROTOCOL.md, shadowd(8)). Requests that arrive together are handled in one store
 * transaction; their answers go out only after it is committed.
 *
 * The loop, and why it reads and writes apart (exactly once, shadowd(8)):
 * libmosquitto 2.0.11, the version we build against, queues the PUBACK of
 * a QoS 1 request before it calls on_message, and a client not marked
 * threaded writes it at once: the broker would hear "received" before the
 * request is in the store, and a kill -9 would lose it. Measured (a client
 * killed in on_message is not sent the message again; marked threaded and
 * driven by hand, killed after mosquitto_loop_read and before
 * mosquitto_loop_write, it is). So the connection holds the PUBACKs
 * (conn_options.hold_acks, common/conn.h) and serve() goes: read a batch
 * (conn_read, which writes nothing), commit it with its answers in the
 * store's outbox (requests_finish; synchronous=FULL: durable on return),
 * queue the answers, then write (conn_settle): PUBACKs and answers leave
 * together. A crash before the commit: the broker delivers the requests
 * again, nothing was applied. After the commit, before the PUBACKs: the
 * broker delivers them again, and the outcome kept with each write
 * (--dedupe-window) answers them without applying them twice. Answers the
 * broker has not acknowledged stay in the outbox and are published again
 * at the next start.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "config.h"
#include "conn.h"
#include "dataplane.h"
#include "http.h"
#include "log.h"
#include "rate.h"
#include "request.h"
#include "store.h"
#include "tls.h"
#include "topic.h"

#define SHADOWD_CLIENT_ID "shadowd"
#define SHADOWD_QOS 1
#define BATCH_MAX 512
#define CONNECT_TIMEOUT_MS 10000
#define FLUSH_TIMEOUT_MS 5000
#define HTTP_CLOSE_MS 1000        /* to write the last answers at exit */
#define IDLE_WAKEUP_MS 1000
#define SENT_SLOTS 64
#define MID_SLOTS 65536
#define RETRY_POLL_MS 100

struct shadowd {
	struct shadow_config *cfg;
	struct conn *conn;
	struct store *store;
	struct rate *rate;
	struct requests *requests;
	struct dataplane *dp;             /* NULL without --http */
	bool ready;
	bool stopping;
	bool taken_over;
	int64_t *outbox_of_mid;           /* MID_SLOTS: the answer being sent */
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
	    "               [--forget-deleted SEC] [--dedupe-window SEC] "
	    "[-e HOST] [-p PORT]\n"
	    "               [--ca FILE] [--cert FILE] [--key FILE] "
	    "[--certs DIR]\n"
	    "               [--tls | --no-tls] [--alpn PROTO] [--insecure] "
	    "[-u USER] [-P PASS]\n"
	    "               [--password-file FILE] [-i CLIENT_ID] "
	    "[-k SEC] [--mqtt 3.1.1|5]\n"
	    "               [--profile NAME] [--config FILE] [-v | -q]\n"
	    "               [--http [ADDR:]PORT [--http-credentials FILE]\n"
	    "                [--http-cert FILE --http-key FILE] "
	    "[--http-insecure]\n"
	    "                [--http-max-connections N]]\n"
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
	    "  --dedupe-window SEC   answer a write delivered again from its "
	    "first outcome\n"
	    "                        for SEC, 0 = off (default 600)\n"
	    "  -i, --client-id ID    MQTT client id (default shadowd)\n"
	    "  --http [ADDR:]PORT    also serve the AWS IoT Data Plane API "
	    "(HTTP) on ADDR\n"
	    "                        (default 127.0.0.1); see shadowd(8), "
	    "THE HTTP FACE\n"
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
	char thing[SHADOW_THING_MAX + 1], shadow[SHADOW_NAME_MAX + 1];

	if (!request_topic(topic, &t))
		return;
	memcpy(thing, t.thing, t.thing_len);
	thing[t.thing_len] = '\0';
	if (t.shadow != NULL) {
		memcpy(shadow, t.shadow, t.shadow_len);
		shadow[t.shadow_len] = '\0';
	}
	(void)requests_handle(d->requests, thing, t.shadow ? shadow : NULL,
	    t.msg, payload, len, NULL);
}

/* An answer kept in the outbox is forgotten once the broker has it. */
static void
answer_sent(struct shadowd *d, int mid, const char *topic, int64_t outbox_id)
{
	struct sent *slot = &d->sent[(unsigned int)mid % SENT_SLOTS];

	slot->mid = mid;
	snprintf(slot->topic, sizeof(slot->topic), "%s", topic);
	if (outbox_id != 0)
		d->outbox_of_mid[(unsigned int)mid % MID_SLOTS] = outbox_id;
}

static void
answer_acknowledged(struct shadowd *d, int mid)
{
	int64_t *id = &d->outbox_of_mid[(unsigned int)mid % MID_SLOTS];

	if (*id != 0)
		requests_delivered(d->requests, *id);
	*id = 0;
}

static void
publish_answer(struct shadowd *d, struct request_answer *a)
{
	const char *text;
	size_t len;
	int mid;

	if ((text = request_answer_text(a, &len)) == NULL ||
	    conn_publish(d->conn, a->topic, text, len, SHADOWD_QOS,
	    &mid) == -1) {
		log_error("can't publish on %s", a->topic);
		if (a->outbox_id != 0)
			requests_delivered(d->requests, a->outbox_id);
		return;
	}
	answer_sent(d, mid, a->topic, a->outbox_id);
}

/* An answer committed before a crash, never acknowledged: again. */
static void
publish_kept(void *ud, int64_t outbox_id, const char *topic,
    const char *body)
{
	struct shadowd *d = ud;
	int mid;

	if (conn_publish(d->conn, topic, body, strlen(body), SHADOWD_QOS,
	    &mid) == -1) {
		log_error("can't publish the kept answer on %s", topic);
		requests_delivered(d->requests, outbox_id);
		return;
	}
	answer_sent(d, mid, topic, outbox_id);
}

/*
 * A request that came over MQTT gets all its answers on MQTT; one that
 * came over HTTP gets its answer in the HTTP response, and the thing's
 * subscribers the notifications (QoS 1: queued while the broker is away).
 */
static void
deliver(void *ud, struct request *r)
{
	struct shadowd *d = ud;
	int i;

	if (r->origin != NULL)
		dataplane_answer(d->dp, r);
	for (i = 0; i < r->nanswers; i++)
		if (request_answer_published(r, i))
			publish_answer(d, &r->answers[i]);
}

/* Answers of HTTP requests resume their connections: libmicrohttpd sends
 * them on its next run, which must come now, not at the next wake-up. */
static void
batch_finish(struct shadowd *d)
{
	requests_finish(d->requests, deliver, d);
	if (d->dp != NULL)
		http_run(dataplane_http(d->dp));
}

/* conn needs to write while requests are in hand: commit them first. */
static void
on_settle(void *ud)
{
	batch_finish(ud);
}

static void
on_publish(void *ud, int mid)
{
	answer_acknowledged(ud, mid);
}

static int
publish_message(void *ud, const char *topic, const void *payload, size_t len,
    int qos, bool retain)
{
	struct shadowd *d = ud;

	return conn_publish_retain(d->conn, topic, payload, len, qos, retain,
	    NULL);
}

/* How long poll may wait while the broker is away: until the next try. */
static int
retry_wait_ms(struct shadowd *d, int timeout_ms)
{
	long long at = conn_retry_at(d->conn), wait;

	if (at == 0)
		return timeout_ms < RETRY_POLL_MS ? timeout_ms : RETRY_POLL_MS;
	wait = at - conn_now_ms();
	if (wait < 0)
		wait = 0;
	return wait < timeout_ms ? (int)wait : timeout_ms;
}

/* Wait for the broker, the HTTP clients or a signal; true when one of
 * the first two has something (with writing, the broker's socket also
 * when it can take what is queued). */
static bool
events_wait(struct shadowd *d, int timeout_ms, bool writing)
{
	struct pollfd p[3];
	int fd = conn_socket(d->conn), n = 0, t;

	if (fd >= 0)
		p[n++] = (struct pollfd){ .fd = fd, .events = POLLIN |
		    (writing && conn_want_write(d->conn) ? POLLOUT : 0) };
	else
		timeout_ms = retry_wait_ms(d, timeout_ms);
	if (d->dp != NULL) {
		t = http_timeout_ms(dataplane_http(d->dp));
		if (t >= 0 && t < timeout_ms)
			timeout_ms = t;
		p[n++] = (struct pollfd){ .fd = http_fd(dataplane_http(d->dp)),
		    .events = POLLIN };
	}
	p[n++] = (struct pollfd){ .fd = signal_pipe[0], .events = POLLIN };
	if (poll(p, (nfds_t)n, timeout_ms) <= 0)
		return false;
	while (--n > 0)
		if (p[n - 1].revents != 0)
			return true;
	return false;
}

/* Reads only: nothing is acknowledged to the broker here. */
static void
events_handle(struct shadowd *d)
{
	conn_read(d->conn);
	if (d->dp != NULL)
		http_run(dataplane_http(d->dp));
}

/*
 * Requests that arrive together form one batch: one commit for all, then
 * their PUBACKs and answers go out (see the top of this file). Delivered
 * answers are forgotten with the next batch, or after a quiet second.
 */
static void
serve(struct shadowd *d)
{
	bool busy;
	char c;

	while (!stop_requested && !d->taken_over) {
		busy = events_wait(d, IDLE_WAKEUP_MS, true);
		while (read(signal_pipe[0], &c, 1) == 1)
			;
		events_handle(d);
		while (requests_pending(d->requests) > 0 &&
		    requests_pending(d->requests) < BATCH_MAX &&
		    events_wait(d, 0, false))
			events_handle(d);
		if (requests_pending(d->requests) > 0 ||
		    (!busy && requests_due(d->requests)))
			batch_finish(d);
		conn_settle(d->conn);
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
	answer_acknowledged(d, mid);
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
		.on_publish = on_publish,
		.on_publish_refused = on_publish_refused,
		.on_taken_over = on_taken_over,
		.on_settle = on_settle,
	};
	const struct conn_options o = {
		.client_id = client_id(d),
		.persistent = true,
		.reconnect = true,
		.hold_acks = true,
		.sub = { "+", NULL, request_filters, NFILTERS, SHADOWD_QOS },
	};
	enum conn_status st;
	char err[1024];

	if ((d->conn = conn_new(d->cfg, &o, &h, d, err, sizeof(err))) == NULL) {
		log_error("%s", err);
		return CONN_ERR_USAGE;
	}
	/* Queued before the first connect: they leave right after CONNACK,
	 * before anything this run answers. */
	if (requests_replay(d->requests, publish_kept, d) == -1)
		return CONN_ERR_USAGE;
	if ((st = conn_open(d->conn, CONNECT_TIMEOUT_MS, err,
	    sizeof(err))) != CONN_OK)
		log_error("%s", err);
	return st;
}

static struct http *
http_of(struct shadowd *d)
{
	return d->dp != NULL ? dataplane_http(d->dp) : NULL;
}

/*
 * Until the broker has acknowledged every answer, FLUSH_TIMEOUT_MS at most:
 * the loop of serve(), so the HTTP face keeps answering (503, stopping)
 * and MQTT requests read meanwhile are applied and answered as usual.
 */
static void
answers_flush(struct shadowd *d)
{
	long long deadline = conn_now_ms() + FLUSH_TIMEOUT_MS, left;
	char c;

	while (conn_unacknowledged(d->conn) > 0) {
		if ((left = deadline - conn_now_ms()) <= 0) {
			log_warn("some answers were not acknowledged by the "
			    "broker before shutdown; they are kept and sent "
			    "again at the next start");
			return;
		}
		(void)events_wait(d, (int)left, true);
		while (read(signal_pipe[0], &c, 1) == 1)
			;
		events_handle(d);
		if (requests_pending(d->requests) > 0)
			batch_finish(d);
		conn_settle(d->conn);
	}
}

static int
http_listen(struct shadowd *d)
{
	const struct dataplane_hooks h = {
		.requests = d->requests,
		.store = d->store,
		.publish = publish_message,
		.ud = d,
	};
	char err[1024];

	if (d->dp == NULL)
		return 0;
	if (dataplane_listen(d->dp, &h, err, sizeof(err)) == -1) {
		log_error("%s", err);
		return 1;
	}
	return 0;
}

/*
 * The requests in hand are applied and answered; from then on an HTTP
 * request gets 503 (stopping) until the listener closes, after the broker
 * acknowledged the answers; MQTT requests the broker delivers meanwhile
 * are answered as usual, the others stay in the session for the next start.
 */
static void
service_stop(struct shadowd *d)
{
	d->stopping = true;
	/* what came before the signal is in hand: in this last batch */
	if (d->ready && http_of(d) != NULL)
		http_take_in(http_of(d), HTTP_CLOSE_MS);
	if (http_of(d) != NULL)
		http_stopping(http_of(d));
	if (d->conn != NULL) {
		if (requests_pending(d->requests) > 0)
			batch_finish(d);
		if (conn_connected(d->conn))
			answers_flush(d);
		/* forget what the broker acknowledged meanwhile */
		if (requests_due(d->requests))
			batch_finish(d);
	}
	if (http_of(d) != NULL)
		http_close(http_of(d), HTTP_CLOSE_MS);
	if (d->conn != NULL) {
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
	if (d->dp != NULL)
		fprintf(stderr, "%s: http: serving the IoT Data Plane API on "
		    "%s\n", log_progname(), dataplane_where(d->dp));
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
	d->outbox_of_mid = calloc(MID_SLOTS, sizeof(*d->outbox_of_mid));
	if (d->outbox_of_mid == NULL) {
		log_error("out of memory");
		store_close(d->store);
		return 1;
	}
	if (requests_new(&d->requests, d->cfg, d->store, d->rate, err,
	    sizeof(err)) == -1) {
		log_error("%s", err);
		store_close(d->store);
		return 1;
	}
	if ((rc = http_listen(d)) != 0) {
		service_stop(d);
		return rc;
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

static bool
http_wanted(const struct shadow_config *cfg)
{
	return cfg->http || cfg->http_credentials || cfg->http_cert ||
	    cfg->http_key || cfg->http_insecure;
}

static int
check_config(const struct shadow_config *cfg, struct dataplane **dp)
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
	if (http_wanted(cfg) &&
	    (*dp = dataplane_new(cfg, err, sizeof(err))) == NULL) {
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
	memset(&d, 0, sizeof(d));
	if ((cs = config_main(&cfg, PROG_SHADOWD, argc, argv, usage)) !=
	    CONFIG_OK)
		return cs == CONFIG_USAGE ? 2 : 0;
	if ((rc = check_config(&cfg, &d.dp)) != 0) {
		config_free(&cfg);
		return rc;
	}
	if (signals_setup() == -1) {
		log_error("can't set up signal handling: %s", strerror(errno));
		dataplane_free(d.dp);
		config_free(&cfg);
		return 1;
	}
	d.cfg = &cfg;
	rc = service_run(&d);
	dataplane_free(d.dp);
	requests_free(d.requests);
	free(d.outbox_of_mid);
	rate_free(d.rate);
	signals_close();
	config_free(&cfg);
	return rc;
}
