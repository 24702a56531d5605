/*
 * dataplane.c - the IoT Data Plane API routes (dataplane.h).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <json-c/json.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "config.h"
#include "credentials.h"
#include "dataplane.h"
#include "doc.h"
#include "hex.h"
#include "http.h"
#include "log.h"
#include "request.h"
#include "route.h"
#include "sigv4.h"
#include "store.h"
#include "tls.h"
#include "topic.h"

#define IDLE_TIMEOUT_S 60
#define TOKEN_KEY_LEN 32
#define TOKEN_KEY_NAME "nextToken key"  /* its row in the store's meta */
#define TOKEN_MAC_LEN ROUTE_TOKEN_MAC_LEN

#define MSG_NO_TOKEN "Missing Authentication Token"
#define MSG_UNKNOWN_KEY "The security token included in the request is " \
    "invalid."
#define MSG_STOPPING "shadowd is shutting down; try again when it is back"

struct dataplane {
	const struct shadow_config *cfg;
	struct dataplane_hooks hooks;
	struct http_options opt;
	char *cert_pem, *key_pem;
	struct credentials *creds;
	struct http *http;
	char where[80];
	unsigned char token_key[TOKEN_KEY_LEN];
};

/* ------------------------------------------------------------------ */
/* Answers */

static const char *
error_type(int status)
{
	switch (status) {
	case 400: return "InvalidRequestException";
	case 404: return "ResourceNotFoundException";
	case 405: return "MethodNotAllowedException";
	case 409: return "ConflictException";
	case 413: return "RequestEntityTooLargeException";
	case 415: return "UnsupportedDocumentEncodingException";
	case 429: return "ThrottlingException";
	case 503: return "ServiceUnavailableException";
	default: return "InternalFailureException";
	}
}

/* text NULL (out of memory): a 500 instead. */
static void
respond_text(struct http_request *q, int status, const char *text,
    size_t len, const char *type, const char *allow)
{
	struct http_header h[3] = {
		{ "Content-Type", "application/json" },
	};
	size_t nh = 1;

	if (type != NULL)
		h[nh++] = (struct http_header){ "x-amzn-ErrorType", type };
	if (allow != NULL)
		h[nh++] = (struct http_header){ "Allow", allow };
	if (text == NULL) {
		status = 500;
		text = "{\"message\":\"Internal service failure\"}";
		len = strlen(text);
		h[1] = (struct http_header){ "x-amzn-ErrorType",
		    error_type(500) };
		nh = 2;
	}
	log_debug("http %s %s: %d", http_method(q), http_path(q), status);
	http_respond(q, status, h, nh, text, len);
}

static void
respond_json(struct http_request *q, int status, json_object *body,
    const char *type, const char *allow)
{
	const char *text = NULL;
	size_t len = 0;

	if (body != NULL)
		text = json_object_to_json_string_length(body,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE,
		    &len);
	respond_text(q, status, text, len, type, allow);
}

static void
respond_error_typed(struct http_request *q, int status, const char *type,
    const char *message, const char *allow)
{
	json_object *o = json_object_new_object();

	if (o != NULL && json_object_object_add(o, "message",
	    json_object_new_string(message)) != 0) {
		json_object_put(o);
		o = NULL;
	}
	respond_json(q, status, o, type, allow);
	json_object_put(o);
}

static void
respond_error(struct http_request *q, int status, const char *message)
{
	respond_error_typed(q, status, error_type(status), message, NULL);
}

static void
on_too_large(void *ud, struct http_request *q)
{
	(void)ud;
	respond_error(q, 413, DOC_MSG_TOO_LARGE);
}

static void
on_stopping(void *ud, struct http_request *q)
{
	(void)ud;
	respond_error(q, 503, MSG_STOPPING);
}

void
dataplane_answer(struct dataplane *dp, struct request *r)
{
	struct http_request *q = r->origin;
	json_object *msg;
	const char *text;
	size_t len;

	(void)dp;
	if (r->nanswers == 0) {
		respond_error(q, 500, DOC_MSG_INTERNAL);
	} else if (r->code == 200) {
		/* the text its notification is published with, if it is one */
		text = request_answer_text(&r->answers[0], &len);
		respond_text(q, 200, text, len, NULL, NULL);
	} else if (json_object_object_get_ex(r->answers[0].body, "message",
	    &msg)) {
		respond_error(q, r->code, json_object_get_string(msg));
	} else {
		respond_error(q, 500, DOC_MSG_INTERNAL);
	}
}

/* ------------------------------------------------------------------ */
/* SigV4 */

static bool
payload_hash(struct http_request *q, char out[SIGV4_HEX_LEN + 1])
{
	const char *body, *claimed;
	size_t len;

	body = http_body(q, &len);
	sigv4_sha256_hex(body, len, out);
	claimed = http_header(q, "x-amz-content-sha256");
	return claimed == NULL || strcasecmp(claimed, out) == 0;
}

static void
refuse_signature(struct http_request *q, enum sigv4_status st)
{
	if (st == SIGV4_ERR_NOMEM)
		respond_error(q, 500, DOC_MSG_INTERNAL);
	else
		respond_error_typed(q, 403, "InvalidSignatureException",
		    sigv4_status_message(st), NULL);
}

static int
sigv4_headers(struct http_request *q, struct sigv4_request *req)
{
	const struct http_header *h;
	struct sigv4_header *out;
	size_t i, n;

	if ((h = http_headers(q, &n)) == NULL ||
	    (out = calloc(n + 1, sizeof(*out))) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		out[i].name = h[i].name;
		out[i].value = h[i].value;
	}
	req->headers = out;
	req->nheaders = n;
	return 0;
}

/* true when the request may go on; otherwise it has been answered 403. */
static bool
authorised(struct dataplane *dp, struct http_request *q)
{
	struct sigv4_authorization auth;
	struct sigv4_request req;
	char hash[SIGV4_HEX_LEN + 1];
	const char *value, *secret;
	enum sigv4_status st;

	if ((value = http_header(q, "Authorization")) == NULL) {
		respond_error_typed(q, 403,
		    "MissingAuthenticationTokenException", MSG_NO_TOKEN, NULL);
		return false;
	}
	if ((st = sigv4_parse_authorization(value, &auth)) != SIGV4_OK) {
		refuse_signature(q, st);
		return false;
	}
	if ((secret = credentials_secret(dp->creds,
	    auth.access_key_id)) == NULL) {
		respond_error_typed(q, 403, "UnrecognizedClientException",
		    MSG_UNKNOWN_KEY, NULL);
		return false;
	}
	if (!payload_hash(q, hash)) {
		respond_error_typed(q, 403, "InvalidSignatureException",
		    "x-amz-content-sha256 is not the SHA-256 of the body",
		    NULL);
		return false;
	}
	memset(&req, 0, sizeof(req));
	req.method = http_method(q);
	req.path = http_path(q);
	req.query = http_query(q);
	req.payload_hash = hash;
	if (sigv4_headers(q, &req) == -1) {
		respond_error(q, 500, DOC_MSG_INTERNAL);
		return false;
	}
	st = sigv4_verify(&req, &auth, secret, (long long)time(NULL));
	free((void *)(uintptr_t)req.headers);
	if (st != SIGV4_OK) {
		log_debug("http %s %s: signature of %s refused: %s",
		    http_method(q), http_path(q), auth.access_key_id,
		    sigv4_status_message(st));
		refuse_signature(q, st);
		return false;
	}
	return true;
}

/* ------------------------------------------------------------------ */
/* nextToken: the last name returned, bound to the thing by an HMAC with a
 * key kept in the store, so a token this store's shadowd did not issue is
 * refused and one issued before a restart goes on. */

static void
token_mac(const struct dataplane *dp, const char *thing, const char *name,
    unsigned char mac[EVP_MAX_MD_SIZE])
{
	unsigned char data[SHADOW_THING_MAX + SHADOW_NAME_MAX + 2];
	size_t tl = strlen(thing), nl = strlen(name);
	unsigned int maclen = 0;

	memcpy(data, thing, tl);
	data[tl] = '\0';
	memcpy(data + tl + 1, name, nl);
	if (HMAC(EVP_sha256(), dp->token_key, TOKEN_KEY_LEN, data, tl + 1 + nl,
	    mac, &maclen) == NULL)
		memset(mac, 0, EVP_MAX_MD_SIZE);
}

#define PAGE_TOKEN_MAX (2 * SHADOW_NAME_MAX + 1 + 2 * TOKEN_MAC_LEN + 1)

static void
token_make(const struct dataplane *dp, const char *thing, const char *name,
    char out[PAGE_TOKEN_MAX])
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	size_t nl = strlen(name);

	token_mac(dp, thing, name, mac);
	hex_encode((const unsigned char *)name, nl, out);
	out[2 * nl] = '.';
	hex_encode(mac, TOKEN_MAC_LEN, out + 2 * nl + 1);
}

/* Whether shadowd issued the token route_parse read (r->after, r->token_mac)
 * for this thing. */
static bool
token_issued(const struct dataplane *dp, const struct route *r)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	char want[2 * TOKEN_MAC_LEN + 1];

	token_mac(dp, r->thing, r->after, mac);
	hex_encode(mac, TOKEN_MAC_LEN, want);
	return CRYPTO_memcmp(want, r->token_mac, sizeof(want) - 1) == 0;
}

/* ------------------------------------------------------------------ */
/* Operations, on routes route_parse read */

static void
shadow_request(struct dataplane *dp, struct http_request *q,
    const struct route *r)
{
	const char *body = "";
	size_t len = 0;

	if (r->msg == SHADOW_MSG_UPDATE)
		body = http_body(q, &len);
	if (requests_handle(dp->hooks.requests, r->thing,
	    r->named ? r->shadow : NULL, r->msg, body, len, q) == NULL) {
		respond_error(q, 500, DOC_MSG_INTERNAL);
		return;
	}
	http_defer(q);
}

static json_object *
list_answer(struct dataplane *dp, const char *thing, json_object *names,
    bool more)
{
	char token[PAGE_TOKEN_MAX];
	json_object *o = json_object_new_object();
	size_t n = json_object_array_length(names);

	if (o == NULL)
		return NULL;
	if (json_object_object_add(o, "results", json_object_get(names)) != 0)
		goto fail;
	if (more && n > 0) {
		token_make(dp, thing, json_object_get_string(
		    json_object_array_get_idx(names, n - 1)), token);
		if (json_object_object_add(o, "nextToken",
		    json_object_new_string(token)) != 0)
			goto fail;
	}
	if (json_object_object_add(o, "timestamp",
	    json_object_new_int64((int64_t)time(NULL))) != 0)
		goto fail;
	return o;
fail:
	json_object_put(o);
	return NULL;
}

static void
list_request(struct dataplane *dp, struct http_request *q,
    const struct route *r)
{
	char err[512];
	json_object *names, *o;
	bool more;

	if (r->token && !token_issued(dp, r)) {
		respond_error(q, 400, "Invalid nextToken");
		return;
	}
	if ((names = json_object_new_array()) == NULL) {
		respond_error(q, 500, DOC_MSG_INTERNAL);
		return;
	}
	if (store_list_named(dp->hooks.store, r->thing, r->after, r->page_size,
	    names, &more, err, sizeof(err)) == -1) {
		log_error("store: %s", err);
		respond_error(q, 500, DOC_MSG_INTERNAL);
	} else if ((o = list_answer(dp, r->thing, names, more)) == NULL) {
		respond_error(q, 500, DOC_MSG_INTERNAL);
	} else {
		respond_json(q, 200, o, NULL, NULL);
		json_object_put(o);
	}
	json_object_put(names);
}

static void
publish_request(struct dataplane *dp, struct http_request *q,
    const struct route *r)
{
	const char *body;
	size_t len;

	body = http_body(q, &len);
	if (dp->hooks.publish(dp->hooks.ud, r->topic, body, len, r->qos,
	    r->retain) == -1) {
		respond_error(q, 503, "The broker can't take the message now "
		    "(not connected); try again, or publish with qos=1 to "
		    "have it queued");
		return;
	}
	log_debug("http POST /topics/%s: 200", r->topic);
	http_respond(q, 200, NULL, 0, "", 0);
}

/* ------------------------------------------------------------------ */
/* Routing */

static void
on_request(void *ud, struct http_request *q)
{
	struct dataplane *dp = ud;
	struct route r;

	if (dp->creds != NULL && !authorised(dp, q))
		return;
	if (route_parse(http_method(q), http_path(q), http_query(q),
	    &r) == -1) {
		respond_error_typed(q, r.status, error_type(r.status),
		    r.message, r.allow);
		return;
	}
	switch (r.op) {
	case ROUTE_SHADOW:
		shadow_request(dp, q, &r);
		break;
	case ROUTE_LIST:
		list_request(dp, q, &r);
		break;
	case ROUTE_PUBLISH:
		publish_request(dp, q, &r);
		break;
	}
}

/* ------------------------------------------------------------------ */
/* Setting up */

static int
check_access(const struct shadow_config *cfg, const struct dataplane *dp,
    char *err, size_t errlen)
{
	if (http_addr_loopback(&dp->opt.addr) || cfg->http_credentials ||
	    cfg->http_insecure)
		return 0;
	snprintf(err, errlen, "--http %s: not a loopback address, and without "
	    "--http-credentials anyone who can reach it could read and change "
	    "every shadow and publish on the broker; give --http-credentials "
	    "FILE (SigV4-signed requests only), or --http-insecure if the "
	    "network is trusted", cfg->http);
	return -1;
}

static int
options_check(const struct shadow_config *cfg, char *err, size_t errlen)
{
	if (cfg->http == NULL) {
		snprintf(err, errlen, "%s needs --http [ADDR:]PORT",
		    cfg->http_credentials ? "--http-credentials" :
		    cfg->http_cert ? "--http-cert" : cfg->http_key ?
		    "--http-key" : "--http-insecure");
		return -1;
	}
	if ((cfg->http_cert == NULL) != (cfg->http_key == NULL)) {
		snprintf(err, errlen, "%s given without %s: HTTPS needs both",
		    cfg->http_cert ? "--http-cert" : "--http-key",
		    cfg->http_cert ? "--http-key" : "--http-cert");
		return -1;
	}
	if (cfg->http_max_connections < 1 ||
	    cfg->http_max_connections > 100000) {
		snprintf(err, errlen, "--http-max-connections %ld: expected "
		    "1 to 100000", cfg->http_max_connections);
		return -1;
	}
	return 0;
}

static unsigned int
idle_timeout(void)
{
	const char *v = getenv("SHADOWD_HTTP_IDLE_TIMEOUT");
	char *end;
	long n;

	if (v == NULL || *v == '\0')
		return IDLE_TIMEOUT_S;
	n = strtol(v, &end, 10);
	return *end == '\0' && n > 0 && n <= 3600 ? (unsigned int)n :
	    IDLE_TIMEOUT_S;
}

struct dataplane *
dataplane_new(const struct shadow_config *cfg, char *err, size_t errlen)
{
	struct dataplane *dp;
	char why[512];

	if (options_check(cfg, err, errlen) == -1)
		return NULL;
	if ((dp = calloc(1, sizeof(*dp))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	dp->cfg = cfg;
	if (http_listen_parse(cfg->http, &dp->opt.addr, &dp->opt.addrlen, err,
	    errlen) == -1 || check_access(cfg, dp, err, errlen) == -1)
		goto fail;
	if (cfg->http_cert != NULL && tls_load_pair(cfg->http_cert,
	    cfg->http_key, &dp->cert_pem, &dp->key_pem, why,
	    sizeof(why)) == -1) {
		snprintf(err, errlen, "HTTPS (--http-cert, --http-key): %s", why);
		goto fail;
	}
	if (cfg->http_credentials != NULL && (dp->creds = credentials_load(
	    cfg->http_credentials, err, errlen)) == NULL)
		goto fail;
	dp->opt.cert_pem = dp->cert_pem;
	dp->opt.key_pem = dp->key_pem;
	dp->opt.max_connections = (unsigned int)cfg->http_max_connections;
	dp->opt.idle_timeout = idle_timeout();
	dp->opt.max_body = DOC_MAX_PAYLOAD;
	return dp;
fail:
	dataplane_free(dp);
	return NULL;
}

int
dataplane_listen(struct dataplane *dp, const struct dataplane_hooks *h,
    char *err, size_t errlen)
{
	const struct http_handlers handlers = {
		.request = on_request,
		.too_large = on_too_large,
		.stopping = on_stopping,
	};
	char addr[64];

	dp->hooks = *h;
	if (store_secret(h->store, TOKEN_KEY_NAME, dp->token_key,
	    TOKEN_KEY_LEN, err, errlen) == -1)
		return -1;
	dp->http = http_start(&dp->opt, &handlers, dp, err, errlen);
	if (dp->http == NULL)
		return -1;
	http_addr_format(&dp->opt.addr, http_port(dp->http), addr,
	    sizeof(addr));
	snprintf(dp->where, sizeof(dp->where), "%s://%s",
	    dp->cert_pem ? "https" : "http", addr);
	return 0;
}

struct http *
dataplane_http(struct dataplane *dp)
{
	return dp->http;
}

const char *
dataplane_where(const struct dataplane *dp)
{
	return dp->where;
}

static void
secret_free(char *s)
{
	if (s == NULL)
		return;
	OPENSSL_cleanse(s, strlen(s));
	free(s);
}

void
dataplane_free(struct dataplane *dp)
{
	if (dp == NULL)
		return;
	http_free(dp->http);
	free(dp->cert_pem);
	secret_free(dp->key_pem);
	credentials_free(dp->creds);
	OPENSSL_cleanse(dp->token_key, sizeof(dp->token_key));
	free(dp);
}
