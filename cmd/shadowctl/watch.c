#include "ctl.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "json.h"
#include "log.h"

struct watch {
	const struct shadow_config *cfg;
	long printed;
	bool output_failed;
	int output_errno;
};

static volatile sig_atomic_t interrupted;

static void
on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* No SA_RESTART: the signal must wake the poll in conn_loop. */
static void
signals_catch(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

/* The payload as JSON, or as a string when it is not JSON. */
static json_object *
payload_value(const void *payload, size_t len)
{
	struct json_result jr;

	if (len < DOC_MAX_PAYLOAD &&
	    json_read(payload, len, NULL, &jr) == JSON_OK)
		return jr.value;
	return json_object_new_string_len(payload, (int)len);
}

static json_object *
line_build(struct watch *w, const char *topic, const char *event,
    const void *payload, size_t len)
{
	char tst[LOG_ISO_TIME_LEN];
	json_object *line;

	log_iso_time(tst);
	if ((line = json_object_new_object()) == NULL)
		return NULL;
	json_object_object_add(line, "tst", json_object_new_string(tst));
	json_object_object_add(line, "topic", json_object_new_string(topic));
	json_object_object_add(line, "thing",
	    json_object_new_string(w->cfg->thing));
	json_object_object_add(line, "shadow", w->cfg->shadow == NULL ? NULL :
	    json_object_new_string(w->cfg->shadow));
	json_object_object_add(line, "event", json_object_new_string(event));
	json_object_object_add(line, "payload", payload_value(payload, len));
	return line;
}

static void
on_message(void *ud, const char *topic, const void *payload, size_t len)
{
	struct watch *w = ud;
	struct shadow_topic t;
	json_object *line;

	if (w->output_failed ||
	    shadow_topic_match(topic, strlen(topic), &t) != TOPIC_OK ||
	    !shadow_topic_is(&t, w->cfg->thing, w->cfg->shadow))
		return;
	if ((line = line_build(w, topic, shadow_msg_name(t.msg), payload,
	    len)) == NULL)
		return;
	if (log_json_line(stdout, line) == -1) {
		w->output_failed = true;
		w->output_errno = errno;
	}
	else
		w->printed++;
	json_object_put(line);
}

static bool
watch_done(const struct watch *w)
{
	return interrupted || w->output_failed ||
	    (w->cfg->count > 0 && w->printed >= w->cfg->count);
}

static enum ctl_status
watch_loop(struct watch *w, struct conn *c)
{
	long long end = 0, left;
	enum conn_status st;

	if (w->cfg->timeout_set)
		end = conn_now_ms() + (long long)(w->cfg->timeout * 1000.0);
	while (!watch_done(w)) {
		left = end == 0 ? 1000 : end - conn_now_ms();
		if (left <= 0)
			return w->printed > 0 ? CTL_OK : CTL_TIMEOUT;
		if ((st = conn_loop(c, left > 1000 ? 1000 : (int)left)) !=
		    CONN_OK) {
			log_error("lost the connection to %s:%d while watching",
			    w->cfg->endpoint, w->cfg->port);
			return ctl_status_of(st);
		}
	}
	if (w->output_failed && w->output_errno != EPIPE) {
		log_error("can't write to standard output: %s",
		    strerror(w->output_errno));
		return CTL_USAGE;
	}
	return CTL_OK;
}

/* Everything under the shadow root: "+" and "+/+" cover all its topics. */
static const char *const watch_filters[] = { "+", "+/+" };

static enum ctl_status
watch_connect(struct watch *w, struct conn **cp)
{
	static const struct conn_handlers h = { .on_message = on_message };
	const struct shadow_config *cfg = w->cfg;
	const struct conn_options o = {
		.client_id = cfg->client_id,
		.client_id_prefix = "shadowctl-",
		.sub = { cfg->thing, cfg->shadow, watch_filters,
		    (int)(sizeof(watch_filters) / sizeof(watch_filters[0])), 1 },
	};
	char err[CTL_ERRLEN];
	int ms = (int)((cfg->timeout_set ? cfg->timeout : 10) * 1000.0);
	enum conn_status st;

	if ((*cp = conn_new(cfg, &o, &h, w, err, sizeof(err))) == NULL) {
		log_error("%s", err);
		return CTL_USAGE;
	}
	if ((st = conn_open(*cp, ms, err, sizeof(err))) != CONN_OK) {
		log_error("%s", err);
		return ctl_status_of(st);
	}
	log_debug("watching every topic of the shadow %s%s%s", cfg->thing,
	    cfg->shadow ? "~" : "", cfg->shadow ? cfg->shadow : "");
	return CTL_OK;
}

enum ctl_status
watch_run(const struct shadow_config *cfg)
{
	struct watch w;
	struct conn *c = NULL;
	enum ctl_status st;

	memset(&w, 0, sizeof(w));
	w.cfg = cfg;
	signals_catch();
	if ((st = watch_connect(&w, &c)) == CTL_OK)
		st = watch_loop(&w, c);
	conn_free(c);
	return st;
}
