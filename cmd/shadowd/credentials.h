/*
 * credentials.h - the access keys allowed to call shadowd's HTTP face
 * (--http-credentials FILE): one "ACCESS_KEY_ID SECRET_ACCESS_KEY" a line,
 * '#' starts a comment, blank lines are skipped.
 *
 * Offers:
 *   credentials_load    read the file; errors name file and line; warns
 *                       (log_warn) when group or others can read it
 *   credentials_secret  the secret of an access key id, or NULL
 *   credentials_free    release them (secrets wiped)
 */
#ifndef SHADOWD_CREDENTIALS_H
#define SHADOWD_CREDENTIALS_H

#include <stddef.h>

struct credentials;

struct credentials *credentials_load(const char *path, char *err,
    size_t errlen);
const char *credentials_secret(const struct credentials *c,
    const char *access_key_id);
void credentials_free(struct credentials *c);

#endif
