/*
 * ctl.h - shadowctl's parts:
 *   main.c       the commands, one short function each
 *   transport.h  the request interface; mqtt.c and http.c behind it
 *   wait.c       --wait: what must hold, and asking the transport for
 *                snapshots until it does
 *   watch.c      watch (MQTT only)
 *
 * Offers (main.c):
 *   ctl_status_of the exit status for a connection's status
 * Offers (wait.c):
 *   wait_init / wait_free   the state of one --wait
 *   wait_note     a snapshot (state and version) seen by a transport
 *   wait_until    poll the transport until reported holds what was set
 * Offers (watch.c):
 *   watch_run     print this shadow's traffic as JSON Lines
 */
#ifndef SHADOWCTL_CTL_H
#define SHADOWCTL_CTL_H

#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>

#include "config.h"
#include "conn.h"
#include "doc.h"
#include "topic.h"

/* The values are the exit codes of shadowctl(1). */
enum ctl_status {
	CTL_OK = 0,
	CTL_REJECTED = 1,
	CTL_USAGE = 2,
	CTL_CONNECT = 3,
	CTL_TIMEOUT = 4
};

#define CTL_ERRLEN 1024

struct transport;

/* What --wait has seen of reported state, newest version first. */
struct wait_state {
	json_object *expect;        /* borrowed: the desired patch just sent */
	json_object *reported;      /* owned: reported of the newest snapshot */
	int64_t snap_version;       /* -1: no snapshot yet */
};

/* main.c */
enum ctl_status ctl_status_of(enum conn_status st);

/* wait.c */
enum ctl_status wait_init(struct wait_state *w, json_object *update_state);
void wait_free(struct wait_state *w);
void wait_note(struct wait_state *w, json_object *snapshot_state,
    json_object *version);
enum ctl_status wait_until(struct transport *t, struct wait_state *w,
    json_object *accepted);

/* watch.c */
enum ctl_status watch_run(const struct shadow_config *cfg);

#endif
