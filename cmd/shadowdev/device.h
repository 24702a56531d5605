/*
 * device.h - one simulated device: its owned state, its MQTT session, its
 * shadow conversation and its telemetry (CLI.md, shadowdev).
 *
 * A device is a struct driven from outside: device_run_once() runs its
 * network and timers for a while, so a single device or a fleet sharing one
 * loop can drive it the same way.
 *
 * Offers:
 *   device_init       owned keys (owned.h) and state from --state, or
 *                     shared with a fleet's first device; topics, client
 *                     id (no network)
 *   device_connect    one connection attempt (retried by the caller)
 *   device_run_once   network + telemetry for at most timeout_ms
 *   device_next_ms    when the device's next timer is due
 *   device_stop       send DISCONNECT
 *   device_free       release everything device_init allocated
 *
 * For drive.c (--exec, --telemetry-exec), what the device does anyway:
 *   device_adopt      a change into the state, the log and the state file
 *   device_report     report the state
 *   device_get        ask for the shadow (the catch-up follows)
 *   device_log_ignored   log keys the device does not own
 *   device_telemetry_send  publish one telemetry message and log it
 *   device_wake       tell the loop the device has something to send
 *
 * For a fleet (fleet.c), driven by one poll loop without blocking:
 *   device_start       create the connection and begin connecting
 *   device_service     read/write as poll said
 *   device_tick        telemetry when due, keep-alive, reconnect when due
 *   device_socket, device_want_write   what to poll for
 */
#ifndef SHADOWDEV_DEVICE_H
#define SHADOWDEV_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "doc.h"
#include "topic.h"

struct shadow_config;
struct conn;
struct agent;
struct drive;
struct owned;

/* A fleet's counters, shared by its devices. */
struct device_stats {
	unsigned long connected;     /* devices connected now */
	unsigned long applied;       /* deltas applied */
	unsigned long reports;       /* reports accepted by the service */
	unsigned long telemetry;     /* telemetry messages published */
};

struct device {
	const struct shadow_config *cfg;
	struct conn *conn;
	char *client_id;
	const char *thing;
	const char *shadow;

	json_object *state;          /* owned keys and their current values */
	struct owned *owned;         /* the owned keys (shared in a fleet) */

	/* Allocated to size: a fleet holds thousands of devices. */
	char *topic_get;
	char *topic_update;
	char *topic_temperature;
	char *topic_vibration;
	const char *telemetry_prefix;
	char *state_path;            /* --state-dir file, or NULL */

	struct agent *agent;         /* runs the commands (set by the caller) */
	struct drive *drive;         /* --exec/--telemetry-exec state, or NULL */
	void (*wake)(struct device *d, void *ud);   /* see device_wake */
	void *wake_ud;

	char token_prefix[24];       /* per process: tells our answers apart */
	unsigned long token_seq;
	char get_token[DOC_MAX_TOKEN + 1];

	int64_t last_version;        /* version of the last delta or get applied */
	bool connected;
	long long next_telemetry_ms;
	unsigned int seed;           /* telemetry values and tokens */

	struct device_stats *stats;  /* a fleet's counters, or NULL */
	int fd;                      /* socket registered with the fleet poll */
	unsigned int events;         /* and the events asked for */
};

int device_init(struct device *d, const struct shadow_config *cfg,
    const char *thing, const struct device *proto, struct device_stats *stats,
    char *err, size_t errlen);
/* 0 connected; -1 with err (usage: *fatal set, else retry later). */
int device_connect(struct device *d, int timeout_ms, bool *fatal, char *err,
    size_t errlen);
int device_run_once(struct device *d, int timeout_ms);
long long device_next_ms(const struct device *d);
void device_stop(struct device *d);
void device_free(struct device *d);

int device_start(struct device *d, long long first_telemetry_ms, bool *fatal,
    char *err, size_t errlen);
void device_service(struct device *d, bool readable, bool writable);
bool device_tick(struct device *d, long long now, bool keepalive);
int device_socket(const struct device *d);
bool device_want_write(const struct device *d);
void device_disconnect(struct device *d);

void device_adopt(struct device *d, json_object *patch);
int device_report(struct device *d);
void device_get(struct device *d);
void device_log_ignored(struct device *d, json_object *keys);
void device_telemetry_send(struct device *d, const char *topic,
    json_object *payload);
void device_wake(struct device *d);

#endif
