/*
 * credentials.c - the --http-credentials file (credentials.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/crypto.h>

#include "credentials.h"
#include "log.h"

#define KEY_ID_MAX 128
#define SECRET_MAX 128

struct credential {
	char *id;
	char *secret;
};

struct credentials {
	struct credential *list;
	size_t n;
};

void
credentials_free(struct credentials *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->n; i++) {
		free(c->list[i].id);
		if (c->list[i].secret != NULL) {
			OPENSSL_cleanse(c->list[i].secret,
			    strlen(c->list[i].secret));
			free(c->list[i].secret);
		}
	}
	free(c->list);
	free(c);
}

static int
credential_add(struct credentials *c, const char *id, const char *secret)
{
	struct credential *l;

	l = reallocarray(c->list, c->n + 1, sizeof(*l));
	if (l == NULL)
		return -1;
	c->list = l;
	l[c->n].id = strdup(id);
	l[c->n].secret = strdup(secret);
	c->n++;
	return l[c->n - 1].id && l[c->n - 1].secret ? 0 : -1;
}

/* One line: 0 added or blank, -1 with err filled. */
static int
credential_line(struct credentials *c, char *line, const char *path,
    unsigned int lineno, char *err, size_t errlen)
{
	char *id, *secret, *extra, *save = NULL;

	line[strcspn(line, "#\r\n")] = '\0';
	if ((id = strtok_r(line, " \t", &save)) == NULL)
		return 0;
	secret = strtok_r(NULL, " \t", &save);
	extra = strtok_r(NULL, " \t", &save);
	if (secret == NULL || extra != NULL) {
		snprintf(err, errlen, "%s:%u: expected ACCESS_KEY_ID "
		    "SECRET_ACCESS_KEY", path, lineno);
		return -1;
	}
	if (strlen(id) > KEY_ID_MAX || strlen(secret) > SECRET_MAX) {
		snprintf(err, errlen, "%s:%u: access key id or secret longer "
		    "than %d characters", path, lineno, KEY_ID_MAX);
		return -1;
	}
	if (credentials_secret(c, id) != NULL) {
		snprintf(err, errlen, "%s:%u: access key id %s given twice",
		    path, lineno, id);
		return -1;
	}
	if (credential_add(c, id, secret) == -1) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	return 0;
}

static int
credentials_read(struct credentials *c, FILE *f, const char *path,
    char *err, size_t errlen)
{
	char *line = NULL;
	size_t cap = 0;
	unsigned int lineno = 0;
	int rc = 0;

	while (rc == 0 && getline(&line, &cap, f) != -1)
		rc = credential_line(c, line, path, ++lineno, err, errlen);
	if (rc == 0 && ferror(f)) {
		snprintf(err, errlen, "can't read %s: %s", path,
		    strerror(errno));
		rc = -1;
	}
	if (line != NULL)
		OPENSSL_cleanse(line, cap);
	free(line);
	return rc;
}

struct credentials *
credentials_load(const char *path, char *err, size_t errlen)
{
	struct credentials *c;
	struct stat sb;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "--http-credentials: can't open %s: %s",
		    path, strerror(errno));
		return NULL;
	}
	if (fstat(fileno(f), &sb) == 0 && (sb.st_mode & (S_IRGRP | S_IROTH)))
		log_warn("credentials file %s is readable by others (mode "
		    "%04o); chmod 600 it", path, (unsigned)(sb.st_mode & 07777));
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		fclose(f);
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	if (credentials_read(c, f, path, err, errlen) == -1) {
		fclose(f);
		credentials_free(c);
		return NULL;
	}
	fclose(f);
	if (c->n == 0) {
		snprintf(err, errlen, "%s: no access keys (expected lines of "
		    "ACCESS_KEY_ID SECRET_ACCESS_KEY)", path);
		credentials_free(c);
		return NULL;
	}
	return c;
}

const char *
credentials_secret(const struct credentials *c, const char *access_key_id)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (strcmp(c->list[i].id, access_key_id) == 0)
			return c->list[i].secret;
	return NULL;
}
