/*
 * ctl.h - shadowctl's parts: the commands (main.c), one request and its
 * answer over MQTT (session.c), the --wait convergence check (wait.c) and
 * watch (watch.c).
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

/* The values are the exit codes of CLI.md. */
enum ctl_status {
	CTL_OK = 0,
	CTL_REJECTED = 1,
	CTL_USAGE = 2,
	CTL_CONNECT = 3,
	CTL_TIMEOUT = 4
};

#define CTL_ERRLEN 1024

struct conn;

/* What --wait has seen of reported state, newest version first. */
struct wait_state {
	json_object *expect;        /* borrowed: the desired patch just sent */
	json_object *reported;      /* owned: reported of the newest snapshot */
	int64_t snap_version;       /* -1: no snapshot yet */
	char get_token[DOC_MAX_TOKEN + 1];
};

struct session {
	const struct shadow_config *cfg;
	struct conn *conn;
	long long deadline;         /* conn_now_ms() when --timeout runs out */
	enum shadow_msg op;         /* SHADOW_MSG_GET, _UPDATE or _DELETE */
	char token[DOC_MAX_TOKEN + 1];
	json_object *answer;        /* owned: accepted or rejected document */
	bool answered;
	bool rejected;
	int req_mid;                /* the request's QoS 1 publish (MQTT 5) */
	int refused;                /* broker's PUBACK reason, 0 if none */
	struct wait_state *wait;    /* NULL unless --wait */
};

/* main.c */
enum ctl_status ctl_status_of(enum conn_status st);

/* session.c */
void session_init(struct session *s, const struct shadow_config *cfg,
    enum shadow_msg op);
json_object *session_token_doc(const char *token);
enum ctl_status session_open(struct session *s, bool with_wait);
enum ctl_status session_request(struct session *s, const char *payload,
    size_t len);
enum ctl_status session_wait(struct session *s, struct wait_state *w);
void session_close(struct session *s);
int session_topic(const struct shadow_config *cfg, enum shadow_msg msg,
    char buf[SHADOW_TOPIC_MAX]);
bool ctl_interrupted(void);
void ctl_signals(void);

/* wait.c */
void wait_note(struct wait_state *w, json_object *snapshot_state,
    json_object *version);
bool wait_holds(json_object *expect, json_object *reported);
void wait_describe(const struct wait_state *w, char *buf, size_t len);

/* watch.c */
enum ctl_status watch_run(const struct shadow_config *cfg);

#endif
