/*
 * echo - the broker's own ceiling for the shadow benchmark: answer every
 * update (and get) request on .../accepted at once, doing nothing else.
 *
 * Answer: {"state":{},"version":1,"timestamp":0,"clientToken":<copied>}.
 * Prints "ready" on stderr once subscribed; SIGINT/SIGTERM stop it.
 */
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <json-c/json.h>

#include "bench.h"
#include "topic.h"

struct echo {
	struct bench_conn bc;  /* first: bench.h callbacks see it */
	uint64_t answered, ignored;
	bool failed;
};

static const char *prog = "echo";
static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static json_object *
answer_body(json_object *token)
{
	json_object *a;

	a = json_object_new_object();
	if (a == NULL)
		return NULL;
	if (bench_json_add(a, "state", json_object_new_object()) != 0 ||
	    bench_json_add(a, "version", json_object_new_int(1)) != 0 ||
	    bench_json_add(a, "timestamp", json_object_new_int(0)) != 0 ||
	    (token != NULL &&
	    bench_json_add(a, "clientToken", json_object_get(token)) != 0)) {
		json_object_put(a);
		return NULL;
	}
	return a;
}

static int
answer(struct mosquitto *mosq, const char *topic, json_object *token)
{
	char out[SHADOW_TOPIC_MAX + 16];
	const char *payload;
	json_object *a;
	int rc;

	if ((size_t)snprintf(out, sizeof out, "%s/accepted", topic) >= sizeof out)
		return MOSQ_ERR_INVAL;
	a = answer_body(token);
	if (a == NULL)
		return MOSQ_ERR_NOMEM;
	payload = json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN);
	rc = payload == NULL ? MOSQ_ERR_NOMEM : mosquitto_publish(mosq, NULL, out,
	    (int)strlen(payload), payload, 1, false);
	json_object_put(a);
	return rc;
}

static void
on_message(struct mosquitto *mosq, void *ud, const struct mosquitto_message *m)
{
	struct echo *e = ud;
	struct shadow_topic t;
	json_tokener *tk;
	json_object *doc, *token = NULL;
	int rc;

	if (shadow_topic_match(m->topic, strlen(m->topic), &t) != TOPIC_OK ||
	    !shadow_msg_is_request(t.msg) || (tk = json_tokener_new()) == NULL) {
		e->ignored++;
		return;
	}
	doc = json_tokener_parse_ex(tk, m->payload, m->payloadlen);
	json_tokener_free(tk);
	if (doc != NULL)
		json_object_object_get_ex(doc, "clientToken", &token);
	rc = answer(mosq, m->topic, token);
	json_object_put(doc);
	if (rc != MOSQ_ERR_SUCCESS) {
		fprintf(stderr, "%s: can't answer on %s/accepted: %s\n", prog,
		    m->topic, mosquitto_strerror(rc));
		e->failed = true;
		return;
	}
	e->answered++;
}

static int
parse_port(int argc, char **argv, int *port)
{
	char *end;
	long v;
	int ch;

	while ((ch = getopt(argc, argv, "p:")) != -1) {
		if (ch != 'p')
			goto usage;
		errno = 0;
		v = strtol(optarg, &end, 10);
		if (errno != 0 || *end != '\0' || v < 1 || v > 65535) {
			fprintf(stderr, "%s: bad port '%s'\n", prog, optarg);
			return -1;
		}
		*port = (int)v;
	}
	if (optind == argc)
		return 0;
usage:
	fprintf(stderr, "usage: %s [-p port]\n", prog);
	return -1;
}

static int
catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) != 0 ||
	    sigaction(SIGTERM, &sa, NULL) != 0) {
		fprintf(stderr, "%s: can't catch signals: %s\n", prog,
		    strerror(errno));
		return -1;
	}
	return 0;
}

static int
serve(struct mosquitto *mosq, struct echo *e, int port)
{
	char *filters[] = {
		"$aws/things/+/shadow/update", "$aws/things/+/shadow/get",
		"$aws/things/+/shadow/name/+/update", "$aws/things/+/shadow/name/+/get"
	};
	int rc;

	if (bench_open(prog, mosq, &e->bc, "127.0.0.1", port, filters, 4) != 0)
		return -1;
	fprintf(stderr, "%s: ready on 127.0.0.1:%d\n", prog, port);
	while (!stop && !e->failed) {
		rc = mosquitto_loop(mosq, 100, 1);
		if (rc != MOSQ_ERR_SUCCESS) {
			fprintf(stderr, "%s: connection to 127.0.0.1:%d lost: %s\n",
			    prog, port, mosquitto_strerror(rc));
			return -1;
		}
	}
	fprintf(stderr, "%s: answered %" PRIu64 " requests, ignored %" PRIu64 "\n",
	    prog, e->answered, e->ignored);
	return e->failed ? -1 : 0;
}

int
main(int argc, char **argv)
{
	struct echo e = { .answered = 0 };
	struct mosquitto *mosq;
	char id[64];
	int port = 1883, status;

	if (parse_port(argc, argv, &port) != 0)
		return 2;
	if (catch_signals() != 0)
		return 1;
	snprintf(id, sizeof id, "bench-echo-%d", (int)getpid());
	mosquitto_lib_init();
	mosq = bench_client_new(prog, id, &e.bc);
	if (mosq == NULL) {
		mosquitto_lib_cleanup();
		return 1;
	}
	mosquitto_message_callback_set(mosq, on_message);
	status = serve(mosq, &e, port) == 0 ? 0 : 1;
	bench_close(mosq, &e.bc);
	mosquitto_lib_cleanup();
	return status;
}
