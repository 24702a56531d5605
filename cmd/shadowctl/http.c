/*
 * http.c - the HTTP transport: the IoT Data Plane API (shadowctl(1),
 * "TRANSPORTS"; the routes as shadowd serves them are in shadowd(8)).
 *
 *   get     GET    /things/T/shadow[?name=S]
 *   update  POST   /things/T/shadow[?name=S]
 *   delete  DELETE /things/T/shadow[?name=S]
 *   list    GET    /api/things/shadow/ListNamedShadowsForThing/T
 *                  ?nextToken=..&pageSize=N
 *
 * Requests go through libcurl (common/httpc, loaded on first use), signed
 * with SigV4 (common/sigv4) when credentials are found (common/awscred).
 * --wait polls get, 50 ms growing to 1 s between polls.
 */
#include "transport.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "awscred.h"
#include "conn.h"
#include "hex.h"
#include "httpc.h"
#include "log.h"
#include "sigv4.h"

#define POLL_FIRST_MS 50
#define POLL_MAX_MS 1000
#define SIGV4_SERVICE "iotdata"

struct http {
	const struct shadow_config *cfg;
	char base[512];             /* "https://host[:port]", no trailing '/' */
	char host[512];             /* the Host header: authority of the URL */
	char path[512];             /* "/things/T%3A/shadow", encoded */
	char query[256];            /* "name=S" encoded, or "" */
	bool sign;                  /* credentials found: SigV4 */
	struct awscred cred;
	struct awscred_region region;
	char looked[CTL_ERRLEN];    /* without credentials: where we looked */
	int poll_ms;                /* --wait: pause before the next poll */
	bool polled;
	bool polling;               /* a timeout is wait_until's to report */
};

/*
 * "https://HOST[:PORT][/]": the base URL and the Host header. Anything
 * after the authority but a single '/' is a usage error.
 */
static int
endpoint_parse(struct http *h, const char *url)
{
	const char *auth = strstr(url, "://") + 3, *end;
	size_t len;

	end = auth + strcspn(auth, "/?#");
	len = (size_t)(end - auth);
	if (len == 0 || (*end != '\0' && strcmp(end, "/") != 0) ||
	    strchr(auth, '@') != NULL) {
		log_error("endpoint %s: give an URL of the form "
		    "https://HOST[:PORT], without user, path or query", url);
		return -1;
	}
	if (len >= sizeof(h->host) ||
	    (size_t)(end - url) >= sizeof(h->base)) {
		log_error("endpoint %s: the host name is too long", url);
		return -1;
	}
	memcpy(h->host, auth, len);
	h->host[len] = '\0';
	memcpy(h->base, url, (size_t)(end - url));
	h->base[end - url] = '\0';
	return 0;
}

static int
shadow_path(struct http *h)
{
	char thing[3 * SHADOW_THING_MAX + 1], name[3 * SHADOW_NAME_MAX + 1];

	if (percent_encode(h->cfg->thing, thing, sizeof(thing)) == -1 ||
	    (h->cfg->shadow != NULL &&
	    percent_encode(h->cfg->shadow, name, sizeof(name)) == -1)) {
		log_error("thing or shadow name too long");
		return -1;
	}
	snprintf(h->path, sizeof(h->path), "/things/%s/shadow", thing);
	if (h->cfg->shadow != NULL)
		snprintf(h->query, sizeof(h->query), "name=%s", name);
	return 0;
}

/* The host name of the Host header: without port and IPv6 brackets. */
static void
host_name(const char *authority, char *out, size_t outlen)
{
	size_t n;

	if (authority[0] == '[') {
		n = strcspn(authority + 1, "]");
		authority++;
	} else
		n = strcspn(authority, ":");
	if (n >= outlen)
		n = outlen - 1;
	memcpy(out, authority, n);
	out[n] = '\0';
}

static enum ctl_status
from_awscred(enum awscred_status st)
{
	switch (st) {
	case AWSCRED_OK:
	case AWSCRED_NONE:
		return CTL_OK;
	case AWSCRED_ERR_PROCESS:   /* expired or failing: not authorised */
		return CTL_CONNECT;
	default:
		return CTL_USAGE;
	}
}

/* Credentials (none: unsigned requests) and the region to sign for. */
static enum ctl_status
auth_load(struct http *h)
{
	const struct shadow_config *cfg = h->cfg;
	char err[CTL_ERRLEN], host[sizeof(h->host)];
	enum awscred_status st;

	st = awscred_find(cfg->aws_profile, (long long)time(NULL), &h->cred,
	    err, sizeof(err));
	if (st == AWSCRED_NONE) {
		snprintf(h->looked, sizeof(h->looked), "%s", err);
		log_debug("%s: requests go unsigned", err);
		return CTL_OK;
	}
	if (st != AWSCRED_OK) {
		log_error("%s", err);
		return from_awscred(st);
	}
	h->sign = true;
	host_name(h->host, host, sizeof(host));
	if ((st = awscred_region(cfg->region, cfg->aws_profile, host,
	    &h->region, err, sizeof(err))) != AWSCRED_OK) {
		log_error("%s", err);
		return from_awscred(st);
	}
	log_debug("signing with access key id %s from %s, region %s (%s)",
	    h->cred.access_key_id, h->cred.source, h->region.name,
	    h->region.source);
	return CTL_OK;
}

static enum ctl_status
http_open(struct transport *t, enum shadow_msg op, bool with_wait)
{
	const struct shadow_config *cfg = t->cfg;
	struct http *h;

	(void)op;
	(void)with_wait;
	if ((h = calloc(1, sizeof(*h))) == NULL) {
		log_error("out of memory");
		return CTL_USAGE;
	}
	t->impl = h;
	h->cfg = cfg;
	h->poll_ms = POLL_FIRST_MS;
	if (endpoint_parse(h, cfg->endpoint) == -1 || shadow_path(h) == -1)
		return CTL_USAGE;
	/* A client certificate authenticates over HTTPS instead of SigV4. */
	if (cfg->cert != NULL)
		return CTL_OK;
	return auth_load(h);
}

static void
amz_date_now(char out[SIGV4_AMZ_DATE_LEN + 1])
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(out, SIGV4_AMZ_DATE_LEN + 1, "%Y%m%dT%H%M%SZ", &tm);
}

/* The header lines of a request: Host, and when signing X-Amz-Date,
 * X-Amz-Security-Token and Authorization. */
struct headers {
	char host[600];
	char date[64];
	char token[4200];
	char authorization[1200];
	const char *lines[4];
	size_t n;
};

static int
headers_build(struct http *h, const char *method, const char *path,
    const char *query, const void *body, size_t len, struct headers *hd)
{
	struct sigv4_header sh[3];
	struct sigv4_request req;
	struct sigv4_credentials cred;
	char amz_date[SIGV4_AMZ_DATE_LEN + 1], hash[SIGV4_HEX_LEN + 1];
	char auth[1024];
	size_t n = 0;

	snprintf(hd->host, sizeof(hd->host), "Host: %s", h->host);
	hd->lines[hd->n++] = hd->host;
	if (!h->sign)
		return 0;
	amz_date_now(amz_date);
	sh[n++] = (struct sigv4_header){ "host", h->host };
	sh[n++] = (struct sigv4_header){ "x-amz-date", amz_date };
	if (h->cred.session_token != NULL)
		sh[n++] = (struct sigv4_header){ "x-amz-security-token",
		    h->cred.session_token };
	sigv4_sha256_hex(body != NULL ? body : "", len, hash);
	req = (struct sigv4_request){ .method = method, .path = path,
	    .query = query[0] != '\0' ? query : NULL, .headers = sh,
	    .nheaders = n, .payload_hash = hash };
	cred = (struct sigv4_credentials){ h->cred.access_key_id,
	    h->cred.secret_access_key, h->cred.session_token };
	if (sigv4_sign(&req, &cred, h->region.name, SIGV4_SERVICE, amz_date,
	    auth, sizeof(auth)) == -1) {
		log_error("can't sign the request: the signature does not fit");
		return -1;
	}
	snprintf(hd->date, sizeof(hd->date), "X-Amz-Date: %s", amz_date);
	hd->lines[hd->n++] = hd->date;
	if (h->cred.session_token != NULL) {
		if ((size_t)snprintf(hd->token, sizeof(hd->token),
		    "X-Amz-Security-Token: %s", h->cred.session_token) >=
		    sizeof(hd->token)) {
			log_error("the session token from %s is too long",
			    h->cred.source);
			return -1;
		}
		hd->lines[hd->n++] = hd->token;
	}
	snprintf(hd->authorization, sizeof(hd->authorization),
	    "Authorization: %s", auth);
	hd->lines[hd->n++] = hd->authorization;
	return 0;
}

static enum ctl_status
from_httpc(enum httpc_status st)
{
	switch (st) {
	case HTTPC_OK:
		return CTL_OK;
	case HTTPC_ERR_CONNECT:
		return CTL_CONNECT;
	case HTTPC_ERR_TIMEOUT:
		return CTL_TIMEOUT;
	default:
		return CTL_USAGE;
	}
}

static const char *
body_message(json_object *body)
{
	json_object *m;

	if (body != NULL && json_object_object_get_ex(body, "message", &m) &&
	    json_object_is_type(m, json_type_string))
		return json_object_get_string(m);
	return NULL;
}

static void
report_denied(const struct http *h, const char *what,
    const struct httpc_response *r, json_object *body)
{
	const char *msg = body_message(body);
	char why[CTL_ERRLEN];

	snprintf(why, sizeof(why), "%s: not authorised: %ld%s%s%s%s%s", what,
	    r->status, r->error_type != NULL ? " " : "",
	    r->error_type != NULL ? r->error_type : "",
	    msg != NULL ? " (" : "", msg != NULL ? msg : "",
	    msg != NULL ? ")" : "");
	if (h->sign)
		log_error("%s; signed with access key id %s from %s, region %s "
		    "from %s: check that the secret belongs to this key and "
		    "that its policy allows the iot:*ThingShadow actions", why,
		    h->cred.access_key_id, h->cred.source, h->region.name,
		    h->region.source);
	else if (h->cfg->cert != NULL)
		log_error("%s; the client certificate %s was not accepted", why,
		    h->cfg->cert);
	else
		log_error("%s; the request went unsigned: %s", why, h->looked);
}

/* A certificate the system's CAs do not know: say how to trust it. */
static void
report_failed(const struct http *h, const char *what, const char *err)
{
	bool cert = strstr(err, "certificate") != NULL;

	log_error("%s: %s%s", what, err, cert && h->cfg->ca == NULL ?
	    " (give --ca FILE with the CA that signs the server's "
	    "certificate)" : "");
}

/*
 * One request; what names it in messages ("get", "update", "list").
 * 200: *answer is the body. 401/403: not authorised (exit 3). Any other
 * status is a rejection (exit 1), reported as over MQTT.
 */
static enum ctl_status
call(struct transport *t, const char *what, const char *method,
    const char *path, const char *query, const void *body, size_t len,
    json_object **answer)
{
	struct http *h = t->impl;
	struct headers hd = { .n = 0 };
	struct httpc_request req;
	struct httpc_response resp = { 0 };
	char url[1400], err[CTL_ERRLEN], code[16];
	enum httpc_status hst;
	enum ctl_status st = CTL_OK;
	json_object *doc;

	*answer = NULL;
	if (transport_left_ms(t) == 0)
		return CTL_TIMEOUT;
	if ((size_t)snprintf(url, sizeof(url), "%s%s%s%s", h->base, path,
	    query[0] != '\0' ? "?" : "", query) >= sizeof(url)) {
		log_error("%s: the request URL is too long", what);
		return CTL_USAGE;
	}
	if (headers_build(h, method, path, query, body, len, &hd) == -1)
		return CTL_USAGE;
	req = (struct httpc_request){ .method = method, .url = url,
	    .headers = hd.lines, .nheaders = hd.n, .body = body,
	    .body_len = len, .ca = h->cfg->ca, .cert = h->cfg->cert,
	    .key = h->cfg->key, .insecure = h->cfg->insecure,
	    .timeout_ms = transport_left_ms(t),
	    .verbosity = h->cfg->verbosity };
	log_debug("%s %s", method, url);
	hst = httpc_perform(&req, &resp, err, sizeof(err));
	if (hst == HTTPC_ERR_TIMEOUT) {
		if (!h->polling)
			log_error("%s: no answer from %s within %g s", what,
			    h->base, h->cfg->timeout);
		return CTL_TIMEOUT;
	}
	if (hst != HTTPC_OK) {
		report_failed(h, what, err);
		return from_httpc(hst);
	}
	log_debug("%s %s: %ld", method, url, resp.status);
	doc = transport_parse_object(resp.body, resp.body_len);
	if (resp.status == 401 || resp.status == 403) {
		report_denied(h, what, &resp, doc);
		st = CTL_CONNECT;
	} else if (resp.status != 200) {
		snprintf(code, sizeof(code), "%ld", resp.status);
		transport_report_rejected(what, code, body_message(doc) != NULL ?
		    body_message(doc) : resp.error_type);
		st = CTL_REJECTED;
	} else if (doc == NULL) {
		log_error("%s: %s answered 200 with a body that is not a JSON "
		    "object", what, h->base);
		st = CTL_CONNECT;
	}
	if (st == CTL_OK)
		*answer = doc;
	else
		json_object_put(doc);
	httpc_response_free(&resp);
	return st;
}

static enum ctl_status
http_get(struct transport *t, json_object **doc)
{
	struct http *h = t->impl;

	return call(t, "get", "GET", h->path, h->query, NULL, 0, doc);
}

static enum ctl_status
http_update(struct transport *t, const char *text, size_t len,
    const char *token, json_object **answer)
{
	struct http *h = t->impl;

	(void)token;
	return call(t, "update", "POST", h->path, h->query, text, len, answer);
}

static enum ctl_status
http_delete(struct transport *t, json_object **answer)
{
	struct http *h = t->impl;

	return call(t, "delete", "DELETE", h->path, h->query, NULL, 0, answer);
}

static enum ctl_status
http_list(struct transport *t, const char *next_token, json_object **page)
{
	struct http *h = t->impl;
	char thing[3 * SHADOW_THING_MAX + 1], path[600], query[1200] = "";
	char tok[1000] = "";
	int n = 0;

	if (percent_encode(h->cfg->thing, thing, sizeof(thing)) == -1 ||
	    (next_token != NULL &&
	    percent_encode(next_token, tok, sizeof(tok)) == -1)) {
		log_error("list: the nextToken from %s is too long", h->base);
		return CTL_CONNECT;
	}
	snprintf(path, sizeof(path),
	    "/api/things/shadow/ListNamedShadowsForThing/%s", thing);
	/* Sorted by name, as SigV4's canonical query wants them anyway. */
	if (next_token != NULL)
		n += snprintf(query + n, sizeof(query) - (size_t)n,
		    "nextToken=%s", tok);
	if (h->cfg->page_size > 0)
		snprintf(query + n, sizeof(query) - (size_t)n, "%spageSize=%ld",
		    n > 0 ? "&" : "", h->cfg->page_size);
	return call(t, "list", "GET", path, query, NULL, 0, page);
}

static void
pause_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* The first poll at once, then 50 ms doubling to 1 s between polls. */
static enum ctl_status
http_wait_poll(struct transport *t, struct wait_state *w)
{
	struct http *h = t->impl;
	json_object *doc = NULL, *state = NULL, *version = NULL;
	enum ctl_status st;
	int left;

	if (h->polled) {
		if ((left = transport_left_ms(t)) == 0)
			return CTL_TIMEOUT;
		pause_ms(left < h->poll_ms ? left : h->poll_ms);
		h->poll_ms = h->poll_ms * 2 > POLL_MAX_MS ? POLL_MAX_MS :
		    h->poll_ms * 2;
	}
	h->polled = true;
	h->polling = true;
	st = call(t, "--wait: get", "GET", h->path, h->query, NULL, 0, &doc);
	h->polling = false;
	if (st != CTL_OK)
		return st;
	if (json_object_object_get_ex(doc, "state", &state) &&
	    json_object_object_get_ex(doc, "version", &version))
		wait_note(w, state, version);
	json_object_put(doc);
	return CTL_OK;
}

static void
http_close(struct transport *t)
{
	struct http *h = t->impl;

	if (h == NULL)
		return;
	awscred_free(&h->cred);
	awscred_region_free(&h->region);
	free(h);
}

const struct transport_ops transport_http = {
	.name = "HTTP",
	.open = http_open,
	.get = http_get,
	.update = http_update,
	.delete = http_delete,
	.list = http_list,
	.wait_poll = http_wait_poll,
	.close = http_close,
};
