/*
 * transport.h - one request interface in front of the two ways to reach a
 * shadow: MQTT (mqtt.c: the shadow topics through a broker) and HTTP
 * (http.c: the IoT Data Plane API). The commands in main.c speak only to
 * this interface; a URL endpoint ("http://", "https://") chooses HTTP.
 *
 * Every answer handed back is owned by the caller. A rejection has already
 * been reported ("update rejected: 409 Version conflict") when an operation
 * returns CTL_REJECTED; connection and timeout errors have been reported
 * too, so the caller only passes the status on.
 *
 * Offers:
 *   transport_open       choose the transport and connect as it needs
 *   transport_close      disconnect and release
 *   transport_left_ms    milliseconds until --timeout runs out
 *   transport_report_rejected   "OP rejected: CODE MESSAGE" on stderr
 *   transport_is_url     whether an endpoint names the HTTP transport
 *   transport_parse_object   an answer's JSON object, or NULL
 * and, through t->ops:
 *   get, update, delete  one request and its accepted document
 *   list                 one page of named shadows (HTTP only)
 *   wait_poll            run until a newer snapshot reaches the wait state
 */
#ifndef SHADOWCTL_TRANSPORT_H
#define SHADOWCTL_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>

#include "ctl.h"

struct transport;

struct transport_ops {
	const char *name;               /* "MQTT", "HTTP" */
	/* op: the request that will be made (SHADOW_MSG_GET, _UPDATE,
	 * _DELETE; SHADOW_MSG_COUNT for list); with_wait: --wait follows. */
	enum ctl_status (*open)(struct transport *t, enum shadow_msg op,
	    bool with_wait);
	enum ctl_status (*get)(struct transport *t, json_object **doc);
	/* text: the update document, holding clientToken token. */
	enum ctl_status (*update)(struct transport *t, const char *text,
	    size_t len, const char *token, json_object **answer);
	enum ctl_status (*delete)(struct transport *t, json_object **answer);
	/* next_token: NULL for the first page. */
	enum ctl_status (*list)(struct transport *t, const char *next_token,
	    json_object **page);
	enum ctl_status (*wait_poll)(struct transport *t, struct wait_state *w);
	void (*close)(struct transport *t);
};

struct transport {
	const struct transport_ops *ops;
	const struct shadow_config *cfg;
	long long deadline;             /* conn_now_ms() when --timeout ends */
	void *impl;                     /* the transport's own state */
};

extern const struct transport_ops transport_mqtt;     /* mqtt.c */
extern const struct transport_ops transport_http;     /* http.c */

enum ctl_status transport_open(struct transport *t,
    const struct shadow_config *cfg, enum shadow_msg op, bool with_wait);
void transport_close(struct transport *t);
int transport_left_ms(const struct transport *t);
void transport_report_rejected(const char *op, const char *code,
    const char *message);
bool transport_is_url(const char *endpoint);
json_object *transport_parse_object(const void *text, size_t len);

#endif
