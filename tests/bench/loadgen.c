/*
 * loadgen - keep K shadow requests in flight across M things for T seconds
 * and report accepted answers per second and their latency.
 *
 * Each request carries a clientToken "<run>-<slot>-<gen>": the slot finds
 * the request in an array, the generation rejects stale or foreign answers.
 * One clean-session QoS 1 client, single-threaded, driven by mosquitto_loop.
 * Answers that arrive during the warm-up are not counted. With --pace each
 * slot waits that long between an answer and its next request (the soak,
 * tests/soak/run, uses it for a steady load).
 */
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include <json-c/json.h>

#include "bench.h"
#include "topic.h"

#define BENCH_SHADOW "bench"
#define TOKEN_MAX 64

enum phase { PHASE_WARMUP, PHASE_MEASURE, PHASE_DRAIN };

struct options {
	const char *host;
	int port;
	unsigned int k;
	unsigned long m;
	double seconds;
	double warmup;
	double timeout;
	double pace;
	bool named;
	bool random;
	enum shadow_msg op;
};

struct slot {
	uint64_t sent_ns;     /* 0: free */
	uint64_t due_ns;      /* --pace: when to send; 0: nothing due */
	uint32_t gen;
};

struct stats {
	uint64_t accepted, rejected, lost, stray, sent;
	uint32_t *lat_us;
	size_t nlat, cap;
};

struct loadgen {
	struct bench_conn bc;  /* first: bench.h callbacks see it */
	struct mosquitto *mosq;
	const struct options *opt;
	struct slot *slots;
	unsigned int inflight;
	char run[16];
	uint64_t next_thing;
	uint64_t counter;
	enum phase phase;
	uint64_t measure_start, measure_end;
	struct stats st;
	bool failed;
};

static const char *prog = "loadgen";

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: %s [-k inflight] [-m things] [-t seconds] [-w warmup]\n"
	    "       [-p port] [--host host] [--named] [--random]\n"
	    "       [--op update|get|delete] [--timeout seconds] "
	    "[--pace seconds]\n", prog);
}

static int
parse_number(const char *name, const char *s, double min, double max,
    double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
		fprintf(stderr, "%s: bad %s '%s': want a number from %g to %g\n",
		    prog, name, s, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

static int
parse_op(const char *s, enum shadow_msg *op)
{
	if (strcmp(s, "update") == 0)
		*op = SHADOW_MSG_UPDATE;
	else if (strcmp(s, "get") == 0)
		*op = SHADOW_MSG_GET;
	else if (strcmp(s, "delete") == 0)
		*op = SHADOW_MSG_DELETE;
	else {
		fprintf(stderr, "%s: bad --op '%s': want update, get or delete\n",
		    prog, s);
		return -1;
	}
	return 0;
}

/* 0: go on, 1: done (help), -1: usage error. */
static int
parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "host", required_argument, NULL, 'H' },
		{ "named", no_argument, NULL, 'n' },
		{ "random", no_argument, NULL, 'r' },
		{ "op", required_argument, NULL, 'o' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "pace", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	double v;
	int ch, rc = 0;

	while ((ch = getopt_long(argc, argv, "k:m:t:w:p:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'k':
			if ((rc = parse_number("-k", optarg, 1, 65535, &v)) == 0)
				o->k = (unsigned int)v;
			break;
		case 'm':
			if ((rc = parse_number("-m", optarg, 1, 1e9, &v)) == 0)
				o->m = (unsigned long)v;
			break;
		case 't':
			rc = parse_number("-t", optarg, 0.1, 3600, &o->seconds);
			break;
		case 'w':
			rc = parse_number("-w", optarg, 0, 3600, &o->warmup);
			break;
		case 'T':
			rc = parse_number("--timeout", optarg, 0.01, 3600, &o->timeout);
			break;
		case 'P':
			rc = parse_number("--pace", optarg, 0, 3600, &o->pace);
			break;
		case 'p':
			if ((rc = parse_number("-p", optarg, 1, 65535, &v)) == 0)
				o->port = (int)v;
			break;
		case 'H':
			o->host = optarg;
			break;
		case 'n':
			o->named = true;
			break;
		case 'r':
			o->random = true;
			break;
		case 'o':
			rc = parse_op(optarg, &o->op);
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			usage(stderr);
			return -1;
		}
		if (rc != 0)
			return -1;
	}
	if (optind != argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", prog, argv[optind]);
		usage(stderr);
		return -1;
	}
	return 0;
}

static unsigned long
pick_thing(struct loadgen *lg)
{
	if (lg->opt->random)
		return (unsigned long)(random() % (long)lg->opt->m) + 1;
	return (unsigned long)(lg->next_thing++ % lg->opt->m) + 1;
}

static json_object *
request_body(struct loadgen *lg, const char *token)
{
	json_object *req, *state, *reported;

	req = json_object_new_object();
	if (req == NULL)
		return NULL;
	if (lg->opt->op == SHADOW_MSG_UPDATE) {
		state = json_object_new_object();
		if (bench_json_add(req, "state", state) != 0)
			goto fail;
		reported = json_object_new_object();
		if (bench_json_add(state, "reported", reported) != 0 ||
		    bench_json_add(reported, "n",
		    json_object_new_int64((int64_t)lg->counter)) != 0)
			goto fail;
	}
	if (bench_json_add(req, "clientToken", json_object_new_string(token)) != 0)
		goto fail;
	return req;
fail:
	json_object_put(req);
	return NULL;
}

static int
send_request(struct loadgen *lg, unsigned int slot)
{
	char thing[32], topic[SHADOW_TOPIC_MAX], token[TOKEN_MAX];
	struct slot *s = &lg->slots[slot];
	const char *payload;
	json_object *req;
	int rc;

	snprintf(thing, sizeof thing, "bench-%lu", pick_thing(lg));
	if (shadow_topic_build(topic, sizeof topic, thing,
	    lg->opt->named ? BENCH_SHADOW : NULL, lg->opt->op, NULL) != TOPIC_OK) {
		fprintf(stderr, "%s: can't build the topic for %s\n", prog, thing);
		return -1;
	}
	s->gen++;
	lg->counter++;
	snprintf(token, sizeof token, "%s-%u-%" PRIu32, lg->run, slot, s->gen);
	req = request_body(lg, token);
	if (req == NULL) {
		fprintf(stderr, "%s: out of memory building a request\n", prog);
		return -1;
	}
	payload = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
	if (payload == NULL) {
		fprintf(stderr, "%s: out of memory serialising a request\n", prog);
		json_object_put(req);
		return -1;
	}
	s->sent_ns = bench_now_ns();
	rc = mosquitto_publish(lg->mosq, NULL, topic, (int)strlen(payload),
	    payload, 1, false);
	json_object_put(req);
	if (rc != MOSQ_ERR_SUCCESS) {
		fprintf(stderr, "%s: can't publish to %s: %s\n", prog, topic,
		    mosquitto_strerror(rc));
		s->sent_ns = 0;
		return -1;
	}
	lg->inflight++;
	lg->st.sent++;
	return 0;
}

static void
send_or_fail(struct loadgen *lg, unsigned int slot)
{
	if (lg->opt->pace > 0 && lg->slots[slot].due_ns == 0) {
		lg->slots[slot].due_ns = bench_now_ns() +
		    (uint64_t)(lg->opt->pace * 1e9);
		return;
	}
	lg->slots[slot].due_ns = 0;
	if (send_request(lg, slot) != 0)
		lg->failed = true;
}

/* --pace: the slots whose wait is over. */
static void
send_due(struct loadgen *lg, uint64_t now)
{
	unsigned int i;

	for (i = 0; i < lg->opt->k && !lg->failed; i++)
		if (lg->slots[i].due_ns != 0 && now >= lg->slots[i].due_ns &&
		    lg->phase != PHASE_DRAIN)
			send_or_fail(lg, i);
}

static int
record_latency(struct stats *st, uint64_t ns)
{
	uint32_t *n;
	size_t cap;

	if (st->nlat == st->cap) {
		cap = st->cap ? st->cap * 2 : 65536;
		n = realloc(st->lat_us, cap * sizeof *n);
		if (n == NULL)
			return -1;
		st->lat_us = n;
		st->cap = cap;
	}
	st->lat_us[st->nlat++] = ns / 1000 > UINT32_MAX ? UINT32_MAX :
	    (uint32_t)(ns / 1000);
	return 0;
}

/* The slot of an answer's clientToken if it is ours and awaited, else -1. */
static long
token_slot(struct loadgen *lg, const char *token)
{
	size_t runlen = strlen(lg->run);
	unsigned long slot, gen;
	char *end;

	if (strncmp(token, lg->run, runlen) != 0 || token[runlen] != '-')
		return -1;
	errno = 0;
	slot = strtoul(token + runlen + 1, &end, 10);
	if (errno != 0 || *end != '-' || slot >= lg->opt->k)
		return -1;
	gen = strtoul(end + 1, &end, 10);
	if (errno != 0 || *end != '\0' || lg->slots[slot].sent_ns == 0 ||
	    gen != lg->slots[slot].gen)
		return -1;
	return (long)slot;
}

static const char *
answer_token(json_object *doc)
{
	json_object *tok;

	if (!json_object_object_get_ex(doc, "clientToken", &tok) ||
	    !json_object_is_type(tok, json_type_string))
		return NULL;
	return json_object_get_string(tok);
}

static void
update_phase(struct loadgen *lg, uint64_t now)
{
	if (lg->phase == PHASE_WARMUP && now >= lg->measure_start)
		lg->phase = PHASE_MEASURE;
	if (lg->phase == PHASE_MEASURE && now >= lg->measure_end)
		lg->phase = PHASE_DRAIN;
}

static void
count_answer(struct loadgen *lg, bool accepted, uint64_t now, uint64_t sent)
{
	if (lg->phase != PHASE_MEASURE)
		return;
	if (!accepted) {
		lg->st.rejected++;
		return;
	}
	lg->st.accepted++;
	if (record_latency(&lg->st, now - sent) != 0) {
		fprintf(stderr, "%s: out of memory recording latencies\n", prog);
		lg->failed = true;
	}
}

static void
on_message(struct mosquitto *mosq, void *ud, const struct mosquitto_message *m)
{
	struct loadgen *lg = ud;
	struct shadow_topic t;
	json_tokener *tk;
	json_object *doc;
	const char *token;
	uint64_t now, sent;
	long slot = -1;

	(void)mosq;
	if (shadow_topic_match(m->topic, strlen(m->topic), &t) != TOPIC_OK)
		return;
	tk = json_tokener_new();
	if (tk == NULL)
		return;
	doc = json_tokener_parse_ex(tk, m->payload, m->payloadlen);
	json_tokener_free(tk);
	if (doc != NULL && (token = answer_token(doc)) != NULL)
		slot = token_slot(lg, token);
	json_object_put(doc);
	if (slot < 0) {
		lg->st.stray++;
		return;
	}
	now = bench_now_ns();
	update_phase(lg, now);
	sent = lg->slots[slot].sent_ns;
	lg->slots[slot].sent_ns = 0;
	lg->inflight--;
	count_answer(lg, t.msg == SHADOW_MSG_UPDATE_ACCEPTED ||
	    t.msg == SHADOW_MSG_GET_ACCEPTED ||
	    t.msg == SHADOW_MSG_DELETE_ACCEPTED, now, sent);
	if (lg->phase != PHASE_DRAIN)
		send_or_fail(lg, (unsigned int)slot);
}

static void
expire_requests(struct loadgen *lg, uint64_t now)
{
	uint64_t limit = (uint64_t)(lg->opt->timeout * 1e9);
	unsigned int i;

	for (i = 0; i < lg->opt->k; i++) {
		if (lg->slots[i].sent_ns == 0 || now - lg->slots[i].sent_ns < limit)
			continue;
		lg->slots[i].sent_ns = 0;
		lg->inflight--;
		if (lg->phase == PHASE_MEASURE)
			lg->st.lost++;
		if (lg->phase != PHASE_DRAIN)
			send_or_fail(lg, i);
	}
}

static int
run_load(struct loadgen *lg)
{
	uint64_t now, drain_end;
	unsigned int i;
	int rc;

	now = bench_now_ns();
	lg->measure_start = now + (uint64_t)(lg->opt->warmup * 1e9);
	lg->measure_end = lg->measure_start + (uint64_t)(lg->opt->seconds * 1e9);
	drain_end = lg->measure_end + (uint64_t)(lg->opt->timeout * 1e9);
	lg->phase = lg->opt->warmup > 0 ? PHASE_WARMUP : PHASE_MEASURE;
	for (i = 0; i < lg->opt->k && !lg->failed; i++)
		send_or_fail(lg, i);
	while (!lg->failed) {
		rc = mosquitto_loop(lg->mosq, 10, 1);
		if (rc != MOSQ_ERR_SUCCESS) {
			fprintf(stderr, "%s: connection to %s:%d lost: %s\n", prog,
			    lg->opt->host, lg->opt->port, mosquitto_strerror(rc));
			return -1;
		}
		now = bench_now_ns();
		update_phase(lg, now);
		expire_requests(lg, now);
		send_due(lg, now);
		if (lg->phase == PHASE_DRAIN && (lg->inflight == 0 || now >= drain_end))
			break;
	}
	return lg->failed ? -1 : 0;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

static double
percentile_ms(const struct stats *st, double p)
{
	size_t i;

	if (st->nlat == 0)
		return 0;
	i = (size_t)(p * (double)(st->nlat - 1) + 0.5);
	return st->lat_us[i] / 1000.0;
}

static void
print_results(struct loadgen *lg)
{
	struct stats *st = &lg->st;
	const struct options *o = lg->opt;

	if (st->nlat > 0)
		qsort(st->lat_us, st->nlat, sizeof *st->lat_us, cmp_u32);
	printf("accepted=%" PRIu64 " rejected=%" PRIu64 " lost=%" PRIu64
	    " stray=%" PRIu64 " sent=%" PRIu64 " rate=%.1f/s p50=%.2fms"
	    " p90=%.2fms p99=%.2fms max=%.2fms k=%u m=%lu t=%g op=%s named=%d\n",
	    st->accepted, st->rejected, st->lost, st->stray, st->sent,
	    (double)st->accepted / o->seconds, percentile_ms(st, 0.50),
	    percentile_ms(st, 0.90), percentile_ms(st, 0.99),
	    percentile_ms(st, 1.0), o->k, o->m, o->seconds,
	    shadow_msg_name(o->op), o->named);
	fflush(stdout);
}

static int
open_client(struct loadgen *lg)
{
	char accepted[SHADOW_TOPIC_MAX], rejected[SHADOW_TOPIC_MAX], id[64];
	char *filters[2] = { accepted, rejected };
	const char *shadow = lg->opt->named ? "+" : NULL;
	const char *op = shadow_msg_name(lg->opt->op);
	char what[32];

	snprintf(id, sizeof id, "bench-loadgen-%s", lg->run);
	snprintf(what, sizeof what, "%s/accepted", op);
	if (shadow_topic_filter(accepted, sizeof accepted, "+", shadow, what,
	    NULL) != TOPIC_OK)
		return -1;
	snprintf(what, sizeof what, "%s/rejected", op);
	if (shadow_topic_filter(rejected, sizeof rejected, "+", shadow, what,
	    NULL) != TOPIC_OK)
		return -1;
	lg->mosq = bench_client_new(prog, id, &lg->bc);
	if (lg->mosq == NULL)
		return -1;
	mosquitto_message_callback_set(lg->mosq, on_message);
	return bench_open(prog, lg->mosq, &lg->bc, lg->opt->host, lg->opt->port,
	    filters, 2);
}

int
main(int argc, char **argv)
{
	struct options opt = {
		.host = "127.0.0.1", .port = 1883, .k = 64, .m = 1,
		.seconds = 5, .warmup = 1, .timeout = 5, .op = SHADOW_MSG_UPDATE
	};
	struct loadgen lg = { .opt = &opt };
	int rc, status = 1;

	rc = parse_options(argc, argv, &opt);
	if (rc != 0)
		return rc > 0 ? 0 : 2;
	snprintf(lg.run, sizeof lg.run, "lg%x", (unsigned int)getpid());
	srandom((unsigned int)getpid());
	lg.slots = calloc(opt.k, sizeof *lg.slots);
	if (lg.slots == NULL) {
		fprintf(stderr, "%s: out of memory for %u slots\n", prog, opt.k);
		return 1;
	}
	mosquitto_lib_init();
	if (open_client(&lg) == 0 && run_load(&lg) == 0) {
		print_results(&lg);
		if (lg.st.accepted > 0)
			status = 0;
		else
			fprintf(stderr, "%s: no request was accepted\n", prog);
	}
	if (lg.mosq != NULL)
		bench_close(lg.mosq, &lg.bc);
	mosquitto_lib_cleanup();
	free(lg.st.lat_us);
	free(lg.slots);
	return status;
}
