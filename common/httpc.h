/*
 * httpc.h - HTTP(S) requests for shadowctl's Data Plane transport, through
 * libcurl (the OpenSSL build, libcurl.so.4), loaded with dlopen() on first
 * use so that programs which never speak HTTP do not pay for libcurl's
 * ~28 shared libraries at start-up.
 *
 * A missing libcurl is HTTPC_ERR_LOAD, whose message names the Debian
 * package (libcurl4); SHADOW_LIBCURL names another file to load (tests).
 * One handle is kept between requests, so connections are reused.
 * Without a Content-Type among the headers none is sent; no Expect either.
 * A network or TLS failure's message is libcurl's (OpenSSL's reason).
 *
 * Offers:
 *   httpc_perform        one request, blocking up to timeout_ms
 *   httpc_response_free  release what httpc_perform filled
 *   httpc_cleanup        close the kept connection (at exit; optional)
 */
#ifndef SHADOW_HTTPC_H
#define SHADOW_HTTPC_H

#include <stdbool.h>
#include <stddef.h>

struct httpc_request {
	const char *method;              /* "GET", "POST", "DELETE" */
	const char *url;                 /* scheme://host[:port]/path?query, encoded */
	const char *const *headers;      /* "Name: value" lines */
	size_t nheaders;
	const void *body;                /* NULL for none */
	size_t body_len;
	const char *ca, *cert, *key;     /* PEM files, or NULL */
	bool insecure;                   /* skip host name check */
	long timeout_ms;
	int verbosity;                   /* >= 2: trace, with secrets masked */
};

struct httpc_response {
	long status;                     /* HTTP status code */
	char *body;                      /* NUL-terminated */
	size_t body_len;
	char *error_type;                /* x-amzn-ErrorType header (the part
	                                    before any ':'), or NULL */
};

enum httpc_status {
	HTTPC_OK = 0,
	HTTPC_ERR_LOAD,                  /* libcurl missing: err names the package */
	HTTPC_ERR_USAGE,                 /* bad URL or file */
	HTTPC_ERR_CONNECT,               /* DNS, refused, TLS (err: OpenSSL's reason) */
	HTTPC_ERR_TIMEOUT,
	HTTPC_ERR_NOMEM
};

enum httpc_status httpc_perform(const struct httpc_request *req,
    struct httpc_response *resp, char *err, size_t errlen);
void httpc_response_free(struct httpc_response *resp);
void httpc_cleanup(void);

#endif
