/*
 * drive.h - a device that drives hardware through commands (CLI.md,
 * "shadowdev driving real hardware"): the delta -> --exec -> report cycle
 * and the --telemetry-exec runs of one device, on the agent (agent.h).
 *
 * One command at a time per device: owned keys that arrive while it runs
 * are merged and the latest values applied next. A failed run is retried
 * by asking the shadow again (a get) after a backoff of 1, 2, 4 ... 60 s,
 * so that only a delta that persists is applied; a new delta resets the
 * backoff.
 *
 * Offers:
 *   drive_new, drive_free
 *   drive_delta      owned, fresh keys of a delta or of the catch-up get,
 *                    to apply through --exec (from_delta: a new order)
 *   drive_telemetry  one --telemetry-exec run (instead of the simulated
 *                    telemetry)
 *   drive_tick       the retry when due; true when it acted
 *   drive_next_ms    when drive_tick must run next (0: nothing pending)
 */
#ifndef SHADOWDEV_DRIVE_H
#define SHADOWDEV_DRIVE_H

#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>

struct device;
struct drive;

struct drive *drive_new(struct device *d);
void drive_free(struct drive *x);
void drive_delta(struct device *d, json_object *apply, int64_t version,
    bool from_delta);
void drive_telemetry(struct device *d);
bool drive_tick(struct device *d, long long now);
long long drive_next_ms(const struct device *d);

#endif
