#include "httpc.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* Types and constants only: libcurl itself is loaded at run time. */
#define CURL_DISABLE_TYPECHECK
#include <curl/curl.h>

#include "buf.h"
#include "config.h"

#define LIBCURL_DEFAULT "libcurl.so.4"
#define LIBCURL_PACKAGE "libcurl4"
#define BODY_MAX (16L * 1024 * 1024)

/* The few libcurl entry points we use, found with dlsym. */
static struct {
	void *handle;
	CURLcode (*global_init)(long);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_perform)(CURL *);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	void (*easy_reset)(CURL *);
	void (*easy_cleanup)(CURL *);
	const char *(*easy_strerror)(CURLcode);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
	CURL *easy;            /* kept between requests: connections are reused */
} lib;

/* dlopen libcurl once. SHADOW_LIBCURL names another file (for tests). */
static enum httpc_status
lib_load(char *err, size_t errlen)
{
	const struct {
		const char *name;
		void **slot;
	} symbols[] = {
		{ "curl_global_init", (void **)&lib.global_init },
		{ "curl_easy_init", (void **)&lib.easy_init },
		{ "curl_easy_setopt", (void **)&lib.easy_setopt },
		{ "curl_easy_perform", (void **)&lib.easy_perform },
		{ "curl_easy_getinfo", (void **)&lib.easy_getinfo },
		{ "curl_easy_reset", (void **)&lib.easy_reset },
		{ "curl_easy_cleanup", (void **)&lib.easy_cleanup },
		{ "curl_easy_strerror", (void **)&lib.easy_strerror },
		{ "curl_slist_append", (void **)&lib.slist_append },
		{ "curl_slist_free_all", (void **)&lib.slist_free_all },
	};
	const char *name = getenv("SHADOW_LIBCURL");
	const char *why;
	size_t i;

	if (lib.easy != NULL)
		return HTTPC_OK;
	if (name == NULL || name[0] == '\0')
		name = LIBCURL_DEFAULT;
	if (lib.handle == NULL &&
	    (lib.handle = dlopen(name, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		why = dlerror();
		snprintf(err, errlen, "HTTP endpoints need libcurl, which could "
		    "not be loaded (%s): install the Debian package "
		    LIBCURL_PACKAGE " (apt-get install " LIBCURL_PACKAGE ")",
		    why != NULL ? why : name);
		return HTTPC_ERR_LOAD;
	}
	for (i = 0; i < sizeof(symbols) / sizeof(*symbols); i++) {
		if ((*symbols[i].slot = dlsym(lib.handle,
		    symbols[i].name)) == NULL) {
			snprintf(err, errlen, "%s lacks %s: install the Debian "
			    "package " LIBCURL_PACKAGE " (apt-get install "
			    LIBCURL_PACKAGE ")", name, symbols[i].name);
			return HTTPC_ERR_LOAD;
		}
	}
	if (lib.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
	    (lib.easy = lib.easy_init()) == NULL) {
		snprintf(err, errlen, "libcurl failed to start (out of memory?)");
		return HTTPC_ERR_NOMEM;
	}
	return HTTPC_OK;
}

void
httpc_cleanup(void)
{
	if (lib.easy != NULL)
		lib.easy_cleanup(lib.easy);
	lib.easy = NULL;
}

struct transfer {
	const struct httpc_request *req;
	struct httpc_response *resp;
	struct buf body;           /* max BODY_MAX; too_big past it */
	bool failed;               /* out of memory in a callback */
};

static size_t
on_body(char *data, size_t size, size_t n, void *ud)
{
	struct transfer *t = ud;

	buf_append(&t->body, data, size * n);
	return t->body.failed ? 0 : size * n;
}

/* Keeps x-amzn-ErrorType ("Name" of "Name:http://internal..."), of the
 * last response only (a 100 Continue or a redirect starts over). */
static size_t
on_header(char *data, size_t size, size_t n, void *ud)
{
	static const char name[] = "x-amzn-errortype:";
	struct transfer *t = ud;
	size_t len = size * n, skip = sizeof(name) - 1, vlen;
	const char *v;

	if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {
		free(t->resp->error_type);
		t->resp->error_type = NULL;
		return len;
	}
	if (len <= skip || strncasecmp(data, name, skip) != 0)
		return len;
	for (v = data + skip; v < data + len && (*v == ' ' || *v == '\t');)
		v++;
	for (vlen = 0; v + vlen < data + len && v[vlen] != ':' &&
	    v[vlen] != '\r' && v[vlen] != '\n'; vlen++)
		;
	free(t->resp->error_type);
	if ((t->resp->error_type = strndup(v, vlen)) == NULL) {
		t->failed = true;
		return 0;
	}
	return len;
}

/* One header line of a trace, with its secret part masked. */
static void
trace_header_line(const char *prefix, const char *line, size_t len)
{
	static const char auth[] = "authorization:", token[] =
	    "x-amz-security-token:";
	const char *sig;

	if (len >= sizeof(auth) - 1 &&
	    strncasecmp(line, auth, sizeof(auth) - 1) == 0) {
		sig = memmem(line, len, "Signature=", 10);
		if (sig != NULL)
			fprintf(stderr, "%s%.*s****\n", prefix,
			    (int)(sig + 10 - line), line);
		else
			fprintf(stderr, "%s%.*s ****\n", prefix,
			    (int)(sizeof(auth) - 1), line);
		return;
	}
	if (len >= sizeof(token) - 1 &&
	    strncasecmp(line, token, sizeof(token) - 1) == 0) {
		fprintf(stderr, "%s%.*s ****\n", prefix,
		    (int)(sizeof(token) - 1), line);
		return;
	}
	fprintf(stderr, "%s%.*s\n", prefix, (int)len, line);
}

/* -vv: what libcurl says and the headers both ways, like curl -v, with
 * Authorization's signature and X-Amz-Security-Token masked. */
static int
on_debug(CURL *easy, curl_infotype type, char *data, size_t size, void *ud)
{
	const char *prefix, *end, *p = data, *stop = data + size;
	size_t n;

	(void)easy;
	(void)ud;
	switch (type) {
	case CURLINFO_TEXT:
		prefix = "* ";
		break;
	case CURLINFO_HEADER_OUT:
		prefix = "> ";
		break;
	case CURLINFO_HEADER_IN:
		prefix = "< ";
		break;
	case CURLINFO_DATA_OUT:
		fprintf(stderr, "> [%zu bytes of body]\n", size);
		return 0;
	case CURLINFO_DATA_IN:
		fprintf(stderr, "< [%zu bytes of body]\n", size);
		return 0;
	default:
		return 0;
	}
	while (p < stop) {
		end = memchr(p, '\n', (size_t)(stop - p));
		n = (size_t)((end != NULL ? end : stop) - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (n > 0)
			trace_header_line(prefix, p, n);
		p = end != NULL ? end + 1 : stop;
	}
	return 0;
}

static enum httpc_status
file_check(const char *what, const char *path, char *err, size_t errlen)
{
	if (path == NULL || access(path, R_OK) == 0)
		return HTTPC_OK;
	snprintf(err, errlen, "can't read %s file %s: %s", what, path,
	    strerror(errno));
	return HTTPC_ERR_USAGE;
}

/* Every option of the request; CURLE_OK, or the first failure. */
static CURLcode
options_set(CURL *e, const struct httpc_request *req, struct transfer *t,
    struct curl_slist *headers, char *errbuf)
{
	CURLcode rc = CURLE_OK;

#define SET(opt, val) do { if (rc == CURLE_OK) \
	rc = lib.easy_setopt(e, opt, val); } while (0)
	SET(CURLOPT_ERRORBUFFER, errbuf);
	SET(CURLOPT_URL, req->url);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_USERAGENT, "shadow-tools/" SHADOW_TOOLS_VERSION);
	SET(CURLOPT_HTTPHEADER, headers);
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_WRITEDATA, t);
	SET(CURLOPT_HEADERFUNCTION, on_header);
	SET(CURLOPT_HEADERDATA, t);
	if (req->timeout_ms > 0) {
		SET(CURLOPT_TIMEOUT_MS, req->timeout_ms);
		SET(CURLOPT_CONNECTTIMEOUT_MS, req->timeout_ms);
	}
	if (strcmp(req->method, "GET") == 0)
		SET(CURLOPT_HTTPGET, 1L);
	else if (strcmp(req->method, "POST") == 0 || req->body != NULL) {
		SET(CURLOPT_POST, 1L);
		SET(CURLOPT_POSTFIELDS, req->body != NULL ? req->body : "");
		SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
		if (strcmp(req->method, "POST") != 0)
			SET(CURLOPT_CUSTOMREQUEST, req->method);
	} else
		SET(CURLOPT_CUSTOMREQUEST, req->method);
	if (req->ca != NULL)
		SET(CURLOPT_CAINFO, req->ca);
	if (req->cert != NULL) {
		SET(CURLOPT_SSLCERT, req->cert);
		SET(CURLOPT_SSLCERTTYPE, "PEM");
	}
	if (req->key != NULL)
		SET(CURLOPT_SSLKEY, req->key);
	/* As --insecure over MQTT: the chain is still checked, the name not. */
	if (req->insecure)
		SET(CURLOPT_SSL_VERIFYHOST, 0L);
	if (req->verbosity >= 2) {
		SET(CURLOPT_DEBUGFUNCTION, on_debug);
		SET(CURLOPT_VERBOSE, 1L);
	}
	if (rc == CURLE_OK &&
	    lib.easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https") ==
	    CURLE_OK)
		rc = lib.easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR,
		    "http,https");
#undef SET
	return rc;
}

/* The caller's headers, and none of libcurl's defaults that would change
 * what is signed or cost a round trip (Content-Type for a POST, Expect). */
static struct curl_slist *
headers_build(const struct httpc_request *req, bool *nomem)
{
	struct curl_slist *list = NULL, *next;
	bool has_type = false;
	size_t i;

	*nomem = false;
	for (i = 0; i < req->nheaders; i++) {
		if (strncasecmp(req->headers[i], "content-type:", 13) == 0)
			has_type = true;
		if ((next = lib.slist_append(list, req->headers[i])) == NULL)
			goto fail;
		list = next;
	}
	if (!has_type) {
		if ((next = lib.slist_append(list, "Content-Type:")) == NULL)
			goto fail;
		list = next;
	}
	if ((next = lib.slist_append(list, "Expect:")) == NULL)
		goto fail;
	return next;
fail:
	lib.slist_free_all(list);
	*nomem = true;
	return NULL;
}

static enum httpc_status
status_of(CURLcode rc)
{
	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT:
		return HTTPC_ERR_TIMEOUT;
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CACERT_BADFILE:
		return HTTPC_ERR_USAGE;
	case CURLE_OUT_OF_MEMORY:
		return HTTPC_ERR_NOMEM;
	default:
		return HTTPC_ERR_CONNECT;
	}
}

enum httpc_status
httpc_perform(const struct httpc_request *req, struct httpc_response *resp,
    char *err, size_t errlen)
{
	char errbuf[CURL_ERROR_SIZE];
	struct transfer t = { .req = req, .resp = resp,
	    .body = { .max = (size_t)BODY_MAX } };
	struct curl_slist *headers;
	enum httpc_status st;
	CURLcode rc;
	bool nomem, too_big;

	memset(resp, 0, sizeof(*resp));
	if ((st = lib_load(err, errlen)) != HTTPC_OK ||
	    (st = file_check("CA", req->ca, err, errlen)) != HTTPC_OK ||
	    (st = file_check("certificate", req->cert, err, errlen)) !=
	    HTTPC_OK ||
	    (st = file_check("key", req->key, err, errlen)) != HTTPC_OK)
		return st;
	lib.easy_reset(lib.easy);
	if ((headers = headers_build(req, &nomem)) == NULL && nomem) {
		snprintf(err, errlen, "out of memory");
		return HTTPC_ERR_NOMEM;
	}
	errbuf[0] = '\0';
	rc = options_set(lib.easy, req, &t, headers, errbuf);
	if (rc == CURLE_OK)
		rc = lib.easy_perform(lib.easy);
	if (rc == CURLE_OK)
		rc = lib.easy_getinfo(lib.easy, CURLINFO_RESPONSE_CODE,
		    &resp->status);
	lib.slist_free_all(headers);
	/* The handle keeps pointers to errbuf and t: forget them. */
	lib.easy_reset(lib.easy);
	/* The body is the answer's only when all went well. */
	too_big = t.body.too_big;
	if (t.body.failed)
		t.failed = true;
	else if (rc == CURLE_OK && (resp->body = buf_finish(&t.body,
	    &resp->body_len)) == NULL)
		t.failed = true;
	buf_free(&t.body);
	if (t.failed) {
		if (too_big)
			snprintf(err, errlen, "%s %s: the answer is larger than "
			    "%ld bytes", req->method, req->url, BODY_MAX);
		else
			snprintf(err, errlen, "out of memory");
		httpc_response_free(resp);
		return too_big ? HTTPC_ERR_CONNECT : HTTPC_ERR_NOMEM;
	}
	if (rc != CURLE_OK) {
		snprintf(err, errlen, "%s %s: %s", req->method, req->url,
		    errbuf[0] != '\0' ? errbuf : lib.easy_strerror(rc));
		httpc_response_free(resp);
		return status_of(rc);
	}
	return HTTPC_OK;
}

void
httpc_response_free(struct httpc_response *resp)
{
	free(resp->body);
	free(resp->error_type);
	memset(resp, 0, sizeof(*resp));
}
