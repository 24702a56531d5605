/*
 * conn.h - one libmosquitto session, as all three programs use it:
 * connect, subscribe, reconnect; nothing outside common/ calls libmosquitto.
 *
 * Every connection sets MOSQ_OPT_TCP_NODELAY, the MQTT version, TLS (CA,
 * client certificate, ALPN, --insecure), username/password, keep-alive, and
 * for a persistent session an unlimited session expiry on MQTT 5. It
 * subscribes by itself (struct conn_subscription) on its first connect and
 * on every reconnect that finds no session.
 *
 * Offers:
 *   conn_new         create from a resolved config and conn_options (no
 *                    network yet)
 *   conn_open        connect, wait for CONNACK and the SUBACK of the
 *                    subscriptions; on failure err says why (OpenSSL's
 *                    reason, the CONNACK reason, a TLS/plain mismatch found
 *                    by probing the port, or the AWS hint when the broker
 *                    hangs up right after CONNECT). Asynchronous
 *                    connections only start connecting.
 *   conn_publish     publish (QoS 0/1), conn_publish_json for a json-c object,
 *                    conn_publish_retain with the retain flag
 *   conn_loop        run the network for up to timeout_ms; with reconnect on,
 *                    a lost connection is retried with conn_backoff_ms,
 *                    calling on_disconnect and, once back, on_connect
 *   conn_flush       loop until every QoS 1 publish is acknowledged (a
 *                    refused one counts as answered)
 *   conn_unacknowledged   how many QoS 1 publishes wait for their PUBACK
 *   conn_backoff_ms  the wait before the next attempt: 1 s doubling to 30 s,
 *                    50-100 % of it at random; back to 1 s once connected
 *   conn_socket, conn_want_write   what to poll for
 *   conn_read, conn_settle   the hand-driven loop of hold_acks connections
 *   conn_close       send DISCONNECT and close the socket
 *   conn_free        close and release
 *   conn_reason_string   "not authorised" for 0x87, else the MQTT 5 reason
 *   conn_disconnect_reason  words for on_disconnect's rc
 *
 * Session taken over: another client connecting with the same client id
 * takes the session. An MQTT 5 broker may say so (DISCONNECT 0x8E); MQTT
 * 3.1.1 (and mosquitto 2.0 under MQTT 5) only closes the socket. A
 * connection taken away within CONN_TAKEOVER_WINDOW_MS of its CONNACK (with
 * 0x8E once, without a reason CONN_TAKEOVER_TIMES times in a row) calls
 * on_taken_over; one taken from a longer-standing connection is retried
 * like any lost connection, so the newcomer is the one that sees it.
 *
 * When a QoS 1 message is acknowledged (hold_acks), measured with
 * libmosquitto 2.0.11: handle__publish queues the PUBACK before it calls
 * on_message, and an unthreaded client writes a queued packet at once
 * (outside a callback), so the broker hears "received" before on_message
 * has run; a kill -9 in on_message loses the message. A client marked
 * threaded (mosquitto_threaded_set) only queues it; it leaves at the next
 * mosquitto_loop_write. A hold_acks connection is marked so and never
 * uses mosquitto_loop (which reads and writes in one call): conn_read
 * reads and delivers, writing nothing; conn_settle, once the caller has
 * made what it was handed safe, writes the PUBACKs (and whatever was
 * published meanwhile). Any write conn needs on its own (connect,
 * subscribe, flush, close) first calls on_settle if messages were handed
 * over since the last write. A crash before the write makes the broker
 * deliver those messages again.
 */
#ifndef SHADOW_CONN_H
#define SHADOW_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>

struct shadow_config;
struct conn;

/* Within this time of CONNACK a lost connection counts as taken away. */
#define CONN_TAKEOVER_WINDOW_MS 5000
#define CONN_TAKEOVER_TIMES 3

enum conn_status {
	CONN_OK = 0,
	CONN_ERR_USAGE,     /* bad configuration */
	CONN_ERR_CONNECT,   /* refused, DNS, TLS handshake, not authorised, lost */
	CONN_ERR_TIMEOUT    /* no answer in time */
};

struct conn_handlers {
	void (*on_connect)(void *ud, bool session_present);
	void (*on_disconnect)(void *ud, int rc);   /* rc 0: we asked for it */
	void (*on_message)(void *ud, const char *topic, const void *payload,
	    size_t len);
	void (*on_publish)(void *ud, int mid);      /* QoS 1 acknowledged */
	/*
	 * A QoS 1 publish the broker refused (MQTT 5 PUBACK reason >= 0x80,
	 * e.g. 0x87 not authorised); on_publish is not called for it.
	 * MQTT 3.1.1 has no such answer: a denied publish is dropped silently.
	 */
	void (*on_publish_refused)(void *ud, int mid, int reason);
	/* Another client took the session (see above); why: what was seen. */
	void (*on_taken_over)(void *ud, const char *why);
	/*
	 * hold_acks only: make every message handed to on_message so far
	 * safe; their PUBACKs are written when it returns.
	 */
	void (*on_settle)(void *ud);
};

/*
 * What the connection subscribes to: for each what[i] the filter
 * shadow_topic_filter(thing, shadow, what[i]) (topic.h; thing may be "+",
 * shadow NULL for the classic shadow or "+"). Nothing is copied: the
 * strings and the array must outlive the connection.
 */
#define CONN_SUBSCRIPTIONS_MAX 8
struct conn_subscription {
	const char *thing;
	const char *shadow;
	const char *const *what;
	int n;                  /* 0: no subscriptions */
	int qos;
};

struct conn_options {
	const char *client_id;  /* NULL: client_id_prefix + 12 random [a-z0-9] */
	const char *client_id_prefix;
	bool persistent;        /* keep the session (clean session off) */
	bool reconnect;         /* retry a lost connection with backoff */
	/*
	 * Driven by an outside poll loop (a fleet): nothing blocks, conn_open
	 * only starts connecting, conn_service and conn_tick run the network;
	 * one descriptor per connection (no wake-up socket pair) and no QoS 1
	 * acknowledgement tracking (conn_flush returns at once).
	 */
	bool async;
	/*
	 * Acknowledge QoS 1 messages only after the caller made them safe
	 * (see above); not with async.
	 */
	bool hold_acks;
	struct conn_subscription sub;
};

/* h (may be NULL) is not copied: it must outlive the connection. */
struct conn *conn_new(const struct shadow_config *cfg,
    const struct conn_options *o, const struct conn_handlers *h, void *ud,
    char *err, size_t errlen);
enum conn_status conn_open(struct conn *c, int timeout_ms, char *err,
    size_t errlen);
int conn_publish(struct conn *c, const char *topic, const void *payload,
    size_t len, int qos, int *mid);
int conn_publish_retain(struct conn *c, const char *topic,
    const void *payload, size_t len, int qos, bool retain, int *mid);
int conn_publish_json(struct conn *c, const char *topic, json_object *obj,
    int qos, int *mid);
enum conn_status conn_loop(struct conn *c, int timeout_ms);
bool conn_connected(const struct conn *c);
enum conn_status conn_flush(struct conn *c, int timeout_ms);
long conn_unacknowledged(const struct conn *c);
int conn_backoff_ms(struct conn *c);
int conn_socket(const struct conn *c);
bool conn_want_write(const struct conn *c);
void conn_close(struct conn *c);
void conn_free(struct conn *c);
const char *conn_reason_string(int reason);
const char *conn_disconnect_reason(int rc);

/*
 * Asynchronous connections: conn_service reads/writes as poll said;
 * conn_tick sends keep-alives and reconnects when due (conn_retry_at, 0
 * when no retry is pending); after either, conn_socket may have changed.
 * conn_close only queues the DISCONNECT: the socket closes when the broker
 * hangs up.
 */
void conn_service(struct conn *c, bool readable, bool writable);
void conn_tick(struct conn *c, long long now, bool keepalive);
long long conn_retry_at(const struct conn *c);

/*
 * hold_acks connections: conn_read reads what the socket holds and hands
 * the messages to on_message, writing nothing (a lost connection is
 * noted, and retried by conn_settle). conn_settle: everything handed over
 * is safe; write the PUBACKs and the publishes queued since, send
 * keep-alives, reconnect when due. conn_loop does both, calling
 * on_settle in between.
 */
enum conn_status conn_read(struct conn *c);
enum conn_status conn_settle(struct conn *c);

/* Milliseconds on a monotonic clock. */
long long conn_now_ms(void);

#endif
