/*
 * http.c - libmicrohttpd in external-poll mode (http.h).
 *
 * One struct http_request per connection (HTTP/1.1 handles one request at
 * a time on a connection), made when the connection opens and freed when
 * it closes, so nothing leaks whatever stage a client gives up at. The URI
 * comes from the URI log callback, as the client sent it: the unescape
 * callback leaves the path and query alone, so SigV4 can check them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <microhttpd.h>

#include "buf.h"
#include "conn.h"
#include "http.h"
#include "log.h"

#define HTTP_MEMORY_LIMIT (8 * 1024)      /* per connection: head and buffers */
#define HTTP_REFUSE_MARGIN 64U     /* connections accepted only to be closed */
/*
 * A body over the limit is still read, and dropped, up to this much: a
 * client that sends its whole body before reading (botocore, the aws CLI)
 * gets its 413 only if the socket is not closed under it with bytes
 * unread, which resets the connection (over TLS botocore then reports
 * "EOF occurred in violation of protocol"). A body declared longer is
 * answered 413 at once; a chunked one that passes it, cut off.
 */
#define HTTP_DROP_MAX (32 * 1024 * 1024)

enum stage {
	Q_IDLE,           /* between requests */
	Q_BODY,           /* head seen: receiving the body */
	Q_DEFERRED,       /* handled, answer later: suspended */
	Q_READY,          /* answer built, not yet queued */
	Q_ANSWERED
};

struct http {
	struct MHD_Daemon *mhd;
	struct http_handlers handlers;
	void *ud;
	size_t max_body;
	unsigned int nconn, max_conn;
	unsigned int busy;                /* connections past Q_IDLE */
	bool stopping;
	bool quiesced;                    /* not listening any more */
	char last_error[256];
};

struct http_request {
	struct http *h;
	struct MHD_Connection *conn;
	enum stage stage;
	char *target;                     /* path, NUL, query */
	const char *query;                /* into target, NULL when none */
	const char *method;
	struct buf body;                  /* max: the body limit */
	bool too_large;                   /* over the limit, or out of memory */
	size_t dropped;                   /* body bytes read past too_large */
	struct http_header *headers;
	size_t nheaders;
	struct MHD_Response *resp;
	unsigned int status;
};

int
http_listen_parse(const char *spec, struct sockaddr_storage *ss,
    socklen_t *len, char *err, size_t errlen)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	char host[INET6_ADDRSTRLEN + 1];
	const char *port, *colon;
	char *end;
	long p;
	size_t n;

	memset(ss, 0, sizeof(*ss));
	if (spec[0] == '[') {
		if ((colon = strstr(spec, "]:")) == NULL)
			goto bad;
		n = (size_t)(colon - spec - 1);
		port = colon + 2;
		if (n >= sizeof(host))
			goto bad;
		memcpy(host, spec + 1, n);
		host[n] = '\0';
	} else if ((colon = strrchr(spec, ':')) != NULL) {
		n = (size_t)(colon - spec);
		port = colon + 1;
		if (n >= sizeof(host) || memchr(spec, ':', n) != NULL)
			goto bad;
		memcpy(host, spec, n);
		host[n] = '\0';
	} else {
		strcpy(host, "127.0.0.1");
		port = spec;
	}
	errno = 0;
	p = strtol(port, &end, 10);
	if (port[0] < '0' || port[0] > '9' || *end != '\0' || errno != 0 ||
	    p < 0 || p > 65535)
		goto bad;
	if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)p);
		*len = sizeof(*in4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)p);
		*len = sizeof(*in6);
		return 0;
	}
bad:
	snprintf(err, errlen, "--http %s: expected [ADDR:]PORT with a numeric "
	    "address, e.g. 8080, 127.0.0.1:8080 or [::1]:8080", spec);
	return -1;
}

bool
http_addr_loopback(const struct sockaddr_storage *ss)
{
	const struct sockaddr_in *in4 = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;

	if (ss->ss_family == AF_INET)
		return (ntohl(in4->sin_addr.s_addr) >> 24) == 127;
	return ss->ss_family == AF_INET6 &&
	    IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
}

static int
addr_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return ntohs(((const struct sockaddr_in *)ss)->sin_port);
}

void
http_addr_format(const struct sockaddr_storage *ss, int port, char *buf,
    size_t size)
{
	const struct sockaddr_in *in4 = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
	char host[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET6) {
		if (inet_ntop(AF_INET6, &in6->sin6_addr, host,
		    sizeof(host)) == NULL)
			strcpy(host, "?");
		snprintf(buf, size, "[%s]:%d", host, port);
	} else {
		if (inet_ntop(AF_INET, &in4->sin_addr, host,
		    sizeof(host)) == NULL)
			strcpy(host, "?");
		snprintf(buf, size, "%s:%d", host, port);
	}
}

static void
request_reset(struct http_request *q)
{
	if (q->stage != Q_IDLE)
		q->h->busy--;
	free(q->target);
	buf_free(&q->body);
	free(q->headers);
	if (q->resp != NULL)
		MHD_destroy_response(q->resp);
	q->target = NULL;
	q->query = NULL;
	q->method = NULL;
	q->too_large = false;
	q->dropped = 0;
	q->headers = NULL;
	q->nheaders = 0;
	q->resp = NULL;
	q->status = 0;
	q->stage = Q_IDLE;
}

static void
on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
    enum MHD_ConnectionNotificationCode code)
{
	struct http *h = cls;
	struct http_request *q = *socket_context;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		h->nconn++;
		if ((q = calloc(1, sizeof(*q))) == NULL) {
			log_error("http: out of memory for a new connection");
			return;
		}
		q->h = h;
		q->conn = c;
		q->body.max = h->max_body;
		*socket_context = q;
		return;
	}
	h->nconn--;
	if (q != NULL) {
		request_reset(q);
		free(q);
		*socket_context = NULL;
	}
}

/*
 * Over the limit a connection is closed at once. libmicrohttpd's own limit
 * (set higher) would instead leave it waiting in the listen backlog.
 */
static enum MHD_Result
on_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
	struct http *h = cls;

	(void)addr;
	(void)addrlen;
	if (h->nconn < h->max_conn)
		return MHD_YES;
	log_debug("http: refusing a connection: %u open "
	    "(--http-max-connections)", h->nconn);
	return MHD_NO;
}

static struct http_request *
request_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci;

	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci != NULL ? ci->socket_context : NULL;
}

static void
target_keep(struct http_request *q, const char *uri)
{
	char *mark;

	free(q->target);
	q->query = NULL;
	if ((q->target = strdup(uri)) == NULL)
		return;
	if ((mark = strchr(q->target, '?')) != NULL) {
		*mark = '\0';
		q->query = mark + 1;
	}
}

/* Called with the request target as sent, before anything is decoded. */
static void *
on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct http_request *q = request_of(c);

	(void)cls;
	if (q != NULL)
		target_keep(q, uri);
	return q;
}

static size_t
leave_escaped(void *cls, struct MHD_Connection *c, char *s)
{
	(void)cls;
	(void)c;
	return strlen(s);
}

static void
on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct http_request *q = *req_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (q != NULL)
		request_reset(q);
	*req_cls = NULL;
}

__attribute__((format(printf, 2, 0)))
static void
on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct http *h = cls;
	size_t n;

	vsnprintf(h->last_error, sizeof(h->last_error), fmt, ap);
	n = strlen(h->last_error);
	while (n > 0 && (h->last_error[n - 1] == '\n' ||
	    h->last_error[n - 1] == '.'))
		h->last_error[--n] = '\0';
	log_debug("http: %s", h->last_error);
}

static bool
declared_too_large(struct MHD_Connection *c, size_t max)
{
	const char *v;
	unsigned long long n;
	char *end;

	v = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (v == NULL)
		return false;
	errno = 0;
	n = strtoull(v, &end, 10);
	return errno == ERANGE || (end != v && n > max);
}

/* Whether the client waits for "100 Continue" before sending its body. */
static bool
expects_continue(struct MHD_Connection *c)
{
	const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_EXPECT);

	return v != NULL && strcasecmp(v, "100-continue") == 0;
}

/* A body past the limit (or out of memory) is dropped: the rest of it is
 * read and not kept (up to HTTP_DROP_MAX), and the handler answers 413. */
static void
body_append(struct http_request *q, const char *data, size_t n)
{
	if (q->too_large) {
		q->dropped += n;
		return;
	}
	buf_append(&q->body, data, n);
	if (!q->body.failed)
		return;
	if (!q->body.too_big)
		log_error("http: out of memory for a request body");
	q->too_large = true;
	buf_free(&q->body);
}

/* Queue the answer built, or wait suspended for it. */
static enum MHD_Result
answer(struct http_request *q)
{
	enum MHD_Result rc;

	if (q->stage == Q_DEFERRED) {
		MHD_suspend_connection(q->conn);
		return MHD_YES;
	}
	if (q->stage != Q_READY || q->resp == NULL) {
		log_error("http: no answer to %s %s", q->method,
		    q->target ? q->target : "?");
		return MHD_NO;
	}
	/* While stopping no connection is kept for a next request. */
	if (q->h->stopping && MHD_add_response_header(q->resp,
	    MHD_HTTP_HEADER_CONNECTION, "close") != MHD_YES)
		log_error("http: can't add Connection: close to the answer to "
		    "%s %s", q->method, q->target ? q->target : "?");
	rc = MHD_queue_response(q->conn, q->status, q->resp);
	MHD_destroy_response(q->resp);
	q->resp = NULL;
	q->stage = Q_ANSWERED;
	return rc;
}

static enum MHD_Result
on_head(struct http *h, struct http_request *q, const char *url,
    const char *method)
{
	q->method = method;
	q->stage = Q_BODY;
	h->busy++;
	if (q->target == NULL)
		target_keep(q, url);
	if (q->target == NULL) {
		log_error("http: out of memory for a request");
		return MHD_NO;
	}
	/* Even while stopping the body is read before the answer: a socket
	 * closed with unread bytes resets, and the client may lose the answer
	 * along with it. So is a body over the limit, dropped (body_append),
	 * unless the client waits to be told to send it, or it is too long
	 * to read (HTTP_DROP_MAX). */
	if (declared_too_large(q->conn, h->max_body)) {
		q->too_large = true;
		if (expects_continue(q->conn) ||
		    declared_too_large(q->conn, h->max_body + HTTP_DROP_MAX)) {
			h->handlers.too_large(h->ud, q);
			return answer(q);
		}
	}
	return MHD_YES;
}

static enum MHD_Result
on_access(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **req_cls)
{
	struct http *h = cls;
	struct http_request *q = *req_cls;

	(void)version;
	if (q == NULL && (q = request_of(c)) == NULL)
		return MHD_NO;
	*req_cls = q;
	switch (q->stage) {
	case Q_IDLE:
		return on_head(h, q, url, method);
	case Q_BODY:
		if (*upload_size > 0) {
			body_append(q, upload, *upload_size);
			*upload_size = 0;
			if (q->dropped <= HTTP_DROP_MAX)
				return MHD_YES;
			log_debug("http: %s %s: a body over %zu bytes goes on past "
			    "%d more; the connection is closed", q->method,
			    q->target, h->max_body, HTTP_DROP_MAX);
			return MHD_NO;
		}
		q->stage = Q_READY;
		if (q->too_large)
			h->handlers.too_large(h->ud, q);
		else if (h->stopping)
			h->handlers.stopping(h->ud, q);
		else
			h->handlers.request(h->ud, q);
		return answer(q);
	case Q_DEFERRED:
	case Q_READY:
		return answer(q);
	default:
		return MHD_NO;
	}
}

struct http *
http_start(const struct http_options *o, const struct http_handlers *hd,
    void *ud, char *err, size_t errlen)
{
	struct http *h;
	unsigned int flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
	    MHD_USE_ERROR_LOG;
	bool tls = o->cert_pem != NULL && o->key_pem != NULL;

	if (tls && MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
		snprintf(err, errlen, "--http-cert: this libmicrohttpd was "
		    "built without TLS support");
		return NULL;
	}
	if ((h = calloc(1, sizeof(*h))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	h->handlers = *hd;
	h->ud = ud;
	h->max_body = o->max_body;
	h->max_conn = o->max_connections;
	if (tls)
		flags |= MHD_USE_TLS;
	if (o->addr.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	{
		struct MHD_OptionItem tls_opts[] = {
			{ MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)(uintptr_t)
			    o->cert_pem },
			{ MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)(uintptr_t)
			    o->key_pem },
			{ MHD_OPTION_END, 0, NULL },
		};

		h->mhd = MHD_start_daemon(flags, 0, on_accept, h, on_access, h,
		    MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, h,
		    MHD_OPTION_SOCK_ADDR, (const struct sockaddr *)&o->addr,
		    MHD_OPTION_CONNECTION_LIMIT,
		    o->max_connections + HTTP_REFUSE_MARGIN,
		    MHD_OPTION_CONNECTION_TIMEOUT, o->idle_timeout,
		    MHD_OPTION_CONNECTION_MEMORY_LIMIT,
		    (size_t)HTTP_MEMORY_LIMIT,
		    MHD_OPTION_NOTIFY_CONNECTION, on_connection, h,
		    MHD_OPTION_URI_LOG_CALLBACK, on_uri, h,
		    MHD_OPTION_UNESCAPE_CALLBACK, leave_escaped, h,
		    MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
		    MHD_OPTION_ARRAY, tls ? tls_opts : tls_opts + 2,
		    MHD_OPTION_END);
	}
	if (h->mhd == NULL) {
		char where[INET6_ADDRSTRLEN + 16];

		http_addr_format(&o->addr, addr_port(&o->addr), where,
		    sizeof(where));
		snprintf(err, errlen, "can't serve HTTP%s on %s: %s",
		    tls ? "S" : "", where, h->last_error[0] ? h->last_error :
		    strerror(errno));
		free(h);
		return NULL;
	}
	return h;
}

int
http_fd(const struct http *h)
{
	const union MHD_DaemonInfo *di;

	di = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	return di != NULL ? di->epoll_fd : -1;
}

int
http_timeout_ms(struct http *h)
{
	MHD_UNSIGNED_LONG_LONG ms;

	if (MHD_get_timeout(h->mhd, &ms) != MHD_YES)
		return -1;
	return ms > INT_MAX ? INT_MAX : (int)ms;
}

void
http_run(struct http *h)
{
	if (MHD_run(h->mhd) != MHD_YES)
		log_debug("http: MHD_run failed");
}

int
http_port(const struct http *h)
{
	const union MHD_DaemonInfo *di;

	di = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_BIND_PORT);
	return di != NULL ? di->port : -1;
}

void
http_stopping(struct http *h)
{
	h->stopping = true;
}

/* Whether fd is readable now. */
static bool
readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return fd >= 0 && poll(&p, 1, 0) == 1 && (p.revents & POLLIN) != 0;
}

/* A connection waiting to be accepted, or bytes or an event not yet
 * handled: http_run has work now. */
static bool
ready_now(struct http *h)
{
	const union MHD_DaemonInfo *di;

	di = h->quiesced ? NULL : MHD_get_daemon_info(h->mhd,
	    MHD_DAEMON_INFO_LISTEN_FD);
	return (di != NULL && readable(di->listen_fd)) ||
	    http_timeout_ms(h) == 0 || readable(http_fd(h));
}

void
http_take_in(struct http *h, int timeout_ms)
{
	long long deadline = conn_now_ms() + timeout_ms;

	while (ready_now(h) && conn_now_ms() < deadline)
		http_run(h);
}

void
http_close(struct http *h, int timeout_ms)
{
	long long deadline = conn_now_ms() + timeout_ms, left;
	struct pollfd p;
	MHD_socket s;
	int t;

	http_stopping(h);
	/* Closing the listener would reset the connections in its queue
	 * (the clients would see no answer): take them first. */
	http_take_in(h, timeout_ms);
	s = MHD_quiesce_daemon(h->mhd);
	h->quiesced = true;
	if (s != MHD_INVALID_SOCKET && close(s) == -1)
		log_debug("http: closing the listening socket: %s",
		    strerror(errno));
	while ((h->busy > 0 || ready_now(h)) &&
	    (left = deadline - conn_now_ms()) > 0) {
		t = http_timeout_ms(h);
		if (t < 0 || t > left)
			t = (int)left;
		p = (struct pollfd){ .fd = http_fd(h), .events = POLLIN };
		if (poll(&p, 1, t) == -1 && errno != EINTR)
			break;
		http_run(h);
	}
	if (h->busy > 0)
		log_warn("http: %u request%s still unanswered after %d ms of "
		    "shutdown; closing %s", h->busy, h->busy == 1 ? "" : "s",
		    timeout_ms, h->busy == 1 ? "its connection" :
		    "their connections");
}

void
http_free(struct http *h)
{
	if (h == NULL)
		return;
	MHD_stop_daemon(h->mhd);
	free(h);
}

const char *
http_method(const struct http_request *q)
{
	return q->method;
}

const char *
http_path(const struct http_request *q)
{
	return q->target;
}

const char *
http_query(const struct http_request *q)
{
	return q->query;
}

const char *
http_header(const struct http_request *q, const char *name)
{
	return MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND, name);
}

static enum MHD_Result
header_add(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	struct http_request *q = cls;

	(void)kind;
	q->headers[q->nheaders].name = key;
	q->headers[q->nheaders].value = value ? value : "";
	q->nheaders++;
	return MHD_YES;
}

const struct http_header *
http_headers(struct http_request *q, size_t *n)
{
	int count;

	if (q->headers == NULL) {
		count = MHD_get_connection_values(q->conn, MHD_HEADER_KIND,
		    NULL, NULL);
		if (count < 0 || (q->headers = calloc((size_t)count + 1,
		    sizeof(*q->headers))) == NULL)
			return NULL;
		q->nheaders = 0;
		(void)MHD_get_connection_values(q->conn, MHD_HEADER_KIND,
		    header_add, q);
	}
	*n = q->nheaders;
	return q->headers;
}

const char *
http_body(const struct http_request *q, size_t *len)
{
	*len = q->body.len;
	return q->body.data != NULL ? q->body.data : "";
}

void
http_respond(struct http_request *q, int status,
    const struct http_header *headers, size_t nheaders, const void *body,
    size_t len)
{
	struct MHD_Response *r;
	size_t i;

	r = MHD_create_response_from_buffer(len, (void *)(uintptr_t)body,
	    MHD_RESPMEM_MUST_COPY);
	if (r == NULL) {
		log_error("http: out of memory answering %s %s", q->method,
		    q->target);
	} else {
		for (i = 0; i < nheaders; i++)
			if (MHD_add_response_header(r, headers[i].name,
			    headers[i].value) != MHD_YES)
				log_error("http: can't add header %s",
				    headers[i].name);
	}
	if (q->resp != NULL)
		MHD_destroy_response(q->resp);
	q->resp = r;
	q->status = (unsigned int)status;
	if (q->stage == Q_DEFERRED) {
		q->stage = Q_READY;
		MHD_resume_connection(q->conn);
	} else {
		q->stage = Q_READY;
	}
}

void
http_defer(struct http_request *q)
{
	q->stage = Q_DEFERRED;
}
