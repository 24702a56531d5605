/*
 * test_httpc - common/httpc.c against a real local peer
 * (tests/unit/httpc/peer.py: HTTP, HTTPS, HTTPS with client certificates,
 * and HTTPS whose certificate names another host, all on 127.0.0.1), with
 * certificates from certs.example/make-certs.sh. libcurl is loaded by
 * httpc at run time: this program is not linked with it.
 */
#include <errno.h>
#include <stdbool.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>

#include "check.h"
#include "httpc.h"

extern char **environ;

static char tmpdir[] = "/tmp/test_httpc.XXXXXX";
static char certs[600], ca[700], cert[700], key[700];
static int port_http, port_https, port_mtls, port_badname;
static pid_t peer_pid;
static char err[2048];

static void
peer_start(const char *top)
{
	char cmd[2048], script[1024], line[128];
	char *argv[] = { "python3", script, certs, NULL };
	int fds[2];
	FILE *fp;
	posix_spawn_file_actions_t fa;

	snprintf(certs, sizeof(certs), "%s/certs", tmpdir);
	snprintf(cmd, sizeof(cmd), "'%s/certs.example/make-certs.sh' '%s' "
	    ">/dev/null", top, certs);
	if (system(cmd) != 0) {
		fprintf(stderr, "make-certs.sh failed\n");
		exit(99);
	}
	snprintf(ca, sizeof(ca), "%s/ca/AmazonRootCA1.pem", certs);
	snprintf(cert, sizeof(cert), "%s/shadowctl/certificate.pem", certs);
	snprintf(key, sizeof(key), "%s/shadowctl/privateKey.pem", certs);
	snprintf(script, sizeof(script), "%s/tests/unit/httpc/peer.py", top);
	if (pipe(fds) == -1 || posix_spawn_file_actions_init(&fa) != 0 ||
	    posix_spawn_file_actions_adddup2(&fa, fds[1], 1) != 0 ||
	    posix_spawn_file_actions_addclose(&fa, fds[0]) != 0 ||
	    posix_spawnp(&peer_pid, "python3", &fa, NULL, argv, environ) != 0) {
		perror("start peer.py");
		exit(99);
	}
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	/* The peer prints its ports once every listener is up. */
	if ((fp = fdopen(fds[0], "r")) == NULL ||
	    fgets(line, sizeof(line), fp) == NULL ||
	    sscanf(line, "%d %d %d %d", &port_http, &port_https, &port_mtls,
	    &port_badname) != 4) {
		fprintf(stderr, "peer.py did not print its ports\n");
		exit(99);
	}
	fclose(fp);
}

static void
peer_stop(void)
{
	char cmd[700];

	if (peer_pid > 0) {
		kill(peer_pid, SIGTERM);
		waitpid(peer_pid, NULL, 0);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
}

static char url[512];

static const char *
at(int port, const char *scheme, const char *path)
{
	snprintf(url, sizeof(url), "%s://127.0.0.1:%d%s", scheme, port, path);
	return url;
}

static enum httpc_status
perform(struct httpc_request *req, struct httpc_response *resp)
{
	if (req->timeout_ms == 0)
		req->timeout_ms = 10000;
	err[0] = '\0';
	return httpc_perform(req, resp, err, sizeof(err));
}

static const char *
member(json_object *o, const char *a, const char *b)
{
	json_object *v;

	if (!json_object_object_get_ex(o, a, &v))
		return NULL;
	if (b != NULL && !json_object_object_get_ex(v, b, &v))
		return NULL;
	return json_object_get_string(v);
}

/* Whether a libcurl is mapped into this process now. */
static bool
libcurl_mapped(void)
{
	char line[1024];
	bool found = false;
	FILE *fp = fopen("/proc/self/maps", "r");

	if (fp == NULL)
		return false;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strstr(line, "/libcurl") != NULL)
			found = true;
	fclose(fp);
	return found;
}

static void
test_missing_library(void)
{
	struct httpc_request req = { .method = "GET",
	    .url = "http://127.0.0.1:1/" };
	struct httpc_response resp;

	setenv("SHADOW_LIBCURL", "libcurl-missing-for-test.so.4", 1);
	CHECK(perform(&req, &resp) == HTTPC_ERR_LOAD &&
	    strstr(err, "libcurl-missing-for-test.so.4") != NULL &&
	    strstr(err, "install the Debian package libcurl4") != NULL,
	    "no libcurl: HTTPC_ERR_LOAD naming the package (%s)", err);
	unsetenv("SHADOW_LIBCURL");
}

static void
test_plain(void)
{
	const char *hdrs[] = { "X-Amz-Date: 20261129T120000Z",
	    "X-Custom: a b" };
	struct httpc_request req = { .method = "GET", .headers = hdrs,
	    .nheaders = 2 };
	struct httpc_response resp;
	json_object *o;
	char body[5001];

	req.url = at(port_http, "http", "/echo/things/a%3Ab/shadow?name=%24p");
	CHECK(perform(&req, &resp) == HTTPC_OK && resp.status == 200,
	    "GET over HTTP (%s)", err);
	o = json_tokener_parse(resp.body);
	CHECK(o != NULL && strcmp(member(o, "method", NULL), "GET") == 0 &&
	    strcmp(member(o, "path", NULL), "/echo/things/a%3Ab/shadow") == 0 &&
	    strcmp(member(o, "query", NULL), "name=%24p") == 0,
	    "the path and query go out as given, encoded");
	CHECK(o != NULL && member(o, "headers", "x-amz-date") != NULL &&
	    strcmp(member(o, "headers", "x-custom"), "a b") == 0 &&
	    member(o, "headers", "content-type") == NULL,
	    "the caller's headers are sent; no Content-Type of our own");
	CHECK(o != NULL && strncmp(member(o, "headers", "user-agent"),
	    "shadow-tools/", 13) == 0, "User-Agent: shadow-tools/VERSION");
	json_object_put(o);
	CHECK(resp.error_type == NULL, "no x-amzn-ErrorType: NULL");
	httpc_response_free(&resp);

	memset(body, 'b', 5000);
	body[5000] = '\0';
	req.method = "POST";
	req.body = body;
	req.body_len = 5000;
	req.url = at(port_http, "http", "/echo/update");
	CHECK(perform(&req, &resp) == HTTPC_OK && resp.status == 200,
	    "POST with a 5000-byte body (%s)", err);
	o = json_tokener_parse(resp.body);
	CHECK(o != NULL && strcmp(member(o, "method", NULL), "POST") == 0 &&
	    strlen(member(o, "body", NULL)) == 5000 &&
	    member(o, "headers", "expect") == NULL &&
	    member(o, "headers", "content-type") == NULL,
	    "the body arrives whole, without Expect or Content-Type");
	json_object_put(o);
	httpc_response_free(&resp);

	req.method = "DELETE";
	req.body = NULL;
	req.body_len = 0;
	req.url = at(port_http, "http", "/echo/delete");
	o = NULL;
	CHECK(perform(&req, &resp) == HTTPC_OK && resp.status == 200 &&
	    (o = json_tokener_parse(resp.body)) != NULL &&
	    strcmp(member(o, "method", NULL), "DELETE") == 0, "DELETE");
	json_object_put(o);
	httpc_response_free(&resp);

	req.method = "GET";
	req.url = at(port_http, "http", "/error/ResourceNotFoundException");
	CHECK(perform(&req, &resp) == HTTPC_OK && resp.status == 404 &&
	    resp.error_type != NULL &&
	    strcmp(resp.error_type, "ResourceNotFoundException") == 0 &&
	    strstr(resp.body, "no such thing") != NULL,
	    "a 404 is an answer: status, x-amzn-ErrorType without its "
	    "':http...' part, body");
	httpc_response_free(&resp);

	req.url = at(port_http, "http", "/big/300000");
	CHECK(perform(&req, &resp) == HTTPC_OK && resp.body_len == 300000 &&
	    strlen(resp.body) == 300000, "a 300 kB answer arrives whole");
	httpc_response_free(&resp);

	req.url = at(port_http, "http", "/big/16777216");
	CHECK(perform(&req, &resp) == HTTPC_OK &&
	    resp.body_len == 16777216 && resp.body[16777216] == '\0',
	    "an answer of exactly 16 MiB, the limit, arrives whole");
	httpc_response_free(&resp);
	req.url = at(port_http, "http", "/big/16777217");
	CHECK(perform(&req, &resp) == HTTPC_ERR_CONNECT &&
	    resp.body == NULL && strstr(err, "/big/16777217: the answer is "
	    "larger than 16777216 bytes") != NULL,
	    "one byte more is refused, saying so: %s", err);
	httpc_response_free(&resp);
}

static void
test_failures(void)
{
	struct httpc_request req = { .method = "GET" };
	struct httpc_response resp;

	req.url = at(port_http, "http", "/stall");
	req.timeout_ms = 300;
	CHECK(perform(&req, &resp) == HTTPC_ERR_TIMEOUT &&
	    strstr(err, "/stall") != NULL && strstr(err, "imed out") != NULL,
	    "no answer within the timeout: HTTPC_ERR_TIMEOUT (%s)", err);
	req.timeout_ms = 0;

	req.url = "http://127.0.0.1:1/echo";
	CHECK(perform(&req, &resp) == HTTPC_ERR_CONNECT &&
	    strstr(err, "GET http://127.0.0.1:1/echo: ") != NULL &&
	    strstr(err, "onnect") != NULL,
	    "a refused connection: HTTPC_ERR_CONNECT with libcurl's reason "
	    "(%s)", err);
	req.url = "ftp://127.0.0.1/x";
	CHECK(perform(&req, &resp) == HTTPC_ERR_USAGE,
	    "a scheme other than http/https is refused (%s)", err);
	req.url = at(port_https, "https", "/echo");
	req.ca = "/nonexistent/ca.pem";
	CHECK(perform(&req, &resp) == HTTPC_ERR_USAGE &&
	    strstr(err, "can't read CA file /nonexistent/ca.pem: No such "
	    "file") != NULL, "a missing CA file is named (%s)", err);
}

static void
test_tls(void)
{
	struct httpc_request req = { .method = "GET" };
	struct httpc_response resp;
	json_object *o = NULL;

	req.url = at(port_https, "https", "/echo");
	req.ca = ca;
	CHECK(perform(&req, &resp) == HTTPC_OK && resp.status == 200,
	    "HTTPS with our CA (%s)", err);
	httpc_response_free(&resp);

	req.ca = NULL;
	CHECK(perform(&req, &resp) == HTTPC_ERR_CONNECT &&
	    strstr(err, "certificate") != NULL,
	    "HTTPS with the system CAs fails with OpenSSL's reason (%s)", err);

	req.ca = ca;
	req.url = at(port_badname, "https", "/echo");
	CHECK(perform(&req, &resp) == HTTPC_ERR_CONNECT &&
	    strstr(err, "subject name") != NULL &&
	    strstr(err, "'127.0.0.1'") != NULL,
	    "a certificate for another name fails, saying so (%s)", err);
	req.insecure = true;
	CHECK(perform(&req, &resp) == HTTPC_OK && resp.status == 200,
	    "--insecure skips the name check (%s)", err);
	httpc_response_free(&resp);
	req.insecure = false;

	req.url = at(port_mtls, "https", "/echo");
	CHECK(perform(&req, &resp) != HTTPC_OK && err[0] != '\0',
	    "a server that wants a client certificate refuses us without "
	    "one (%s)", err);
	req.cert = cert;
	req.key = key;
	CHECK(perform(&req, &resp) == HTTPC_OK && resp.status == 200 &&
	    (o = json_tokener_parse(resp.body)) != NULL &&
	    member(o, "client_cn", NULL) != NULL &&
	    strcmp(member(o, "client_cn", NULL), "shadowctl") == 0,
	    "--cert/--key: the server sees our certificate (%s)", err);
	json_object_put(o);
	httpc_response_free(&resp);
}

static void
test_trace(void)
{
	const char *hdrs[] = {
	    "Authorization: AWS4-HMAC-SHA256 Credential=AKIDTRACE/20261129/"
	    "us-east-1/iotdata/aws4_request, SignedHeaders=host;x-amz-date, "
	    "Signature=0123456789abcdef",
	    "X-Amz-Security-Token: very-secret-token" };
	struct httpc_request req = { .method = "POST", .headers = hdrs,
	    .nheaders = 2, .body = "{}", .body_len = 2, .verbosity = 2 };
	struct httpc_response resp;
	struct check_capture cap;
	char trace[16384], path[700];

	snprintf(path, sizeof(path), "%s/trace", tmpdir);
	req.url = at(port_http, "http", "/echo/trace");
	check_capture_begin(&cap, path);
	perform(&req, &resp);
	check_capture_end(&cap, trace, sizeof(trace));
	httpc_response_free(&resp);
	CHECK(strstr(trace, "> POST /echo/trace HTTP/1.1") != NULL &&
	    strstr(trace, "< HTTP/1.") != NULL &&
	    strstr(trace, "> [2 bytes of body]") != NULL,
	    "-vv traces the request and answer headers");
	CHECK(strstr(trace, "Credential=AKIDTRACE/") != NULL &&
	    strstr(trace, "Signature=****") != NULL &&
	    strstr(trace, "0123456789abcdef") == NULL &&
	    strstr(trace, "X-Amz-Security-Token: ****") != NULL &&
	    strstr(trace, "very-secret-token") == NULL,
	    "the trace masks the signature and the session token");
	if (strstr(trace, "Signature=****") == NULL)
		printf("# trace:\n%s\n", trace);
}

int
main(void)
{
	const char *top = getenv("SHADOW_TOP") != NULL ?
	    getenv("SHADOW_TOP") : ".";

	if (mkdtemp(tmpdir) == NULL)
		return 99;
	peer_start(top);
	CHECK(!libcurl_mapped(), "libcurl is not loaded before the first "
	    "request");
	test_missing_library();
	test_plain();
	CHECK(libcurl_mapped(), "libcurl is loaded once a request is made");
	test_failures();
	test_tls();
	test_trace();
	httpc_cleanup();
	peer_stop();
	CHECK_DONE();
}
