#include "child.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "conn.h"

#define CHILD_SHELL "/bin/sh"
#define CHILD_READ_CHUNK 16384
#define CHILD_READS_PER_EVENT 4
/* After the command exits, how long what it left behind may hold its
 * output open before we stop reading. */
#define CHILD_LINGER_MS 1000
/* After a timeout, how often to look whether the group has ended. */
#define CHILD_GROUP_POLL_MS 50

extern char **environ;

/* Our configuration and credentials: never handed to a command. */
static bool
env_secret(const char *entry)
{
	static const char *const names[] = {
		"AWS_ACCESS_KEY_ID=", "AWS_SECRET_ACCESS_KEY=",
		"AWS_SESSION_TOKEN=", "AWS_SECURITY_TOKEN=",
	};

	if (strncmp(entry, "SHADOW_", 7) == 0)
		return true;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strncmp(entry, names[i], strlen(names[i])) == 0)
			return true;
	return false;
}

char **
child_env(const char *const *extra)
{
	size_t n = 0, k = 0, nextra = 0;
	char **env;

	while (environ != NULL && environ[n] != NULL)
		n++;
	while (extra != NULL && extra[nextra] != NULL)
		nextra++;
	if ((env = calloc(n + nextra + 1, sizeof(*env))) == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (env_secret(environ[i]))
			continue;
		if ((env[k++] = strdup(environ[i])) == NULL)
			goto fail;
	}
	for (size_t i = 0; i < nextra; i++)
		if ((env[k++] = strdup(extra[i])) == NULL)
			goto fail;
	return env;
fail:
	child_env_free(env);
	return NULL;
}

void
child_env_free(char **env)
{
	if (env == NULL)
		return;
	for (char **e = env; *e != NULL; e++)
		free(*e);
	free(env);
}

static void
fd_close(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static int
fd_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/*
 * In the child of vfork (it shares our memory until execve: only system
 * calls, nothing written but its own stack): its own process group,
 * default dispositions for what we catch or ignore, stdin/stdout/stderr on
 * our pipes, every other descriptor closed, no blocked signal.
 */
static void
child_exec(int in, int out, int err, char *const argv[], char *const *env)
{
	static const int reset[] = { SIGPIPE, SIGINT, SIGTERM, SIGCHLD };
	struct sigaction sa;
	sigset_t none;

	(void)setpgid(0, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (size_t i = 0; i < sizeof(reset) / sizeof(reset[0]); i++)
		(void)sigaction(reset[i], &sa, NULL);
	if (dup2(in, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0 ||
	    dup2(err, STDERR_FILENO) < 0)
		_exit(126);
	if (close_range(3, ~0U, 0) != 0) {
		/* Kernels before 5.9: what is left open is close-on-exec or
		 * closed here, one by one. */
		for (int fd = 3; fd < 65536; fd++)
			(void)close(fd);
	}
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	execve(CHILD_SHELL, argv, env);
	_exit(127);
}

/*
 * vfork: no copy of a large fleet's page tables per command. Every signal
 * stays blocked until the child has reset its dispositions, so none of our
 * handlers runs in it.
 */
static pid_t
child_spawn(int in, int out, int err, char *const argv[], char *const *env)
{
	sigset_t all, old;
	pid_t pid;
	int saved;

	sigfillset(&all);
	if (sigprocmask(SIG_SETMASK, &all, &old) != 0)
		return -1;
	pid = vfork();
	if (pid == 0)
		child_exec(in, out, err, argv, env);
	saved = errno;
	(void)sigprocmask(SIG_SETMASK, &old, NULL);
	errno = saved;
	return pid;
}

static int
buf_init(struct child_buf *b)
{
	b->len = 0;
	b->over = false;
	b->data = malloc(CHILD_OUTPUT_MAX + 1);
	if (b->data != NULL)
		b->data[0] = '\0';
	return b->data != NULL ? 0 : -1;
}

int
child_start(struct child *c, const char *cmd, const char *input,
    size_t input_len, char *const *env, long long timeout_ms, char *err,
    size_t errlen)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, er[2] = { -1, -1 };
	char *argv[] = { CHILD_SHELL, "-c", (char *)cmd, NULL };
	long long now = conn_now_ms();

	memset(c, 0, sizeof(*c));
	c->pid = -1;
	c->in_fd = c->out_fd = c->err_fd = -1;
	if (buf_init(&c->out) != 0 || buf_init(&c->err) != 0 ||
	    (input_len > 0 && (c->input = malloc(input_len)) == NULL)) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (input_len > 0)
		memcpy(c->input, input, input_len);
	c->input_len = input_len;
	if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 ||
	    pipe2(er, O_CLOEXEC) != 0) {
		snprintf(err, errlen, "can't make pipes: %s", strerror(errno));
		goto fail;
	}
	if ((c->pid = child_spawn(in[0], out[1], er[1], argv, env)) < 0) {
		snprintf(err, errlen, "can't start %s: %s", CHILD_SHELL,
		    strerror(errno));
		c->pid = -1;
		goto fail;
	}
	(void)setpgid(c->pid, c->pid);
	close(in[0]);
	close(out[1]);
	close(er[1]);
	c->in_fd = in[1];
	c->out_fd = out[0];
	c->err_fd = er[0];
	if (fd_nonblock(c->in_fd) != 0 || fd_nonblock(c->out_fd) != 0 ||
	    fd_nonblock(c->err_fd) != 0) {
		snprintf(err, errlen, "can't set the pipes non-blocking: %s",
		    strerror(errno));
		child_free(c);
		return -1;
	}
	if (c->input_len == 0)
		fd_close(&c->in_fd);
	c->term_at = now + (timeout_ms > 0 ? timeout_ms : 1);
	return 0;
fail:
	for (int i = 0; i < 2; i++) {
		fd_close(&in[i]);
		fd_close(&out[i]);
		fd_close(&er[i]);
	}
	free(c->out.data);
	free(c->err.data);
	free(c->input);
	memset(c, 0, sizeof(*c));
	c->pid = -1;
	c->in_fd = c->out_fd = c->err_fd = -1;
	return -1;
}

int
child_fds(const struct child *c, struct child_fd fds[CHILD_NFDS])
{
	int n = 0;

	if (c->in_fd >= 0)
		fds[n++] = (struct child_fd){ c->in_fd, POLLOUT };
	if (c->out_fd >= 0)
		fds[n++] = (struct child_fd){ c->out_fd, POLLIN };
	if (c->err_fd >= 0)
		fds[n++] = (struct child_fd){ c->err_fd, POLLIN };
	return n;
}

static void
child_write_input(struct child *c)
{
	ssize_t w;

	while (c->input_off < c->input_len) {
		w = write(c->in_fd, c->input + c->input_off,
		    c->input_len - c->input_off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN)
			return;
		if (w <= 0)
			break;        /* EPIPE: the command does not read it */
		c->input_off += (size_t)w;
	}
	fd_close(&c->in_fd);
}

/* stdout keeps its beginning; stderr its end (the last lines matter). */
static void
buf_append(struct child_buf *b, const char *data, size_t n, bool keep_tail)
{
	size_t room = CHILD_OUTPUT_MAX - b->len, drop;

	if (b->len + n > CHILD_OUTPUT_MAX)
		b->over = true;
	if (!keep_tail) {
		if (n > room)
			n = room;
	} else if (n > room) {
		if (n >= CHILD_OUTPUT_MAX) {
			data += n - CHILD_OUTPUT_MAX;
			n = CHILD_OUTPUT_MAX;
			b->len = 0;
		} else {
			drop = n - room;
			memmove(b->data, b->data + drop, b->len - drop);
			b->len -= drop;
		}
	}
	memcpy(b->data + b->len, data, n);
	b->len += n;
	b->data[b->len] = '\0';
}

static void
child_read(int *fd, struct child_buf *b, bool keep_tail)
{
	char chunk[CHILD_READ_CHUNK];
	ssize_t r;

	for (int i = 0; i < CHILD_READS_PER_EVENT; i++) {
		r = read(*fd, chunk, sizeof(chunk));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN)
			return;
		if (r <= 0) {
			fd_close(fd);
			return;
		}
		buf_append(b, chunk, (size_t)r, keep_tail);
	}
}

void
child_reap(struct child *c)
{
	int status;
	pid_t p;

	if (c->exited || c->pid < 0)
		return;
	do
		p = waitpid(c->pid, &status, WNOHANG);
	while (p < 0 && errno == EINTR);
	if (p != c->pid)
		return;
	c->exited = true;
	c->status = status;
	/* Output already written is still read; what a background process
	 * keeps open is not waited for past the linger time. After a
	 * timeout, the rest of the group still gets its SIGKILL. */
	c->term_at = conn_now_ms() + CHILD_LINGER_MS;
}

void
child_service(struct child *c, int fd, short revents)
{
	if (fd < 0)
		return;
	if (fd == c->in_fd && (revents & (POLLOUT | POLLERR | POLLHUP)))
		child_write_input(c);
	else if (fd == c->out_fd && (revents & (POLLIN | POLLERR | POLLHUP)))
		child_read(&c->out_fd, &c->out, false);
	else if (fd == c->err_fd && (revents & (POLLIN | POLLERR | POLLHUP)))
		child_read(&c->err_fd, &c->err, true);
}

/* After a timeout: SIGKILL for what is left of the group, when due. */
static void
child_group_kill(struct child *c, long long now)
{
	if (c->kill_at == 0)
		return;
	if (kill(-c->pid, 0) != 0) {
		c->kill_at = 0;          /* nothing left */
		return;
	}
	if (now < c->kill_at)
		return;
	(void)kill(-c->pid, SIGKILL);
	c->killed = true;
	c->kill_at = 0;
}

void
child_tick(struct child *c, long long now)
{
	child_reap(c);
	if (c->exited) {
		if (c->term_at != 0 && now >= c->term_at) {
			fd_close(&c->in_fd);
			fd_close(&c->out_fd);
			fd_close(&c->err_fd);
			c->term_at = 0;
		}
		child_group_kill(c, now);
		return;
	}
	if (c->term_at != 0 && now >= c->term_at) {
		(void)kill(-c->pid, SIGTERM);
		c->timed_out = true;
		c->term_at = 0;
		c->kill_at = now + CHILD_KILL_GRACE_MS;
	} else if (c->kill_at != 0 && now >= c->kill_at) {
		(void)kill(-c->pid, SIGKILL);
		c->killed = true;
		c->kill_at = 0;
	}
}

long long
child_next_ms(const struct child *c)
{
	long long next = c->term_at;

	if (c->kill_at != 0 && (next == 0 || c->kill_at < next))
		next = c->kill_at;
	/* After a timeout, the end of the group is looked for now and then. */
	if (c->exited && c->kill_at != 0) {
		long long poll_at = conn_now_ms() + CHILD_GROUP_POLL_MS;

		if (next == 0 || poll_at < next)
			next = poll_at;
	}
	return next;
}

bool
child_done(const struct child *c)
{
	return c->exited && c->in_fd < 0 && c->out_fd < 0 && c->err_fd < 0 &&
	    c->kill_at == 0;
}

void
child_result(struct child *c, struct child_result *r)
{
	memset(r, 0, sizeof(*r));
	r->exit_code = -1;
	if (WIFEXITED(c->status))
		r->exit_code = WEXITSTATUS(c->status);
	else if (WIFSIGNALED(c->status))
		r->signal = WTERMSIG(c->status);
	r->timed_out = c->timed_out;
	r->killed = c->killed;
	r->overflow = c->out.over || c->err.over;
	r->ok = c->exited && r->exit_code == 0 && !r->timed_out &&
	    !r->overflow;
	r->out = c->out.data != NULL ? c->out.data : "";
	r->out_len = c->out.len;
	r->err = c->err.data != NULL ? c->err.data : "";
	r->err_len = c->err.len;
}

void
child_free(struct child *c)
{
	int status;

	if (c->pid > 0 && !c->exited) {
		(void)kill(-c->pid, SIGKILL);
		while (waitpid(c->pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	fd_close(&c->in_fd);
	fd_close(&c->out_fd);
	fd_close(&c->err_fd);
	free(c->input);
	free(c->out.data);
	free(c->err.data);
	memset(c, 0, sizeof(*c));
	c->pid = -1;
	c->in_fd = c->out_fd = c->err_fd = -1;
}
