/*
 * test_awscred - common/awscred.c finds credentials and region where the
 * AWS CLI finds them, says where they came from, and names file and line,
 * the command's stderr or the places it looked when it cannot. Each case
 * runs with a scratch HOME and a clean AWS_* environment.
 *
 * With arguments it is a probe for tests/bats/awscred.bats, in the caller's
 * HOME and environment (never printing a secret):
 *   test_awscred find [PROFILE]    "key=AKID token=yes|no" and "source=...";
 *                                  exit 1 none found, 2 error (on stderr)
 *   test_awscred region REGION PROFILE HOST   ("" for none) "region=R"
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "awscred.h"
#include "check.h"

static char home[] = "/tmp/test_awscred.XXXXXX";
static char err[4096];
static struct awscred cred;
static long long now;

static const char *aws_vars[] = {
	"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
	"AWS_PROFILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE",
	"AWS_REGION", "AWS_DEFAULT_REGION",
};

static void
env_clean(void)
{
	size_t i;

	for (i = 0; i < sizeof(aws_vars) / sizeof(*aws_vars); i++)
		unsetenv(aws_vars[i]);
	setenv("HOME", home, 1);
}

/* Writes text to HOME/name (mode 0700 when exec), returns the path. */
static const char *
put(const char *name, const char *text, bool exec)
{
	static char path[8][512];
	static int slot;
	char *p = path[slot++ % 8];
	FILE *fp;

	snprintf(p, 512, "%s/%s", home, name);
	if ((fp = fopen(p, "w")) == NULL || fputs(text, fp) == EOF ||
	    fclose(fp) != 0 || chmod(p, exec ? 0700 : 0600) != 0) {
		perror(p);
		exit(99);
	}
	return p;
}

static void
rm(const char *name)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/%s", home, name);
	unlink(p);
}

static enum awscred_status
find(const char *profile)
{
	awscred_free(&cred);
	err[0] = '\0';
	return awscred_find(profile, now, &cred, err, sizeof(err));
}

static bool
has(const char *s, const char *part)
{
	if (s != NULL && strstr(s, part) != NULL)
		return true;
	printf("#   '%s' does not contain '%s'\n", s ? s : "(null)", part);
	return false;
}

static void
test_environment(void)
{
	env_clean();
	setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
	setenv("AWS_SESSION_TOKEN", "envtoken", 1);
	put(".aws/credentials", "[default]\naws_access_key_id = AKIDFILE\n"
	    "aws_secret_access_key = filesecret\n[prod]\n"
	    "aws_access_key_id = AKIDPROD\naws_secret_access_key = s\n", false);
	CHECK(find(NULL) == AWSCRED_OK &&
	    strcmp(cred.access_key_id, "AKIDENV") == 0 &&
	    strcmp(cred.secret_access_key, "envsecret") == 0 &&
	    strcmp(cred.session_token, "envtoken") == 0 &&
	    has(cred.source, "environment"),
	    "the environment's keys and session token come first");
	setenv("AWS_PROFILE", "prod", 1);
	CHECK(find(NULL) == AWSCRED_OK &&
	    strcmp(cred.access_key_id, "AKIDENV") == 0,
	    "AWS_PROFILE does not override keys in the environment");
	CHECK(find("prod") == AWSCRED_OK &&
	    strcmp(cred.access_key_id, "AKIDPROD") == 0 &&
	    cred.session_token == NULL && has(cred.source, "profile prod in ") &&
	    has(cred.source, "/.aws/credentials"),
	    "--aws-profile overrides the environment, as aws --profile does");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	CHECK(find(NULL) == AWSCRED_ERR_PROFILE &&
	    has(err, "AWS_ACCESS_KEY_ID but not AWS_SECRET_ACCESS_KEY"),
	    "half a key pair in the environment is an error saying so");
	rm(".aws/credentials");
}

static void
test_files(void)
{
	const char *alt;

	env_clean();
	CHECK(find(NULL) == AWSCRED_NONE && has(err, "no AWS credentials") &&
	    has(err, "environment") && has(err, "profile default") &&
	    has(err, "/.aws/credentials") && has(err, "/.aws/config"),
	    "none anywhere: AWSCRED_NONE listing where it looked");
	CHECK(find("prod") == AWSCRED_ERR_PROFILE &&
	    has(err, "AWS profile 'prod' is in neither") &&
	    has(err, "/.aws/credentials") && has(err, "/.aws/config"),
	    "a named profile in neither file is an error naming both");
	setenv("AWS_PROFILE", "fromenv", 1);
	CHECK(find(NULL) == AWSCRED_ERR_PROFILE && has(err, "'fromenv'"),
	    "so is one named by AWS_PROFILE");
	unsetenv("AWS_PROFILE");

	put(".aws/config", "[default]\nregion = eu-west-3\n"
	    "[profile prod]\naws_access_key_id = AKIDCONF\n"
	    "aws_secret_access_key = confsecret\naws_session_token = ctok\n"
	    "[profile  spaced ]\nAWS_ACCESS_KEY_ID = AKIDSPACED\n"
	    "aws_secret_access_key = x\n", false);
	CHECK(find("prod") == AWSCRED_OK &&
	    strcmp(cred.access_key_id, "AKIDCONF") == 0 &&
	    strcmp(cred.session_token, "ctok") == 0 &&
	    has(cred.source, "profile prod in ") &&
	    has(cred.source, "/.aws/config"),
	    "keys in [profile prod] of ~/.aws/config");
	CHECK(find("spaced") == AWSCRED_OK &&
	    strcmp(cred.access_key_id, "AKIDSPACED") == 0,
	    "[profile  spaced ] is profile spaced; key names ignore case");
	put(".aws/credentials", "# keys\n[prod]\n"
	    "aws_access_key_id = AKIDCRED\naws_secret_access_key = c\n", false);
	CHECK(find("prod") == AWSCRED_OK &&
	    strcmp(cred.access_key_id, "AKIDCRED") == 0 &&
	    has(cred.source, "/.aws/credentials"),
	    "the credentials file beats the config file");

	alt = put("alt-credentials", "[prod]\naws_access_key_id = AKIDALT\n"
	    "aws_secret_access_key = a\n", false);
	setenv("AWS_SHARED_CREDENTIALS_FILE", alt, 1);
	CHECK(find("prod") == AWSCRED_OK &&
	    strcmp(cred.access_key_id, "AKIDALT") == 0 &&
	    has(cred.source, alt), "AWS_SHARED_CREDENTIALS_FILE is read "
	    "instead of ~/.aws/credentials");
	unsetenv("AWS_SHARED_CREDENTIALS_FILE");
	alt = put("alt-config", "[profile other]\naws_access_key_id = AKIDO\n"
	    "aws_secret_access_key = o\n", false);
	setenv("AWS_CONFIG_FILE", alt, 1);
	CHECK(find("other") == AWSCRED_OK &&
	    strcmp(cred.access_key_id, "AKIDO") == 0 && has(cred.source, alt),
	    "AWS_CONFIG_FILE is read instead of ~/.aws/config");
	CHECK(find("spaced") == AWSCRED_ERR_PROFILE,
	    "... and ~/.aws/config is then not read");
	unsetenv("AWS_CONFIG_FILE");

	alt = put(".aws/credentials", "[default]\naws_access_key_id = A\n"
	    "aws_secret_access_key = b\n[broken\n", false);
	CHECK(find(NULL) == AWSCRED_ERR_FILE && has(err, alt) &&
	    has(err, ":4: bad section header"),
	    "a malformed credentials file names file and line");
	put(".aws/credentials", "[default]\naws_access_key_id = A\n"
	    "this is not a key\n", false);
	CHECK(find(NULL) == AWSCRED_ERR_FILE && has(err, ":3: expected"),
	    "a line that is no key = value names file and line");
	alt = put(".aws/credentials", "[default]\n\n"
	    "aws_access_key_id = AKIDHALF\n", false);
	CHECK(find(NULL) == AWSCRED_ERR_PROFILE && has(err, alt) &&
	    has(err, ":3: profile default has aws_access_key_id but no "
	    "aws_secret_access_key"), "half a key pair names file and line");
	put(".aws/credentials", "[default]\naws_access_key_id = AKIDE\n"
	    "aws_secret_access_key =\n", false);
	CHECK(find(NULL) == AWSCRED_ERR_PROFILE && has(err, ":2: profile "
	    "default has aws_access_key_id but no aws_secret_access_key"),
	    "an empty secret is no secret (found by fuzz_awscred)");
	put(".aws/credentials", "[sso]\nsso_session = corp\n"
	    "sso_account_id = 1\n", false);
	CHECK(find("sso") == AWSCRED_ERR_PROFILE && has(err, "sso_session") &&
	    has(err, "export-credentials --profile sso --format process"),
	    "an SSO profile says how to use it through credential_process");
	rm(".aws/credentials");
	rm(".aws/config");
}

/* Profile "proc" in ~/.aws/config runs the script HOME/name. */
static void
process_profile(const char *name, const char *script)
{
	char cfg[1024];

	snprintf(cfg, sizeof(cfg), "[profile proc]\ncredential_process = %s\n",
	    put(name, script, true));
	put(".aws/config", cfg, false);
}

static void
test_process(void)
{
	char cfg[2048];
	const char *cmd;

	env_clean();
	setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
	cmd = put("cp-ok", "#!/bin/sh\n"
	    "printf '%s\\n' \"$1\" > \"$HOME/cp-args\"\n"
	    "echo '{\"Version\": 1, \"AccessKeyId\": \"AKIDPROC\", "
	    "\"SecretAccessKey\": \"procsecret\", \"SessionToken\": \"ptok\", "
	    "\"Expiration\": \"2099-01-01T00:00:00Z\"}'\n", true);
	snprintf(cfg, sizeof(cfg), "[profile proc]\n"
	    "credential_process = %s 'one arg'\n", cmd);
	put(".aws/config", cfg, false);
	CHECK(find("proc") == AWSCRED_OK &&
	    strcmp(cred.access_key_id, "AKIDPROC") == 0 &&
	    strcmp(cred.secret_access_key, "procsecret") == 0 &&
	    strcmp(cred.session_token, "ptok") == 0 &&
	    has(cred.source, "credential_process of profile proc in ") &&
	    has(cred.source, "/.aws/config"),
	    "credential_process's JSON gives keys, token and the source (%s)",
	    err);
	{
		char args[256] = "", path[600];
		FILE *fp;

		snprintf(path, sizeof(path), "%s/cp-args", home);
		if ((fp = fopen(path, "r")) != NULL) {
			if (fgets(args, sizeof(args), fp) == NULL)
				args[0] = '\0';
			fclose(fp);
		}
		CHECK(strcmp(args, "one arg\n") == 0, "the command line is "
		    "split as a shell would, quotes kept together");
	}

	process_profile("cp-expired", "#!/bin/sh\necho '{\"Version\": 1, "
	    "\"AccessKeyId\": \"A\", \"SecretAccessKey\": \"S\", "
	    "\"Expiration\": \"2020-01-01T00:00:00+01:00\"}'\n");
	CHECK(find("proc") == AWSCRED_ERR_PROCESS &&
	    has(err, "expired at 2020-01-01T00:00:00+01:00") &&
	    has(err, "credential_process of profile proc"),
	    "expired credentials are an error saying when they expired");

	process_profile("cp-fail", "#!/bin/sh\necho 'first line' >&2\n"
	    "echo 'Error loading SSO Token: run aws sso login' >&2\nexit 3\n");
	CHECK(find("proc") == AWSCRED_ERR_PROCESS && has(err, "exit 3") &&
	    has(err, "first line\nError loading SSO Token: run aws sso login"),
	    "a failing credential_process shows its exit status and stderr");

	process_profile("cp-bad", "#!/bin/sh\necho 'not json'\n");
	CHECK(find("proc") == AWSCRED_ERR_PROCESS &&
	    has(err, "printed no JSON object"), "output that is not JSON");
	process_profile("cp-v2", "#!/bin/sh\necho '{\"Version\": 2, "
	    "\"AccessKeyId\": \"A\", \"SecretAccessKey\": \"S\"}'\n");
	CHECK(find("proc") == AWSCRED_ERR_PROCESS &&
	    has(err, "\"Version\": 1"), "a Version other than 1");
	process_profile("cp-nokey", "#!/bin/sh\necho '{\"Version\": 1, "
	    "\"AccessKeyId\": \"A\"}'\n");
	CHECK(find("proc") == AWSCRED_ERR_PROCESS &&
	    has(err, "\"SecretAccessKey\""), "a missing SecretAccessKey");
	put(".aws/config", "[profile proc]\ncredential_process = "
	    "/nonexistent/helper --x\n", false);
	/* Under valgrind posix_spawn cannot report the failed exec: the
	 * child exits 127 instead. */
	CHECK(find("proc") == AWSCRED_ERR_PROCESS &&
	    has(err, "(/nonexistent/helper --x)") &&
	    (strstr(err, "can't run it: No such file") != NULL ||
	    strstr(err, "exit 127: could not run it?") != NULL),
	    "a command that does not exist");
	put(".aws/config", "[profile proc]\ncredential_process = a 'b\n",
	    false);
	CHECK(find("proc") == AWSCRED_ERR_PROFILE &&
	    has(err, ":2: credential_process is empty or has an unclosed "
	    "quote"), "an unclosed quote names file and line");
	rm(".aws/config");
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	rm("cp-ok");
	rm("cp-args");
	rm("cp-expired");
	rm("cp-fail");
	rm("cp-bad");
	rm("cp-v2");
	rm("cp-nokey");
}

static void
test_region(void)
{
	struct awscred_region r = { 0 };
	const char *host = "abc-ats.iot.eu-central-1.amazonaws.com";

#define REGION(reg, prof, h)                                               \
	(awscred_region_free(&r), err[0] = '\0',                           \
	    awscred_region(reg, prof, h, &r, err, sizeof(err)))
	env_clean();
	setenv("AWS_REGION", "env-1", 1);
	setenv("AWS_DEFAULT_REGION", "env-2", 1);
	put(".aws/config", "[default]\nregion = conf-1\n[profile p]\n"
	    "region = conf-p\n", false);
	CHECK(REGION("cli-1", NULL, host) == AWSCRED_OK &&
	    strcmp(r.name, "cli-1") == 0 && strcmp(r.source, "--region") == 0,
	    "--region comes first");
	CHECK(REGION(NULL, NULL, host) == AWSCRED_OK &&
	    strcmp(r.name, "env-1") == 0 && strcmp(r.source, "AWS_REGION") == 0,
	    "then AWS_REGION");
	unsetenv("AWS_REGION");
	CHECK(REGION(NULL, NULL, host) == AWSCRED_OK &&
	    strcmp(r.name, "env-2") == 0, "then AWS_DEFAULT_REGION");
	unsetenv("AWS_DEFAULT_REGION");
	CHECK(REGION(NULL, "p", host) == AWSCRED_OK &&
	    strcmp(r.name, "conf-p") == 0 && has(r.source, "profile p in "),
	    "then the profile's region");
	CHECK(REGION(NULL, NULL, host) == AWSCRED_OK &&
	    strcmp(r.name, "conf-1") == 0, "[default]'s region");
	rm(".aws/config");
	CHECK(REGION(NULL, NULL, host) == AWSCRED_OK &&
	    strcmp(r.name, "eu-central-1") == 0 &&
	    has(r.source, "endpoint host"), "then the endpoint's host name");
	CHECK(REGION(NULL, NULL, "x.iot.cn-north-1.amazonaws.com.cn") ==
	    AWSCRED_OK && strcmp(r.name, "cn-north-1") == 0,
	    "a China endpoint host");
	CHECK(REGION(NULL, "p", "data.iot.amazonaws.com") ==
	    AWSCRED_ERR_REGION && has(err, "no AWS region for "
	    "data.iot.amazonaws.com") && has(err, "--region, AWS_REGION, "
	    "AWS_DEFAULT_REGION") && has(err, "profile p") &&
	    has(err, "/.aws/config"),
	    "an AWS host without a region names every place looked at");
	CHECK(REGION(NULL, NULL, "127.0.0.1") == AWSCRED_OK &&
	    strcmp(r.name, "us-east-1") == 0,
	    "a local endpoint signs for us-east-1");
	awscred_region_free(&r);
#undef REGION
}

static int
probe(int argc, char **argv)
{
	struct awscred_region r = { 0 };
	enum awscred_status st;
	const char *arg1 = argc > 2 && argv[2][0] != '\0' ? argv[2] : NULL;

	if (strcmp(argv[1], "find") == 0) {
		st = awscred_find(arg1, (long long)time(NULL), &cred, err,
		    sizeof(err));
		if (st == AWSCRED_OK)
			printf("key=%s token=%s\nsource=%s\n",
			    cred.access_key_id, cred.session_token != NULL ?
			    "yes" : "no", cred.source);
		else
			fprintf(stderr, "%s\n", err);
		awscred_free(&cred);
		return st == AWSCRED_OK ? 0 : st == AWSCRED_NONE ? 1 : 2;
	}
	if (strcmp(argv[1], "region") == 0 && argc == 5) {
		st = awscred_region(arg1, argv[3][0] != '\0' ? argv[3] : NULL,
		    argv[4][0] != '\0' ? argv[4] : NULL, &r, err, sizeof(err));
		if (st == AWSCRED_OK)
			printf("region=%s\nsource=%s\n", r.name, r.source);
		else
			fprintf(stderr, "%s\n", err);
		awscred_region_free(&r);
		return st == AWSCRED_OK ? 0 : 2;
	}
	fprintf(stderr, "usage: test_awscred [find [PROFILE] | region REGION "
	    "PROFILE HOST]\n");
	return 2;
}

int
main(int argc, char **argv)
{
	char dir[600];

	if (argc > 1)
		return probe(argc, argv);

	if (mkdtemp(home) == NULL)
		return 99;
	snprintf(dir, sizeof(dir), "%s/.aws", home);
	mkdir(dir, 0700);
	now = (long long)time(NULL);
	test_environment();
	test_files();
	test_process();
	test_region();
	awscred_free(&cred);
	rm("alt-credentials");
	rm("alt-config");
	rmdir(dir);
	rmdir(home);
	CHECK_DONE();
}
