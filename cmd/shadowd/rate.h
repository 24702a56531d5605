/*
 * rate.h - the per-thing request limit of shadowd (--rate-limit): at most N
 * requests per second and thing, all its shadows and operations together,
 * counted in one-second windows. Things idle for a second are forgotten.
 *
 * Offers:
 *   rate_new    a limiter for N requests per second (N > 0)
 *   rate_allow  count one request; false when the thing is over its limit
 *   rate_free   release it
 */
#ifndef SHADOWD_RATE_H
#define SHADOWD_RATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rate;

struct rate *rate_new(long per_second);
bool rate_allow(struct rate *r, const char *thing, int64_t now_sec);
void rate_free(struct rate *r);

#endif
