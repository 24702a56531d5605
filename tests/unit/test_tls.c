/* test_tls.c - OpenSSL checks of CA, certificate and key files. */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "config.h"
#include "log.h"
#include "tls.h"

#define MAKE_CERTS "certs.example/make-certs.sh"

static char tmpdir[256];
static char err[1024];
static char warnbuf[2048];

static char *
path(const char *rel)
{
	static char buf[16][512];
	static int next;
	char *p = buf[next++ % 16];

	snprintf(p, 512, "%s/%s", tmpdir, rel);
	return p;
}

static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
run(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

/* tls_check_files with stderr (warnings) captured in warnbuf. */
static int
check(const char *ca, const char *cert, const char *key)
{
	struct shadow_config cfg;
	struct check_capture cap;
	int rc;

	memset(&cfg, 0, sizeof(cfg));
	cfg.ca = (char *)ca;
	cfg.cert = (char *)cert;
	cfg.key = (char *)key;
	check_capture_begin(&cap, path("stderr"));
	rc = tls_check_files(&cfg, err, sizeof(err));
	check_capture_end(&cap, warnbuf, sizeof(warnbuf));
	return rc;
}

static bool
has(const char *text, const char *want)
{
	if (strstr(text, want) != NULL)
		return true;
	printf("#   got: %s\n#   expected to contain: %s\n",
	    text[0] ? text : "(empty)", want);
	return false;
}

static void
write_file(const char *rel, const char *text, mode_t mode)
{
	FILE *fp = fopen(path(rel), "w");

	if (fp == NULL || fputs(text, fp) == EOF || fclose(fp) != 0 ||
	    chmod(path(rel), mode) == -1) {
		perror(rel);
		exit(99);
	}
}

static void
test_good(void)
{
	CHECK(check(path("lamp/AmazonRootCA1.pem"), path("lamp/certificate.pem"),
	    path("lamp/privateKey.pem")) == 0 && err[0] == '\0',
	    "the files make-certs.sh writes pass");
	CHECK(warnbuf[0] == '\0', "a 0600 key gives no warning");
	CHECK(check(NULL, NULL, NULL) == 0, "no TLS files is fine");
	CHECK(check(path("lamp/AmazonRootCA1.pem"), NULL, NULL) == 0,
	    "a CA alone is fine (username/password over TLS)");
	CHECK(run("openssl pkey -in %s -out %s -traditional 2>/dev/null && "
	    "chmod 600 %s", path("lamp/privateKey.pem"), path("trad.pem"),
	    path("trad.pem")) == 0 &&
	    check(NULL, path("lamp/certificate.pem"), path("trad.pem")) == 0,
	    "a key in the traditional 'EC PRIVATE KEY' form passes");
}

static void
test_unreadable(void)
{
	CHECK(check(NULL, path("nowhere/certificate.pem"),
	    path("lamp/privateKey.pem")) == -1 &&
	    has(err, "can't read certificate ") &&
	    has(err, "nowhere/certificate.pem: No such file or directory"),
	    "a missing certificate is named with the cause");
	CHECK(check(path("nowhere/ca.pem"), NULL, NULL) == -1 &&
	    has(err, "can't read CA bundle ") && has(err, "nowhere/ca.pem"),
	    "a missing CA bundle is named");
	CHECK(check(NULL, path("lamp/certificate.pem"), path("lamp")) == -1 &&
	    has(err, "can't read private key ") && has(err, "Is a directory"),
	    "a directory given as key is refused");
	if (geteuid() == 0) {
		printf("ok %d - # SKIP an unreadable file: root reads "
		    "everything\n", ++check_n);
		return;
	}
	write_file("noread.pem", "x", 0);
	CHECK(check(path("noread.pem"), NULL, NULL) == -1 &&
	    has(err, "Permission denied"), "an unreadable file says so");
}

static void
test_not_pem(void)
{
	write_file("garbage.pem", "this is not a certificate\n", 0600);
	CHECK(check(NULL, path("garbage.pem"), path("lamp/privateKey.pem")) ==
	    -1 && has(err, "garbage.pem is not PEM"),
	    "a garbage certificate is not PEM");
	CHECK(check(path("garbage.pem"), NULL, NULL) == -1 &&
	    has(err, "CA bundle ") && has(err, "is not PEM"),
	    "a garbage CA bundle is not PEM");
	CHECK(check(NULL, path("lamp/certificate.pem"), path("garbage.pem")) ==
	    -1 && has(err, "private key ") && has(err, "is not PEM"),
	    "a garbage key is not PEM");
	CHECK(check(NULL, path("lamp/privateKey.pem"),
	    path("lamp/privateKey.pem")) == -1 &&
	    has(err, "is not a certificate (its PEM block is 'PRIVATE KEY')"),
	    "a key given as certificate is not a certificate");
	CHECK(check(NULL, path("lamp/certificate.pem"),
	    path("lamp/certificate.pem")) == -1 &&
	    has(err, "is not a private key (its PEM block is 'CERTIFICATE')"),
	    "a certificate given as key is not a private key");
	CHECK(check(path("lamp/privateKey.pem"), NULL, NULL) == -1 &&
	    has(err, "holds no certificate"),
	    "a CA bundle without a certificate is refused");
}

static void
test_dates(void)
{
	CHECK(check(NULL, path("old/certificate.pem"),
	    path("old/privateKey.pem")) == -1 &&
	    has(err, "old/certificate.pem expired on 2021-01-01"),
	    "an expired certificate says when it expired");
	CHECK(check(NULL, path("new/certificate.pem"),
	    path("new/privateKey.pem")) == -1 &&
	    has(err, "new/certificate.pem is not valid yet") &&
	    has(err, "2045-01-01"), "a future certificate says from when");
}

static void
test_pairs(void)
{
	CHECK(check(NULL, path("lamp/certificate.pem"),
	    path("t2/privateKey.pem")) == -1 &&
	    has(err, "t2/privateKey.pem does not match certificate") &&
	    has(err, "lamp/certificate.pem"),
	    "a key of another certificate does not match");
	CHECK(check(NULL, path("lamp/certificate.pem"), NULL) == -1 &&
	    has(err, "given without a private key"),
	    "a certificate without a key is refused");
	CHECK(check(NULL, NULL, path("lamp/privateKey.pem")) == -1 &&
	    has(err, "given without a certificate"),
	    "a key without a certificate is refused");
}

static void
test_key_protection(void)
{
	CHECK(run("openssl pkey -in %s -aes256 -passout pass:secret -out %s "
	    "2>/dev/null && chmod 600 %s", path("lamp/privateKey.pem"),
	    path("enc.pem"), path("enc.pem")) == 0, "an encrypted key is made");
	CHECK(check(NULL, path("lamp/certificate.pem"), path("enc.pem")) ==
	    -1 && has(err, "enc.pem is protected by a passphrase"),
	    "a passphrase-protected key says so");
	CHECK(run("cp %s %s && chmod 644 %s", path("lamp/privateKey.pem"),
	    path("open.pem"), path("open.pem")) == 0, "a 0644 key is made");
	CHECK(check(NULL, path("lamp/certificate.pem"), path("open.pem")) == 0,
	    "a key readable by others still passes");
	CHECK(has(warnbuf, "open.pem is readable by others (mode 0644); "
	    "chmod 600 it"), "a key readable by others gives a warning");
	chmod(path("open.pem"), 0640);
	CHECK(check(NULL, path("lamp/certificate.pem"), path("open.pem")) == 0 &&
	    has(warnbuf, "(mode 0640)"), "a group-readable key warns too");
	log_init("test_tls", -1);
	CHECK(check(NULL, path("lamp/certificate.pem"), path("open.pem")) == 0 &&
	    warnbuf[0] == '\0', "-q silences the warning");
	log_init("test_tls", 0);
}

static void
test_alpn(void)
{
	CHECK_STR(tls_alpn_default(443, true, false), "x-amzn-mqtt-ca",
	    "port 443 with a certificate uses x-amzn-mqtt-ca");
	CHECK_STR(tls_alpn_default(443, true, true), "x-amzn-mqtt-ca",
	    "a certificate wins over a username on 443");
	CHECK_STR(tls_alpn_default(443, false, true), "mqtt",
	    "port 443 with a username uses mqtt");
	CHECK(tls_alpn_default(443, false, false) == NULL,
	    "port 443 without credentials has no ALPN");
	CHECK(tls_alpn_default(8883, true, true) == NULL,
	    "port 8883 has no ALPN");
}

int
main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_tls.XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 99;
	}
	log_init("test_tls", 0);
	if (access(MAKE_CERTS, X_OK) == -1 ||
	    run("%s %s lamp t2 >/dev/null", MAKE_CERTS, tmpdir) != 0 ||
	    run("%s --expired %s old >/dev/null", MAKE_CERTS, tmpdir) != 0 ||
	    run("%s --future %s new >/dev/null", MAKE_CERTS, tmpdir) != 0) {
		printf("Bail out! %s failed (run from the repository root)\n",
		    MAKE_CERTS);
		return 1;
	}
	test_good();
	test_unreadable();
	test_not_pem();
	test_dates();
	test_pairs();
	test_key_protection();
	test_alpn();
	if (run("rm -rf '%s'", tmpdir) != 0)
		printf("# could not remove %s\n", tmpdir);
	CHECK_DONE();
}
