/*
 * conn.h - one libmosquitto session, as all three programs use it.
 *
 * Single-threaded: the caller drives the network with conn_loop(). Every
 * connection sets MOSQ_OPT_TCP_NODELAY, the MQTT version, TLS (CA, client
 * certificate, ALPN, --insecure), username/password, keep-alive, and for a
 * persistent session (clean_session false) an unlimited session expiry on
 * MQTT 5.
 *
 * Offers:
 *   conn_new         create from a resolved config (no network yet)
 *   conn_open        connect and wait for CONNACK; on failure err says why
 *                    (OpenSSL's reason for TLS, the CONNACK reason, or the
 *                    AWS hint when the broker hangs up right after CONNECT)
 *   conn_subscribe   subscribe and wait for SUBACK (refusal = not authorised)
 *   conn_subscribe_async  subscribe without waiting (from on_connect)
 *   conn_publish     publish (QoS 0/1), conn_publish_json for a json-c object,
 *                    conn_publish_retain with the retain flag
 *   conn_loop        run the network for up to timeout_ms; with reconnect on,
 *                    a lost connection is retried with exponential backoff
 *                    and jitter (1 s doubling to 30 s), calling on_disconnect
 *                    and, once back, on_connect with session_present
 *   conn_flush       loop until every QoS 1 publish is acknowledged (a
 *                    refused one counts as answered)
 *   conn_close       send DISCONNECT and close the socket
 *   conn_free        close and release
 *   conn_exit_code   the CLI.md exit status for a conn_status
 */
#ifndef SHADOW_CONN_H
#define SHADOW_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>

struct shadow_config;
struct mosquitto;
struct conn;

enum conn_status {
	CONN_OK = 0,
	CONN_ERR_USAGE,     /* bad configuration: exit 2 */
	CONN_ERR_CONNECT,   /* refused, DNS, TLS handshake, not authorised, lost: exit 3 */
	CONN_ERR_TIMEOUT    /* no answer in time: exit 4 */
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
};

struct conn *conn_new(const struct shadow_config *cfg, const char *client_id,
    bool clean_session, const struct conn_handlers *h, void *ud,
    char *err, size_t errlen);
enum conn_status conn_open(struct conn *c, int timeout_ms, char *err,
    size_t errlen);
enum conn_status conn_subscribe(struct conn *c, const char *const *filters,
    int n, int qos, int timeout_ms, char *err, size_t errlen);
int conn_subscribe_async(struct conn *c, const char *const *filters, int n,
    int qos);
int conn_publish(struct conn *c, const char *topic, const void *payload,
    size_t len, int qos, int *mid);
int conn_publish_retain(struct conn *c, const char *topic,
    const void *payload, size_t len, int qos, bool retain, int *mid);
int conn_publish_json(struct conn *c, const char *topic, json_object *obj,
    int qos, int *mid);
void conn_set_reconnect(struct conn *c, bool on);
enum conn_status conn_loop(struct conn *c, int timeout_ms);
bool conn_connected(const struct conn *c);
enum conn_status conn_flush(struct conn *c, int timeout_ms);
void conn_close(struct conn *c);
void conn_free(struct conn *c);
struct mosquitto *conn_mosq(struct conn *c);
int conn_exit_code(enum conn_status st);
/* "not authorised" for 0x87, else the MQTT 5 reason string. */
const char *conn_reason_string(int reason);

/*
 * Fleets: one poll loop outside drives many connections and nothing
 * blocks. conn_set_frugal(true) before conn_new: no wake-up socket pair per
 * client (one descriptor per connection) and no QoS 1 ack tracking
 * (conn_flush returns at once). conn_service reads/writes as poll said;
 * conn_tick sends keep-alives and reconnects when due (conn_retry_at, 0
 * when no retry is pending); after either, conn_socket may have changed.
 */
void conn_set_frugal(bool on);
enum conn_status conn_open_async(struct conn *c, char *err, size_t errlen);
int conn_socket(struct conn *c);
bool conn_want_write(struct conn *c);
void conn_service(struct conn *c, bool readable, bool writable);
void conn_tick(struct conn *c, long long now, bool keepalive);
long long conn_retry_at(const struct conn *c);
void conn_disconnect_async(struct conn *c);

/* Milliseconds on a monotonic clock. */
long long conn_now_ms(void);

#endif
