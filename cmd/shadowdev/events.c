#include "events.h"

#include <stdarg.h>
#include <stdio.h>

#include "log.h"

static bool events_json;
static bool events_fleet_mode;
static bool events_off;

void
events_init(bool json)
{
	events_json = json;
}

void
events_fleet(bool per_device)
{
	events_fleet_mode = true;
	events_off = !per_device;
}

bool
events_enabled(void)
{
	return !events_off;
}

const char *
event_json_text(json_object *v)
{
	const char *s = json_object_to_json_string_ext(v,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);

	return s != NULL ? s : "?";
}

static void
event_emit_json(const char *ts, const char *thing, const char *event,
    json_object *fields)
{
	json_object *line;

	if ((line = json_object_new_object()) == NULL ||
	    json_object_object_add(line, "ts", json_object_new_string(ts)) ||
	    json_object_object_add(line, "event",
	    json_object_new_string(event)) || (thing != NULL &&
	    json_object_object_add(line, "thing",
	    json_object_new_string(thing)))) {
		log_error("can't log event %s: out of memory", event);
		json_object_put(line);
		return;
	}
	if (fields != NULL) {
		json_object_object_foreach(fields, k, v) {
			if (json_object_object_add(line, k,
			    json_object_get(v)) != 0) {
				json_object_put(v);
				log_error("can't log event %s: out of memory",
				    event);
			}
		}
	}
	if (log_json_line(stdout, line) != 0)
		log_error("can't write event %s to stdout", event);
	json_object_put(line);
}

void
event_emit(const char *thing, const char *event, json_object *fields,
    const char *fmt, ...)
{
	char ts[LOG_ISO_TIME_LEN];
	va_list ap;

	if (events_off && thing != NULL) {
		json_object_put(fields);
		return;
	}
	log_iso_time(ts);
	if (events_json)
		event_emit_json(ts, thing, event, fields);
	else {
		if (events_fleet_mode && thing != NULL)
			printf("%s %s %s", ts, thing, event);
		else
			printf("%s %s", ts, event);
		if (fmt != NULL && fmt[0] != '\0') {
			putchar(' ');
			va_start(ap, fmt);
			vprintf(fmt, ap);
			va_end(ap);
		}
		putchar('\n');
		if (fflush(stdout) != 0)
			log_error("can't write event %s to stdout", event);
	}
	json_object_put(fields);
}
