/*
 * fuzz_sigv4 - common/sigv4.c on arbitrary bytes: the first line is an
 * Authorization header value, the rest a request target "path?query".
 * A header that parses is verified against that request (its canonical
 * request built, the signature computed and compared), at the time that
 * matches its scope date. Checked: parsed parts are NUL-terminated and
 * within their syntax; verify never says OK for a signature we did not
 * make, and does say OK for the one sigv4_sign makes.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "require.h"
#include "sigv4.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


static long long
sigv4_fuzz_time(const char *date8, char amz_date[SIGV4_AMZ_DATE_LEN + 1])
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	snprintf(amz_date, SIGV4_AMZ_DATE_LEN + 1, "%.8sT120000Z", date8);
	if (strptime(amz_date, "%Y%m%dT%H%M%SZ", &tm) == NULL)
		return -1;
	return (long long)timegm(&tm);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text, *target, *query, amz_date[SIGV4_AMZ_DATE_LEN + 1];
	char out[2048];
	struct sigv4_authorization auth, again;
	struct sigv4_header h[3];
	struct sigv4_request req;
	struct sigv4_credentials cred = { NULL, "fuzz-secret", NULL };
	enum sigv4_status st;
	long long now;

	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	target = strchr(text, '\n');
	if (target != NULL)
		*target++ = '\0';
	else
		target = "/";
	query = strchr(target, '?');
	if (query != NULL)
		*query++ = '\0';
	st = sigv4_parse_authorization(text, &auth);
	REQUIRE(st == SIGV4_OK || st == SIGV4_ERR_MISSING ||
	    st == SIGV4_ERR_MALFORMED);
	if (st != SIGV4_OK || (now = sigv4_fuzz_time(auth.date,
	    amz_date)) == -1) {
		free(text);
		return 0;
	}
	REQUIRE(strlen(auth.date) == 8 && strlen(auth.signature) ==
	    SIGV4_HEX_LEN && auth.access_key_id[0] != '\0' &&
	    strchr(auth.signed_headers, ' ') == NULL);
	h[0] = (struct sigv4_header){ "Host", "example.amazonaws.com" };
	h[1] = (struct sigv4_header){ "X-Amz-Date", amz_date };
	h[2] = (struct sigv4_header){ "My-Header", " a  b " };
	req = (struct sigv4_request){ "POST", target, query, h, 3,
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" };
	st = sigv4_verify(&req, &auth, "fuzz-secret", now);
	REQUIRE(st != SIGV4_OK && st != SIGV4_ERR_MISSING &&
	    st != SIGV4_ERR_MALFORMED && st != SIGV4_ERR_CLOCK);
	/* Our own signature of the same request verifies. */
	cred.access_key_id = auth.access_key_id;
	if (sigv4_sign(&req, &cred, auth.region, "iotdata", amz_date, out,
	    sizeof(out)) == 0) {
		REQUIRE(sigv4_parse_authorization(out, &again) == SIGV4_OK);
		REQUIRE(sigv4_verify(&req, &again, "fuzz-secret", now) ==
		    SIGV4_OK);
	}
	free(text);
	return 0;
}
