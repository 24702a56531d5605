#include "conn.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>

#include <mosquitto.h>
#include <mqtt_protocol.h>

#include "config.h"
#include "ids.h"
#include "log.h"
#include "tls.h"
#include "topic.h"

#define CONN_BACKOFF_MIN_MS 1000
#define CONN_BACKOFF_MAX_MS 30000
#define CONN_SEND_MAXIMUM 1024
#define CONN_SYSTEM_CAPATH "/etc/ssl/certs"
#define CONN_MID_BITS 65536
#define CONN_PROBE_MS 2000

/* Grouped by size: a fleet holds thousands (tests/bench/RESULTS.md). */
struct conn {
	struct mosquitto *mosq;
	const struct conn_handlers *h;  /* the caller's: outlives us */
	void *ud;
	char *host;
	mosquitto_property *connect_props;
	struct conn_subscription sub;
	uint8_t *qos1_mids;          /* allocated at the first QoS 1 publish */
	long long next_retry_ms;
	long long connack_ms;

	int port;
	int keepalive;
	int version;
	int connack_rc;
	int lost_rc;
	int backoff_ms;
	unsigned int rng;
	int quick_losses;            /* taken away right after CONNACK */
	int sub_mid;                 /* -1: no SUBACK pending */
	int sub_refused;
	unsigned int outstanding;
	unsigned int unsettled;      /* hold_acks: handed over, not yet safe */

	bool tls;
	bool async;
	bool hold_acks;
	bool connected;
	bool connack_seen;
	bool lost;
	bool reconnect;
	bool retrying;
	bool ever_connected;
	bool sub_done;
	bool sub_waited;             /* conn_open reports a refusal */
	bool sub_failed;             /* SUBSCRIBE could not be sent */

	char log_error[256];
};

long long
conn_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *
conn_reason_string(int reason)
{
	if (reason == MQTT_RC_NOT_AUTHORIZED)
		return "not authorised";
	return mosquitto_reason_string(reason);
}

static void
conn_lib_init(void)
{
	static bool done;

	if (done)
		return;
	mosquitto_lib_init();
	done = true;
}

static bool
mid_test_clear(struct conn *c, int mid)
{
	unsigned int m = (unsigned int)mid & 0xffff;
	uint8_t bit = (uint8_t)(1u << (m & 7));

	if (c->qos1_mids == NULL || (c->qos1_mids[m >> 3] & bit) == 0)
		return false;
	c->qos1_mids[m >> 3] &= (uint8_t)~bit;
	return true;
}

static int
mid_set(struct conn *c, int mid)
{
	unsigned int m = (unsigned int)mid & 0xffff;

	if (c->qos1_mids == NULL &&
	    (c->qos1_mids = calloc(1, CONN_MID_BITS / 8)) == NULL)
		return -1;
	c->qos1_mids[m >> 3] |= (uint8_t)(1u << (m & 7));
	return 0;
}

/* Filter i of the subscriptions into buf; -1 if it does not fit. */
static int
sub_filter(const struct conn *c, int i, char buf[SHADOW_TOPIC_MAX])
{
	return shadow_topic_filter(buf, SHADOW_TOPIC_MAX, c->sub.thing,
	    c->sub.shadow, c->sub.what[i], NULL) == TOPIC_OK ? 0 : -1;
}

static int
conn_send_subscribe(struct conn *c)
{
	char filters[CONN_SUBSCRIPTIONS_MAX][SHADOW_TOPIC_MAX];
	char *f[CONN_SUBSCRIPTIONS_MAX];
	int i, mid = 0;

	for (i = 0; i < c->sub.n; i++) {
		if (sub_filter(c, i, filters[i]) == -1)
			return -1;
		f[i] = filters[i];
	}
	if (mosquitto_subscribe_multiple(c->mosq, &mid, c->sub.n, f,
	    c->sub.qos, 0, NULL) != MOSQ_ERR_SUCCESS)
		return -1;
	c->sub_mid = mid;
	c->sub_done = false;
	c->sub_refused = -1;
	return 0;
}

/* Callbacks shared by the MQTT 3.1.1 and MQTT 5 variants. */

/*
 * Subscribe on the first connect and whenever the session is gone (a
 * session kept from another run may hold other subscriptions, so the
 * first connect subscribes even when the broker kept one).
 */
static void
handle_connack(struct conn *c, int rc, int flags)
{
	bool session_present = (flags & 1) != 0;

	c->connack_seen = true;
	c->connack_rc = rc;
	if (rc != 0)
		return;
	c->connected = true;
	c->lost = false;
	c->retrying = false;
	c->backoff_ms = CONN_BACKOFF_MIN_MS;
	c->connack_ms = conn_now_ms();
	if (c->sub.n > 0 && (!session_present || !c->ever_connected) &&
	    (c->sub_failed = conn_send_subscribe(c) == -1) && !c->sub_waited)
		log_warn("can't subscribe to the shadow topics of %s on %s:%d",
		    c->sub.thing, c->host, c->port);
	c->ever_connected = true;
	if (c->h->on_connect != NULL)
		c->h->on_connect(c->ud, session_present);
}

static void
taken_over(struct conn *c, const char *why)
{
	c->quick_losses = 0;
	if (c->h->on_taken_over != NULL)
		c->h->on_taken_over(c->ud, why);
}

/*
 * Another client with our client id takes the session (conn.h). Only a
 * connection that had just been made counts: the one that stood longer
 * takes the session back, so the newcomer is the one told. MQTT 5 brokers
 * may say it (0x8E); mosquitto 2.0 closes the socket before its DISCONNECT
 * goes out, so a hang-up without a reason counts under MQTT 5 as well.
 */
static void
takeover_check(struct conn *c, int rc)
{
	char why[200];
	bool quick = conn_now_ms() - c->connack_ms <= CONN_TAKEOVER_WINDOW_MS;

	if (rc == MQTT_RC_SESSION_TAKEN_OVER && quick) {
		snprintf(why, sizeof(why), "the broker handed the session to "
		    "another client within %d s of connecting (MQTT 5 reason "
		    "0x8E, session taken over)", CONN_TAKEOVER_WINDOW_MS / 1000);
		taken_over(c, why);
		return;
	}
	/* 0: we hung up; 0x80 and up: the broker said why, and not this. */
	if (rc == 0 || rc >= 0x80 || !quick) {
		if (rc == MQTT_RC_SESSION_TAKEN_OVER)
			log_debug("%s:%d: session taken over by another client "
			    "with the same client id; taking it back", c->host,
			    c->port);
		c->quick_losses = 0;
		return;
	}
	if (++c->quick_losses < CONN_TAKEOVER_TIMES)
		return;
	snprintf(why, sizeof(why), "the broker closed the connection within "
	    "%d s of connecting %d times in a row, as it does when another "
	    "client connects with the same client id",
	    CONN_TAKEOVER_WINDOW_MS / 1000, CONN_TAKEOVER_TIMES);
	taken_over(c, why);
}

static void
handle_disconnect(struct conn *c, int rc)
{
	bool was = c->connected;

	c->connected = false;
	c->lost = true;
	c->lost_rc = rc;
	if (!was)
		return;
	if (c->h->on_disconnect != NULL)
		c->h->on_disconnect(c->ud, rc);
	takeover_check(c, rc);
}

static void
handle_puback(struct conn *c, int mid, int reason)
{
	if (!mid_test_clear(c, mid))
		return;
	if (c->outstanding > 0)
		c->outstanding--;
	if (reason >= 0x80) {
		log_debug("publish %d refused by the broker: %s", mid,
		    conn_reason_string(reason));
		if (c->h->on_publish_refused != NULL)
			c->h->on_publish_refused(c->ud, mid, reason);
		return;
	}
	if (c->h->on_publish != NULL)
		c->h->on_publish(c->ud, mid);
}

static void
handle_suback(struct conn *c, int mid, int n, const int *granted)
{
	int i;

	char f[SHADOW_TOPIC_MAX];

	if (mid != c->sub_mid)
		return;
	c->sub_done = true;
	c->sub_mid = -1;
	for (i = 0; i < n; i++) {
		if (granted[i] >= 0x80) {
			c->sub_refused = i;
			break;
		}
	}
	/* Nobody waits for this SUBACK: say it here. */
	if (c->sub_refused >= 0 && !c->sub_waited)
		log_warn("%s:%d: not authorised to subscribe to %s", c->host,
		    c->port, c->sub_refused < c->sub.n &&
		    sub_filter(c, c->sub_refused, f) == 0 ? f : "(unknown)");
}

static void
handle_message(struct conn *c, const struct mosquitto_message *m)
{
	if (c->hold_acks)
		c->unsettled++;
	if (c->h->on_message != NULL)
		c->h->on_message(c->ud, m->topic, m->payload,
		    (size_t)m->payloadlen);
}

static void
cb_connect(struct mosquitto *m, void *ud, int rc, int flags)
{
	(void)m;
	handle_connack(ud, rc, flags);
}

static void
cb_connect_v5(struct mosquitto *m, void *ud, int rc, int flags,
    const mosquitto_property *p)
{
	(void)m;
	(void)p;
	handle_connack(ud, rc, flags);
}

static void
cb_disconnect(struct mosquitto *m, void *ud, int rc)
{
	(void)m;
	handle_disconnect(ud, rc);
}

static void
cb_disconnect_v5(struct mosquitto *m, void *ud, int rc,
    const mosquitto_property *p)
{
	(void)m;
	(void)p;
	handle_disconnect(ud, rc);
}

static void
cb_publish(struct mosquitto *m, void *ud, int mid)
{
	(void)m;
	handle_puback(ud, mid, 0);
}

static void
cb_publish_v5(struct mosquitto *m, void *ud, int mid, int reason,
    const mosquitto_property *p)
{
	(void)m;
	(void)p;
	handle_puback(ud, mid, reason);
}

static void
cb_subscribe(struct mosquitto *m, void *ud, int mid, int n, const int *g)
{
	(void)m;
	handle_suback(ud, mid, n, g);
}

static void
cb_subscribe_v5(struct mosquitto *m, void *ud, int mid, int n, const int *g,
    const mosquitto_property *p)
{
	(void)m;
	(void)p;
	handle_suback(ud, mid, n, g);
}

static void
cb_message(struct mosquitto *m, void *ud, const struct mosquitto_message *msg)
{
	(void)m;
	handle_message(ud, msg);
}

static void
cb_message_v5(struct mosquitto *m, void *ud,
    const struct mosquitto_message *msg, const mosquitto_property *p)
{
	(void)m;
	(void)p;
	handle_message(ud, msg);
}

static void
cb_log(struct mosquitto *m, void *ud, int level, const char *str)
{
	struct conn *c = ud;
	const char *s = str;

	(void)m;
	if (level == MOSQ_LOG_ERR) {
		if (strncmp(s, "OpenSSL Error", 13) == 0 &&
		    strchr(s, ':') != NULL) {
			s = strchr(s, ':') + 1;
			while (*s == ' ')
				s++;
		}
		else if (strncmp(s, "Error: ", 7) == 0)
			s += 7;
		if (c->log_error[0] == '\0')
			snprintf(c->log_error, sizeof(c->log_error), "%s", s);
	}
	if (log_verbosity() >= 2)
		log_debug("mosquitto: %s", str);
}

static void
conn_set_callbacks(struct conn *c)
{
	struct mosquitto *m = c->mosq;

	mosquitto_log_callback_set(m, cb_log);
	if (c->version == CONFIG_MQTT_5) {
		mosquitto_connect_v5_callback_set(m, cb_connect_v5);
		mosquitto_disconnect_v5_callback_set(m, cb_disconnect_v5);
		mosquitto_publish_v5_callback_set(m, cb_publish_v5);
		mosquitto_subscribe_v5_callback_set(m, cb_subscribe_v5);
		mosquitto_message_v5_callback_set(m, cb_message_v5);
	} else {
		mosquitto_connect_with_flags_callback_set(m, cb_connect);
		mosquitto_disconnect_callback_set(m, cb_disconnect);
		mosquitto_publish_callback_set(m, cb_publish);
		mosquitto_subscribe_callback_set(m, cb_subscribe);
		mosquitto_message_callback_set(m, cb_message);
	}
}

static int
conn_set_tls(struct conn *c, const struct shadow_config *cfg, char *err,
    size_t errlen)
{
	const char *capath = NULL;
	int rc;

	if (cfg->ca == NULL) {
		capath = CONN_SYSTEM_CAPATH;
		rc = mosquitto_int_option(c->mosq, MOSQ_OPT_TLS_USE_OS_CERTS, 1);
		if (rc != MOSQ_ERR_SUCCESS) {
			snprintf(err, errlen, "can't use the system CA store: %s",
			    mosquitto_strerror(rc));
			return -1;
		}
	}
	rc = mosquitto_tls_set(c->mosq, cfg->ca, capath, cfg->cert, cfg->key,
	    NULL);
	if (rc != MOSQ_ERR_SUCCESS) {
		snprintf(err, errlen, "can't set up TLS (CA %s, certificate %s, "
		    "key %s): %s", cfg->ca ? cfg->ca : capath,
		    cfg->cert ? cfg->cert : "none", cfg->key ? cfg->key : "none",
		    rc == MOSQ_ERR_INVAL ? "unreadable file or certificate "
		    "without key" : mosquitto_strerror(rc));
		return -1;
	}
	if (cfg->insecure &&
	    mosquitto_tls_insecure_set(c->mosq, true) != MOSQ_ERR_SUCCESS) {
		snprintf(err, errlen, "can't disable host name verification");
		return -1;
	}
	if (cfg->alpn != NULL) {
		rc = mosquitto_string_option(c->mosq, MOSQ_OPT_TLS_ALPN,
		    cfg->alpn);
		if (rc != MOSQ_ERR_SUCCESS) {
			snprintf(err, errlen, "can't set ALPN %s: %s",
			    cfg->alpn, mosquitto_strerror(rc));
			return -1;
		}
	}
	return 0;
}

static int
conn_configure(struct conn *c, const struct shadow_config *cfg,
    bool clean_session, char *err, size_t errlen)
{
	int rc;

	rc = mosquitto_int_option(c->mosq, MOSQ_OPT_PROTOCOL_VERSION,
	    c->version == CONFIG_MQTT_5 ? MQTT_PROTOCOL_V5 : MQTT_PROTOCOL_V311);
	if (rc == MOSQ_ERR_SUCCESS)
		rc = mosquitto_int_option(c->mosq, MOSQ_OPT_TCP_NODELAY, 1);
	if (rc == MOSQ_ERR_SUCCESS)
		rc = mosquitto_int_option(c->mosq, MOSQ_OPT_SEND_MAXIMUM,
		    CONN_SEND_MAXIMUM);
	if (rc != MOSQ_ERR_SUCCESS) {
		snprintf(err, errlen, "can't set MQTT options: %s",
		    mosquitto_strerror(rc));
		return -1;
	}
	if (cfg->username != NULL || cfg->password != NULL) {
		rc = mosquitto_username_pw_set(c->mosq, cfg->username,
		    cfg->password);
		if (rc != MOSQ_ERR_SUCCESS) {
			snprintf(err, errlen, "can't set username/password: %s",
			    mosquitto_strerror(rc));
			return -1;
		}
	}
	if (cfg->tls && conn_set_tls(c, cfg, err, errlen) == -1)
		return -1;
	if (c->version == CONFIG_MQTT_5 && !clean_session) {
		rc = mosquitto_property_add_int32(&c->connect_props,
		    MQTT_PROP_SESSION_EXPIRY_INTERVAL, UINT32_MAX);
		if (rc != MOSQ_ERR_SUCCESS) {
			snprintf(err, errlen, "can't set session expiry: %s",
			    mosquitto_strerror(rc));
			return -1;
		}
	}
	conn_set_callbacks(c);
	return 0;
}

/*
 * libmosquitto opens a socket pair per client to wake mosquitto_loop from
 * another thread; a fleet never needs it (it triples the descriptors per
 * device), nor a hold_acks connection (it never calls mosquitto_loop, so
 * nothing would drain it). With the limit at the lowest free descriptor, socketpair() fails
 * and libmosquitto goes on without it.
 */
static struct mosquitto *
mosquitto_new_frugal(const char *id, bool clean_session, void *ud)
{
	struct rlimit saved, low;
	struct mosquitto *m;
	int probe, saved_errno;

	if (getrlimit(RLIMIT_NOFILE, &saved) != 0 ||
	    (probe = dup(STDERR_FILENO)) < 0)
		return mosquitto_new(id, clean_session, ud);
	close(probe);
	low = saved;
	low.rlim_cur = (rlim_t)probe;
	if (setrlimit(RLIMIT_NOFILE, &low) != 0)
		return mosquitto_new(id, clean_session, ud);
	m = mosquitto_new(id, clean_session, ud);
	saved_errno = errno;
	(void)setrlimit(RLIMIT_NOFILE, &saved);
	errno = saved_errno;
	return m;
}

/* The client id given, or prefix + random characters (malloc'd in *made). */
static const char *
conn_client_id(const struct conn_options *o, char **made)
{
	*made = NULL;
	if (o->client_id != NULL)
		return o->client_id;
	return *made = ids_client_id(o->client_id_prefix);
}

static const struct conn_handlers no_handlers;

struct conn *
conn_new(const struct shadow_config *cfg, const struct conn_options *o,
    const struct conn_handlers *h, void *ud, char *err, size_t errlen)
{
	struct conn *c;
	const char *id;
	char *made;

	conn_lib_init();
	if (o->sub.n > CONN_SUBSCRIPTIONS_MAX) {
		snprintf(err, errlen, "%d subscriptions: at most %d", o->sub.n,
		    CONN_SUBSCRIPTIONS_MAX);
		return NULL;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->h = h != NULL ? h : &no_handlers;
	c->ud = ud;
	c->port = cfg->port;
	c->keepalive = cfg->keepalive > 0 ? cfg->keepalive : 30;
	c->version = cfg->mqtt_version;
	c->tls = cfg->tls;
	c->async = o->async;
	c->hold_acks = o->hold_acks && !o->async;
	c->reconnect = o->reconnect;
	c->sub = o->sub;
	c->backoff_ms = CONN_BACKOFF_MIN_MS;
	c->sub_mid = -1;
	c->rng = (unsigned int)conn_now_ms() ^ (unsigned int)getpid() ^
	    (unsigned int)(uintptr_t)c;
	c->host = strdup(cfg->endpoint != NULL ? cfg->endpoint : "localhost");
	if (c->host == NULL) {
		snprintf(err, errlen, "out of memory");
		free(c);
		return NULL;
	}
	if ((id = conn_client_id(o, &made)) == NULL) {
		snprintf(err, errlen, "can't make a client id: %s",
		    strerror(errno));
		conn_free(c);
		return NULL;
	}
	c->mosq = c->async || c->hold_acks ?
	    mosquitto_new_frugal(id, !o->persistent, c) :
	    mosquitto_new(id, !o->persistent, c);
	if (c->mosq == NULL) {
		snprintf(err, errlen, "can't create MQTT client %s: %s", id,
		    strerror(errno));
		free(made);
		conn_free(c);
		return NULL;
	}
	/* Queue packets, write them only in mosquitto_loop_write (conn.h). */
	if (c->hold_acks && mosquitto_threaded_set(c->mosq, true) !=
	    MOSQ_ERR_SUCCESS) {
		snprintf(err, errlen, "can't set up MQTT client %s for held "
		    "acknowledgements", id);
		free(made);
		conn_free(c);
		return NULL;
	}
	free(made);
	if (conn_configure(c, cfg, !o->persistent, err, errlen) == -1) {
		conn_free(c);
		return NULL;
	}
	return c;
}

/* 1 when host:port answers a plain MQTT CONNECT with a CONNACK. */
static void
probe_connack(struct mosquitto *m, void *ud, int rc)
{
	(void)m;
	(void)rc;
	*(bool *)ud = true;
}

static bool
conn_probe_plain(const struct conn *c)
{
	long long deadline = conn_now_ms() + CONN_PROBE_MS;
	struct mosquitto *m;
	bool seen = false;
	char *id;

	if ((id = ids_client_id("probe-")) == NULL)
		return false;
	m = mosquitto_new(id, true, &seen);
	free(id);
	if (m == NULL)
		return false;
	mosquitto_connect_callback_set(m, probe_connack);
	if (mosquitto_connect(m, c->host, c->port, 10) == MOSQ_ERR_SUCCESS) {
		while (!seen && conn_now_ms() < deadline)
			if (mosquitto_loop(m, 100, 1) != MOSQ_ERR_SUCCESS)
				break;
		if (mosquitto_socket(m) != -1)
			(void)mosquitto_disconnect(m);
	}
	mosquitto_destroy(m);
	return seen;
}

/*
 * A TLS client at a plain listener, or the reverse: the handshake or the
 * CONNECT meets bytes of the other kind and the broker hangs up. Probe the
 * port the other way to say which (only when conn_open may block).
 */
static bool
describe_mismatch(const struct conn *c, char *err, size_t errlen)
{
	if (c->async)
		return false;
	if (c->tls && conn_probe_plain(c)) {
		snprintf(err, errlen, "the broker at %s:%d speaks plain MQTT, "
		    "not TLS: use its TLS port (8883) or drop --tls/--ca/"
		    "--certs (--no-tls)", c->host, c->port);
		return true;
	}
	if (!c->tls && tls_probe(c->host, c->port, CONN_PROBE_MS) == 1) {
		snprintf(err, errlen, "the broker at %s:%d speaks TLS: add "
		    "--tls/--ca (or --certs) or use port 1883", c->host,
		    c->port);
		return true;
	}
	return false;
}

static void
describe_connect_failure(struct conn *c, int rc, int saved_errno, char *err,
    size_t errlen)
{
	if (c->log_error[0] != '\0' && (rc == MOSQ_ERR_TLS ||
	    rc == MOSQ_ERR_PROTOCOL || rc == MOSQ_ERR_CONN_LOST ||
	    rc == MOSQ_ERR_ERRNO)) {
		if (!describe_mismatch(c, err, errlen))
			snprintf(err, errlen, "TLS handshake with %s:%d "
			    "failed: %s", c->host, c->port, c->log_error);
		return;
	}
	switch (rc) {
	case MOSQ_ERR_EAI:
		snprintf(err, errlen, "can't resolve %s: %s", c->host,
		    gai_strerror(saved_errno));
		break;
	case MOSQ_ERR_ERRNO:
		if (saved_errno == ECONNREFUSED)
			snprintf(err, errlen, "can't connect to %s:%d: "
			    "connection refused (nothing listening on %s:%d? "
			    "start a broker or check --endpoint/--port)",
			    c->host, c->port, c->host, c->port);
		else
			snprintf(err, errlen, "can't connect to %s:%d: %s",
			    c->host, c->port, strerror(saved_errno));
		break;
	case MOSQ_ERR_TLS:
		if (!describe_mismatch(c, err, errlen))
			snprintf(err, errlen, "TLS handshake with %s:%d failed",
			    c->host, c->port);
		break;
	default:
		snprintf(err, errlen, "can't connect to %s:%d: %s", c->host,
		    c->port, mosquitto_strerror(rc));
		break;
	}
}

static const char *
connack_reason(int version, int rc)
{
	if (version == CONFIG_MQTT_5) {
		switch (rc) {
		case MQTT_RC_NOT_AUTHORIZED:
			return "not authorised";
		case MQTT_RC_BAD_USERNAME_OR_PASSWORD:
			return "bad username or password";
		case MQTT_RC_CLIENTID_NOT_VALID:
			return "client identifier rejected";
		default:
			return mosquitto_reason_string(rc);
		}
	}
	switch (rc) {
	case 1:
		return "unacceptable protocol version";
	case 2:
		return "client identifier rejected";
	case 3:
		return "server unavailable";
	case 4:
		return "bad username or password";
	case 5:
		return "not authorised";
	}
	return "unknown reason";
}

static void
describe_lost_before_connack(struct conn *c, int rc, char *err, size_t errlen)
{
	if (c->log_error[0] != '\0') {
		describe_connect_failure(c, MOSQ_ERR_TLS, 0, err, errlen);
		return;
	}
	if (rc == MOSQ_ERR_CONN_LOST || rc == MOSQ_ERR_SUCCESS ||
	    rc == MOSQ_ERR_NO_CONN || c->lost) {
		if (describe_mismatch(c, err, errlen))
			return;
		snprintf(err, errlen, "%s:%d: the broker closed the connection "
		    "right after CONNECT; on AWS IoT this usually means the "
		    "policy does not allow iot:Connect for this client id, or "
		    "the certificate is inactive", c->host, c->port);
		return;
	}
	snprintf(err, errlen, "lost the connection to %s:%d before CONNACK: %s",
	    c->host, c->port, rc == MOSQ_ERR_ERRNO ? strerror(errno) :
	    mosquitto_strerror(rc));
}

/*
 * One connection attempt: the first (again false) or a reconnect. Blocking
 * connections connect the socket here; asynchronous ones only start, unless
 * MQTT 5 properties need libmosquitto's blocking connect (instant on a
 * local broker).
 */
static int
conn_attempt(struct conn *c, bool again)
{
	errno = 0;
	c->log_error[0] = '\0';
	c->connack_seen = false;
	c->lost = false;
	if (again)
		return c->async ? mosquitto_reconnect_async(c->mosq) :
		    mosquitto_reconnect(c->mosq);
	if (c->async && c->connect_props == NULL)
		return mosquitto_connect_async(c->mosq, c->host, c->port,
		    c->keepalive);
	return mosquitto_connect_bind_v5(c->mosq, c->host, c->port,
	    c->keepalive, NULL, c->connect_props);
}

int
conn_backoff_ms(struct conn *c)
{
	int b = c->backoff_ms;
	int jitter;

	c->rng = c->rng * 1103515245u + 12345u;
	jitter = (int)((c->rng >> 8) % (unsigned int)(b / 2 + 1));
	if (c->backoff_ms < CONN_BACKOFF_MAX_MS)
		c->backoff_ms = c->backoff_ms * 2 > CONN_BACKOFF_MAX_MS ?
		    CONN_BACKOFF_MAX_MS : c->backoff_ms * 2;
	return b / 2 + jitter;
}

static void
conn_schedule_retry(struct conn *c)
{
	int delay = conn_backoff_ms(c);

	c->retrying = true;
	c->next_retry_ms = conn_now_ms() + delay;
	log_debug("reconnecting to %s:%d in %d ms", c->host, c->port, delay);
}

static void
conn_retry_now(struct conn *c)
{
	int rc = conn_attempt(c, true);

	if (rc == MOSQ_ERR_SUCCESS) {
		c->retrying = false;
		return;
	}
	log_debug("reconnect to %s:%d failed: %s", c->host, c->port,
	    rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
	conn_schedule_retry(c);
}

/* The connection went away: tell, and with reconnect on, retry later. */
static void
conn_lost(struct conn *c, int rc)
{
	if (c->connected)
		handle_disconnect(c, rc);
	if (c->reconnect && !c->retrying)
		conn_schedule_retry(c);
}

/*
 * hold_acks: what the caller was handed becomes safe (on_settle), then
 * what is queued is written: the PUBACKs after the commit, never before.
 */
static int
conn_write_settled(struct conn *c)
{
	if (c->unsettled > 0) {
		c->unsettled = 0;
		if (c->h->on_settle != NULL)
			c->h->on_settle(c->ud);
	}
	if (mosquitto_socket(c->mosq) == -1)
		return MOSQ_ERR_NO_CONN;
	if (!mosquitto_want_write(c->mosq))
		return MOSQ_ERR_SUCCESS;
	return mosquitto_loop_write(c->mosq, 1);
}

/* mosquitto_loop, but for hold_acks: read, settle, write, keep-alive. */
static int
conn_step(struct conn *c, int timeout_ms)
{
	struct pollfd p;
	int rc;

	if (!c->hold_acks)
		return mosquitto_loop(c->mosq, timeout_ms, 1);
	if ((p.fd = mosquitto_socket(c->mosq)) == -1)
		return MOSQ_ERR_NO_CONN;
	p.events = POLLIN | (mosquitto_want_write(c->mosq) ? POLLOUT : 0);
	p.revents = 0;
	if (poll(&p, 1, timeout_ms) == -1 && errno != EINTR)
		return MOSQ_ERR_ERRNO;
	if ((p.revents & (POLLIN | POLLHUP | POLLERR)) != 0 &&
	    (rc = mosquitto_loop_read(c->mosq, 1)) != MOSQ_ERR_SUCCESS)
		return rc;
	if ((rc = conn_write_settled(c)) != MOSQ_ERR_SUCCESS)
		return rc;
	return mosquitto_loop_misc(c->mosq);
}

static bool
open_done(const struct conn *c)
{
	return c->connack_seen && (c->connack_rc != 0 || c->sub_mid == -1);
}

/* CONNACK, and the SUBACK of the subscriptions made on it. */
static enum conn_status
conn_open_wait(struct conn *c, int timeout_ms, char *err, size_t errlen)
{
	long long deadline = conn_now_ms() + timeout_ms;
	long long left;
	int rc;

	while (!open_done(c)) {
		left = deadline - conn_now_ms();
		if (left <= 0) {
			if (c->connack_seen)
				snprintf(err, errlen, "no SUBACK for the shadow "
				    "topics of %s from %s:%d within %d ms",
				    c->sub.thing, c->host, c->port, timeout_ms);
			else
				snprintf(err, errlen, "no CONNACK from %s:%d "
				    "within %d ms", c->host, c->port,
				    timeout_ms);
			mosquitto_disconnect(c->mosq);
			return CONN_ERR_TIMEOUT;
		}
		errno = 0;
		rc = conn_step(c, left > 100 ? 100 : (int)left);
		if (open_done(c))
			break;
		if (rc == MOSQ_ERR_SUCCESS && !c->lost)
			continue;
		if (c->connack_seen)
			snprintf(err, errlen, "lost the connection to %s:%d "
			    "while subscribing to the shadow topics of %s",
			    c->host, c->port, c->sub.thing);
		else
			describe_lost_before_connack(c, rc, err, errlen);
		return CONN_ERR_CONNECT;
	}
	if (c->connack_rc != 0) {
		snprintf(err, errlen, "the broker at %s:%d refused the "
		    "connection: %s", c->host, c->port,
		    connack_reason(c->version, c->connack_rc));
		mosquitto_disconnect(c->mosq);
		return CONN_ERR_CONNECT;
	}
	return CONN_OK;
}

enum conn_status
conn_open(struct conn *c, int timeout_ms, char *err, size_t errlen)
{
	char f[SHADOW_TOPIC_MAX];
	enum conn_status st;
	int rc;

	c->ever_connected = false;
	rc = conn_attempt(c, false);
	if (rc != MOSQ_ERR_SUCCESS) {
		describe_connect_failure(c, rc, errno, err, errlen);
		if (rc == MOSQ_ERR_INVAL)
			return CONN_ERR_USAGE;
		if (c->async && c->reconnect)
			conn_schedule_retry(c);
		return CONN_ERR_CONNECT;
	}
	if (c->async)
		return CONN_OK;
	c->sub_waited = true;
	c->sub_failed = false;
	c->sub_refused = -1;
	st = conn_open_wait(c, timeout_ms, err, errlen);
	c->sub_waited = false;
	if (st != CONN_OK)
		return st;
	if (c->sub_failed) {
		snprintf(err, errlen, "can't subscribe to the shadow topics of "
		    "%s on %s:%d", c->sub.thing, c->host, c->port);
		return CONN_ERR_CONNECT;
	}
	if (c->sub_refused >= 0) {
		snprintf(err, errlen, "not authorised to subscribe to %s",
		    sub_filter(c, c->sub_refused, f) == 0 ? f : c->sub.thing);
		return CONN_ERR_CONNECT;
	}
	return CONN_OK;
}

static enum conn_status
conn_wait(struct conn *c, bool (*done)(const struct conn *), int timeout_ms)
{
	long long deadline = conn_now_ms() + timeout_ms;
	long long left;
	enum conn_status st;

	while (!done(c)) {
		left = deadline - conn_now_ms();
		if (left <= 0)
			return CONN_ERR_TIMEOUT;
		st = conn_loop(c, left > 100 ? 100 : (int)left);
		if (st != CONN_OK)
			return st;
	}
	return CONN_OK;
}

int
conn_publish_retain(struct conn *c, const char *topic, const void *payload,
    size_t len, int qos, bool retain, int *mid)
{
	int m = 0, rc;

	if (len > INT32_MAX)
		return -1;
	rc = mosquitto_publish(c->mosq, &m, topic, (int)len, payload, qos,
	    retain);
	/* A QoS 1 message is queued even when the link is down, and sent
	 * again after the reconnect. */
	if (rc != MOSQ_ERR_SUCCESS && !(rc == MOSQ_ERR_NO_CONN && qos > 0))
		return -1;
	if (qos > 0 && !c->async && mid_set(c, m) == 0)
		c->outstanding++;
	if (mid != NULL)
		*mid = m;
	return 0;
}

int
conn_publish(struct conn *c, const char *topic, const void *payload,
    size_t len, int qos, int *mid)
{
	return conn_publish_retain(c, topic, payload, len, qos, false, mid);
}

int
conn_publish_json(struct conn *c, const char *topic, json_object *obj,
    int qos, int *mid)
{
	size_t len = 0;
	const char *s;

	s = json_object_to_json_string_length(obj,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	if (s == NULL)
		return -1;
	return conn_publish(c, topic, s, len, qos, mid);
}

bool
conn_connected(const struct conn *c)
{
	return c->connected;
}

static void
conn_sleep(int ms)
{
	if (ms > 0)
		(void)poll(NULL, 0, ms);
}

static enum conn_status
conn_loop_retrying(struct conn *c, int timeout_ms)
{
	long long wait = c->next_retry_ms - conn_now_ms();

	if (wait > 0) {
		conn_sleep(wait < timeout_ms ? (int)wait : timeout_ms);
		if (wait > timeout_ms)
			return CONN_OK;
	}
	conn_retry_now(c);
	return CONN_OK;
}

/* After a read or write: a lost connection is retried (reconnect on). */
static enum conn_status
conn_after(struct conn *c, int rc)
{
	if (rc == MOSQ_ERR_SUCCESS && !c->lost)
		return CONN_OK;
	if (!c->reconnect)
		return CONN_ERR_CONNECT;
	log_debug("connection to %s:%d lost: %s", c->host, c->port,
	    rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
	conn_lost(c, rc);
	return CONN_OK;
}

enum conn_status
conn_loop(struct conn *c, int timeout_ms)
{
	if (timeout_ms < 0)
		timeout_ms = 0;
	if (c->retrying)
		return c->reconnect ? conn_loop_retrying(c, timeout_ms) :
		    CONN_ERR_CONNECT;
	return conn_after(c, conn_step(c, timeout_ms));
}

enum conn_status
conn_read(struct conn *c)
{
	if (c->retrying || mosquitto_socket(c->mosq) == -1)
		return c->reconnect ? CONN_OK : CONN_ERR_CONNECT;
	errno = 0;
	return conn_after(c, mosquitto_loop_read(c->mosq, 1));
}

enum conn_status
conn_settle(struct conn *c)
{
	int rc;

	c->unsettled = 0;
	if (c->retrying)
		return c->reconnect ? conn_loop_retrying(c, 0) :
		    CONN_ERR_CONNECT;
	errno = 0;
	rc = conn_write_settled(c);
	if (rc == MOSQ_ERR_SUCCESS)
		rc = mosquitto_loop_misc(c->mosq);
	return conn_after(c, rc);
}

static bool
all_acknowledged(const struct conn *c)
{
	return c->outstanding == 0;
}

enum conn_status
conn_flush(struct conn *c, int timeout_ms)
{
	return conn_wait(c, all_acknowledged, timeout_ms);
}

long
conn_unacknowledged(const struct conn *c)
{
	return (long)c->outstanding;
}

/*
 * hold_acks: write only; a request read now would be committed after its
 * PUBACK could leave (the socket closes right after the DISCONNECT).
 */
static int
conn_close_step(struct conn *c)
{
	struct pollfd p;
	int rc;

	if (!c->hold_acks)
		return mosquitto_loop(c->mosq, 50, 1);
	if ((rc = conn_write_settled(c)) != MOSQ_ERR_SUCCESS ||
	    (p.fd = mosquitto_socket(c->mosq)) == -1)
		return rc;
	p.events = POLLOUT;
	p.revents = 0;
	(void)poll(&p, 1, 50);
	return MOSQ_ERR_SUCCESS;
}

void
conn_close(struct conn *c)
{
	long long deadline;

	if (c == NULL || c->mosq == NULL)
		return;
	c->reconnect = false;
	c->retrying = false;
	if (mosquitto_socket(c->mosq) == -1)
		return;
	if (mosquitto_disconnect(c->mosq) != MOSQ_ERR_SUCCESS || c->async)
		return;
	deadline = conn_now_ms() + 500;
	while (mosquitto_socket(c->mosq) != -1 && conn_now_ms() < deadline)
		if (conn_close_step(c) != MOSQ_ERR_SUCCESS)
			break;
	c->connected = false;
}

void
conn_free(struct conn *c)
{
	if (c == NULL)
		return;
	if (c->mosq != NULL) {
		c->async = false;
		conn_close(c);
		mosquitto_destroy(c->mosq);
	}
	mosquitto_property_free_all(&c->connect_props);
	free(c->qos1_mids);
	free(c->host);
	free(c);
}

int
conn_socket(const struct conn *c)
{
	return mosquitto_socket(c->mosq);
}

bool
conn_want_write(const struct conn *c)
{
	return mosquitto_socket(c->mosq) != -1 && mosquitto_want_write(c->mosq);
}

long long
conn_retry_at(const struct conn *c)
{
	return c->retrying ? c->next_retry_ms : 0;
}

/* Read and write as poll said; a lost connection schedules a retry. */
void
conn_service(struct conn *c, bool readable, bool writable)
{
	int rc = MOSQ_ERR_SUCCESS;

	if (readable && mosquitto_socket(c->mosq) != -1) {
		errno = 0;
		rc = mosquitto_loop_read(c->mosq, 1);
	}
	if (rc == MOSQ_ERR_SUCCESS && mosquitto_socket(c->mosq) != -1 &&
	    (writable || mosquitto_want_write(c->mosq)))
		rc = mosquitto_loop_write(c->mosq, 1);
	if (rc != MOSQ_ERR_SUCCESS || mosquitto_socket(c->mosq) == -1)
		conn_lost(c, rc);
}

/* Keep-alive, and the reconnect when it is due. */
void
conn_tick(struct conn *c, long long now, bool keepalive)
{
	int rc;

	if (c->retrying) {
		if (c->reconnect && now >= c->next_retry_ms)
			conn_retry_now(c);
		return;
	}
	if (!keepalive || mosquitto_socket(c->mosq) == -1)
		return;
	rc = mosquitto_loop_misc(c->mosq);
	if (rc != MOSQ_ERR_SUCCESS || mosquitto_socket(c->mosq) == -1)
		conn_lost(c, rc);
}

const char *
conn_disconnect_reason(int rc)
{
	if (rc == 0)
		return "closed";
	if (rc == MQTT_RC_SESSION_TAKEN_OVER)
		return "session taken over";
	/* MQTT 5 reasons from the broker's DISCONNECT are 0x80 and up;
	 * below are libmosquitto's own errors. */
	if (rc >= 0x80)
		return mosquitto_reason_string(rc);
	return mosquitto_strerror(rc);
}
