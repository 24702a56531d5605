/*
 * device.h - one simulated device: its owned state, its MQTT session, its
 * shadow conversation and its telemetry (CLI.md, shadowdev).
 *
 * A device is a struct driven from outside: device_run_once() runs its
 * network and timers for a while, so a single device or a fleet sharing one
 * loop can drive it the same way.
 *
 * Offers:
 *   device_init       owned keys from --state, topics, client id (no network)
 *   device_connect    one connection attempt (retried by the caller)
 *   device_run_once   network + telemetry for at most timeout_ms
 *   device_next_ms    when the device's next timer is due
 *   device_stop       send DISCONNECT
 *   device_free       release everything device_init allocated
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

struct device {
	const struct shadow_config *cfg;
	struct conn *conn;
	char *client_id;
	const char *thing;
	const char *shadow;

	json_object *state;          /* owned keys and their current values */
	json_object *owned;          /* array of owned paths (arrays of keys) */

	char topic_get[SHADOW_TOPIC_MAX];
	char topic_update[SHADOW_TOPIC_MAX];
	char topic_temperature[SHADOW_TOPIC_MAX];
	char topic_vibration[SHADOW_TOPIC_MAX];

	char token_prefix[24];       /* per process: tells our answers apart */
	unsigned long token_seq;
	char get_token[DOC_MAX_TOKEN + 1];

	int64_t last_version;        /* version of the last delta or get applied */
	bool connected;
	bool ever_connected;         /* subscribe at least once per process */
	long long next_telemetry_ms;
	unsigned int seed;           /* telemetry values and tokens */
};

int device_init(struct device *d, const struct shadow_config *cfg,
    char *err, size_t errlen);
/* 0 connected; -1 with err (usage: *fatal set, else retry later). */
int device_connect(struct device *d, int timeout_ms, bool *fatal, char *err,
    size_t errlen);
int device_run_once(struct device *d, int timeout_ms);
long long device_next_ms(const struct device *d);
void device_stop(struct device *d);
void device_free(struct device *d);

#endif
