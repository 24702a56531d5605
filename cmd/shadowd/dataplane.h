/*
 * dataplane.h - the AWS IoT Data Plane API on shadowd's HTTP server
 * (shadowd(8), THE HTTP FACE): the operations aws iot-data and boto3's
 * iot-data client call.
 *
 * GetThingShadow, UpdateThingShadow and DeleteThingShadow go through the
 * same request code as MQTT (request.h): same rules, same batch, answered
 * once durable, and the same notifications on the thing's MQTT topics.
 * ListNamedShadowsForThing reads the store; Publish hands the body to the
 * broker. Faults are answered as AWS answers them: the status, the header
 * x-amzn-ErrorType naming the exception and {"message": text}.
 *
 * Offers:
 *   dataplane_new     check the --http options and load what they name
 *                     (address, certificate and key, credentials); refuses
 *                     a non-loopback address without --http-credentials
 *                     unless --http-insecure. NULL: a usage error (exit 2),
 *                     err says why and what to do
 *   dataplane_listen  read the nextToken key from the store (drawn at the
 *                     first start, kept across restarts) and start
 *                     serving; err says why it could not
 *   dataplane_http    its HTTP server, for the event loop
 *   dataplane_where   "http://127.0.0.1:8080" (https when it is)
 *   dataplane_answer  answer an HTTP request when its batch is done (the
 *                     requests_finish callback, for requests whose origin
 *                     is this face)
 *   dataplane_free    stop serving and release
 */
#ifndef SHADOWD_DATAPLANE_H
#define SHADOWD_DATAPLANE_H

#include <stdbool.h>
#include <stddef.h>

struct shadow_config;
struct requests;
struct request;
struct store;
struct http;
struct dataplane;

struct dataplane_hooks {
	struct requests *requests;
	struct store *store;
	/* Publish: 0, or -1 when the broker can't take the message now. */
	int (*publish)(void *ud, const char *topic, const void *payload,
	    size_t len, int qos, bool retain);
	void *ud;
};

struct dataplane *dataplane_new(const struct shadow_config *cfg, char *err,
    size_t errlen);
int dataplane_listen(struct dataplane *dp, const struct dataplane_hooks *h,
    char *err, size_t errlen);
struct http *dataplane_http(struct dataplane *dp);
const char *dataplane_where(const struct dataplane *dp);
void dataplane_answer(struct dataplane *dp, struct request *r);
void dataplane_free(struct dataplane *dp);

#endif
