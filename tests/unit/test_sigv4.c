/*
 * test_sigv4 - common/sigv4.c against AWS's published Signature Version 4
 * test suite and against requests that real clients signed.
 *
 * 1. The suite (tests/unit/sigv4/NAME.req, .creq, .authz; AKIDEXAMPLE,
 *    us-east-1, service "service", 2015-08-30T12:36:00Z): for each vector
 *    the canonical request and the Authorization header must come out
 *    byte for byte, and the parsed header must verify.
 *
 *    The suite writes its paths unencoded ("/example space/", "/ሴ",
 *    "/example/$delete") and expects them encoded once in the canonical
 *    request. sigv4 encodes the path it is given once more, so with the
 *    .req path taken as the path "on the wire" each vector checks exactly
 *    that one encoding, and they all apply. What they cannot show is the
 *    second encoding of an already encoded path (a thing "a:b" sent as
 *    /things/a%3Ab/shadow and signed as /things/a%253Ab/shadow): no suite
 *    path holds a '%'. Part 2 shows it with what botocore really signs.
 *    Left out of the suite, and why:
 *    - post-vanilla-query-space ("POST /?f oo=b ar HTTP/1.1"): not a
 *      request line any client sends; it tests a request-line parser.
 *    - post-vanilla-query-nonunreserved: a raw '#' and a stray "%^" in the
 *      query, which no HTTP client puts on the wire (the '#' would start a
 *      fragment); shadowd refuses bad percent-encoding before signatures.
 *    - post-sts-header-after: the token is added after signing, so it is
 *      post-vanilla again; get-vanilla-query, post-vanilla-empty-query-value
 *      repeat get-vanilla / post-vanilla-query.
 *    - the S3 variants (get-*-unnormalized): S3 alone signs the path encoded
 *      once and unnormalized; the IoT Data Plane is not S3.
 *    get-vanilla-with-session-token: its .token file holds the
 *    X-Amz-Security-Token the suite's signer adds before signing.
 *
 * 2. tests/unit/sigv4/botocore_sign.py prints requests signed by botocore's
 *    iot-data client and SigV4Auth (thing a:b, shadow $package, a Publish
 *    topic with '/', query strings, a session token, iotdevicegateway) and
 *    by curl --aws-sigv4; each must get the answer the script names:
 *    botocore's are accepted, curl's raw-path signature of a:b is refused.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "check.h"
#include "sigv4.h"

#define SUITE_KEY "AKIDEXAMPLE"
#define SUITE_SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define SUITE_DATE "20150830T123600Z"
#define SUITE_NOW 1440938160LL    /* 2015-08-30T12:36:00Z */
#define MAXH 16

static const char *suite[] = {
	"get-vanilla", "get-vanilla-empty-query-key",
	"get-vanilla-query-order-key-case", "get-vanilla-query-order-key",
	"get-vanilla-query-order-value", "get-vanilla-query-order-encoded",
	"get-vanilla-query-unreserved", "get-vanilla-utf8-query",
	"get-vanilla-with-session-token", "get-unreserved", "get-utf8",
	"get-header-key-duplicate", "get-header-value-multiline",
	"get-header-value-order", "get-header-value-trim", "post-vanilla",
	"post-vanilla-query", "post-header-key-sort", "post-header-value-case",
	"post-x-www-form-urlencoded", "post-x-www-form-urlencoded-parameters",
	"post-sts-header-before", "get-relative", "get-relative-relative",
	"get-slash", "get-slash-dot-slash", "get-slash-pointless-dot",
	"get-slashes", "get-space", "get-special-character",
};

static const char *top;

/* The file's bytes, NUL-terminated, or NULL when it does not exist. */
static char *
slurp(const char *name, const char *ext)
{
	char path[1024], *buf = NULL;
	size_t cap = 0;
	FILE *fp, *mem;
	int c;

	snprintf(path, sizeof(path), "%s/tests/unit/sigv4/%s%s", top, name,
	    ext);
	if ((fp = fopen(path, "r")) == NULL) {
		if (errno != ENOENT) {
			perror(path);
			exit(99);
		}
		return NULL;
	}
	if ((mem = open_memstream(&buf, &cap)) == NULL)
		exit(99);
	while ((c = getc(fp)) != EOF)
		putc(c, mem);
	fclose(fp);
	fclose(mem);
	return buf;
}

static void
chomp(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && s[n - 1] == '\n')
		s[--n] = '\0';
}

struct parsed {
	char *text;                    /* owns every string below */
	char *method, *path, *query;
	struct sigv4_header h[MAXH];
	char *folded[MAXH];            /* values grown by continuation lines */
	size_t nh;
	char payload_hash[SIGV4_HEX_LEN + 1];
	struct sigv4_request req;
};

/* The suite's .req: request line, headers (a line starting with white
 * space continues the previous value), a blank line, the body. */
static void
parse_req(struct parsed *p, char *text, const char *token)
{
	char *body, *line, *next, *sp, *colon, *folded;
	size_t i;

	memset(p, 0, sizeof(*p));
	p->text = text;
	body = strstr(text, "\n\n");
	if (body != NULL) {
		*body = '\0';
		body += 2;
	}
	chomp(text);
	sigv4_sha256_hex(body, body != NULL ? strlen(body) : 0,
	    p->payload_hash);
	next = strchr(text, '\n');
	if (next != NULL)
		*next++ = '\0';
	p->method = text;
	sp = strchr(text, ' ');
	*sp = '\0';
	p->path = sp + 1;
	*strrchr(p->path, ' ') = '\0';
	if ((p->query = strchr(p->path, '?')) != NULL)
		*p->query++ = '\0';
	for (line = next; line != NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (line[0] == ' ' || line[0] == '\t') {
			i = p->nh - 1;
			if (asprintf(&folded, "%s %s", p->h[i].value,
			    line) == -1)
				exit(99);
			free(p->folded[i]);
			p->h[i].value = p->folded[i] = folded;
			continue;
		}
		colon = strchr(line, ':');
		*colon = '\0';
		p->h[p->nh].name = line;
		p->h[p->nh++].value = colon + 1;
	}
	if (token != NULL) {
		p->h[p->nh].name = "X-Amz-Security-Token";
		p->h[p->nh++].value = token;
	}
	p->req.method = p->method;
	p->req.path = p->path;
	p->req.query = p->query;
	p->req.headers = p->h;
	p->req.nheaders = p->nh;
	p->req.payload_hash = p->payload_hash;
}

static void
parsed_free(struct parsed *p)
{
	size_t i;

	for (i = 0; i < MAXH; i++)
		free(p->folded[i]);
	free(p->text);
}

static void
suite_vector(const char *name)
{
	struct sigv4_credentials cred = { SUITE_KEY, SUITE_SECRET, NULL };
	struct sigv4_authorization auth;
	struct parsed p;
	char *creq_want, *authz_want, *token, *creq, out[1024];
	int rc;

	creq_want = slurp(name, ".creq");
	authz_want = slurp(name, ".authz");
	token = slurp(name, ".token");
	CHECK(creq_want != NULL && authz_want != NULL, "%s: vector files",
	    name);
	if (creq_want == NULL || authz_want == NULL)
		exit(1);
	chomp(authz_want);
	if (token != NULL)
		chomp(token);
	parse_req(&p, slurp(name, ".req"), token);
	cred.session_token = token;
	CHECK(sigv4_parse_authorization(authz_want, &auth) == SIGV4_OK,
	    "%s: the suite's Authorization parses", name);
	creq = sigv4_canonical_request(&p.req, auth.signed_headers);
	CHECK_STR(creq, creq_want, "%s: canonical request", name);
	rc = sigv4_sign(&p.req, &cred, "us-east-1", "service", SUITE_DATE,
	    out, sizeof(out));
	CHECK(rc == 0, "%s: sign", name);
	CHECK_STR(out, authz_want, "%s: Authorization", name);
	/* The suite signs for the service "service": the Data Plane's
	 * verifier takes iotdata and iotdevicegateway only. */
	CHECK(sigv4_verify(&p.req, &auth, SUITE_SECRET, SUITE_NOW) ==
	    SIGV4_ERR_SCOPE, "%s: service 'service' is out of scope", name);
	free(creq);
	free(creq_want);
	free(authz_want);
	free(token);
	parsed_free(&p);
}

/* get-vanilla signed for iotdata: accepted, then each way to spoil it. */
static void
verify_rules(void)
{
	struct sigv4_credentials cred = { SUITE_KEY, SUITE_SECRET, NULL };
	struct sigv4_authorization auth;
	struct parsed p;
	char out[1024];

	parse_req(&p, slurp("get-vanilla", ".req"), NULL);
	CHECK(sigv4_sign(&p.req, &cred, "eu-central-1", "iotdata",
	    SUITE_DATE, out, sizeof(out)) == 0, "sign for iotdata");
	CHECK(sigv4_parse_authorization(out, &auth) == SIGV4_OK,
	    "our own header parses");
	CHECK(strcmp(auth.region, "eu-central-1") == 0 &&
	    strcmp(auth.access_key_id, SUITE_KEY) == 0 &&
	    strcmp(auth.date, "20150830") == 0 &&
	    strcmp(auth.signed_headers, "host;x-amz-date") == 0,
	    "parsed parts: key, date, region, signed headers");
	CHECK(sigv4_verify(&p.req, &auth, SUITE_SECRET, SUITE_NOW) ==
	    SIGV4_OK, "any region, service iotdata: accepted");
	CHECK(sigv4_verify(&p.req, &auth, SUITE_SECRET, SUITE_NOW + 300) ==
	    SIGV4_OK, "5 minutes late: still accepted");
	CHECK(sigv4_verify(&p.req, &auth, SUITE_SECRET, SUITE_NOW + 301) ==
	    SIGV4_ERR_CLOCK, "5 minutes and 1 s late: clock");
	CHECK(sigv4_verify(&p.req, &auth, SUITE_SECRET, SUITE_NOW - 301) ==
	    SIGV4_ERR_CLOCK, "5 minutes and 1 s early: clock");
	CHECK(sigv4_verify(&p.req, &auth, "wrong", SUITE_NOW) ==
	    SIGV4_ERR_SIGNATURE, "wrong secret: signature");
	p.req.path = "/x";
	CHECK(sigv4_verify(&p.req, &auth, SUITE_SECRET, SUITE_NOW) ==
	    SIGV4_ERR_SIGNATURE, "other path: signature");
	p.req.path = p.path;
	memcpy(auth.date, "20150831", 8);
	CHECK(sigv4_verify(&p.req, &auth, SUITE_SECRET, SUITE_NOW) ==
	    SIGV4_ERR_SCOPE, "scope date other than X-Amz-Date's: scope");
	memcpy(auth.date, "20150830", 8);
	strcpy(auth.signed_headers, "host");
	CHECK(sigv4_verify(&p.req, &auth, SUITE_SECRET, SUITE_NOW) ==
	    SIGV4_ERR_HEADERS, "x-amz-date not signed: headers");
	strcpy(auth.signed_headers, "host;my-header;x-amz-date");
	CHECK(sigv4_verify(&p.req, &auth, SUITE_SECRET, SUITE_NOW) ==
	    SIGV4_ERR_HEADERS, "a signed header absent: headers");
	strcpy(auth.signed_headers, "host;x-amz-date");
	strcpy(auth.service, "iotdevicegateway");
	CHECK(sigv4_verify(&p.req, &auth, SUITE_SECRET, SUITE_NOW) ==
	    SIGV4_ERR_SIGNATURE, "service iotdevicegateway is in scope "
	    "(signature then checked)");
	p.h[1].value = "20150830T1236";
	CHECK(sigv4_verify(&p.req, &auth, SUITE_SECRET, SUITE_NOW) ==
	    SIGV4_ERR_HEADERS, "X-Amz-Date not YYYYMMDDTHHMMSSZ: headers");
	parsed_free(&p);
}

static void
double_encoding(void)
{
	struct sigv4_header h[] = { { "Host", "h" }, { "X-Amz-Date",
	    SUITE_DATE } };
	struct sigv4_request req = { "GET", "/things/a%3Ab/shadow",
	    "name=%24package", h, 2, "e3b0" };
	char *c = sigv4_canonical_request(&req, "host;x-amz-date");

	CHECK_STR(c, "GET\n/things/a%253Ab/shadow\nname=%24package\n"
	    "host:h\nx-amz-date:" SUITE_DATE "\n\nhost;x-amz-date\ne3b0",
	    "a:b on the wire as a%%3Ab is signed as a%%253Ab; the query once");
	free(c);
	req.path = "/topics/a%2F..%2Fb";
	req.query = "b=2&a=1&a";
	c = sigv4_canonical_request(&req, "host;x-amz-date");
	CHECK(c != NULL && strncmp(c, "GET\n/topics/a%252F..%252Fb\na=&a=1&"
	    "b=2\n", 36) == 0, "encoded '/' is no segment; a key without "
	    "'=' signs as 'a='");
	free(c);
}

static void
parse_cases(void)
{
	static const struct {
		const char *value;
		enum sigv4_status want;
	} cases[] = {
		{ NULL, SIGV4_ERR_MISSING },
		{ "  ", SIGV4_ERR_MISSING },
		{ "AWS4-HMAC-SHA256 Credential=AK/20150830/r/s/aws4_request, "
		  "SignedHeaders=host;x-amz-date, Signature="
		  "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
		  SIGV4_OK },
		{ "AWS4-HMAC-SHA256 Signature="
		  "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
		  ",Credential=AK/20150830/r/s/aws4_request,SignedHeaders=host",
		  SIGV4_OK },
		{ "AWS4-HMAC-SHA1 Credential=AK/20150830/r/s/aws4_request, "
		  "SignedHeaders=host, Signature=00", SIGV4_ERR_MALFORMED },
		{ "Bearer abc", SIGV4_ERR_MALFORMED },
		{ "AWS4-HMAC-SHA256 Credential=AK/2015083/r/s/aws4_request, "
		  "SignedHeaders=host, Signature="
		  "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
		  SIGV4_ERR_MALFORMED },
		{ "AWS4-HMAC-SHA256 Credential=AK/20150830/r/s/aws4_reques, "
		  "SignedHeaders=host, Signature="
		  "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
		  SIGV4_ERR_MALFORMED },
		{ "AWS4-HMAC-SHA256 Credential=AK/20150830/r/s/aws4_request, "
		  "SignedHeaders=x-amz-date;host, Signature="
		  "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
		  SIGV4_ERR_MALFORMED },
		{ "AWS4-HMAC-SHA256 Credential=AK/20150830/r/s/aws4_request, "
		  "SignedHeaders=Host, Signature="
		  "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
		  SIGV4_ERR_MALFORMED },
		{ "AWS4-HMAC-SHA256 Credential=AK/20150830/r/s/aws4_request, "
		  "SignedHeaders=host;;x, Signature="
		  "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
		  SIGV4_ERR_MALFORMED },
		{ "AWS4-HMAC-SHA256 Credential=AK/20150830/r/s/aws4_request, "
		  "SignedHeaders=host, Signature="
		  "5FA00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
		  SIGV4_ERR_MALFORMED },
		{ "AWS4-HMAC-SHA256 Credential=AK/20150830/r/s/aws4_request, "
		  "SignedHeaders=host, Signature=5fa0", SIGV4_ERR_MALFORMED },
		{ "AWS4-HMAC-SHA256 Credential=AK/20150830/r/s/aws4_request, "
		  "SignedHeaders=host", SIGV4_ERR_MALFORMED },
		{ "AWS4-HMAC-SHA256 Credential=AK/20150830/r/s/aws4_request, "
		  "Credential=AK/20150830/r/s/aws4_request, SignedHeaders=host, "
		  "Signature="
		  "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
		  SIGV4_ERR_MALFORMED },
		{ "AWS4-HMAC-SHA256 Credential=A K/20150830/r/s/aws4_request, "
		  "SignedHeaders=host, Signature="
		  "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
		  SIGV4_ERR_MALFORMED },
		{ "AWS4-HMAC-SHA256 Credential=AK/20150830/r/s/x/aws4_request, "
		  "SignedHeaders=host, Signature="
		  "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
		  SIGV4_ERR_MALFORMED },
		{ "AWS4-HMAC-SHA256 Credential=AK/20150830/r/s/aws4_request, "
		  "SignedHeaders=host, Signature="
		  "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
		  ", Extra=1", SIGV4_ERR_MALFORMED },
	};
	struct sigv4_authorization a;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK(sigv4_parse_authorization(cases[i].value, &a) ==
		    cases[i].want, "parse Authorization case %zu: %s", i,
		    sigv4_status_message(cases[i].want));
}

static enum sigv4_status
expect_status(const char *s)
{
	if (strcmp(s, "ok") == 0)
		return SIGV4_OK;
	if (strcmp(s, "signature") == 0)
		return SIGV4_ERR_SIGNATURE;
	if (strcmp(s, "clock") == 0)
		return SIGV4_ERR_CLOCK;
	if (strcmp(s, "scope") == 0)
		return SIGV4_ERR_SCOPE;
	return SIGV4_ERR_NOMEM;
}

static const char *
jstr(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ?
	    json_object_get_string(v) : "";
}

/* Signing the headers the client signed gives the client's header. */
static void
resign(const struct sigv4_request *req, const struct sigv4_authorization *auth,
    const char *secret, const char *authz, const char *name)
{
	struct sigv4_credentials cred = { auth->access_key_id, secret, NULL };
	struct sigv4_header h[MAXH];
	struct sigv4_request mine = *req;
	const char *amz_date = NULL;
	char out[1024], signed_list[1100], needle[70];
	size_t i, j;

	/* ";host;x-amz-date;": a name is signed when ";name;" is in it. */
	snprintf(signed_list, sizeof(signed_list), ";%s;",
	    auth->signed_headers);
	mine.headers = h;
	mine.nheaders = 0;
	for (i = 0; i < req->nheaders; i++) {
		needle[0] = ';';
		for (j = 0; j + 3 < sizeof(needle) &&
		    req->headers[i].name[j] != '\0'; j++)
			needle[j + 1] = (char)tolower(
			    (unsigned char)req->headers[i].name[j]);
		needle[j + 1] = ';';
		needle[j + 2] = '\0';
		if (strcmp(needle, ";x-amz-date;") == 0)
			amz_date = req->headers[i].value;
		if (strstr(signed_list, needle) != NULL)
			h[mine.nheaders++] = req->headers[i];
	}
	CHECK(amz_date != NULL && sigv4_sign(&mine, &cred, auth->region,
	    auth->service, amz_date, out, sizeof(out)) == 0 &&
	    strcmp(out, authz) == 0, "%s: sigv4_sign gives the same "
	    "Authorization", name);
}

static void
real_client_line(const char *line)
{
	struct sigv4_header h[MAXH];
	struct sigv4_authorization auth;
	struct sigv4_request req;
	json_object *o, *hs, *pair, *now;
	const char *authz = NULL, *name;
	enum sigv4_status st, want;
	size_t i, n;

	o = json_tokener_parse(line);
	CHECK(o != NULL, "botocore_sign.py line is JSON");
	if (o == NULL)
		return;
	name = jstr(o, "name");
	json_object_object_get_ex(o, "headers", &hs);
	json_object_object_get_ex(o, "now", &now);
	n = json_object_array_length(hs);
	if (n > MAXH)
		n = MAXH;
	for (i = 0; i < n; i++) {
		pair = json_object_array_get_idx(hs, i);
		h[i].name = json_object_get_string(
		    json_object_array_get_idx(pair, 0));
		h[i].value = json_object_get_string(
		    json_object_array_get_idx(pair, 1));
		if (strcasecmp(h[i].name, "authorization") == 0)
			authz = h[i].value;
	}
	req.method = jstr(o, "method");
	req.path = jstr(o, "path");
	req.query = jstr(o, "query");
	req.headers = h;
	req.nheaders = n;
	req.payload_hash = jstr(o, "payload_hash");
	st = sigv4_parse_authorization(authz, &auth);
	CHECK(st == SIGV4_OK, "%s: Authorization parses", name);
	want = expect_status(jstr(o, "expect"));
	if (st == SIGV4_OK)
		st = sigv4_verify(&req, &auth, jstr(o, "secret"),
		    json_object_get_int64(now));
	CHECK(st == want, "%s: %s", name, sigv4_status_message(want));
	if (st != want)
		printf("#   got: %s\n", sigv4_status_message(st));
	if (want == SIGV4_OK)
		resign(&req, &auth, jstr(o, "secret"), authz, name);
	json_object_put(o);
}

static void
real_clients(void)
{
	char cmd[1200], *line = NULL;
	size_t cap = 0;
	int lines = 0, rc;
	FILE *fp;

	snprintf(cmd, sizeof(cmd), "python3 '%s/tests/unit/sigv4/"
	    "botocore_sign.py'", top);
	fp = popen(cmd, "r");
	CHECK(fp != NULL, "run botocore_sign.py");
	if (fp == NULL)
		return;
	while (getline(&line, &cap, fp) != -1) {
		real_client_line(line);
		lines++;
	}
	free(line);
	rc = pclose(fp);
	CHECK(rc == 0 && lines >= 15, "botocore_sign.py ran to the end "
	    "(exit %d, %d requests)", rc, lines);
}

int
main(void)
{
	size_t i;

	top = getenv("SHADOW_TOP") != NULL ? getenv("SHADOW_TOP") : ".";
	for (i = 0; i < sizeof(suite) / sizeof(suite[0]); i++)
		suite_vector(suite[i]);
	verify_rules();
	double_encoding();
	parse_cases();
	real_clients();
	CHECK_DONE();
}
