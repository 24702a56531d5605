#include "tls.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sys/socket.h>
#include <sys/time.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "buf.h"
#include "config.h"
#include "log.h"

#define PEM_FILE_MAX (4 * 1024 * 1024)

struct pem_file {
	const char *path;
	const char *role;     /* "CA bundle", "certificate", "private key" */
	char *data;
	size_t len;
	mode_t mode;
};

static int
tls_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
tls_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	ERR_clear_error();
	return -1;
}

static int
pem_read(struct pem_file *pf, char *err, size_t errlen)
{
	struct buf b = { 0 };
	struct stat st;
	FILE *fp;
	int rc;

	if ((fp = fopen(pf->path, "r")) == NULL)
		return tls_fail(err, errlen, "can't read %s %s: %s", pf->role,
		    pf->path, strerror(errno));
	if (fstat(fileno(fp), &st) == -1) {
		fclose(fp);
		return tls_fail(err, errlen, "can't read %s %s: %s", pf->role,
		    pf->path, strerror(errno));
	}
	if (!S_ISREG(st.st_mode)) {
		fclose(fp);
		return tls_fail(err, errlen, "can't read %s %s: %s", pf->role,
		    pf->path, S_ISDIR(st.st_mode) ? strerror(EISDIR) :
		    "not a regular file");
	}
	if (st.st_size > PEM_FILE_MAX) {
		fclose(fp);
		return tls_fail(err, errlen, "%s %s is too large to be PEM "
		    "(%lld bytes)", pf->role, pf->path,
		    (long long)st.st_size);
	}
	pf->mode = st.st_mode;
	rc = buf_read(&b, fp, PEM_FILE_MAX);
	fclose(fp);
	if (rc == -1) {
		buf_free(&b);
		return tls_fail(err, errlen, "can't read %s %s: %s", pf->role,
		    pf->path, strerror(errno));
	}
	if ((pf->data = buf_finish(&b, &pf->len)) == NULL)
		return tls_fail(err, errlen, "can't read %s %s: %s", pf->role,
		    pf->path, strerror(ENOMEM));
	if (strstr(pf->data, "-----BEGIN ") == NULL)
		return tls_fail(err, errlen, "%s %s is not PEM (no "
		    "\"-----BEGIN\" line; a DER file can be converted with "
		    "openssl x509 -inform der)", pf->role, pf->path);
	return 0;
}

/* The type of the first PEM block, e.g. "PRIVATE KEY", for messages. */
static void
pem_first_type(const struct pem_file *pf, char *out, size_t outlen)
{
	const char *s = strstr(pf->data, "-----BEGIN "), *end;

	snprintf(out, outlen, "?");
	if (s == NULL)
		return;
	s += strlen("-----BEGIN ");
	if ((end = strstr(s, "-----")) == NULL || (size_t)(end - s) >= outlen)
		return;
	memcpy(out, s, (size_t)(end - s));
	out[end - s] = '\0';
}

static BIO *
pem_bio(const struct pem_file *pf)
{
	return BIO_new_mem_buf(pf->data, (int)pf->len);
}

static void
asn1_day(const ASN1_TIME *t, char *out, size_t outlen)
{
	struct tm tm;

	if (ASN1_TIME_to_tm(t, &tm) != 1 ||
	    strftime(out, outlen, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(out, outlen, "(unreadable date)");
}

static int
cert_valid_now(X509 *x, const struct pem_file *pf, char *err, size_t errlen)
{
	char day[64];

	if (X509_cmp_current_time(X509_get0_notAfter(x)) < 0) {
		asn1_day(X509_get0_notAfter(x), day, sizeof(day));
		return tls_fail(err, errlen, "%s %s expired on %s", pf->role,
		    pf->path, day);
	}
	if (X509_cmp_current_time(X509_get0_notBefore(x)) > 0) {
		asn1_day(X509_get0_notBefore(x), day, sizeof(day));
		return tls_fail(err, errlen, "%s %s is not valid yet "
		    "(not before %s; check the clock)", pf->role, pf->path,
		    day);
	}
	return 0;
}

static int
check_ca(const char *path, char *err, size_t errlen)
{
	struct pem_file pf = { .path = path, .role = "CA bundle" };
	char type[64];
	BIO *bio;
	X509 *x;
	int n = 0, rc = 0;

	if (pem_read(&pf, err, errlen) == -1) {
		free(pf.data);
		return -1;
	}
	if ((bio = pem_bio(&pf)) == NULL) {
		free(pf.data);
		return tls_fail(err, errlen, "%s: out of memory", path);
	}
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		n++;
		X509_free(x);
	}
	BIO_free(bio);
	if (n == 0) {
		pem_first_type(&pf, type, sizeof(type));
		rc = tls_fail(err, errlen, "CA bundle %s holds no certificate "
		    "(its PEM block is '%s')", path, type);
	}
	ERR_clear_error();
	free(pf.data);
	return rc;
}

/* The certificate at path, checked valid now; with text, its whole PEM
 * text too (a chain stays whole), the caller's to free. */
static X509 *
load_cert(const char *path, char **text, char *err, size_t errlen)
{
	struct pem_file pf = { .path = path, .role = "certificate" };
	char type[64];
	BIO *bio;
	X509 *x = NULL;

	if (pem_read(&pf, err, errlen) == -1)
		goto out;
	if ((bio = pem_bio(&pf)) == NULL) {
		tls_fail(err, errlen, "%s: out of memory", path);
		goto out;
	}
	x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (x == NULL) {
		pem_first_type(&pf, type, sizeof(type));
		tls_fail(err, errlen, "certificate %s is not a certificate "
		    "(its PEM block is '%s')", path, type);
		goto out;
	}
	if (cert_valid_now(x, &pf, err, errlen) == -1) {
		X509_free(x);
		x = NULL;
	} else if (text != NULL) {
		*text = pf.data;
		pf.data = NULL;
	}
out:
	ERR_clear_error();
	free(pf.data);
	return x;
}

static int
passphrase_wanted(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	*(bool *)u = true;
	return -1;
}

static void
key_mode_warn(const struct pem_file *pf)
{
	if (pf->mode & (S_IRGRP | S_IROTH))
		log_warn("private key %s is readable by others (mode %04o); "
		    "chmod 600 it", pf->path, (unsigned)(pf->mode & 07777));
}

/* The private key at path (warned about when others can read it); with
 * text, its PEM text too, the caller's to free. */
static EVP_PKEY *
load_key(const char *path, char **text, char *err, size_t errlen)
{
	struct pem_file pf = { .path = path, .role = "private key" };
	char type[64];
	bool encrypted = false;
	EVP_PKEY *pkey = NULL;
	BIO *bio;

	if (pem_read(&pf, err, errlen) == -1)
		goto out;
	key_mode_warn(&pf);
	if ((bio = pem_bio(&pf)) == NULL) {
		tls_fail(err, errlen, "%s: out of memory", path);
		goto out;
	}
	pkey = PEM_read_bio_PrivateKey(bio, NULL, passphrase_wanted,
	    &encrypted);
	BIO_free(bio);
	if (pkey != NULL) {
		if (text != NULL) {
			*text = pf.data;
			pf.data = NULL;
		}
		goto out;
	}
	if (encrypted)
		tls_fail(err, errlen, "private key %s is protected by a "
		    "passphrase; remove it with: openssl pkey -in %s -out "
		    "NEWFILE", path, path);
	else {
		pem_first_type(&pf, type, sizeof(type));
		tls_fail(err, errlen, "private key %s is not a private key "
		    "(its PEM block is '%s')", path, type);
	}
out:
	ERR_clear_error();
	free(pf.data);
	return pkey;
}

/* Either file may be NULL; when both are given, the key must match the
 * certificate. With cert_text and key_text, the PEM texts of both. */
static int
check_pair(const char *cert, const char *key, char **cert_text,
    char **key_text, char *err, size_t errlen)
{
	X509 *x = NULL;
	EVP_PKEY *pkey = NULL;
	int rc = -1;

	if (cert != NULL && (x = load_cert(cert, cert_text, err, errlen)) == NULL)
		return -1;
	if (key != NULL &&
	    (pkey = load_key(key, key_text, err, errlen)) == NULL)
		goto out;
	if (x == NULL || pkey == NULL) {
		rc = 0;
		goto out;
	}
	if (X509_check_private_key(x, pkey) != 1) {
		tls_fail(err, errlen, "private key %s does not match "
		    "certificate %s", key, cert);
		goto out;
	}
	rc = 0;
out:
	ERR_clear_error();
	EVP_PKEY_free(pkey);
	X509_free(x);
	return rc;
}

int
tls_check_files(const struct shadow_config *cfg, char *err, size_t errlen)
{
	if (errlen > 0)
		err[0] = '\0';
	if (cfg->ca != NULL && check_ca(cfg->ca, err, errlen) == -1)
		return -1;
	if (check_pair(cfg->cert, cfg->key, NULL, NULL, err, errlen) == -1)
		return -1;
	if (cfg->cert != NULL && cfg->key == NULL)
		return tls_fail(err, errlen, "certificate %s given without a "
		    "private key (use --key FILE)", cfg->cert);
	if (cfg->key != NULL && cfg->cert == NULL)
		return tls_fail(err, errlen, "private key %s given without a "
		    "certificate (use --cert FILE)", cfg->key);
	return 0;
}

int
tls_load_pair(const char *cert, const char *key, char **cert_pem,
    char **key_pem, char *err, size_t errlen)
{
	*cert_pem = *key_pem = NULL;
	if (errlen > 0)
		err[0] = '\0';
	if (check_pair(cert, key, cert_pem, key_pem, err, errlen) == 0)
		return 0;
	free(*cert_pem);
	free(*key_pem);
	*cert_pem = *key_pem = NULL;
	return -1;
}

const char *
tls_alpn_default(int port, bool has_cert, bool has_username)
{
	if (port != 443)
		return NULL;
	if (has_cert)
		return "x-amzn-mqtt-ca";
	if (has_username)
		return "mqtt";
	return NULL;
}

static void
probe_msg(int write_p, int version, int content_type, const void *buf,
    size_t len, SSL *ssl, void *arg)
{
	(void)version;
	(void)buf;
	(void)len;
	(void)ssl;
	if (!write_p && content_type == SSL3_RT_HANDSHAKE)
		*(bool *)arg = true;
}

/*
 * A handshake without any checks: only whether the server answers in TLS
 * (a ServerHello) matters, not whom it claims to be.
 */
int
tls_probe(const char *host, int port, int timeout_ms)
{
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	char addr[300];
	bool seen = false;
	SSL_CTX *ctx;
	SSL *ssl = NULL;
	BIO *bio;
	int fd = -1, rc = -1;

	snprintf(addr, sizeof(addr), strchr(host, ':') != NULL ? "[%s]:%d" :
	    "%s:%d", host, port);
	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		goto out;
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_msg_callback(ctx, probe_msg);
	SSL_CTX_set_msg_callback_arg(ctx, &seen);
	if ((bio = BIO_new_connect(addr)) == NULL)
		goto out;
	if (BIO_do_connect(bio) <= 0 || BIO_get_fd(bio, &fd) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0 ||
	    (ssl = SSL_new(ctx)) == NULL) {
		BIO_free_all(bio);
		goto out;
	}
	SSL_set_bio(ssl, bio, bio);
	(void)SSL_set_tlsext_host_name(ssl, host);
	(void)SSL_connect(ssl);
	rc = seen ? 1 : 0;
out:
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	/* Leave nothing for libmosquitto to report as its own error. */
	ERR_clear_error();
	return rc;
}
