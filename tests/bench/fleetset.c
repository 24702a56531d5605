/*
 * fleetset - the fleet benchmark's driver: sets desired KEY=VALUE on things
 * PREFIX-1 ... PREFIX-N (QoS 1 updates, at most W waiting for their answer)
 * and watches update/accepted of every thing until each one's reported KEY
 * equals VALUE (converged).
 *
 * Prints one line: n= accepted= rejected= converged= set_ms= (first send to
 * last desired accepted) converge_ms= (last desired accepted to last thing
 * converged) total_ms= updates_per_s= (desired updates plus reports,
 * over total_ms).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

#define PROG "fleetset"
#define TOKEN_PREFIX "fleetset-"

struct fleetset {
	struct bench_conn bc;       /* first: bench.h's callbacks use it */
	struct mosquitto *mosq;
	const char *prefix;
	size_t prefix_len;
	const char *key;
	const char *value;
	long n;
	long window;
	long sent;
	long accepted;
	long rejected;
	long converged;
	uint8_t *done;
	uint64_t t_first;
	uint64_t t_last_accept;
	uint64_t t_last_converge;
};

static void
usage(void)
{
	fprintf(stderr, "usage: %s -p PORT -P PREFIX -n N [-k KEY] [-v VALUE] "
	    "[-w WINDOW] [-t SECONDS]\n", PROG);
}

/* The N of PREFIX-N in $aws/things/PREFIX-N/shadow/update/accepted; 0 if not. */
static long
thing_index(const struct fleetset *fs, const char *topic)
{
	const char *s = topic + strlen("$aws/things/");
	char *end;
	long i;

	if (strncmp(topic, "$aws/things/", 12) != 0 ||
	    strncmp(s, fs->prefix, fs->prefix_len) != 0 ||
	    s[fs->prefix_len] != '-')
		return 0;
	i = strtol(s + fs->prefix_len + 1, &end, 10);
	if (*end != '/' || i < 1 || i > fs->n)
		return 0;
	return i;
}

static bool
reported_matches(const struct fleetset *fs, json_object *doc)
{
	json_object *state, *rep, *v;

	return json_object_object_get_ex(doc, "state", &state) &&
	    json_object_object_get_ex(state, "reported", &rep) &&
	    json_object_object_get_ex(rep, fs->key, &v) &&
	    json_object_is_type(v, json_type_string) &&
	    strcmp(json_object_get_string(v), fs->value) == 0;
}

static bool
ours(json_object *doc)
{
	json_object *tok;

	return json_object_object_get_ex(doc, "clientToken", &tok) &&
	    json_object_is_type(tok, json_type_string) &&
	    strncmp(json_object_get_string(tok), TOKEN_PREFIX,
	    strlen(TOKEN_PREFIX)) == 0;
}

static void
on_message(struct mosquitto *mosq, void *ud, const struct mosquitto_message *m)
{
	struct fleetset *fs = ud;
	bool rejected = strstr(m->topic, "/rejected") != NULL;
	json_object *doc;
	long i;

	(void)mosq;
	if ((i = thing_index(fs, m->topic)) == 0)
		return;
	doc = json_tokener_parse(m->payload != NULL ? m->payload : "");
	if (doc == NULL)
		return;
	if (ours(doc)) {
		if (rejected)
			fs->rejected++;
		else
			fs->accepted++;
		if (fs->accepted + fs->rejected == fs->n)
			fs->t_last_accept = bench_now_ns();
	} else if (!rejected && !fs->done[i] && reported_matches(fs, doc)) {
		fs->done[i] = 1;
		fs->converged++;
		fs->t_last_converge = bench_now_ns();
	}
	json_object_put(doc);
}

static int
send_one(struct fleetset *fs)
{
	char topic[256], token[64];
	json_object *doc, *state, *desired;
	const char *s;
	long i = ++fs->sent;
	int rc;

	snprintf(topic, sizeof(topic), "$aws/things/%s-%ld/shadow/update",
	    fs->prefix, i);
	snprintf(token, sizeof(token), TOKEN_PREFIX "%ld", i);
	doc = json_object_new_object();
	state = json_object_new_object();
	desired = json_object_new_object();
	if (doc == NULL || bench_json_add(doc, "state", state) != 0 ||
	    bench_json_add(state, "desired", desired) != 0 ||
	    bench_json_add(desired, fs->key,
	    json_object_new_string(fs->value)) != 0 ||
	    bench_json_add(doc, "clientToken",
	    json_object_new_string(token)) != 0 ||
	    (s = json_object_to_json_string_ext(doc,
	    JSON_C_TO_STRING_PLAIN)) == NULL) {
		fprintf(stderr, "%s: out of memory\n", PROG);
		json_object_put(doc);
		return -1;
	}
	rc = mosquitto_publish(fs->mosq, NULL, topic, (int)strlen(s), s, 1,
	    false);
	json_object_put(doc);
	if (rc != MOSQ_ERR_SUCCESS) {
		fprintf(stderr, "%s: can't publish to %s: %s\n", PROG, topic,
		    mosquitto_strerror(rc));
		return -1;
	}
	return 0;
}

static int
run(struct fleetset *fs, double seconds)
{
	uint64_t deadline = bench_now_ns() + (uint64_t)(seconds * 1e9);
	int rc;

	fs->t_first = bench_now_ns();
	while (fs->converged < fs->n && bench_now_ns() < deadline) {
		while (fs->sent < fs->n &&
		    fs->sent - fs->accepted - fs->rejected < fs->window)
			if (send_one(fs) != 0)
				return -1;
		rc = mosquitto_loop(fs->mosq, 10, 1);
		if (rc != MOSQ_ERR_SUCCESS) {
			fprintf(stderr, "%s: connection lost: %s\n", PROG,
			    mosquitto_strerror(rc));
			return -1;
		}
	}
	return 0;
}

static double
ms_between(uint64_t a, uint64_t b)
{
	return a == 0 || b == 0 ? -1 : ((double)b - (double)a) / 1e6;
}

static void
print_result(const struct fleetset *fs)
{
	uint64_t end = fs->t_last_converge > fs->t_last_accept ?
	    fs->t_last_converge : fs->t_last_accept;
	double total = ms_between(fs->t_first, end);

	printf("n=%ld accepted=%ld rejected=%ld converged=%ld set_ms=%.1f "
	    "converge_ms=%.1f total_ms=%.1f updates_per_s=%.0f\n", fs->n,
	    fs->accepted, fs->rejected, fs->converged,
	    ms_between(fs->t_first, fs->t_last_accept),
	    fs->converged == fs->n ? ms_between(fs->t_last_accept,
	    fs->t_last_converge) : -1, total,
	    total > 0 ? (double)(fs->accepted + fs->converged) * 1000 / total :
	    0);
}

int
main(int argc, char **argv)
{
	struct fleetset fs;
	char *filters[] = { "$aws/things/+/shadow/update/accepted",
	    "$aws/things/+/shadow/update/rejected" };
	char id[64];
	double seconds = 60;
	int port = 0, c, rc = 1;

	memset(&fs, 0, sizeof(fs));
	fs.key = "MOTOR";
	fs.value = "ON";
	fs.window = 500;
	while ((c = getopt(argc, argv, "p:P:n:k:v:w:t:")) != -1) {
		switch (c) {
		case 'p': port = atoi(optarg); break;
		case 'P': fs.prefix = optarg; break;
		case 'n': fs.n = atol(optarg); break;
		case 'k': fs.key = optarg; break;
		case 'v': fs.value = optarg; break;
		case 'w': fs.window = atol(optarg); break;
		case 't': seconds = atof(optarg); break;
		default: usage(); return 2;
		}
	}
	if (port <= 0 || fs.prefix == NULL || fs.n < 1 || fs.window < 1 ||
	    !(seconds > 0)) {
		usage();
		return 2;
	}
	fs.prefix_len = strlen(fs.prefix);
	if ((fs.done = calloc((size_t)fs.n + 1, 1)) == NULL) {
		fprintf(stderr, "%s: out of memory\n", PROG);
		return 1;
	}
	mosquitto_lib_init();
	snprintf(id, sizeof(id), "fleetset-%d", (int)getpid());
	if ((fs.mosq = bench_client_new(PROG, id, &fs.bc)) != NULL) {
		mosquitto_message_callback_set(fs.mosq, on_message);
		if (bench_open(PROG, fs.mosq, &fs.bc, "127.0.0.1", port, filters,
		    2) == 0 && run(&fs, seconds) == 0) {
			print_result(&fs);
			rc = fs.converged == fs.n ? 0 : 3;
		}
		bench_close(fs.mosq, &fs.bc);
	}
	mosquitto_lib_cleanup();
	free(fs.done);
	return rc;
}
