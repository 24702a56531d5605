#include "sigv4.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "buf.h"
#include "hex.h"

#define ALGORITHM "AWS4-HMAC-SHA256"
#define TERMINATOR "aws4_request"
#define CLOCK_WINDOW 300                  /* seconds either way */

void
sigv4_sha256_hex(const void *data, size_t len, char out[SIGV4_HEX_LEN + 1])
{
	unsigned char md[SHA256_DIGEST_LENGTH];

	SHA256(data != NULL ? data : (const void *)"", len, md);
	hex_encode(md, sizeof(md), out);
}

static void
append_encoded(struct buf *b, const char *s, size_t len)
{
	char esc[3];
	size_t i;

	for (i = 0; i < len; i++)
		buf_append(b, esc, percent_escape((unsigned char)s[i], esc));
}

/*
 * The path with "." and ".." segments resolved and empty segments dropped,
 * a leading and a trailing slash kept (RFC 3986 5.2.4, plus the collapsing
 * of "//" that AWS services other than S3 expect), each segment then
 * URI-encoded as it stands: the wire path's own %XX become %25XX. An empty
 * path is "/".
 */
static void
append_canonical_uri(struct buf *b, const char *path)
{
	size_t len = path != NULL ? strlen(path) : 0, nseg = 0, i, n;
	const char **seg;
	size_t *seglen;
	const char *p, *end;

	if (len == 0) {
		buf_append_char(b, '/');
		return;
	}
	seg = calloc(len / 2 + 2, sizeof(*seg));
	seglen = calloc(len / 2 + 2, sizeof(*seglen));
	if (seg == NULL || seglen == NULL) {
		b->failed = true;
		goto done;
	}
	for (p = path; p <= path + len; p = end + 1) {
		if ((end = strchr(p, '/')) == NULL)
			end = path + len;
		n = (size_t)(end - p);
		if (n == 0 || (n == 1 && p[0] == '.'))
			continue;
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			if (nseg > 0)
				nseg--;
			continue;
		}
		seg[nseg] = p;
		seglen[nseg++] = n;
	}
	if (path[0] == '/')
		buf_append_char(b, '/');
	for (i = 0; i < nseg; i++) {
		if (i > 0)
			buf_append_char(b, '/');
		append_encoded(b, seg[i], seglen[i]);
	}
	if (path[len - 1] == '/' && nseg > 0)
		buf_append_char(b, '/');
done:
	free(seg);
	free(seglen);
}

/* s[0..len) percent-decoded then encoded as AWS canonicalizes a query
 * component; a '%' that starts no valid escape stands for itself. */
static void
append_query_component(struct buf *b, const char *s, size_t len)
{
	char *plain;
	size_t i = 0, n = 0;
	int c;

	if ((plain = malloc(len + 1)) == NULL) {
		b->failed = true;
		return;
	}
	while (i < len) {
		if ((c = percent_next(s, len, &i)) < 0)
			c = (unsigned char)s[i++];
		plain[n++] = (char)c;
	}
	append_encoded(b, plain, n);
	free(plain);
}

struct query_pair {
	char *text;           /* "key=value", canonical */
	size_t keylen;
};

static int
query_pair_cmp(const void *a, const void *b)
{
	const struct query_pair *x = a, *y = b;
	size_t n = x->keylen < y->keylen ? x->keylen : y->keylen;
	int c = memcmp(x->text, y->text, n);

	if (c != 0)
		return c;
	if (x->keylen != y->keylen)
		return x->keylen < y->keylen ? -1 : 1;
	return strcmp(x->text + x->keylen + 1, y->text + y->keylen + 1);
}

/* key=value pairs, each part canonically encoded, sorted by key then value. */
static void
append_canonical_query(struct buf *b, const char *query)
{
	struct query_pair *pairs = NULL;
	size_t npairs = 0, cap = 0, i, n;
	const char *p, *end, *eq;
	struct buf one = { 0 };     /* emptied by each buf_finish */

	if (query == NULL || query[0] == '\0')
		return;
	for (p = query; ; p = end + 1) {
		if ((end = strchr(p, '&')) == NULL)
			end = p + strlen(p);
		n = (size_t)(end - p);
		if (n > 0) {
			if (npairs == cap) {
				struct query_pair *grown;

				cap = cap != 0 ? cap * 2 : 8;
				grown = reallocarray(pairs, cap, sizeof(*pairs));
				if (grown == NULL) {
					b->failed = true;
					break;
				}
				pairs = grown;
			}
			eq = memchr(p, '=', n);
			append_query_component(&one, p, eq != NULL ?
			    (size_t)(eq - p) : n);
			pairs[npairs].keylen = one.len;
			buf_append_char(&one, '=');
			if (eq != NULL)
				append_query_component(&one, eq + 1,
				    (size_t)(end - eq - 1));
			pairs[npairs].text = buf_finish(&one, NULL);
			if (pairs[npairs].text == NULL) {
				b->failed = true;
				break;
			}
			npairs++;
		}
		if (*end == '\0')
			break;
	}
	if (!b->failed && npairs > 1)
		qsort(pairs, npairs, sizeof(*pairs), query_pair_cmp);
	for (i = 0; i < npairs; i++) {
		if (i > 0)
			buf_append_char(b, '&');
		buf_append_str(b, pairs[i].text);
		free(pairs[i].text);
	}
	free(pairs);
}

/* Every value of the header name[0..len), in order, trimmed, inner runs of
 * white space folded to one space, joined with ','. false if none. */
static bool
append_header_values(struct buf *b, const struct sigv4_request *req,
    const char *name, size_t len)
{
	const char *v;
	bool found = false, space, started;
	size_t i;

	for (i = 0; i < req->nheaders; i++) {
		if (strlen(req->headers[i].name) != len ||
		    strncasecmp(req->headers[i].name, name, len) != 0)
			continue;
		if (found)
			buf_append_char(b, ',');
		found = true;
		space = started = false;
		for (v = req->headers[i].value; *v != '\0'; v++) {
			if (isspace((unsigned char)*v)) {
				space = true;
				continue;
			}
			if (space && started)
				buf_append_char(b, ' ');
			space = false;
			started = true;
			buf_append_char(b, *v);
		}
	}
	return found;
}

char *
sigv4_canonical_request(const struct sigv4_request *req,
    const char *signed_headers)
{
	struct buf b = { 0 };
	const char *p, *end;

	buf_append_str(&b, req->method);
	buf_append_char(&b, '\n');
	append_canonical_uri(&b, req->path);
	buf_append_char(&b, '\n');
	append_canonical_query(&b, req->query);
	buf_append_char(&b, '\n');
	for (p = signed_headers; *p != '\0'; p = *end != '\0' ? end + 1 : end) {
		if ((end = strchr(p, ';')) == NULL)
			end = p + strlen(p);
		buf_append(&b, p, (size_t)(end - p));
		buf_append_char(&b, ':');
		append_header_values(&b, req, p, (size_t)(end - p));
		buf_append_char(&b, '\n');
	}
	buf_append_char(&b, '\n');
	buf_append_str(&b, signed_headers);
	buf_append_char(&b, '\n');
	buf_append_str(&b, req->payload_hash);
	return buf_finish(&b, NULL);
}

static void
hmac_sha256(const void *key, size_t keylen, const char *msg,
    unsigned char out[SHA256_DIGEST_LENGTH])
{
	unsigned int n = SHA256_DIGEST_LENGTH;

	HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)msg,
	    strlen(msg), out, &n);
}

/* The hex signature of req over signed_headers; -1 on allocation failure. */
static int
signature_compute(const struct sigv4_request *req, const char *signed_headers,
    const char *secret, const char *amz_date, const char *date,
    const char *region, const char *service, char out[SIGV4_HEX_LEN + 1])
{
	unsigned char key[SHA256_DIGEST_LENGTH], sig[SHA256_DIGEST_LENGTH];
	char creq_hash[SIGV4_HEX_LEN + 1], *creq, *sts, *secret_key;
	int rc = -1;

	if ((creq = sigv4_canonical_request(req, signed_headers)) == NULL)
		return -1;
	sigv4_sha256_hex(creq, strlen(creq), creq_hash);
	free(creq);
	if (asprintf(&sts, ALGORITHM "\n%s\n%s/%s/%s/" TERMINATOR "\n%s",
	    amz_date, date, region, service, creq_hash) == -1)
		return -1;
	if (asprintf(&secret_key, "AWS4%s", secret) == -1)
		goto out;
	hmac_sha256(secret_key, strlen(secret_key), date, key);
	OPENSSL_cleanse(secret_key, strlen(secret_key));
	free(secret_key);
	hmac_sha256(key, sizeof(key), region, key);
	hmac_sha256(key, sizeof(key), service, key);
	hmac_sha256(key, sizeof(key), TERMINATOR, key);
	hmac_sha256(key, sizeof(key), sts, sig);
	OPENSSL_cleanse(key, sizeof(key));
	hex_encode(sig, sizeof(sig), out);
	rc = 0;
out:
	free(sts);
	return rc;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The lowercase names of req's headers, sorted, unique, joined with ';'. */
static char *
signed_headers_of(const struct sigv4_request *req)
{
	char **names;
	struct buf b = { 0 };
	size_t i, j, n = 0;

	if ((names = calloc(req->nheaders + 1, sizeof(*names))) == NULL)
		return NULL;
	for (i = 0; i < req->nheaders; i++) {
		if ((names[n] = strdup(req->headers[i].name)) == NULL) {
			b.failed = true;
			break;
		}
		for (j = 0; names[n][j] != '\0'; j++)
			names[n][j] = (char)tolower((unsigned char)names[n][j]);
		n++;
	}
	qsort(names, n, sizeof(*names), name_cmp);
	for (i = 0; i < n; i++) {
		if (i == 0 || strcmp(names[i], names[i - 1]) != 0) {
			if (b.len > 0)
				buf_append_char(&b, ';');
			buf_append_str(&b, names[i]);
		}
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return buf_finish(&b, NULL);
}

int
sigv4_sign(const struct sigv4_request *req,
    const struct sigv4_credentials *cred, const char *region,
    const char *service, const char *amz_date, char *out, size_t outlen)
{
	char date[9], sig[SIGV4_HEX_LEN + 1], *signed_headers;
	int n, rc;

	if (strlen(amz_date) != SIGV4_AMZ_DATE_LEN)
		return -1;
	memcpy(date, amz_date, 8);
	date[8] = '\0';
	if ((signed_headers = signed_headers_of(req)) == NULL)
		return -1;
	rc = signature_compute(req, signed_headers, cred->secret_access_key,
	    amz_date, date, region, service, sig);
	if (rc == 0) {
		n = snprintf(out, outlen, ALGORITHM " Credential=%s/%s/%s/%s/"
		    TERMINATOR ", SignedHeaders=%s, Signature=%s",
		    cred->access_key_id, date, region, service, signed_headers,
		    sig);
		if (n < 0 || (size_t)n >= outlen)
			rc = -1;
	}
	free(signed_headers);
	return rc;
}

/* Copies s[0..len) into out (size outsize) when every byte passes ok. */
static bool
take_part(const char *s, size_t len, char *out, size_t outsize,
    bool (*ok)(unsigned char))
{
	size_t i;

	if (len == 0 || len >= outsize)
		return false;
	for (i = 0; i < len; i++)
		if (!ok((unsigned char)s[i]))
			return false;
	memcpy(out, s, len);
	out[len] = '\0';
	return true;
}

static bool
is_alnum(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9');
}

static bool
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static bool
is_scope_char(unsigned char c)
{
	return is_alnum(c) || c == '-' || c == '_' || c == '.';
}

static bool
is_lower_hex(unsigned char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f');
}

/* A header name as HTTP allows it (token), lowercase. */
static bool
is_header_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || is_digit(c) ||
	    (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* AKID/YYYYMMDD/REGION/SERVICE/aws4_request */
static bool
parse_credential(const char *s, size_t len, struct sigv4_authorization *out)
{
	const char *part[5], *end = s + len, *slash;
	size_t plen[5];
	int i;

	for (i = 0; i < 5; i++) {
		slash = memchr(s, '/', (size_t)(end - s));
		if ((slash == NULL) != (i == 4))
			return false;
		if (slash == NULL)
			slash = end;
		part[i] = s;
		plen[i] = (size_t)(slash - s);
		s = slash + 1;
	}
	return take_part(part[0], plen[0], out->access_key_id,
	    sizeof(out->access_key_id), is_alnum) &&
	    plen[1] == 8 && take_part(part[1], plen[1], out->date,
	    sizeof(out->date), is_digit) &&
	    take_part(part[2], plen[2], out->region, sizeof(out->region),
	    is_scope_char) &&
	    take_part(part[3], plen[3], out->service, sizeof(out->service),
	    is_scope_char) &&
	    plen[4] == strlen(TERMINATOR) &&
	    memcmp(part[4], TERMINATOR, plen[4]) == 0;
}

/* "a;b;c": lowercase names, strictly ascending (sorted, no repeats). */
static bool
parse_signed_headers(const char *s, size_t len, char *out, size_t outsize)
{
	const char *prev = NULL, *p, *end, *stop = s + len;
	size_t prevlen = 0, n;
	int c;

	if (len == 0 || len >= outsize)
		return false;
	for (p = s; p <= stop; p = end + 1) {
		if ((end = memchr(p, ';', (size_t)(stop - p))) == NULL)
			end = stop;
		n = (size_t)(end - p);
		if (!take_part(p, n, out, outsize, is_header_char))
			return false;
		if (prev != NULL) {
			c = memcmp(prev, p, n < prevlen ? n : prevlen);
			if (c > 0 || (c == 0 && prevlen >= n))
				return false;
		}
		prev = p;
		prevlen = n;
	}
	memcpy(out, s, len);
	out[len] = '\0';
	return true;
}

enum sigv4_status
sigv4_parse_authorization(const char *value, struct sigv4_authorization *out)
{
	const char *p, *end, *eq;
	size_t alg = strlen(ALGORITHM), n;
	bool have_cred = false, have_sh = false, have_sig = false, ok;

	memset(out, 0, sizeof(*out));
	if (value == NULL)
		return SIGV4_ERR_MISSING;
	while (*value == ' ' || *value == '\t')
		value++;
	if (*value == '\0')
		return SIGV4_ERR_MISSING;
	if (strncmp(value, ALGORITHM, alg) != 0 ||
	    (value[alg] != ' ' && value[alg] != '\t'))
		return SIGV4_ERR_MALFORMED;
	for (p = value + alg; ; p = end + 1) {
		while (*p == ' ' || *p == '\t')
			p++;
		if ((end = strchr(p, ',')) == NULL)
			end = p + strlen(p);
		n = (size_t)(end - p);
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if ((eq = memchr(p, '=', n)) == NULL)
			return SIGV4_ERR_MALFORMED;
		if (eq - p == 10 && memcmp(p, "Credential", 10) == 0 &&
		    !have_cred) {
			ok = have_cred = parse_credential(eq + 1,
			    (size_t)(p + n - eq - 1), out);
		} else if (eq - p == 13 && memcmp(p, "SignedHeaders", 13) == 0 &&
		    !have_sh) {
			ok = have_sh = parse_signed_headers(eq + 1,
			    (size_t)(p + n - eq - 1), out->signed_headers,
			    sizeof(out->signed_headers));
		} else if (eq - p == 9 && memcmp(p, "Signature", 9) == 0 &&
		    !have_sig) {
			ok = have_sig = p + n - eq - 1 == SIGV4_HEX_LEN &&
			    take_part(eq + 1, SIGV4_HEX_LEN, out->signature,
			    sizeof(out->signature), is_lower_hex);
		} else
			ok = false;
		if (!ok)
			return SIGV4_ERR_MALFORMED;
		if (*end == '\0')
			break;
	}
	return have_cred && have_sh && have_sig ? SIGV4_OK :
	    SIGV4_ERR_MALFORMED;
}

static const char *
header_find(const struct sigv4_request *req, const char *name)
{
	size_t i;

	for (i = 0; i < req->nheaders; i++)
		if (strcasecmp(req->headers[i].name, name) == 0)
			return req->headers[i].value;
	return NULL;
}

/* "YYYYMMDDTHHMMSSZ" as seconds since the epoch; -1 when malformed. */
static long long
amz_date_parse(const char *s)
{
	struct tm tm;
	const char *end;

	if (s == NULL || strlen(s) != SIGV4_AMZ_DATE_LEN)
		return -1;
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y%m%dT%H%M%SZ", &tm);
	if (end == NULL || *end != '\0')
		return -1;
	return (long long)timegm(&tm);
}

static bool
list_has(const char *list, const char *name)
{
	size_t n = strlen(name);
	const char *p;

	for (p = list; (p = strstr(p, name)) != NULL; p += n)
		if ((p == list || p[-1] == ';') && (p[n] == ';' || p[n] == '\0'))
			return true;
	return false;
}

static bool
signed_headers_present(const struct sigv4_request *req, const char *list)
{
	char name[sizeof(((struct sigv4_authorization *)0)->signed_headers)];
	const char *p, *end;
	size_t n;

	for (p = list; *p != '\0'; p = *end != '\0' ? end + 1 : end) {
		if ((end = strchr(p, ';')) == NULL)
			end = p + strlen(p);
		n = (size_t)(end - p);
		if (n >= sizeof(name))
			return false;
		memcpy(name, p, n);
		name[n] = '\0';
		if (header_find(req, name) == NULL)
			return false;
	}
	return true;
}

enum sigv4_status
sigv4_verify(const struct sigv4_request *req,
    const struct sigv4_authorization *auth, const char *secret_access_key,
    long long now)
{
	char sig[SIGV4_HEX_LEN + 1];
	const char *amz_date;
	long long when;

	if (strcmp(auth->service, "iotdata") != 0 &&
	    strcmp(auth->service, "iotdevicegateway") != 0)
		return SIGV4_ERR_SCOPE;
	if (!list_has(auth->signed_headers, "host") ||
	    !list_has(auth->signed_headers, "x-amz-date") ||
	    !signed_headers_present(req, auth->signed_headers))
		return SIGV4_ERR_HEADERS;
	amz_date = header_find(req, "x-amz-date");
	if ((when = amz_date_parse(amz_date)) == -1)
		return SIGV4_ERR_HEADERS;
	if (strncmp(amz_date, auth->date, 8) != 0)
		return SIGV4_ERR_SCOPE;
	if (when > now + CLOCK_WINDOW || when < now - CLOCK_WINDOW)
		return SIGV4_ERR_CLOCK;
	if (signature_compute(req, auth->signed_headers, secret_access_key,
	    amz_date, auth->date, auth->region, auth->service, sig) == -1)
		return SIGV4_ERR_NOMEM;
	if (CRYPTO_memcmp(sig, auth->signature, SIGV4_HEX_LEN) != 0)
		return SIGV4_ERR_SIGNATURE;
	return SIGV4_OK;
}

const char *
sigv4_status_message(enum sigv4_status st)
{
	switch (st) {
	case SIGV4_OK:
		return "signature valid";
	case SIGV4_ERR_MISSING:
		return "Missing Authentication Token (no Authorization header)";
	case SIGV4_ERR_MALFORMED:
		return "Authorization header is not 'AWS4-HMAC-SHA256 "
		    "Credential=KEY/DATE/REGION/SERVICE/aws4_request, "
		    "SignedHeaders=..., Signature=...'";
	case SIGV4_ERR_SCOPE:
		return "Credential scope does not match: its date must be the "
		    "date of X-Amz-Date and its service iotdata or "
		    "iotdevicegateway";
	case SIGV4_ERR_HEADERS:
		return "host and x-amz-date (YYYYMMDDTHHMMSSZ) must be present "
		    "and signed, and every signed header present";
	case SIGV4_ERR_CLOCK:
		return "Signature expired: X-Amz-Date is more than 5 minutes "
		    "away from the server's clock";
	case SIGV4_ERR_SIGNATURE:
		return "The request signature we calculated does not match the "
		    "signature you provided. Check your AWS Secret Access Key "
		    "and signing method.";
	case SIGV4_ERR_NOMEM:
		return "out of memory while checking the signature";
	}
	return "unknown signature status";
}
