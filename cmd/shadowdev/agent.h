/*
 * agent.h - the commands a device process runs for --exec and
 * --telemetry-exec (CLI.md, "shadowdev driving real hardware"): at most
 * --exec-jobs at once, the others queued in order, every child's pipes and
 * a signalfd for SIGCHLD (blocked while the agent lives) in one epoll set
 * whose descriptor the caller's loop polls with its connections. Nothing
 * here waits on a child. One agent per process.
 *
 * Offers:
 *   agent_new, agent_free   the runner (max_jobs 0: no limit); free kills
 *                      what still runs
 *   agent_fd           the descriptor to poll for reading
 *   agent_service      act on the children's descriptors that are ready
 *   agent_tick         timeouts due, queued jobs started
 *   agent_next_ms      when agent_tick must run next (0: nothing pending)
 *   agent_submit       run a job now or when a slot frees; its done
 *                      callback runs from agent_service/agent_tick (or
 *                      at once when the command cannot be started)
 *   agent_busy         queued or running
 */
#ifndef SHADOWDEV_AGENT_H
#define SHADOWDEV_AGENT_H

#include <stdbool.h>
#include <stddef.h>

#include "child.h"

struct agent;
struct agent_job;

/* r is NULL when the command could not be started (why in error). */
typedef void agent_done_fn(struct agent_job *j, const struct child_result *r,
    const char *error, void *ud);

/* Owned by the caller (e.g. inside a device); filled by agent_submit. */
struct agent_job {
	const char *cmd;
	char *input;                 /* owned, freed when done */
	size_t input_len;
	char **env;                  /* owned (child_env), freed when done */
	long long timeout_ms;
	agent_done_fn *done;
	void *ud;

	/* The agent's own. */
	struct child child;
	int polled[CHILD_NFDS];      /* descriptors in the agent's epoll set */
	int npolled;
	bool queued, running;
	struct agent_job *next;
	size_t slot;
};

struct agent *agent_new(long max_jobs, char *err, size_t errlen);
void agent_free(struct agent *a);
int agent_fd(const struct agent *a);
void agent_service(struct agent *a);
void agent_tick(struct agent *a, long long now);
long long agent_next_ms(const struct agent *a);
void agent_submit(struct agent *a, struct agent_job *j);
bool agent_busy(const struct agent_job *j);

#endif
