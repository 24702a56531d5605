/*
 * test_fuzz_regressions - replays the fuzzing corpora with the gcc build:
 * every file in tests/fuzz/corpus/<harness>/ (the hand-written seeds and
 * every input a fuzzer ever crashed on, named crash-*) is run through the
 * harness's own checks in a child process; a crash, a sanitizer report or
 * a failed invariant in the child is a failed test naming the file.
 */
#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "check.h"

#define LLVMFuzzerTestOneInput fuzz_json_one
#include "../fuzz/fuzz_json.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_doc_update_one
#include "../fuzz/fuzz_doc_update.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_topic_one
#include "../fuzz/fuzz_topic.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_assign_one
#include "../fuzz/fuzz_assign.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_config_one
#define LLVMFuzzerInitialize fuzz_config_init
#include "../fuzz/fuzz_config.c"
#undef LLVMFuzzerTestOneInput
#undef LLVMFuzzerInitialize
#define LLVMFuzzerTestOneInput fuzz_sigv4_one
#include "../fuzz/fuzz_sigv4.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_awscred_one
#define LLVMFuzzerInitialize fuzz_awscred_init
#include "../fuzz/fuzz_awscred.c"
#undef LLVMFuzzerTestOneInput
#undef LLVMFuzzerInitialize
#define LLVMFuzzerTestOneInput fuzz_statefile_one
#include "../fuzz/fuzz_statefile.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_route_one
#include "../fuzz/fuzz_route.c"
#undef LLVMFuzzerTestOneInput

struct harness {
	const char *name;
	int (*init)(int *, char ***);
	int (*one)(const uint8_t *, size_t);
};

static const struct harness harnesses[] = {
	{ "fuzz_json", NULL, fuzz_json_one },
	{ "fuzz_doc_update", NULL, fuzz_doc_update_one },
	{ "fuzz_topic", NULL, fuzz_topic_one },
	{ "fuzz_assign", NULL, fuzz_assign_one },
	{ "fuzz_config", fuzz_config_init, fuzz_config_one },
	{ "fuzz_sigv4", NULL, fuzz_sigv4_one },
	{ "fuzz_awscred", fuzz_awscred_init, fuzz_awscred_one },
	{ "fuzz_statefile", NULL, fuzz_statefile_one },
	{ "fuzz_route", NULL, fuzz_route_one },
};

static int
read_file(const char *path, uint8_t **data, size_t *size)
{
	struct buf b = { 0 };
	FILE *fp = fopen(path, "rb");
	int rc;

	if (fp == NULL)
		return -1;
	rc = buf_read(&b, fp, 0);
	fclose(fp);
	if (rc == -1 || (*data = (uint8_t *)buf_finish(&b, size)) == NULL) {
		buf_free(&b);
		return -1;
	}
	return 0;
}

/* Exit status of the harness run on data in a child: 0 when clean. */
static int
replay(const struct harness *h, const uint8_t *data, size_t size)
{
	int status, argc = 0;
	char **argv = NULL;
	pid_t pid;

	fflush(stdout);
	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		/* config_load's usage errors are expected: keep TAP clean. */
		if (freopen("/dev/null", "w", stderr) == NULL)
			exit(99);
		if (h->init != NULL)
			h->init(&argc, &argv);
		h->one(data, size);
		exit(0);
	}
	if (waitpid(pid, &status, 0) == -1)
		return -1;
	return status;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The corpus's file names, at file scope: a forked child that exits in
 * the middle of the walk still reaches them (valgrind's leak check). */
static char **names;

static void
replay_dir(const struct harness *h, const char *top)
{
	char dir[4096], path[8192], **nn;
	size_t n = 0, i, size;
	struct dirent *de;
	uint8_t *data;
	DIR *d;
	int st;

	snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus/%s", top, h->name);
	if ((d = opendir(dir)) == NULL) {
		CHECK(0, "%s: can't open corpus %s: %s", h->name, dir,
		    strerror(errno));
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if ((nn = realloc(names, (n + 1) * sizeof(*names))) == NULL ||
		    (nn[n] = strdup(de->d_name)) == NULL)
			abort();
		names = nn;
		n++;
	}
	closedir(d);
	qsort(names, n, sizeof(*names), by_name);
	CHECK(n > 0, "%s: the corpus has inputs (%zu)", h->name, n);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (read_file(path, &data, &size) == -1) {
			CHECK(0, "%s: can't read %s", h->name, path);
		} else {
			st = replay(h, data, size);
			CHECK(st == 0, "%s survives %s%s", h->name, names[i],
			    strncmp(names[i], "crash-", 6) == 0 ?
			    " (a past crash)" : "");
			if (st != 0)
				printf("#   child status %d\n", st);
			free(data);
		}
		free(names[i]);
	}
	free(names);
	names = NULL;
}

/* Found by fuzz_doc_update: version + 1 overflowed int64 (UBSan) when the
 * store held INT64_MAX, as a snapshot version or a deleted version. */
static bool
refuses_next_version(struct doc_shadow *s)
{
	const char *text = "{\"state\":{\"reported\":{\"a\":1}}}";
	struct doc_update_result res;
	struct doc_request req;
	struct doc_error err;
	int64_t before = s->version;
	bool ok;

	if (doc_parse_update(text, strlen(text), &req, &err) != 0)
		return false;
	if (doc_apply_update(s, &req, 1700000000, DOC_MAX_SIZE_DEFAULT, &res,
	    &err) == 0) {
		ok = s->version > before;
		doc_update_result_free(&res);
	} else
		ok = s->version == before;
	doc_request_free(&req);
	return ok;
}

static bool
loaded_at_max_refuses(void)
{
	struct doc_shadow s;
	bool ok;

	if (doc_shadow_load(&s, "{\"state\":{},\"metadata\":{},"
	    "\"version\":9223372036854775807}") != 0)
		return true;
	ok = refuses_next_version(&s);
	doc_shadow_free(&s);
	return ok;
}

static bool
deleted_at_max_refuses(void)
{
	struct doc_shadow s;
	bool ok;

	doc_shadow_init(&s, INT64_MAX);
	ok = refuses_next_version(&s);
	doc_shadow_free(&s);
	return ok;
}

/* Run fn in a child so a sanitizer abort is a failed check, not the end. */
static bool
in_child(bool (*fn)(void))
{
	int status;
	pid_t pid;

	fflush(stdout);
	if ((pid = fork()) == -1)
		return false;
	if (pid == 0)
		exit(fn() ? 0 : 1);
	return waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0;
}

static void
test_version_overflow(void)
{
	CHECK(in_child(loaded_at_max_refuses), "a stored shadow at version "
	    "INT64_MAX is refused, not updated to a wrapped version");
	CHECK(in_child(deleted_at_max_refuses), "a shadow deleted at version "
	    "INT64_MAX is not re-created at a wrapped version");
}

int
main(void)
{
	const char *top = getenv("SHADOW_TOP");
	size_t i;

	if (top == NULL || top[0] == '\0')
		top = ".";
	for (i = 0; i < sizeof(harnesses) / sizeof(harnesses[0]); i++)
		replay_dir(&harnesses[i], top);
	test_version_overflow();
	CHECK_DONE();
}
