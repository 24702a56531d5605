/*
 * awscred.h - AWS credentials and region, found where the AWS CLI finds
 * them, each with the place it came from (for messages: "environment",
 * "profile prod in /home/x/.aws/credentials").
 *
 * Credentials, first found wins:
 *   1. AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN (skipped
 *      when a profile is given explicitly, as `aws --profile` does);
 *   2. the profile (the profile argument, else AWS_PROFILE, else "default")
 *      in the shared credentials file (AWS_SHARED_CREDENTIALS_FILE, else
 *      ~/.aws/credentials): aws_access_key_id, aws_secret_access_key,
 *      aws_session_token;
 *   3. its credential_process (either file; the credentials file wins): the
 *      command, split like a shell word list but run without a shell, prints
 *      {"Version":1,"AccessKeyId":...,"SecretAccessKey":...,
 *      "SessionToken":...,"Expiration":"ISO 8601"}; a failure shows its
 *      stderr; expired credentials are an error;
 *   4. the profile's keys in the config file (AWS_CONFIG_FILE, else
 *      ~/.aws/config), where sections are [profile NAME] and [default].
 * Region: the region argument, AWS_REGION, AWS_DEFAULT_REGION, the
 * profile's region, else a host *.iot.REGION.amazonaws.com[.cn]; none for
 * another AWS host is an error naming the places looked at; a host that is
 * not AWS's (a local shadowd) gets us-east-1.
 * Nothing secret is ever put in the argv of a command we run.
 *
 * Offers:
 *   awscred_profile    the profile name in use and whether it was explicit
 *   awscred_find       the credentials (AWSCRED_NONE: none anywhere)
 *   awscred_region     the region for signing
 *   awscred_free / awscred_region_free
 */
#ifndef SHADOW_AWSCRED_H
#define SHADOW_AWSCRED_H

#include <stdbool.h>
#include <stddef.h>

struct awscred {
	char *access_key_id;
	char *secret_access_key;
	char *session_token;       /* NULL when none */
	char *source;              /* where they came from */
};

struct awscred_region {
	char *name;                /* "eu-west-1" */
	char *source;              /* "--region", "AWS_REGION", "profile prod in
	                              FILE", "the endpoint host", ... */
};

enum awscred_status {
	AWSCRED_OK = 0,
	AWSCRED_NONE,              /* none found; err lists the places looked at */
	AWSCRED_ERR_FILE,          /* malformed or unreadable file: err "FILE:LINE: ..." */
	AWSCRED_ERR_PROFILE,       /* an explicit profile in neither file, or
	                              half a key pair, or a profile we cannot use */
	AWSCRED_ERR_PROCESS,       /* credential_process failed, bad output, expired */
	AWSCRED_ERR_REGION,        /* no region for an AWS host */
	AWSCRED_ERR_NOMEM
};

/* profile: the --aws-profile value or NULL. Returns the name in use;
 * *explicit_out (may be NULL) says whether it was given (argument or
 * AWS_PROFILE) rather than the default. */
const char *awscred_profile(const char *profile, bool *explicit_out);

/* now: seconds since the epoch, to judge credential_process's Expiration. */
enum awscred_status awscred_find(const char *profile, long long now,
    struct awscred *out, char *err, size_t errlen);

/* host: the endpoint's host name (no port), or NULL. */
enum awscred_status awscred_region(const char *region, const char *profile,
    const char *host, struct awscred_region *out, char *err, size_t errlen);

void awscred_free(struct awscred *cred);
void awscred_region_free(struct awscred_region *region);

#endif
