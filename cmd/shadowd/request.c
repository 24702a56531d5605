/*
 * request.c - shadow requests in, answers out, one store transaction per
 * batch (request.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "conn.h"
#include "doc.h"
#include "log.h"
#include "rate.h"
#include "request.h"
#include "store.h"
#include "topic.h"

#define BATCH_MIN 512

struct requests {
	const struct shadow_config *cfg;
	struct store *store;
	struct rate *rate;
	struct request *batch;
	size_t n;
	size_t cap;
};

/* What one request needs while it is handled, besides its record. */
struct incoming {
	const void *payload;
	size_t len;
	struct doc_request update;          /* op UPDATE: the parsed payload */
	bool parsed;
	struct doc_error parse_error;       /* op UPDATE, !parsed: why */
};

static int64_t
now_seconds(void)
{
	return (int64_t)time(NULL);
}

static const char *
shadow_arg(const struct request *r)
{
	return r->named ? r->shadow : NULL;
}

static const char *
token_arg(const struct request *r)
{
	return r->has_token ? r->token : NULL;
}

struct requests *
requests_new(const struct shadow_config *cfg, struct store *store,
    struct rate *rate)
{
	struct requests *b = calloc(1, sizeof(*b));

	if (b == NULL)
		return NULL;
	b->cfg = cfg;
	b->store = store;
	b->rate = rate;
	return b;
}

void
requests_free(struct requests *b)
{
	if (b == NULL)
		return;
	free(b->batch);
	free(b);
}

size_t
requests_pending(const struct requests *b)
{
	return b->n;
}

static void
answer_add(struct request *r, enum shadow_msg msg, json_object *body)
{
	struct request_answer *a;

	if (body == NULL || r->nanswers == REQUEST_MAX_ANSWERS) {
		json_object_put(body);
		log_error("out of memory answering %s", r->thing);
		return;
	}
	a = &r->answers[r->nanswers];
	if (shadow_topic_build(a->topic, sizeof(a->topic), r->thing,
	    shadow_arg(r), msg, NULL) != TOPIC_OK) {
		json_object_put(body);
		log_error("can't build the answer topic for %s", r->thing);
		return;
	}
	a->msg = msg;
	a->body = body;
	r->nanswers++;
}

static void
answers_clear(struct request *r)
{
	int i;

	for (i = 0; i < r->nanswers; i++)
		json_object_put(r->answers[i].body);
	r->nanswers = 0;
}

static void
log_request(const struct request *r)
{
	log_debug("%s %s%s%s: %d", shadow_msg_name(r->op), r->thing,
	    r->named ? "~" : "", shadow_arg(r) ? r->shadow : "", r->code);
}

static void
answer_error(struct request *r, const struct doc_error *e)
{
	r->code = e->code;
	answer_add(r, shadow_msg_rejected(r->op), doc_error_json(e,
	    now_seconds()));
	log_request(r);
}

static void
answer_accepted(struct request *r)
{
	r->code = 200;
	log_request(r);
}

static void
answer_internal_error(struct request *r)
{
	struct doc_error e;

	answers_clear(r);
	r->wrote = false;
	doc_error_set(&e, 500, DOC_MSG_INTERNAL, token_arg(r));
	answer_error(r, &e);
}

/* The writes of the batch so far are gone: answer each of them 500. */
static void
batch_fail_writes(struct requests *b)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		if (b->batch[i].wrote)
			answer_internal_error(&b->batch[i]);
}

static void
store_failed(struct requests *b, struct request *r, const char *err)
{
	log_error("store: %s", err);
	answer_internal_error(r);
	if (!store_in_transaction(b->store))
		batch_fail_writes(b);
}

static int
shadow_load(struct requests *b, struct request *r, struct doc_shadow *s)
{
	char err[512];

	if (store_load(b->store, r->thing, shadow_arg(r), now_seconds(),
	    b->cfg->forget_deleted, s, err, sizeof(err)) == 0)
		return 0;
	store_failed(b, r, err);
	return -1;
}

static void
answer_update(struct requests *b, struct request *r, struct doc_shadow *s,
    const struct doc_request *rq)
{
	struct doc_update_result res;
	struct doc_error e;
	char err[512];

	if (doc_apply_update(s, rq, now_seconds(), (size_t)b->cfg->max_doc_size,
	    &res, &e) == -1) {
		answer_error(r, &e);
		return;
	}
	if (store_save(b->store, r->thing, shadow_arg(r), s, err,
	    sizeof(err)) == -1) {
		doc_update_result_free(&res);
		store_failed(b, r, err);
		return;
	}
	r->wrote = true;
	answer_add(r, SHADOW_MSG_UPDATE_ACCEPTED, json_object_get(res.accepted));
	if (res.delta != NULL)
		answer_add(r, SHADOW_MSG_UPDATE_DELTA,
		    json_object_get(res.delta));
	answer_add(r, SHADOW_MSG_UPDATE_DOCUMENTS,
	    json_object_get(res.documents));
	doc_update_result_free(&res);
	answer_accepted(r);
}

static void
handle_update(struct requests *b, struct request *r, struct incoming *in)
{
	struct doc_shadow s;

	if (!in->parsed) {
		answer_error(r, &in->parse_error);
		return;
	}
	if (shadow_load(b, r, &s) == 0) {
		answer_update(b, r, &s, &in->update);
		doc_shadow_free(&s);
	}
}

static void
answer_not_found(struct request *r)
{
	struct doc_error e;

	doc_error_not_found(&e, r->thing, shadow_arg(r), token_arg(r));
	answer_error(r, &e);
}

static void
handle_get(struct requests *b, struct request *r)
{
	struct doc_shadow s;

	if (shadow_load(b, r, &s) == -1)
		return;
	if (!s.exists) {
		answer_not_found(r);
	} else {
		answer_add(r, SHADOW_MSG_GET_ACCEPTED, doc_get_accepted(&s,
		    token_arg(r), now_seconds()));
		answer_accepted(r);
	}
	doc_shadow_free(&s);
}

static void
handle_delete(struct requests *b, struct request *r)
{
	struct doc_shadow s;
	char err[512];

	if (shadow_load(b, r, &s) == -1)
		return;
	if (!s.exists) {
		answer_not_found(r);
	} else if (store_mark_deleted(b->store, r->thing, shadow_arg(r),
	    s.version, now_seconds(), err, sizeof(err)) == -1) {
		store_failed(b, r, err);
	} else {
		r->wrote = true;
		answer_add(r, SHADOW_MSG_DELETE_ACCEPTED,
		    doc_delete_accepted(s.version, token_arg(r),
		    now_seconds()));
		answer_accepted(r);
	}
	doc_shadow_free(&s);
}

/*
 * The payload is read once: an update is parsed whole (its clientToken
 * comes with it, or with the reason it was refused), a get or delete only
 * for its clientToken.
 */
static void
read_payload(struct request *r, struct incoming *in)
{
	if (r->op != SHADOW_MSG_UPDATE) {
		r->has_token = doc_read_token(in->payload, in->len, r->token);
		return;
	}
	in->parsed = doc_parse_update(in->payload, in->len, &in->update,
	    &in->parse_error) == 0;
	if (in->parsed && in->update.has_token) {
		r->has_token = true;
		memcpy(r->token, in->update.token, sizeof(r->token));
	} else if (!in->parsed && in->parse_error.has_token) {
		r->has_token = true;
		memcpy(r->token, in->parse_error.token, sizeof(r->token));
	}
}

static bool
rate_exceeded(struct requests *b, struct request *r)
{
	struct doc_error e;

	if (b->rate == NULL ||
	    rate_allow(b->rate, r->thing, conn_now_ms() / 1000))
		return false;
	doc_error_set(&e, 429, DOC_MSG_RATE, token_arg(r));
	answer_error(r, &e);
	return true;
}

/* One poll round may bring more than BATCH_MIN requests: grow. */
static struct request *
batch_add(struct requests *b)
{
	struct request *r;
	size_t cap;

	if (b->n == b->cap) {
		cap = b->cap ? b->cap * 2 : BATCH_MIN;
		if ((r = reallocarray(b->batch, cap, sizeof(*r))) == NULL)
			return NULL;
		b->batch = r;
		b->cap = cap;
	}
	r = &b->batch[b->n++];
	memset(r, 0, sizeof(*r));
	return r;
}

static void
dispatch(struct requests *b, struct request *r, struct incoming *in)
{
	char err[512];

	if (!store_in_transaction(b->store) &&
	    store_begin(b->store, err, sizeof(err)) == -1) {
		store_failed(b, r, err);
		return;
	}
	if (rate_exceeded(b, r))
		return;
	switch (r->op) {
	case SHADOW_MSG_UPDATE:
		handle_update(b, r, in);
		break;
	case SHADOW_MSG_GET:
		handle_get(b, r);
		break;
	default:
		handle_delete(b, r);
		break;
	}
}

struct request *
requests_handle(struct requests *b, const char *thing, const char *shadow,
    enum shadow_msg op, const void *payload, size_t len, void *origin)
{
	struct incoming in = { .payload = payload, .len = len };
	struct request *r;

	if (strlen(thing) > SHADOW_THING_MAX ||
	    (shadow != NULL && strlen(shadow) > SHADOW_NAME_MAX)) {
		log_error("name too long: no answer to a request for %s",
		    thing);
		return NULL;
	}
	if ((r = batch_add(b)) == NULL) {
		log_error("out of memory: no answer to a request for %s",
		    thing);
		return NULL;
	}
	strcpy(r->thing, thing);
	if (shadow != NULL) {
		r->named = true;
		strcpy(r->shadow, shadow);
	}
	r->op = op;
	r->origin = origin;
	read_payload(r, &in);
	dispatch(b, r, &in);
	if (in.parsed)
		doc_request_free(&in.update);
	return r;
}

void
requests_finish(struct requests *b,
    void (*deliver)(void *ud, struct request *r), void *ud)
{
	char err[512];
	size_t i;

	if (store_in_transaction(b->store) &&
	    store_commit(b->store, err, sizeof(err)) == -1) {
		log_error("store: %s; answering the batch's writes 500", err);
		store_rollback(b->store);
		batch_fail_writes(b);
	}
	for (i = 0; i < b->n; i++) {
		deliver(ud, &b->batch[i]);
		answers_clear(&b->batch[i]);
	}
	b->n = 0;
}

bool
request_answer_public(const struct request *r, int i)
{
	switch (r->answers[i].msg) {
	case SHADOW_MSG_UPDATE_ACCEPTED:
	case SHADOW_MSG_UPDATE_DELTA:
	case SHADOW_MSG_UPDATE_DOCUMENTS:
	case SHADOW_MSG_DELETE_ACCEPTED:
		return true;
	default:
		return false;
	}
}
