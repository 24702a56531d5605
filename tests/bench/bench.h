/*
 * bench.h - what the benchmark programs (loadgen, echo) share: a clean
 * session libmosquitto client on 127.0.0.1 with Nagle off and no cap on
 * QoS 1 messages in flight, opened and subscribed before the caller starts.
 *
 * Header-only because the Makefile links each bench program alone; these
 * are bench tools, not product code, so they stay out of common/.
 *
 * Offers:
 *   bench_now_ns       monotonic clock in nanoseconds
 *   bench_client_new   mosquitto client with TCP_NODELAY, unlimited inflight
 *   bench_open         connect, wait for CONNACK, subscribe QoS 1, wait SUBACK
 *   bench_close        DISCONNECT, wait until it is sent, destroy
 *   bench_json_add     add a member to a json-c object, releasing it on failure
 *
 * The caller's userdata must start with a struct bench_conn.
 */
#ifndef SHADOW_BENCH_H
#define SHADOW_BENCH_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>
#include <mosquitto.h>

struct bench_conn {
	int connack;      /* -1 until CONNACK arrives, then its code */
	bool subscribed;
	bool disconnected;
};

static inline uint64_t
bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline void
bench_on_connect(struct mosquitto *mosq, void *ud, int rc)
{
	struct bench_conn *bc = ud;

	(void)mosq;
	bc->connack = rc;
}

static inline void
bench_on_subscribe(struct mosquitto *mosq, void *ud, int mid, int n,
    const int *granted)
{
	struct bench_conn *bc = ud;
	int i;

	(void)mosq;
	(void)mid;
	bc->subscribed = true;
	for (i = 0; i < n; i++)
		if (granted[i] > 1)
			bc->subscribed = false;
}

static inline void
bench_on_disconnect(struct mosquitto *mosq, void *ud, int rc)
{
	struct bench_conn *bc = ud;

	(void)mosq;
	(void)rc;
	bc->disconnected = true;
}

static inline struct mosquitto *
bench_client_new(const char *prog, const char *id, struct bench_conn *bc)
{
	struct mosquitto *mosq;

	bc->connack = -1;
	bc->subscribed = false;
	bc->disconnected = false;
	mosq = mosquitto_new(id, true, bc);
	if (mosq == NULL) {
		fprintf(stderr, "%s: can't create MQTT client %s: %s\n", prog,
		    id, strerror(errno));
		return NULL;
	}
	if (mosquitto_int_option(mosq, MOSQ_OPT_TCP_NODELAY, 1) != MOSQ_ERR_SUCCESS ||
	    mosquitto_int_option(mosq, MOSQ_OPT_SEND_MAXIMUM, 65535) != MOSQ_ERR_SUCCESS) {
		fprintf(stderr, "%s: can't set client options on %s\n", prog, id);
		mosquitto_destroy(mosq);
		return NULL;
	}
	mosquitto_connect_callback_set(mosq, bench_on_connect);
	mosquitto_subscribe_callback_set(mosq, bench_on_subscribe);
	mosquitto_disconnect_callback_set(mosq, bench_on_disconnect);
	return mosq;
}

/* Loop until CONNACK (SUBACK with want_sub), the deadline or a lost link. */
static inline int
bench_wait(struct mosquitto *mosq, struct bench_conn *bc, bool want_sub,
    uint64_t deadline)
{
	int rc;

	while (bench_now_ns() < deadline) {
		if (!want_sub && bc->connack >= 0)
			return 0;
		if (want_sub && bc->subscribed)
			return 0;
		rc = mosquitto_loop(mosq, 50, 1);
		if (rc != MOSQ_ERR_SUCCESS)
			return rc;
	}
	return MOSQ_ERR_TIMEOUT;
}

static inline int
bench_open(const char *prog, struct mosquitto *mosq, struct bench_conn *bc,
    const char *host, int port, char *const *filters, int nfilters)
{
	uint64_t deadline = bench_now_ns() + 5000000000u;
	int rc;

	rc = mosquitto_connect(mosq, host, port, 60);
	if (rc != MOSQ_ERR_SUCCESS) {
		fprintf(stderr, "%s: can't connect to %s:%d: %s\n", prog, host,
		    port, rc == MOSQ_ERR_ERRNO ? strerror(errno) :
		    mosquitto_strerror(rc));
		return -1;
	}
	rc = bench_wait(mosq, bc, false, deadline);
	if (rc != 0 || bc->connack != 0) {
		fprintf(stderr, "%s: no CONNACK from %s:%d: %s\n", prog, host,
		    port, rc != 0 ? mosquitto_strerror(rc) :
		    mosquitto_connack_string(bc->connack));
		return -1;
	}
	rc = mosquitto_subscribe_multiple(mosq, NULL, nfilters, filters, 1, 0,
	    NULL);
	if (rc == MOSQ_ERR_SUCCESS)
		rc = bench_wait(mosq, bc, true, deadline);
	if (rc != MOSQ_ERR_SUCCESS) {
		fprintf(stderr, "%s: can't subscribe to %s on %s:%d: %s\n", prog,
		    filters[0], host, port, mosquitto_strerror(rc));
		return -1;
	}
	return 0;
}

static inline void
bench_close(struct mosquitto *mosq, struct bench_conn *bc)
{
	uint64_t deadline = bench_now_ns() + 2000000000u;

	if (mosquitto_disconnect(mosq) == MOSQ_ERR_SUCCESS)
		while (!bc->disconnected && bench_now_ns() < deadline &&
		    mosquitto_loop(mosq, 50, 1) == MOSQ_ERR_SUCCESS)
			;
	mosquitto_destroy(mosq);
}

/* val may be NULL (a failed allocation): then -1. */
static inline int
bench_json_add(json_object *parent, const char *key, json_object *val)
{
	if (val == NULL)
		return -1;
	if (json_object_object_add(parent, key, val) != 0) {
		json_object_put(val);
		return -1;
	}
	return 0;
}

#endif
