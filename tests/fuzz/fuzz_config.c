/*
 * fuzz_config - the config-file parser on arbitrary bytes: the input is
 * written to a scratch file and loaded as `shadowctl --config FILE get`,
 * then freed. config_load prints usage errors on stderr: tests/fuzz/run
 * passes -close_fd_mask=2. SHADOW_* variables are unset so only the file
 * counts.
 * Files naming a device (/dev/zero, /dev/stdin) as password-file would
 * make getline read forever: such inputs are skipped (see the report).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

#define REQUIRE(c) do { if (!(c)) { fprintf(stderr, "%s:%d: %s\n", \
	__FILE__, __LINE__, #c); abort(); } } while (0)

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

extern char **environ;
static char cfg_dir[] = "/tmp/fuzz_config.XXXXXX";
static char cfg_path[64];
static int fd = -1;

static void
remove_scratch(void)
{
	unlink(cfg_path);
	rmdir(cfg_dir);
}

static void
unset_shadow_env(void)
{
	char name[256];
	size_t i, n;

	for (i = 0; environ[i] != NULL; ) {
		n = strcspn(environ[i], "=");
		if (strncmp(environ[i], "SHADOW_", 7) == 0 && n < sizeof(name)) {
			memcpy(name, environ[i], n);
			name[n] = '\0';
			REQUIRE(unsetenv(name) == 0);
			i = 0;
		} else
			i++;
	}
	unsetenv("XDG_CONFIG_HOME");
	unsetenv("XDG_STATE_HOME");
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	unset_shadow_env();
	REQUIRE(mkdtemp(cfg_dir) != NULL);
	snprintf(cfg_path, sizeof(cfg_path), "%s/config", cfg_dir);
	REQUIRE((fd = open(cfg_path, O_RDWR | O_CREAT | O_TRUNC, 0600)) != -1);
	atexit(remove_scratch);
	REQUIRE(setenv("HOME", cfg_dir, 1) == 0);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *argv[] = { "shadowctl", "--config", cfg_path, "get", NULL };
	struct shadow_config cfg;
	enum config_status st;

	if (memmem(data, size, "/dev", 4) != NULL ||
	    memmem(data, size, "/proc", 5) != NULL)
		return 0;
	REQUIRE(ftruncate(fd, 0) == 0);
	REQUIRE(pwrite(fd, data, size, 0) == (ssize_t)size);
	memset(&cfg, 0, sizeof(cfg));
	st = config_load(&cfg, PROG_SHADOWCTL, 4, argv);
	REQUIRE(st == CONFIG_OK || st == CONFIG_USAGE);
	if (st == CONFIG_OK) {
		REQUIRE(cfg.endpoint != NULL && cfg.profile != NULL);
		/* A URL endpoint (the HTTP transport) carries its own port:
		 * config leaves port 0 for it. Any other endpoint has one. */
		if (strncmp(cfg.endpoint, "http://", 7) == 0 ||
		    strncmp(cfg.endpoint, "https://", 8) == 0)
			REQUIRE(cfg.port >= 0 && cfg.port <= 65535);
		else
			REQUIRE(cfg.port >= 1 && cfg.port <= 65535);
		REQUIRE(cfg.nargs == 1 && strcmp(cfg.args[0], "get") == 0);
	}
	config_free(&cfg);
	return 0;
}
