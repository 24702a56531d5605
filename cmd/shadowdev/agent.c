#include "agent.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>

#include "conn.h"
#include "log.h"

#define AGENT_EVENTS 64

struct agent {
	int epfd;
	struct sigaction old_chld;
	long max_jobs;
	struct agent_job **run;
	size_t nrun, caprun;
	struct agent_job *head, *tail;
};

/*
 * A child's end is told by SIGCHLD through a pipe whose read end sits in
 * the epoll set (data NULL): one agent per process.
 */
static int sigchld_pipe[2] = { -1, -1 };

static void
on_sigchld(int sig)
{
	int saved = errno;

	(void)sig;
	(void)write(sigchld_pipe[1], "", 1);
	errno = saved;
}

static int
sigchld_watch(struct agent *a, char *err, size_t errlen)
{
	struct sigaction sa;
	struct epoll_event ev;

	if (pipe2(sigchld_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
		snprintf(err, errlen, "can't make the pipe for child exits: %s",
		    strerror(errno));
		return -1;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.ptr = NULL;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigchld;
	sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
	sigemptyset(&sa.sa_mask);
	if (epoll_ctl(a->epfd, EPOLL_CTL_ADD, sigchld_pipe[0], &ev) != 0 ||
	    sigaction(SIGCHLD, &sa, &a->old_chld) != 0) {
		snprintf(err, errlen, "can't watch for child exits: %s",
		    strerror(errno));
		return -1;
	}
	return 0;
}

static void
sigchld_unwatch(struct agent *a)
{
	(void)sigaction(SIGCHLD, &a->old_chld, NULL);
	for (int i = 0; i < 2; i++) {
		if (sigchld_pipe[i] >= 0)
			close(sigchld_pipe[i]);
		sigchld_pipe[i] = -1;
	}
}

static void
sigchld_drain(void)
{
	char buf[256];

	while (read(sigchld_pipe[0], buf, sizeof(buf)) > 0)
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

	sigchld_drain();
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
