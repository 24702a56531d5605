/*
 * sigv4.h - AWS Signature Version 4 (AWS4-HMAC-SHA256, header form), the
 * way AWS and botocore compute it for every service but S3.
 *
 * One canonicalization, two uses: shadowctl signs its HTTPS requests with
 * sigv4_sign(), shadowd checks incoming ones with sigv4_verify(). Both go
 * through sigv4_canonical_request(), so the two cannot drift.
 *
 * The canonical URI is the request path as sent on the wire (already
 * percent-encoded once) URI-encoded once more, segment by segment: a thing
 * named "a:b" travels as /things/a%3Ab/shadow and is signed as
 * /things/a%253Ab/shadow. (Debian 12's curl --aws-sigv4 signs the raw path;
 * AWS refuses that signature, and so does shadowd.) Before that, "." and
 * ".." segments are resolved and "//" collapsed, as botocore does. The
 * query's names and values are percent-decoded, encoded again (all but
 * A-Z a-z 0-9 - _ . ~) and sorted by name, then value; "a" signs as "a=".
 * Tested against AWS's published suite and botocore: tests/unit/test_sigv4.c.
 *
 * Offers:
 *   sigv4_sha256_hex         lowercase hex SHA-256 of a buffer (payload hash)
 *   sigv4_canonical_request  the canonical request text (malloc'd)
 *   sigv4_sign               the Authorization header value for a request
 *   sigv4_parse_authorization  split an Authorization header into its parts
 *   sigv4_verify             recompute and compare (constant time)
 *   sigv4_status_message     what a status means, for logs and 403 bodies
 */
#ifndef SHADOW_SIGV4_H
#define SHADOW_SIGV4_H

#include <stdbool.h>
#include <stddef.h>

#define SIGV4_HEX_LEN 64                  /* a SHA-256 in hex, without NUL */
#define SIGV4_AMZ_DATE_LEN 16             /* "20150830T123600Z" */

struct sigv4_header {
	const char *name;                 /* any case; canonicalized lowercase */
	const char *value;                /* trimmed, inner runs of spaces folded */
};

struct sigv4_request {
	const char *method;               /* "GET", "POST", "DELETE" */
	const char *path;                 /* as on the wire, e.g. "/things/a%3Ab/shadow" */
	const char *query;                /* as on the wire without '?', or NULL */
	const struct sigv4_header *headers;
	size_t nheaders;
	const char *payload_hash;         /* sigv4_sha256_hex of the body */
};

struct sigv4_credentials {
	const char *access_key_id;
	const char *secret_access_key;
	const char *session_token;        /* NULL when none */
};

/* The parts of "AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/SERVICE/
 * aws4_request, SignedHeaders=h1;h2, Signature=HEX". */
struct sigv4_authorization {
	char access_key_id[129];
	char date[9];                     /* YYYYMMDD */
	char region[64];
	char service[64];
	char signed_headers[1024];        /* "host;x-amz-date" */
	char signature[SIGV4_HEX_LEN + 1];
};

enum sigv4_status {
	SIGV4_OK = 0,
	SIGV4_ERR_MISSING,                /* no Authorization header */
	SIGV4_ERR_MALFORMED,              /* not AWS4-HMAC-SHA256, or parts missing */
	SIGV4_ERR_SCOPE,                  /* date in scope != X-Amz-Date, bad service */
	SIGV4_ERR_HEADERS,                /* host or x-amz-date not signed, or absent */
	SIGV4_ERR_CLOCK,                  /* X-Amz-Date more than 5 minutes off */
	SIGV4_ERR_SIGNATURE,              /* signature does not match */
	SIGV4_ERR_NOMEM
};

void sigv4_sha256_hex(const void *data, size_t len,
    char out[SIGV4_HEX_LEN + 1]);

/* signed_headers: "host;x-amz-date" (sorted, lowercase) names the headers
 * of req to include. NULL on allocation failure. */
char *sigv4_canonical_request(const struct sigv4_request *req,
    const char *signed_headers);

/* Writes the Authorization header value into out. The request's headers
 * must already hold host and x-amz-date (amz_date, "YYYYMMDDTHHMMSSZ"),
 * and x-amz-security-token when the credentials have a session token;
 * every header in req is signed. 0, or -1 when out is too small. */
int sigv4_sign(const struct sigv4_request *req,
    const struct sigv4_credentials *cred, const char *region,
    const char *service, const char *amz_date, char *out, size_t outlen);

enum sigv4_status sigv4_parse_authorization(const char *value,
    struct sigv4_authorization *out);

/* Checks auth against req with the secret of auth->access_key_id: the
 * scope's date against X-Amz-Date, X-Amz-Date within 5 minutes of now
 * (seconds since the epoch), host and x-amz-date signed, the signature. */
enum sigv4_status sigv4_verify(const struct sigv4_request *req,
    const struct sigv4_authorization *auth, const char *secret_access_key,
    long long now);

const char *sigv4_status_message(enum sigv4_status st);

#endif
