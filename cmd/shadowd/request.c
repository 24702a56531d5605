/*
 * request.c - shadow requests in, answers out, one store transaction per
 * batch (request.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "config.h"
#include "conn.h"
#include "doc.h"
#include "log.h"
#include "rate.h"
#include "request.h"
#include "seen.h"
#include "store.h"
#include "topic.h"

#define BATCH_MIN 512
#define DONE_MIN 1024
#define JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

struct requests {
	const struct shadow_config *cfg;
	struct store *store;
	struct rate *rate;
	struct request *batch;
	size_t n;
	size_t cap;
	int64_t *done;                      /* outbox ids the broker has */
	size_t ndone;
	size_t done_cap;
	int64_t pruned_at;                  /* last pruning of old outcomes */
	bool began;                         /* the batch's transaction is open */
	struct seen *seen;                  /* outcome key -> store row */
	EVP_MD *sha256;
	EVP_MD_CTX *md;
};

/* What one request needs while it is handled, besides its record. */
struct incoming {
	const void *payload;
	size_t len;
	bool dedupe;                        /* its outcome is kept (key) */
	unsigned char key[STORE_KEY_LEN];
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

/* The map's key: the first 8 bytes of the full one. */
static uint64_t
seen_key(const unsigned char *key)
{
	uint64_t k;

	memcpy(&k, key, sizeof(k));
	return k;
}

static int
seen_load_row(void *ud, int64_t id, const unsigned char *key)
{
	return seen_put(ud, seen_key(key), id);
}

int
requests_new(struct requests **out, const struct shadow_config *cfg,
    struct store *store, struct rate *rate, char *err, size_t errlen)
{
	struct requests *b;

	*out = NULL;
	if ((b = calloc(1, sizeof(*b))) == NULL ||
	    (b->seen = seen_new()) == NULL) {
		free(b);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	b->cfg = cfg;
	b->store = store;
	b->rate = rate;
	if ((b->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL ||
	    (b->md = EVP_MD_CTX_new()) == NULL) {
		snprintf(err, errlen, "can't set up SHA-256 (OpenSSL); check "
		    "the OpenSSL installation");
		requests_free(b);
		return -1;
	}
	/* the outcomes kept by an earlier run, for the requests it left */
	if (cfg->dedupe_window > 0 && store_outcome_each(store,
	    now_seconds() - cfg->dedupe_window, seen_load_row, b->seen, err,
	    errlen) == -1) {
		requests_free(b);
		return -1;
	}
	*out = b;
	return 0;
}

void
requests_free(struct requests *b)
{
	if (b == NULL)
		return;
	seen_free(b->seen);
	EVP_MD_CTX_free(b->md);
	EVP_MD_free(b->sha256);
	free(b->batch);
	free(b->done);
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
	memset(r->answers, 0, sizeof(r->answers));
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

/* The first request whose write is in the open transaction, or b->n. */
static size_t
first_writer(const struct requests *b)
{
	size_t i;

	for (i = 0; i < b->n && !b->batch[i].wrote; i++)
		;
	return i;
}

/*
 * The batch's transaction is lost (rolled back by SQLite, or here): what
 * was answered from its first write on may rest on writes that are not
 * stored, a read's answer included, so all of it is answered 500. A
 * rollback that fails leaves the transaction open: the next batch rolls
 * it back before it begins (batch_begin), and never commits it.
 */
static void
batch_lost(struct requests *b)
{
	char err[512];
	size_t i;

	if (store_rollback(b->store, err, sizeof(err)) == -1)
		log_error("store: %s; rolled back before the next batch", err);
	b->began = false;
	for (i = first_writer(b); i < b->n; i++)
		answer_internal_error(&b->batch[i]);
}

static int
batch_begin(struct requests *b, char *err, size_t errlen)
{
	if (b->began)
		return 0;
	if (store_rollback(b->store, err, errlen) == -1 ||
	    store_begin(b->store, err, errlen) == -1)
		return -1;
	b->began = true;
	return 0;
}

/* A request that failed after its write (keeping its outcome) cannot undo
 * that write alone: the batch is lost with it. */
static void
store_failed(struct requests *b, struct request *r, const char *err)
{
	bool wrote = r->wrote;

	log_error("store: %s", err);
	answer_internal_error(r);
	if (wrote || (b->began && !store_in_transaction(b->store)))
		batch_lost(b);
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

/*
 * Writes with a clientToken keep their outcome (request.h); a read has no
 * effect to repeat, and a 429 or 500 was not applied: tried again.
 */
static bool
dedupe_wanted(const struct requests *b, const struct request *r)
{
	return b->cfg->dedupe_window > 0 && r->has_token &&
	    (r->op == SHADOW_MSG_UPDATE || r->op == SHADOW_MSG_DELETE);
}

static bool
outcome_kept(const struct request *r)
{
	return r->nanswers > 0 && r->code != 429 && r->code < 500;
}

/*
 * The key of a request's outcome: SHA-256 of thing, shadow name ("" for
 * the classic shadow), operation, clientToken and payload, the strings
 * NUL-ended so that no two requests run together alike.
 */
static int
dedupe_key(struct requests *b, struct request *r, struct incoming *in)
{
	unsigned char op = (unsigned char)r->op;
	unsigned int len = 0;

	if (EVP_DigestInit_ex(b->md, b->sha256, NULL) != 1 ||
	    EVP_DigestUpdate(b->md, r->thing, strlen(r->thing) + 1) != 1 ||
	    EVP_DigestUpdate(b->md, r->named ? r->shadow : "",
	    r->named ? strlen(r->shadow) + 1 : 1) != 1 ||
	    EVP_DigestUpdate(b->md, &op, 1) != 1 ||
	    EVP_DigestUpdate(b->md, r->token, strlen(r->token) + 1) != 1 ||
	    EVP_DigestUpdate(b->md, in->payload, in->len) != 1 ||
	    EVP_DigestFinal_ex(b->md, in->key, &len) != 1 ||
	    len != sizeof(in->key))
		return -1;
	in->dedupe = true;
	return 0;
}

/* Delivered again: the first answer, nothing applied. 1: answered. */
static int
dedupe_answer(struct requests *b, struct request *r, struct incoming *in)
{
	struct store_outcome o;
	char err[512];
	int64_t id;
	int found;

	if (dedupe_key(b, r, in) == -1) {
		log_error("can't hash a request for %s (OpenSSL SHA-256): its "
		    "outcome is not kept", r->thing);
		in->dedupe = false;
		return 0;
	}
	if (!seen_find(b->seen, seen_key(in->key), &id))
		return 0;
	found = store_outcome_get(b->store, id, in->key,
	    now_seconds() - b->cfg->dedupe_window, &o, err, sizeof(err));
	if (found == -1) {
		store_failed(b, r, err);
		return 1;
	}
	if (found == 0)
		return 0;
	r->code = o.code;
	r->repeat = true;
	answer_add(r, (enum shadow_msg)o.msg, json_tokener_parse(o.answer));
	free(o.answer);
	log_debug("%s %s%s%s: %d again (clientToken %s seen before)",
	    shadow_msg_name(r->op), r->thing, r->named ? "~" : "",
	    shadow_arg(r) ? r->shadow : "", r->code, r->token);
	return 1;
}

/* In the transaction of its effect: the outcome of the first delivery. */
static void
dedupe_keep(struct requests *b, struct request *r, struct incoming *in)
{
	struct store_outcome o;
	char err[512];
	int64_t id;

	if (!in->dedupe || !outcome_kept(r))
		return;
	o.code = r->code;
	o.msg = (int)r->answers[0].msg;
	o.answer = (char *)request_answer_text(&r->answers[0], NULL);
	if (o.answer == NULL) {
		log_error("out of memory keeping the outcome for %s", r->thing);
		return;
	}
	if (store_outcome_put(b->store, in->key, now_seconds(), &o, &id, err,
	    sizeof(err)) == -1) {
		store_failed(b, r, err);
		return;
	}
	/* a row of a batch rolled back is not found: its key differs or it
	 * is gone, so the map may name it */
	if (seen_put(b->seen, seen_key(in->key), id) == -1)
		log_error("out of memory: the outcome of a request for %s is "
		    "kept but can't be found: delivered again, it would be "
		    "applied again", r->thing);
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

	if (batch_begin(b, err, sizeof(err)) == -1) {
		store_failed(b, r, err);
		return;
	}
	if (rate_exceeded(b, r))
		return;
	if (dedupe_wanted(b, r) && dedupe_answer(b, r, in))
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
	dedupe_keep(b, r, in);
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

static void
outbox_forget_ids(struct requests *b)
{
	size_t i;
	int j;

	for (i = 0; i < b->n; i++)
		for (j = 0; j < b->batch[i].nanswers; j++)
			b->batch[i].answers[j].outbox_id = 0;
}

/* The batch's answers to publish, into the outbox of its transaction. */
static int
outbox_keep(struct requests *b, char *err, size_t errlen)
{
	struct request_answer *a;
	const char *text;
	size_t i;
	int j;

	for (i = 0; i < b->n; i++) {
		for (j = 0; j < b->batch[i].nanswers; j++) {
			if (!request_answer_published(&b->batch[i], j))
				continue;
			a = &b->batch[i].answers[j];
			if ((text = request_answer_text(a, NULL)) == NULL) {
				snprintf(err, errlen, "out of memory");
				return -1;
			}
			if (store_outbox_add(b->store, a->topic, text,
			    &a->outbox_id, err, errlen) == -1)
				return -1;
		}
	}
	return 0;
}

/* What the broker has is forgotten in the same transaction. */
static int
outbox_trim(struct requests *b, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < b->ndone; i++)
		if (store_outbox_done(b->store, b->done[i], err, errlen) == -1)
			return -1;
	return 0;
}

/* Outcomes older than the window go, at most once a second. */
static int
dedupe_prune(struct requests *b, char *err, size_t errlen)
{
	int64_t now = now_seconds(), first_kept;

	if (b->cfg->dedupe_window <= 0 || now == b->pruned_at)
		return 0;
	b->pruned_at = now;
	if (store_outcome_prune(b->store, now - b->cfg->dedupe_window,
	    &first_kept, err, errlen) == -1)
		return -1;
	seen_forget_before(b->seen, first_kept);
	return 0;
}

/*
 * Commit the batch with its answers in the outbox; on failure nothing of
 * it stays (batch_lost): its writes, and what was answered after the
 * first, are answered 500, and no answer is kept.
 */
static void
batch_commit(struct requests *b)
{
	char err[512];

	if (!b->began && b->ndone > 0 &&
	    batch_begin(b, err, sizeof(err)) == -1) {
		log_error("store: %s; delivered answers are forgotten later",
		    err);
		return;
	}
	if (!b->began)
		return;
	if (outbox_keep(b, err, sizeof(err)) == 0 &&
	    outbox_trim(b, err, sizeof(err)) == 0 &&
	    dedupe_prune(b, err, sizeof(err)) == 0 &&
	    store_commit(b->store, err, sizeof(err)) == 0) {
		b->ndone = 0;
		b->began = false;
		return;
	}
	log_error("store: %s%s", err, first_writer(b) < b->n ?
	    "; answering the batch's writes 500" : "");
	outbox_forget_ids(b);
	batch_lost(b);
}

void
requests_finish(struct requests *b,
    void (*deliver)(void *ud, struct request *r), void *ud)
{
	size_t i;

	batch_commit(b);
	for (i = 0; i < b->n; i++) {
		deliver(ud, &b->batch[i]);
		answers_clear(&b->batch[i]);
	}
	b->n = 0;
}

bool
requests_due(const struct requests *b)
{
	return b->n > 0 || b->ndone > 0;
}

void
requests_delivered(struct requests *b, int64_t outbox_id)
{
	int64_t *d;
	size_t cap;

	if (b->ndone == b->done_cap) {
		cap = b->done_cap ? b->done_cap * 2 : DONE_MIN;
		if ((d = reallocarray(b->done, cap, sizeof(*d))) == NULL) {
			/* kept: sent again after a restart, no harm */
			log_error("out of memory: answer %lld stays in the "
			    "outbox", (long long)outbox_id);
			return;
		}
		b->done = d;
		b->done_cap = cap;
	}
	b->done[b->ndone++] = outbox_id;
}

int
requests_replay(struct requests *b, void (*publish)(void *ud,
    int64_t outbox_id, const char *topic, const char *body), void *ud)
{
	char err[512];

	if (store_outbox_each(b->store, publish, ud, err, sizeof(err)) == 0)
		return 0;
	log_error("store: %s", err);
	return -1;
}

/* json-c keeps the text in the object until it is serialised again or
 * freed: nothing else serialises an answer's body. */
const char *
request_answer_text(struct request_answer *a, size_t *len)
{
	if (a->text == NULL)
		a->text = json_object_to_json_string_length(a->body, JSON_FLAGS,
		    &a->len);
	if (len != NULL)
		*len = a->len;
	return a->text;
}

bool
request_answer_published(const struct request *r, int i)
{
	return r->origin == NULL || request_answer_public(r, i);
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
