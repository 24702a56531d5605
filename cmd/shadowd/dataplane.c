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
#include <openssl/rand.h>

#include "config.h"
#include "credentials.h"
#include "dataplane.h"
#include "doc.h"
#include "hex.h"
#include "http.h"
#include "json.h"
#include "log.h"
#include "request.h"
#include "sigv4.h"
#include "store.h"
#include "topic.h"

#define IDLE_TIMEOUT_S 60
#define PAGE_SIZE_DEFAULT 25
#define PAGE_SIZE_MAX 100
#define TOKEN_KEY_LEN 32
#define TOKEN_MAC_LEN 16
#define PUBLISH_TOPIC_MAX 256
#define PUBLISH_TOPIC_LEVELS 7
#define PEM_MAX (1024 * 1024)

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

enum route_op {
	ROUTE_SHADOW,        /* /things/T/shadow */
	ROUTE_LIST,          /* /api/things/shadow/ListNamedShadowsForThing/T */
	ROUTE_PUBLISH        /* /topics/TOPIC */
};

/* A query parameter, percent-decoded. */
struct param {
	char name[32];
	char value[512];
	bool seen;
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

static void
respond_json(struct http_request *q, int status, json_object *body,
    const char *type, const char *allow)
{
	struct http_header h[3] = {
		{ "Content-Type", "application/json" },
	};
	size_t nh = 1, len = 0;
	const char *text = NULL;

	if (type != NULL)
		h[nh++] = (struct http_header){ "x-amzn-ErrorType", type };
	if (allow != NULL)
		h[nh++] = (struct http_header){ "Allow", allow };
	if (body != NULL)
		text = json_object_to_json_string_length(body,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE,
		    &len);
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

	(void)dp;
	if (r->nanswers == 0) {
		respond_error(q, 500, DOC_MSG_INTERNAL);
	} else if (r->code == 200) {
		respond_json(q, 200, r->answers[0].body, NULL, NULL);
	} else if (json_object_object_get_ex(r->answers[0].body, "message",
	    &msg)) {
		respond_error(q, r->code, json_object_get_string(msg));
	} else {
		respond_error(q, 500, DOC_MSG_INTERNAL);
	}
}

/* ------------------------------------------------------------------ */
/* Paths and queries, as sent */

/* Fill the wanted parameters from the raw query; -1 on bad encoding. */
static int
query_parse(const char *query, struct param *p, size_t np)
{
	const char *s = query, *amp, *eq;
	size_t klen, vlen, i, dlen;
	char key[64];

	while (s != NULL && *s != '\0') {
		amp = strchr(s, '&');
		klen = amp ? (size_t)(amp - s) : strlen(s);
		eq = memchr(s, '=', klen);
		vlen = eq ? klen - (size_t)(eq - s) - 1 : 0;
		if (eq != NULL)
			klen = (size_t)(eq - s);
		if (percent_decode(s, klen, key, sizeof(key), &dlen) == -1)
			return -1;
		for (i = 0; i < np; i++) {
			if (p[i].seen || strcmp(p[i].name, key) != 0)
				continue;
			if (percent_decode(eq ? eq + 1 : "", vlen, p[i].value,
			    sizeof(p[i].value), &dlen) == -1 ||
			    strlen(p[i].value) != dlen)
				return -1;
			p[i].seen = true;
		}
		s = amp ? amp + 1 : NULL;
	}
	return 0;
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
 * key of this process, so a token shadowd did not issue is refused. */

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

/* The name a token continues after; -1 when shadowd did not issue it. */
static int
token_read(const struct dataplane *dp, const char *thing, const char *token,
    char name[SHADOW_NAME_MAX + 1])
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	char want[2 * TOKEN_MAC_LEN + 1];
	const char *dot = strchr(token, '.');
	size_t hl, i;
	int hi, lo;

	if (dot == NULL || (hl = (size_t)(dot - token)) % 2 != 0 ||
	    hl == 0 || hl / 2 > SHADOW_NAME_MAX ||
	    strlen(dot + 1) != 2 * TOKEN_MAC_LEN)
		return -1;
	for (i = 0; i < hl / 2; i++) {
		if ((hi = hex_value(token[2 * i])) < 0 ||
		    (lo = hex_value(token[2 * i + 1])) < 0)
			return -1;
		name[i] = (char)(hi * 16 + lo);
	}
	name[hl / 2] = '\0';
	if (!shadow_name_valid(name, hl / 2))
		return -1;
	token_mac(dp, thing, name, mac);
	hex_encode(mac, TOKEN_MAC_LEN, want);
	return CRYPTO_memcmp(want, dot + 1, sizeof(want) - 1) == 0 ? 0 : -1;
}

/* ------------------------------------------------------------------ */
/* Operations */

static void
shadow_request(struct dataplane *dp, struct http_request *q,
    const char *thing)
{
	struct param p[] = { { .name = "name" } };
	const char *m = http_method(q), *body = "";
	enum shadow_msg op;
	size_t len = 0;

	if (strcmp(m, "GET") == 0)
		op = SHADOW_MSG_GET;
	else if (strcmp(m, "POST") == 0)
		op = SHADOW_MSG_UPDATE;
	else if (strcmp(m, "DELETE") == 0)
		op = SHADOW_MSG_DELETE;
	else {
		respond_error_typed(q, 405, error_type(405), "Method not "
		    "allowed; this path takes GET, POST and DELETE",
		    "GET, POST, DELETE");
		return;
	}
	if (query_parse(http_query(q), p, 1) == -1) {
		respond_error(q, 400, "Invalid percent-encoding in the query");
		return;
	}
	if (p[0].seen && !shadow_name_valid(p[0].value, strlen(p[0].value))) {
		respond_error(q, 400, "Invalid shadow name: 1 to 64 of "
		    "A-Z a-z 0-9 : _ - $");
		return;
	}
	if (op == SHADOW_MSG_UPDATE)
		body = http_body(q, &len);
	if (requests_handle(dp->hooks.requests, thing,
	    p[0].seen ? p[0].value : NULL, op, body, len, q) == NULL) {
		respond_error(q, 500, DOC_MSG_INTERNAL);
		return;
	}
	http_defer(q);
}

static int
page_size(struct http_request *q, const struct param *p)
{
	char *end;
	long n;

	if (!p->seen)
		return PAGE_SIZE_DEFAULT;
	errno = 0;
	n = strtol(p->value, &end, 10);
	if (p->value[0] < '0' || p->value[0] > '9' || *end != '\0' ||
	    errno != 0 || n < 1 || n > PAGE_SIZE_MAX) {
		respond_error(q, 400, "Invalid pageSize: an integer from 1 "
		    "to 100");
		return -1;
	}
	return (int)n;
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
list_request(struct dataplane *dp, struct http_request *q, const char *thing)
{
	struct param p[] = { { .name = "nextToken" }, { .name = "pageSize" } };
	char after[SHADOW_NAME_MAX + 1] = "", err[512];
	json_object *names, *o;
	bool more;
	int n;

	if (strcmp(http_method(q), "GET") != 0) {
		respond_error_typed(q, 405, error_type(405), "Method not "
		    "allowed; this path takes GET", "GET");
		return;
	}
	if (query_parse(http_query(q), p, 2) == -1) {
		respond_error(q, 400, "Invalid percent-encoding in the query");
		return;
	}
	if ((n = page_size(q, &p[1])) == -1)
		return;
	if (p[0].seen && token_read(dp, thing, p[0].value, after) == -1) {
		respond_error(q, 400, "Invalid nextToken");
		return;
	}
	if ((names = json_object_new_array()) == NULL) {
		respond_error(q, 500, DOC_MSG_INTERNAL);
		return;
	}
	if (store_list_named(dp->hooks.store, thing, after, n, names, &more,
	    err, sizeof(err)) == -1) {
		log_error("store: %s", err);
		respond_error(q, 500, DOC_MSG_INTERNAL);
	} else if ((o = list_answer(dp, thing, names, more)) == NULL) {
		respond_error(q, 500, DOC_MSG_INTERNAL);
	} else {
		respond_json(q, 200, o, NULL, NULL);
		json_object_put(o);
	}
	json_object_put(names);
}

static bool
publish_topic_valid(const char *topic, size_t len)
{
	size_t i, levels = 0;

	if (len == 0 || len > PUBLISH_TOPIC_MAX || strlen(topic) != len ||
	    !json_utf8_valid(topic, len))
		return false;
	for (i = 0; i < len; i++) {
		if (topic[i] == '+' || topic[i] == '#')
			return false;
		if (topic[i] == '/' && ++levels > PUBLISH_TOPIC_LEVELS)
			return false;
	}
	return true;
}

static int
publish_options(struct http_request *q, int *qos, bool *retain)
{
	struct param p[] = { { .name = "qos" }, { .name = "retain" } };

	if (query_parse(http_query(q), p, 2) == -1) {
		respond_error(q, 400, "Invalid percent-encoding in the query");
		return -1;
	}
	*qos = 0;
	*retain = false;
	if (p[0].seen && strcmp(p[0].value, "0") != 0) {
		if (strcmp(p[0].value, "1") != 0) {
			respond_error(q, 400, "Invalid qos: 0 or 1");
			return -1;
		}
		*qos = 1;
	}
	if (p[1].seen && strcmp(p[1].value, "false") != 0) {
		if (strcmp(p[1].value, "true") != 0) {
			respond_error(q, 400, "Invalid retain: true or false");
			return -1;
		}
		*retain = true;
	}
	return 0;
}

static void
publish_request(struct dataplane *dp, struct http_request *q,
    const char *raw_topic)
{
	char topic[3 * PUBLISH_TOPIC_MAX + 1];
	const char *body;
	size_t tlen, len;
	bool retain;
	int qos;

	if (strcmp(http_method(q), "POST") != 0) {
		respond_error_typed(q, 405, error_type(405), "Method not "
		    "allowed; this path takes POST", "POST");
		return;
	}
	if (percent_decode(raw_topic, strlen(raw_topic), topic, sizeof(topic),
	    &tlen) == -1 || !publish_topic_valid(topic, tlen)) {
		respond_error(q, 400, "Invalid topic: 1 to 256 bytes of UTF-8, "
		    "at most 7 '/', no '+' or '#'");
		return;
	}
	if (publish_options(q, &qos, &retain) == -1)
		return;
	body = http_body(q, &len);
	if (dp->hooks.publish(dp->hooks.ud, topic, body, len, qos,
	    retain) == -1) {
		respond_error(q, 503, "The broker can't take the message now "
		    "(not connected); try again, or publish with qos=1 to "
		    "have it queued");
		return;
	}
	log_debug("http POST /topics/%s: 200", topic);
	http_respond(q, 200, NULL, 0, "", 0);
}

/* ------------------------------------------------------------------ */
/* Routing */

static void
no_route(struct http_request *q)
{
	char msg[300];

	snprintf(msg, sizeof(msg), "No route for %s %.200s", http_method(q),
	    http_path(q));
	respond_error(q, 404, msg);
}

/* The thing of "/PREFIX/T" + suffix (suffix may be ""): decoded into
 * thing; 1 no match, 0 match, -1 match answered 400. */
static int
match_thing(struct http_request *q, const char *prefix, const char *suffix,
    char thing[SHADOW_THING_MAX + 1])
{
	const char *path = http_path(q), *start, *end;
	size_t pl = strlen(prefix), sl = strlen(suffix), n, len;

	if (strncmp(path, prefix, pl) != 0)
		return 1;
	start = path + pl;
	n = strlen(start);
	if (n <= sl || strcmp(start + n - sl, suffix) != 0)
		return 1;
	end = start + n - sl;
	if (memchr(start, '/', (size_t)(end - start)) != NULL)
		return 1;
	if (percent_decode(start, (size_t)(end - start), thing,
	    SHADOW_THING_MAX + 1, &len) == -1 ||
	    !shadow_thing_name_valid(thing, len)) {
		respond_error(q, 400, "Invalid thing name: 1 to 128 of "
		    "A-Z a-z 0-9 : _ -");
		return -1;
	}
	return 0;
}

static void
on_request(void *ud, struct http_request *q)
{
	struct dataplane *dp = ud;
	char thing[SHADOW_THING_MAX + 1];
	const char *path = http_path(q);
	int m;

	if (dp->creds != NULL && !authorised(dp, q))
		return;
	if ((m = match_thing(q, "/things/", "/shadow", thing)) != 1) {
		if (m == 0)
			shadow_request(dp, q, thing);
		return;
	}
	if ((m = match_thing(q, "/api/things/shadow/ListNamedShadowsForThing/",
	    "", thing)) != 1) {
		if (m == 0)
			list_request(dp, q, thing);
		return;
	}
	if (strncmp(path, "/topics/", 8) == 0) {
		publish_request(dp, q, path + 8);
		return;
	}
	no_route(q);
}

/* ------------------------------------------------------------------ */
/* Setting up */

static char *
pem_load(const char *option, const char *path, char *err, size_t errlen)
{
	FILE *f;
	char *buf;
	size_t n;

	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: can't open %s: %s", option, path,
		    strerror(errno));
		return NULL;
	}
	if ((buf = malloc(PEM_MAX + 1)) == NULL) {
		fclose(f);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	n = fread(buf, 1, PEM_MAX + 1, f);
	if (ferror(f) || n > PEM_MAX || n == 0) {
		snprintf(err, errlen, "%s: can't read %s: %s", option, path,
		    ferror(f) ? strerror(errno) : n ? "over 1 MiB" : "empty");
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	return buf;
}

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
	if (cfg->http_cert != NULL && ((dp->cert_pem = pem_load("--http-cert",
	    cfg->http_cert, err, errlen)) == NULL || (dp->key_pem = pem_load(
	    "--http-key", cfg->http_key, err, errlen)) == NULL))
		goto fail;
	if (cfg->http_credentials != NULL && (dp->creds = credentials_load(
	    cfg->http_credentials, err, errlen)) == NULL)
		goto fail;
	if (RAND_bytes(dp->token_key, TOKEN_KEY_LEN) != 1) {
		snprintf(err, errlen, "can't get random bytes for nextToken");
		goto fail;
	}
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
