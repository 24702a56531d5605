/*
 * child.h - one command run for the device agent (--exec,
 * --telemetry-exec): "/bin/sh -c CMD" with its input on stdin, its stdout
 * and stderr read through pipes, all without blocking, from the caller's
 * poll loop; its exit is looked for (child_reap) when SIGCHLD says a child
 * ended (agent.c).
 *
 * The command runs in a process group of its own, with only its three
 * standard descriptors open, SIGPIPE at its default and the environment
 * the caller built (child_env). Output beyond CHILD_OUTPUT_MAX on stdout or
 * stderr is not kept and makes the run a failure. At the timeout the
 * group gets SIGTERM, CHILD_KILL_GRACE_MS later SIGKILL when anything of
 * it is left (the shell may have gone while what it started ignores
 * SIGTERM); the run is done only then.
 *
 * Offers:
 *   child_env      a copy of environ without our secrets (every SHADOW_*
 *                  and AWS_* credential variable), plus the given NAME=VALUE
 *   child_env_free
 *   child_start    start it (vfork, execve); the descriptors to poll are then
 *                  child_fds (each with the events to wait for)
 *   child_service  act on what poll reported for one descriptor
 *   child_reap     collect its exit status if it has ended
 *   child_tick     the timeout's signals when due
 *   child_next_ms  when child_tick must run next (0: nothing pending)
 *   child_done     exited and its output read
 *   child_result   what happened: exit status or signal, timed out,
 *                  output too long; stdout and the end of stderr
 *   child_free     close everything (a child still running is killed and
 *                  reaped)
 */
#ifndef SHADOWDEV_CHILD_H
#define SHADOWDEV_CHILD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define CHILD_OUTPUT_MAX (64 * 1024)
#define CHILD_KILL_GRACE_MS 5000
#define CHILD_NFDS 3

struct child_buf {
	char *data;
	size_t len;
	bool over;          /* more than CHILD_OUTPUT_MAX was written */
};

struct child {
	pid_t pid;
	int in_fd, out_fd, err_fd;   /* -1 once closed */
	char *input;
	size_t input_len, input_off;
	struct child_buf out, err;
	long long term_at, kill_at;  /* conn_now_ms clock; 0 when done */
	bool exited, timed_out, killed;
	int status;                  /* waitpid status */
};

struct child_fd {
	int fd;
	short events;                /* POLLIN or POLLOUT */
};

struct child_result {
	bool ok;                     /* exit 0, in time, output within bounds */
	int exit_code;               /* -1 when killed by a signal */
	int signal;
	bool timed_out;
	bool killed;                 /* SIGKILL was needed */
	bool overflow;
	const char *out;             /* NUL-terminated, borrowed */
	size_t out_len;
	const char *err;
	size_t err_len;
};

char **child_env(const char *const *extra);
void child_env_free(char **env);
int child_start(struct child *c, const char *cmd, const char *input,
    size_t input_len, char *const *env, long long timeout_ms, char *err,
    size_t errlen);
int child_fds(const struct child *c, struct child_fd fds[CHILD_NFDS]);
void child_service(struct child *c, int fd, short revents);
void child_reap(struct child *c);
void child_tick(struct child *c, long long now);
long long child_next_ms(const struct child *c);
bool child_done(const struct child *c);
void child_result(struct child *c, struct child_result *r);
void child_free(struct child *c);

#endif
