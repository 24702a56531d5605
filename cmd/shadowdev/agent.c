#include "agent.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>

#include "conn.h"
#include "log.h"

#define AGENT_EVENTS 64

struct agent {
	int epfd;
	int sigfd;                   /* SIGCHLD */
	sigset_t old_mask;
	long max_jobs;
	struct agent_job **run;
	size_t nrun, caprun;
	struct agent_job *head, *tail;
};

/*
 * A child's end is told by SIGCHLD, kept blocked and read from a signalfd
 * in the epoll set (data NULL): no handler interrupts a system call of
 * ours or libmosquitto's. One agent per process.
 */
static int
sigchld_watch(struct agent *a, char *err, size_t errlen)
{
	struct epoll_event ev;
	sigset_t chld;

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &chld, &a->old_mask) != 0 ||
	    (a->sigfd = signalfd(-1, &chld, SFD_NONBLOCK | SFD_CLOEXEC)) < 0) {
		snprintf(err, errlen, "can't watch for child exits: %s",
		    strerror(errno));
		return -1;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.ptr = NULL;
	if (epoll_ctl(a->epfd, EPOLL_CTL_ADD, a->sigfd, &ev) != 0) {
		snprintf(err, errlen, "can't poll for child exits: %s",
		    strerror(errno));
		return -1;
	}
	return 0;
}

static void
sigchld_unwatch(struct agent *a)
{
	if (a->sigfd >= 0)
		close(a->sigfd);
	a->sigfd = -1;
	(void)sigprocmask(SIG_SETMASK, &a->old_mask, NULL);
}

static void
sigchld_drain(struct agent *a)
{
	struct signalfd_siginfo si[8];

	while (read(a->sigfd, si, sizeof(si)) > 0)
		;
}

struct agent *
agent_new(long max_jobs, char *err, size_t errlen)
{
	struct agent *a = calloc(1, sizeof(*a));

	if (a == NULL) {
		snprintf(err, errlen, "device agent: out of memory");
		return NULL;
	}
	a->max_jobs = max_jobs > 0 ? max_jobs : 0;
	a->sigfd = -1;
	sigprocmask(SIG_SETMASK, NULL, &a->old_mask);
	if ((a->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0) {
		snprintf(err, errlen, "can't create the poll set for commands: "
		    "%s", strerror(errno));
		free(a);
		return NULL;
	}
	if (sigchld_watch(a, err, errlen) != 0) {
		sigchld_unwatch(a);
		close(a->epfd);
		free(a);
		return NULL;
	}
	return a;
}

static void
job_release(struct agent_job *j)
{
	free(j->input);
	j->input = NULL;
	j->input_len = 0;
	child_env_free(j->env);
	j->env = NULL;
}

void
agent_free(struct agent *a)
{
	struct agent_job *j;

	if (a == NULL)
		return;
	for (size_t i = 0; i < a->nrun; i++) {
		child_free(&a->run[i]->child);
		job_release(a->run[i]);
		a->run[i]->running = false;
	}
	for (j = a->head; j != NULL; j = j->next) {
		job_release(j);
		j->queued = false;
	}
	free(a->run);
	sigchld_unwatch(a);
	close(a->epfd);
	free(a);
}

int
agent_fd(const struct agent *a)
{
	return a->epfd;
}

bool
agent_busy(const struct agent_job *j)
{
	return j->queued || j->running;
}

static void
job_unpoll(struct agent *a, struct agent_job *j)
{
	for (int i = 0; i < j->npolled; i++)
		(void)epoll_ctl(a->epfd, EPOLL_CTL_DEL, j->polled[i], NULL);
	j->npolled = 0;
}

static void
job_poll(struct agent *a, struct agent_job *j)
{
	struct child_fd fds[CHILD_NFDS];
	struct epoll_event ev;
	int n = child_fds(&j->child, fds);

	for (int i = 0; i < n; i++) {
		memset(&ev, 0, sizeof(ev));
		ev.events = fds[i].events == POLLOUT ? EPOLLOUT : EPOLLIN;
		ev.data.ptr = j;
		if (epoll_ctl(a->epfd, EPOLL_CTL_ADD, fds[i].fd, &ev) != 0) {
			log_error("can't poll the pipes of '%s': %s", j->cmd,
			    strerror(errno));
			continue;
		}
		j->polled[j->npolled++] = fds[i].fd;
	}
}

static void
run_remove(struct agent *a, struct agent_job *j)
{
	size_t i = j->slot;

	a->run[i] = a->run[--a->nrun];
	a->run[i]->slot = i;
	j->running = false;
}

/* The done callback may submit the same job again: hand it a copy. */
static void
job_finish(struct agent *a, struct agent_job *j)
{
	struct child c = j->child;
	struct child_result r;
	char *input = j->input;
	char **env = j->env;

	job_unpoll(a, j);
	run_remove(a, j);
	j->input = NULL;
	j->env = NULL;
	memset(&j->child, 0, sizeof(j->child));
	j->child.pid = -1;
	j->child.in_fd = j->child.out_fd = j->child.err_fd = -1;
	child_result(&c, &r);
	j->done(j, &r, NULL, j->ud);
	child_free(&c);
	free(input);
	child_env_free(env);
}

static int
run_add(struct agent *a, struct agent_job *j)
{
	struct agent_job **grown;

	if (a->nrun == a->caprun) {
		size_t cap = a->caprun ? a->caprun * 2 : 8;

		if ((grown = realloc(a->run, cap * sizeof(*grown))) == NULL)
			return -1;
		a->run = grown;
		a->caprun = cap;
	}
	j->slot = a->nrun;
	a->run[a->nrun++] = j;
	j->running = true;
	return 0;
}

static void
job_start(struct agent *a, struct agent_job *j)
{
	char err[512];

	if (run_add(a, j) != 0) {
		snprintf(err, sizeof(err), "out of memory");
		goto fail;
	}
	if (child_start(&j->child, j->cmd, j->input, j->input_len, j->env,
	    j->timeout_ms, err, sizeof(err)) != 0) {
		run_remove(a, j);
		goto fail;
	}
	job_poll(a, j);
	return;
fail:
	job_release(j);
	j->done(j, NULL, err, j->ud);
}

static void
agent_pump(struct agent *a)
{
	struct agent_job *j;

	while (a->head != NULL && (a->max_jobs == 0 ||
	    a->nrun < (size_t)a->max_jobs)) {
		j = a->head;
		if ((a->head = j->next) == NULL)
			a->tail = NULL;
		j->next = NULL;
		j->queued = false;
		job_start(a, j);
	}
}

void
agent_submit(struct agent *a, struct agent_job *j)
{
	j->queued = true;
	j->running = false;
	j->npolled = 0;
	j->next = NULL;
	if (a->tail != NULL)
		a->tail->next = j;
	else
		a->head = j;
	a->tail = j;
	agent_pump(a);
}

/* Read, write and reap what is ready, then poll what is left. */
static void
job_step(struct agent *a, struct agent_job *j, long long now, bool tick,
    bool reap)
{
	struct child_fd fds[CHILD_NFDS];
	struct pollfd pfd[CHILD_NFDS];
	int n;

	job_unpoll(a, j);
	n = child_fds(&j->child, fds);
	for (int i = 0; i < n; i++)
		pfd[i] = (struct pollfd){ .fd = fds[i].fd,
		    .events = fds[i].events };
	if (n > 0 && poll(pfd, (nfds_t)n, 0) > 0)
		for (int i = 0; i < n; i++)
			if (pfd[i].revents != 0)
				child_service(&j->child, pfd[i].fd,
				    pfd[i].revents);
	if (reap)
		child_reap(&j->child);
	if (tick)
		child_tick(&j->child, now);
	if (child_done(&j->child))
		job_finish(a, j);
	else
		job_poll(a, j);
}

/* Some child ended: look at each running one (at most --exec-jobs). */
static void
agent_reap_all(struct agent *a)
{
	size_t i = a->nrun;

	sigchld_drain(a);
	while (i-- > 0)
		if (i < a->nrun)
			job_step(a, a->run[i], 0, false, true);
}

void
agent_service(struct agent *a)
{
	struct epoll_event ev[AGENT_EVENTS];
	int n;

	n = epoll_wait(a->epfd, ev, AGENT_EVENTS, 0);
	if (n < 0 && errno != EINTR)
		log_error("can't wait for the commands' pipes: %s",
		    strerror(errno));
	for (int i = 0; i < n; i++) {
		struct agent_job *j = ev[i].data.ptr;

		if (j == NULL)
			agent_reap_all(a);
		else if (j->running)
			job_step(a, j, 0, false, false);
	}
	agent_pump(a);
}

void
agent_tick(struct agent *a, long long now)
{
	size_t i = a->nrun;

	while (i-- > 0) {
		long long due;

		if (i >= a->nrun)
			continue;
		due = child_next_ms(&a->run[i]->child);
		if (due != 0 && now >= due)
			job_step(a, a->run[i], now, true, true);
	}
	agent_pump(a);
}

long long
agent_next_ms(const struct agent *a)
{
	long long next = 0, t;

	for (size_t i = 0; i < a->nrun; i++) {
		t = child_next_ms(&a->run[i]->child);
		if (t != 0 && (next == 0 || t < next))
			next = t;
	}
	return next;
}
