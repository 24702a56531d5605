/*
 * events.h - the device log on stdout: one line per event, flushed.
 *
 * Human lines by default ("2026-11-26T18:00:00.123Z connected (session
 * kept)"), JSON Lines with --json ({"ts":...,"event":"connected",
 * "thing":"t1","session_present":true}).
 *
 * Offers:
 *   events_init   choose the format
 *   event_emit    one event: its name, its JSON fields (consumed, may be
 *                 NULL) and the human text after the event name
 *   event_json_text   compact JSON text of a value, for human lines
 */
#ifndef SHADOWDEV_EVENTS_H
#define SHADOWDEV_EVENTS_H

#include <stdbool.h>
#include <json-c/json.h>

void events_init(bool json);
/* A fleet: per-device lines name their thing, or are off (summaries only). */
void events_fleet(bool per_device);
bool events_enabled(void);
void event_emit(const char *thing, const char *event, json_object *fields,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
const char *event_json_text(json_object *v);

#endif
