/*
 * fleet.h - many simulated devices in one process (--count, --things-from):
 * one epoll loop over all their connections, paced connects, telemetry
 * spread over the interval, a fleet summary in the log.
 *
 * Offers:
 *   fleet_run   run the fleet until *stop is set or the deadline (ms on
 *               conn_now_ms's clock, 0 for none) passes; returns a
 *               fleet_status (main.c turns it into the exit code)
 */
#ifndef SHADOWDEV_FLEET_H
#define SHADOWDEV_FLEET_H

#include <signal.h>

struct shadow_config;

enum fleet_status {
	FLEET_OK = 0,
	FLEET_ERR_USAGE,    /* bad thing list, descriptor limit too low */
	FLEET_ERR_SYSTEM    /* poll set, memory */
};

enum fleet_status fleet_run(const struct shadow_config *cfg, volatile sig_atomic_t *stop,
    long long deadline);

#endif
