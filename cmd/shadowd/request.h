/*
 * request.h - shadowd's handling of shadow requests, whatever carried them
 * (the MQTT face, the HTTP face): a request goes in as thing, shadow name,
 * operation and payload; its answers come out as topic and JSON document
 * of each message, by the rules of shadowd(8) and common/doc.h.
 *
 * The requests handled between two requests_finish() calls form a batch:
 * one store transaction (group commit). Their answers may leave only after
 * requests_finish() has committed it, so nothing is answered before it is
 * durable; a failed commit turns the answers of the batch's writes into
 * 500s.
 *
 * Exactly once (shadowd(8)): the answers to publish are kept in the same
 * transaction (the store's outbox) until the broker has them
 * (requests_delivered); after a crash, requests_replay hands back the ones
 * left. A write with a clientToken keeps its outcome there too, keyed by
 * a hash of thing, shadow, operation, token and payload, and found again
 * through a map in memory (seen.h): delivered again within
 * --dedupe-window seconds, it gets the first answer (accepted or rejected
 * only, no documents or delta) and is not applied again.
 *
 * Offers:
 *   requests_new      the handler over a store (and a rate limiter or NULL),
 *                     with the outcomes an earlier run kept
 *   requests_handle   validate, rate-limit and apply one request inside the
 *                     batch; its answers wait in the returned request
 *   requests_pending  how many requests the batch holds
 *   requests_finish   commit, then hand every request of the batch to a
 *                     callback (which sends its answers), then empty it
 *   request_answer_public  whether an answer is for every subscriber of the
 *                     thing (update/accepted, delta, documents,
 *                     delete/accepted) or for the requester only
 *   request_answer_published  whether an answer goes out on MQTT (all of
 *                     an MQTT request's; the public ones of another's)
 *   request_answer_text   an answer's JSON text, serialised once for the
 *                     outcome, the outbox and the publish (NULL: out of
 *                     memory)
 *   requests_delivered  the broker has the answer kept as outbox id
 *   requests_due      whether requests_finish has work (requests, or
 *                     delivered answers to forget)
 *   requests_replay   hand each answer left from before a crash to a
 *                     callback (with its outbox id), in order
 *   requests_free     release the handler (the store is the caller's)
 */
#ifndef SHADOWD_REQUEST_H
#define SHADOWD_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "doc.h"
#include "topic.h"

#define REQUEST_MAX_ANSWERS 3

struct shadow_config;
struct store;
struct rate;
struct requests;

struct request_answer {
	enum shadow_msg msg;
	char topic[SHADOW_TOPIC_MAX];
	json_object *body;
	const char *text;                   /* body serialised, once: */
	size_t len;                         /* request_answer_text() */
	int64_t outbox_id;                  /* 0: not kept (not committed) */
};

struct request {
	char thing[SHADOW_THING_MAX + 1];
	char shadow[SHADOW_NAME_MAX + 1];
	bool named;
	enum shadow_msg op;                 /* GET, UPDATE or DELETE */
	void *origin;                       /* the transport's; NULL for MQTT */
	int code;                           /* 200, or the error's code */
	bool wrote;                         /* its write is in the transaction */
	bool repeat;                        /* answered from its first outcome */
	bool has_token;
	char token[DOC_MAX_TOKEN + 1];      /* clientToken, read once */
	int nanswers;
	struct request_answer answers[REQUEST_MAX_ANSWERS];
};

/* 0, or -1 with err filled (out of memory, or the store's outcomes
 * unreadable). */
int requests_new(struct requests **out, const struct shadow_config *cfg,
    struct store *store, struct rate *rate, char *err, size_t errlen);
void requests_free(struct requests *b);

/*
 * thing and shadow (NULL for the classic shadow) must be valid names
 * (shadow_thing_name_valid, shadow_name_valid); op GET, UPDATE or DELETE.
 * NULL when out of memory (logged; the request gets no answer).
 */
struct request *requests_handle(struct requests *b, const char *thing,
    const char *shadow, enum shadow_msg op, const void *payload, size_t len,
    void *origin);
size_t requests_pending(const struct requests *b);
void requests_finish(struct requests *b,
    void (*deliver)(void *ud, struct request *r), void *ud);

bool request_answer_public(const struct request *r, int i);
const char *request_answer_text(struct request_answer *a, size_t *len);
bool request_answer_published(const struct request *r, int i);

void requests_delivered(struct requests *b, int64_t outbox_id);
bool requests_due(const struct requests *b);
int requests_replay(struct requests *b, void (*publish)(void *ud,
    int64_t outbox_id, const char *topic, const char *body), void *ud);

#endif
