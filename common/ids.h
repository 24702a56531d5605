/*
 * ids.h - random names: MQTT client ids and clientTokens.
 *
 * From getrandom(2), not OpenSSL's RAND_bytes: seeding OpenSSL's generator
 * costs more than a whole one-shot shadowctl run (tests/bench/RESULTS.md).
 *
 * Offers:
 *   ids_random_chars  n (<= IDS_RANDOM_MAX) random [a-z0-9] and a NUL
 *   ids_client_id     prefix + 12 random [a-z0-9], malloc'd
 *   ids_token         a clientToken: IDS_TOKEN_LEN random [a-z0-9], unique
 *                     even if the random source fails
 */
#ifndef SHADOW_IDS_H
#define SHADOW_IDS_H

#include <stddef.h>

#define IDS_RANDOM_MAX 64
#define IDS_CLIENT_ID_RANDOM 12
/* Unique per request and far below the 64-byte clientToken limit. */
#define IDS_TOKEN_LEN 24

/* buf holds n + 1 bytes; -1 (errno set) when n is too large or getrandom fails. */
int ids_random_chars(char *buf, size_t n);
/* NULL prefix: "". NULL (errno set) on failure. */
char *ids_client_id(const char *prefix);
void ids_token(char token[IDS_TOKEN_LEN + 1]);

#endif
