#include "fleet.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/resource.h>

#include "agent.h"
#include "config.h"
#include "conn.h"
#include "device.h"
#include "events.h"
#include "log.h"
#include "topic.h"

#define FLEET_TICK_MS 50
#define FLEET_KEEPALIVE_TICKS 20      /* each device's keep-alive: 1 s */
#define FLEET_SUMMARY_MS 5000
#define FLEET_STOP_MS 2000
#define FLEET_FD_SPARE 32
#define FLEET_EVENTS 512
#define FLEET_LINE_MAX 4096

struct fleet {
	const struct shadow_config *cfg;
	struct device *devs;
	char **names;
	size_t n;
	size_t started;
	int epfd;
	long long t0;
	long long next_tick;
	unsigned long ticks;
	long long last_summary;
	struct device_stats stats;
	unsigned long last_telemetry;
	bool all_connected;
	unsigned long connect_failures;
	struct agent *agent;         /* --exec, --telemetry-exec; or NULL */
};

static void
names_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static int
names_from_count(const struct shadow_config *cfg, char ***out, size_t *nout)
{
	char buf[SHADOW_THING_MAX + 32], **names;
	size_t n = (size_t)cfg->count;
	int w;

	if (cfg->thing == NULL || cfg->thing[0] == '\0') {
		log_error("--count %ld: no thing name to number: give -t NAME",
		    cfg->count);
		return -1;
	}
	if ((names = calloc(n, sizeof(*names))) == NULL) {
		log_error("--count %ld: out of memory", cfg->count);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		w = snprintf(buf, sizeof(buf), "%s-%zu", cfg->thing, i + 1);
		if (w < 0 || !shadow_thing_name_valid(buf, (size_t)w)) {
			log_error("thing name '%s': use 1-%d characters of "
			    "A-Z a-z 0-9 : _ - (a shorter -t leaves room for "
			    "the number)", buf, SHADOW_THING_MAX);
			names_free(names, i);
			return -1;
		}
		if ((names[i] = strdup(buf)) == NULL) {
			log_error("--count %ld: out of memory", cfg->count);
			names_free(names, i);
			return -1;
		}
	}
	*out = names;
	*nout = n;
	return 0;
}

static char *
line_trim(char *s)
{
	size_t len;

	while (*s == ' ' || *s == '\t')
		s++;
	len = strlen(s);
	while (len > 0 && strchr(" \t\r\n", s[len - 1]) != NULL)
		s[--len] = '\0';
	return s;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Two devices with one client id would throw each other off the broker. */
static int
names_check_unique(const char *file, char **names, size_t n)
{
	char **sorted;
	int rc = 0;

	if (n < 2)
		return 0;
	if ((sorted = malloc(n * sizeof(*sorted))) == NULL) {
		log_error("%s: out of memory", file);
		return -1;
	}
	memcpy(sorted, names, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), name_cmp);
	for (size_t i = 1; i < n; i++) {
		if (strcmp(sorted[i - 1], sorted[i]) == 0) {
			log_error("%s: thing '%s' is listed twice (each device "
			    "needs its own name)", file, sorted[i]);
			rc = -1;
			break;
		}
	}
	free(sorted);
	return rc;
}

static int
names_add(char ***names, size_t *n, size_t *cap, const char *name)
{
	char **grown;

	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		if ((grown = realloc(*names, *cap * sizeof(**names))) == NULL)
			return -1;
		*names = grown;
	}
	if (((*names)[*n] = strdup(name)) == NULL)
		return -1;
	(*n)++;
	return 0;
}

static int
names_read(const char *file, FILE *fp, char ***out, size_t *nout)
{
	char line[FLEET_LINE_MAX], *s;
	char **names = NULL;
	size_t n = 0, cap = 0;
	unsigned long lineno = 0;

	while (fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		s = line_trim(line);
		if (*s == '\0' || *s == '#')
			continue;
		if (!shadow_thing_name_valid(s, strlen(s))) {
			log_error("%s:%lu: thing name '%.*s': use 1-%d "
			    "characters of A-Z a-z 0-9 : _ -", file, lineno,
			    200, s, SHADOW_THING_MAX);
			goto fail;
		}
		if (names_add(&names, &n, &cap, s) != 0) {
			log_error("%s:%lu: out of memory", file, lineno);
			goto fail;
		}
	}
	if (ferror(fp)) {
		log_error("can't read %s: %s", file, strerror(errno));
		goto fail;
	}
	if (n == 0) {
		log_error("%s: no thing names (one a line; # starts a comment)",
		    file);
		goto fail;
	}
	if (names_check_unique(file, names, n) != 0)
		goto fail;
	*out = names;
	*nout = n;
	return 0;
fail:
	names_free(names, n);
	return -1;
}

static int
names_from_file(const char *file, char ***out, size_t *nout)
{
	FILE *fp;
	int rc;

	if (strcmp(file, "-") == 0)
		return names_read("(stdin)", stdin, out, nout);
	if ((fp = fopen(file, "r")) == NULL) {
		log_error("can't read thing list %s: %s", file,
		    strerror(errno));
		return -1;
	}
	rc = names_read(file, fp, out, nout);
	fclose(fp);
	return rc;
}

/* One descriptor per device, and a few for the rest. */
static int
fd_limit_raise(size_t n)
{
	struct rlimit rl;
	rlim_t need = (rlim_t)n + FLEET_FD_SPARE;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
		log_error("can't read the file descriptor limit: %s",
		    strerror(errno));
		return -1;
	}
	if (rl.rlim_max != RLIM_INFINITY && need > rl.rlim_max) {
		log_error("%zu devices need ~%llu file descriptors but the "
		    "limit is %llu (hard)/%llu (soft); raise it with ulimit -n "
		    "(the hard limit as root, or in limits.conf)", n,
		    (unsigned long long)need, (unsigned long long)rl.rlim_max,
		    (unsigned long long)rl.rlim_cur);
		return -1;
	}
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
			log_error("can't raise the file descriptor limit to "
			    "%llu: %s", (unsigned long long)rl.rlim_cur,
			    strerror(errno));
			return -1;
		}
	}
	return 0;
}

static void
fleet_poll_set(struct fleet *f, struct device *d)
{
	struct epoll_event ev;
	int fd, op;
	unsigned int want;

	if (device_want_write(d))
		device_service(d, false, true);
	if ((fd = device_socket(d)) < 0) {
		d->fd = -1;
		d->events = 0;
		return;
	}
	want = EPOLLIN | (device_want_write(d) ? EPOLLOUT : 0);
	if (fd == d->fd && want == d->events)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.events = want;
	ev.data.ptr = d;
	op = fd == d->fd ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
	if (epoll_ctl(f->epfd, op, fd, &ev) != 0) {
		/* A socket closed and reopened under the same number. */
		op = errno == ENOENT ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
		if (epoll_ctl(f->epfd, op, fd, &ev) != 0) {
			log_error("can't poll the connection of %s: %s",
			    d->thing, strerror(errno));
			return;
		}
	}
	d->fd = fd;
	d->events = want;
}

static long long
fleet_interval_ms(const struct fleet *f)
{
	long long ms = (long long)(f->cfg->interval * 1000.0);

	return ms > 0 ? ms : 1;
}

static int
fleet_start_one(struct fleet *f, long long now)
{
	struct device *d = &f->devs[f->started];
	long long phase;
	char err[1024];
	bool fatal;

	/* Its own phase: n devices share each interval evenly. */
	phase = fleet_interval_ms(f) * (long long)(f->started + 1) /
	    (long long)f->n;
	f->started++;
	if (device_start(d, now + phase, &fatal, err, sizeof(err)) != 0) {
		if (fatal) {
			log_error("%s: %s", d->thing, err);
			return -1;
		}
		if (f->connect_failures++ == 0)
			log_warn("%s: %s; retrying", d->thing, err);
	}
	fleet_poll_set(f, d);
	return 0;
}

/* Connects paced at --connect-rate from the start. */
static int
fleet_start_due(struct fleet *f, long long now)
{
	double rate = f->cfg->connect_rate > 0 ? f->cfg->connect_rate : 200;
	double due = (double)(now - f->t0) * rate / 1000.0 + 1;

	while (f->started < f->n && (double)f->started < due)
		if (fleet_start_one(f, now) != 0)
			return -1;
	return 0;
}

static void
fleet_tick(struct fleet *f, long long now)
{
	unsigned long slot = f->ticks++ % FLEET_KEEPALIVE_TICKS;

	for (size_t i = 0; i < f->started; i++) {
		struct device *d = &f->devs[i];

		if (device_tick(d, now, i % FLEET_KEEPALIVE_TICKS == slot))
			fleet_poll_set(f, d);
	}
}

static void
fleet_summary(struct fleet *f, long long now)
{
	json_object *fields = json_object_new_object();
	double secs = (double)(now - f->last_summary) / 1000.0;
	double tps = secs > 0 ? (double)(f->stats.telemetry -
	    f->last_telemetry) / secs : 0;

	if (fields != NULL && (json_object_object_add(fields, "devices",
	    json_object_new_int64((int64_t)f->n)) ||
	    json_object_object_add(fields, "connected",
	    json_object_new_int64((int64_t)f->stats.connected)) ||
	    json_object_object_add(fields, "deltas_applied",
	    json_object_new_int64((int64_t)f->stats.applied)) ||
	    json_object_object_add(fields, "reports",
	    json_object_new_int64((int64_t)f->stats.reports)) ||
	    json_object_object_add(fields, "telemetry_per_s",
	    json_object_new_double((double)(long long)(tps * 10) / 10)))) {
		json_object_put(fields);
		fields = NULL;
	}
	event_emit(NULL, "fleet", fields, "%lu/%zu connected, %lu deltas "
	    "applied, %lu reports, %.1f telemetry/s", f->stats.connected,
	    f->n, f->stats.applied, f->stats.reports, tps);
	f->last_summary = now;
	f->last_telemetry = f->stats.telemetry;
}

static void
fleet_check_all_connected(struct fleet *f, long long now)
{
	json_object *fields;
	double secs = (double)(now - f->t0) / 1000.0;

	if (f->all_connected || f->stats.connected < f->n)
		return;
	f->all_connected = true;
	fields = json_object_new_object();
	if (fields != NULL && (json_object_object_add(fields, "devices",
	    json_object_new_int64((int64_t)f->n)) ||
	    json_object_object_add(fields, "seconds",
	    json_object_new_double((double)(long long)(secs * 1000) / 1000)))) {
		json_object_put(fields);
		fields = NULL;
	}
	event_emit(NULL, "fleet-connected", fields, "all %zu devices "
	    "connected in %.3f s", f->n, secs);
}

static void
fleet_dispatch(struct fleet *f, const struct epoll_event *ev, int nev)
{
	for (int i = 0; i < nev; i++) {
		struct device *d = ev[i].data.ptr;
		unsigned int e = ev[i].events;

		if (d == NULL) {        /* the agent: a command's pipe or exit */
			agent_service(f->agent);
			continue;
		}
		device_service(d, (e & (EPOLLIN | EPOLLERR | EPOLLHUP)) != 0,
		    (e & EPOLLOUT) != 0);
		fleet_poll_set(f, d);
	}
}

static int
fleet_wait(struct fleet *f, long long until)
{
	struct epoll_event ev[FLEET_EVENTS];
	long long wait = until - conn_now_ms();
	int nev;

	if (wait < 0)
		wait = 0;
	nev = epoll_wait(f->epfd, ev, FLEET_EVENTS, (int)wait);
	if (nev < 0) {
		if (errno == EINTR)
			return 0;
		log_error("can't wait for the fleet's connections: %s",
		    strerror(errno));
		return -1;
	}
	fleet_dispatch(f, ev, nev);
	return 0;
}

static bool
fleet_should_stop(volatile sig_atomic_t *stop, long long deadline)
{
	return *stop != 0 || (deadline > 0 && conn_now_ms() >= deadline);
}

static enum fleet_status
fleet_loop(struct fleet *f, volatile sig_atomic_t *stop, long long deadline)
{
	long long now, until;

	while (!fleet_should_stop(stop, deadline)) {
		now = conn_now_ms();
		if (fleet_start_due(f, now) != 0)
			return FLEET_ERR_USAGE;
		if (now >= f->next_tick) {
			fleet_tick(f, now);
			f->next_tick = now + FLEET_TICK_MS;
		}
		fleet_check_all_connected(f, now);
		if (now - f->last_summary >= FLEET_SUMMARY_MS)
			fleet_summary(f, now);
		until = f->next_tick;
		if (f->agent != NULL) {
			long long due;

			agent_tick(f->agent, now);
			due = agent_next_ms(f->agent);
			if (due != 0 && due < until)
				until = due;
		}
		if (f->started < f->n)
			until = now + 1;
		if (deadline > 0 && deadline < until)
			until = deadline;
		if (fleet_wait(f, until) != 0)
			return FLEET_ERR_SYSTEM;
	}
	return FLEET_OK;
}

static size_t
fleet_open_sockets(struct fleet *f)
{
	size_t open = 0;

	for (size_t i = 0; i < f->started; i++)
		if (device_socket(&f->devs[i]) >= 0)
			open++;
	return open;
}

/* DISCONNECT from every device, then wait a little for the broker. */
static void
fleet_stop(struct fleet *f)
{
	long long deadline = conn_now_ms() + FLEET_STOP_MS;

	for (size_t i = 0; i < f->started; i++) {
		device_disconnect(&f->devs[i]);
		fleet_poll_set(f, &f->devs[i]);
	}
	while (conn_now_ms() < deadline && fleet_open_sockets(f) > 0)
		if (fleet_wait(f, conn_now_ms() + 50) != 0)
			break;
}

/* A device whose command finished may have something to send. */
static void
fleet_wake(struct device *d, void *ud)
{
	fleet_poll_set(ud, d);
}

/* One agent for the fleet: --exec-jobs commands at once, its descriptor in
 * the fleet's epoll set beside the connections (data NULL). */
static enum fleet_status
fleet_agent_init(struct fleet *f)
{
	struct epoll_event ev;
	char err[1024];

	if (f->devs[0].drive == NULL)
		return FLEET_OK;
	if ((f->agent = agent_new(f->cfg->exec_jobs, err, sizeof(err))) == NULL) {
		log_error("%s", err);
		return FLEET_ERR_SYSTEM;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.ptr = NULL;
	if (epoll_ctl(f->epfd, EPOLL_CTL_ADD, agent_fd(f->agent), &ev) != 0) {
		log_error("can't poll the fleet's commands: %s",
		    strerror(errno));
		return FLEET_ERR_SYSTEM;
	}
	for (size_t i = 0; i < f->n; i++) {
		f->devs[i].agent = f->agent;
		f->devs[i].wake = fleet_wake;
		f->devs[i].wake_ud = f;
	}
	return FLEET_OK;
}

static enum fleet_status
fleet_init(struct fleet *f, const struct shadow_config *cfg)
{
	char err[1024];

	memset(f, 0, sizeof(*f));
	f->cfg = cfg;
	f->epfd = -1;
	/* Checked before naming a count: a huge one fails fast. */
	if (cfg->things_from == NULL && fd_limit_raise((size_t)cfg->count) != 0)
		return FLEET_ERR_USAGE;
	if ((cfg->things_from != NULL ? names_from_file(cfg->things_from,
	    &f->names, &f->n) : names_from_count(cfg, &f->names, &f->n)) != 0)
		return FLEET_ERR_USAGE;
	if (cfg->things_from != NULL && fd_limit_raise(f->n) != 0)
		return FLEET_ERR_USAGE;
	if ((f->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0) {
		log_error("can't create the fleet's poll set: %s",
		    strerror(errno));
		return FLEET_ERR_SYSTEM;
	}
	if ((f->devs = calloc(f->n, sizeof(*f->devs))) == NULL) {
		log_error("%zu devices: out of memory", f->n);
		return FLEET_ERR_SYSTEM;
	}
	for (size_t i = 0; i < f->n; i++) {
		if (device_init(&f->devs[i], cfg, f->names[i],
		    i > 0 ? &f->devs[0] : NULL, &f->stats, err,
		    sizeof(err)) != 0) {
			log_error("%s", err);
			return FLEET_ERR_USAGE;
		}
	}
	return fleet_agent_init(f);
}

static void
fleet_free(struct fleet *f)
{
	agent_free(f->agent);
	if (f->devs != NULL)
		for (size_t i = 0; i < f->n; i++)
			device_free(&f->devs[i]);
	free(f->devs);
	names_free(f->names, f->n);
	if (f->epfd >= 0)
		close(f->epfd);
}

enum fleet_status
fleet_run(const struct shadow_config *cfg, volatile sig_atomic_t *stop,
    long long deadline)
{
	struct fleet f;
	enum fleet_status rc;

	events_fleet(log_verbosity() >= 1);
	if ((rc = fleet_init(&f, cfg)) == FLEET_OK) {
		log_debug("fleet of %zu devices, %g connects/s", f.n,
		    cfg->connect_rate);
		f.t0 = f.last_summary = f.next_tick = conn_now_ms();
		rc = fleet_loop(&f, stop, deadline);
		if (*stop != 0)
			log_debug("signal %d: disconnecting", (int)*stop);
		fleet_summary(&f, conn_now_ms());
		fleet_stop(&f);
		event_emit(NULL, "stopped", NULL, NULL);
	}
	fleet_free(&f);
	return rc;
}
