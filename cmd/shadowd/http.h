/*
 * http.h - shadowd's HTTP(S) server: libmicrohttpd in external-poll mode
 * (epoll), driven from shadowd's one event loop, so everything it calls
 * runs on that one thread.
 *
 * It knows HTTP, not the API: a request whose head and body have arrived
 * is handed to the handler, which answers it at once (http_respond) or
 * later (http_defer, then http_respond from another part of the loop, e.g.
 * after the store committed).
 *
 * Offers:
 *   http_listen_parse  "[ADDR:]PORT" ("[::1]:PORT" for IPv6; ADDR default
 *                      127.0.0.1) into a socket address
 *   http_addr_loopback whether an address is loopback (127.0.0.0/8, ::1)
 *   http_start         listen (HTTPS with a certificate and key), with a
 *                      connection limit, an idle timeout and a body limit:
 *                      a body over it is answered 413 by the handler's
 *                      too_large callback before it is read whole
 *   http_fd / http_timeout_ms / http_run   what to poll, how long at most,
 *                      and the work to do after polling
 *   http_port          the port it listens on (useful after port 0)
 *   http_take_in       run while there is work at once: connections
 *                      waiting are accepted, requests received whole are
 *                      handed to the handler (timeout_ms at most)
 *   http_stopping      from now on every request received whole gets
 *                      the stopping answer (the handler's stopping
 *                      callback), and every answer closes its connection
 *                      (Connection: close); requests handed to the
 *                      handler before are answered as usual
 *   http_close         stopping, then stop listening: the connections
 *                      waiting to be accepted are taken first and get
 *                      the stopping answer, then it runs until every
 *                      request received is answered and written, at most
 *                      timeout_ms; from then on connecting is refused
 *   http_free          close every connection and the listener
 *   http_method / http_path / http_query / http_header / http_body
 *                      a request as it came on the wire (path and query
 *                      not percent-decoded, as SigV4 needs them)
 *   http_respond       status, headers and a body; after http_defer too
 *   http_defer         answer later: the connection waits, suspended
 */
#ifndef SHADOWD_HTTP_H
#define SHADOWD_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

struct http;
struct http_request;

struct http_header {
	const char *name;
	const char *value;
};

struct http_handlers {
	/* A whole request: answer it with http_respond or http_defer. */
	void (*request)(void *ud, struct http_request *q);
	/* Answer a request refused: over the body limit (before its body is
	 * sent when the client asked to continue, else once it is read and
	 * dropped); while stopping, once it is received whole. */
	void (*too_large)(void *ud, struct http_request *q);
	void (*stopping)(void *ud, struct http_request *q);
};

struct http_options {
	struct sockaddr_storage addr;
	socklen_t addrlen;
	const char *cert_pem;             /* HTTPS when both are set */
	const char *key_pem;
	unsigned int max_connections;
	unsigned int idle_timeout;        /* seconds */
	size_t max_body;                  /* bytes, more than 0 */
};

int http_listen_parse(const char *spec, struct sockaddr_storage *ss,
    socklen_t *len, char *err, size_t errlen);
bool http_addr_loopback(const struct sockaddr_storage *ss);
/* "127.0.0.1:8080" or "[::1]:8080" with the given port. */
void http_addr_format(const struct sockaddr_storage *ss, int port, char *buf,
    size_t size);

struct http *http_start(const struct http_options *o,
    const struct http_handlers *h, void *ud, char *err, size_t errlen);
int http_fd(const struct http *h);
/* Milliseconds until http_run must be called, or -1 for no limit. */
int http_timeout_ms(struct http *h);
void http_run(struct http *h);
int http_port(const struct http *h);
void http_take_in(struct http *h, int timeout_ms);
void http_stopping(struct http *h);
void http_close(struct http *h, int timeout_ms);
void http_free(struct http *h);

const char *http_method(const struct http_request *q);
const char *http_path(const struct http_request *q);
const char *http_query(const struct http_request *q);   /* NULL: none */
/* Case-insensitive; NULL when absent. */
const char *http_header(const struct http_request *q, const char *name);
/* Every request header, in order; *n gets their number. NULL when out of
 * memory. Valid until the request is answered. */
const struct http_header *http_headers(struct http_request *q, size_t *n);
const char *http_body(const struct http_request *q, size_t *len);

void http_respond(struct http_request *q, int status,
    const struct http_header *headers, size_t nheaders, const void *body,
    size_t len);
void http_defer(struct http_request *q);

#endif
