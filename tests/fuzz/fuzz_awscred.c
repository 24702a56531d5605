/*
 * fuzz_awscred - the AWS credentials and config file reader
 * (common/awscred.c through common/ini.c) on arbitrary bytes: the input is
 * written to a scratch file used as both AWS_SHARED_CREDENTIALS_FILE and
 * AWS_CONFIG_FILE, then the credentials and the region of the profiles
 * "default" and "prod" are looked up. The environment's AWS_* variables
 * are cleared so only the file counts. Inputs that mention
 * credential_process are skipped: the fuzzer must not run commands it
 * made up.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "awscred.h"
#include "require.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char awscred_dir[] = "/tmp/fuzz_awscred.XXXXXX";
static char awscred_path[64];
static int awscred_fd = -1;

static void
awscred_remove_scratch(void)
{
	unlink(awscred_path);
	rmdir(awscred_dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char *vars[] = { "AWS_ACCESS_KEY_ID",
	    "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
	    "AWS_REGION", "AWS_DEFAULT_REGION" };
	size_t i;

	(void)argc;
	(void)argv;
	for (i = 0; i < sizeof(vars) / sizeof(*vars); i++)
		REQUIRE(unsetenv(vars[i]) == 0);
	REQUIRE(mkdtemp(awscred_dir) != NULL);
	snprintf(awscred_path, sizeof(awscred_path), "%s/aws", awscred_dir);
	REQUIRE((awscred_fd = open(awscred_path, O_RDWR | O_CREAT | O_TRUNC,
	    0600)) != -1);
	atexit(awscred_remove_scratch);
	REQUIRE(setenv("HOME", awscred_dir, 1) == 0);
	REQUIRE(setenv("AWS_SHARED_CREDENTIALS_FILE", awscred_path, 1) == 0);
	REQUIRE(setenv("AWS_CONFIG_FILE", awscred_path, 1) == 0);
	return 0;
}

static bool
mentions_process(const uint8_t *data, size_t size)
{
	static const char word[] = "credential_process";
	size_t i, n = sizeof(word) - 1;

	for (i = 0; i + n <= size; i++)
		if (strncasecmp((const char *)data + i, word, n) == 0)
			return true;
	return false;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *profiles[] = { NULL, "prod" };
	struct awscred cred;
	struct awscred_region region;
	enum awscred_status st;
	char err[4096];
	size_t i;

	if (mentions_process(data, size))
		return 0;
	REQUIRE(ftruncate(awscred_fd, 0) == 0);
	REQUIRE(pwrite(awscred_fd, data, size, 0) == (ssize_t)size);
	for (i = 0; i < 2; i++) {
		err[0] = '\0';
		st = awscred_find(profiles[i], 1700000000LL, &cred, err,
		    sizeof(err));
		REQUIRE(st != AWSCRED_ERR_PROCESS && st != AWSCRED_ERR_REGION);
		if (st == AWSCRED_OK)
			REQUIRE(cred.access_key_id[0] != '\0' &&
			    cred.secret_access_key[0] != '\0' &&
			    strstr(cred.source, awscred_path) != NULL);
		else
			REQUIRE(err[0] != '\0');
		awscred_free(&cred);
		st = awscred_region(NULL, profiles[i],
		    "x.iot.eu-west-1.amazonaws.com", &region, err, sizeof(err));
		if (st == AWSCRED_OK)
			REQUIRE(region.name != NULL && region.source != NULL);
		awscred_region_free(&region);
	}
	return 0;
}
