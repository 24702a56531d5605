/*
 * test_statefile - the --state-dir file of shadowdev
 * (cmd/shadowdev/statefile.h): names, the directory, atomic writes, and
 * what the reader accepts and refuses.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "statefile.h"

static char err[1024];

static const char *
js(json_object *o)
{
	return o == NULL ? "(none)" : json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

static void
put_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	if (fp == NULL || fputs(text, fp) == EOF || fclose(fp) != 0)
		abort();
}

static void
test_names(void)
{
	char *p = statefile_path("/var/lib/dev", "pump-1", NULL);

	CHECK_STR(p, "/var/lib/dev/pump-1.json", "classic shadow: DIR/<thing>.json");
	free(p);
	p = statefile_path("d", "pump-1", "cfg");
	CHECK_STR(p, "d/pump-1~cfg.json", "named shadow: DIR/<thing>~<shadow>.json");
	free(p);
}

static void
test_parse(void)
{
	json_object *o;

	CHECK(statefile_parse(" {\"a\":1}\n", 9, &o, err, sizeof(err)) == 0 &&
	    strcmp(js(o), "{\"a\":1}") == 0, "an object with white space around it");
	json_object_put(o);
	CHECK(statefile_parse("[1]", 3, &o, err, sizeof(err)) == -1 &&
	    o == NULL && strcmp(err, "not a JSON object") == 0,
	    "an array is refused");
	CHECK(statefile_parse("{\"a\":1} x", 9, &o, err, sizeof(err)) == -1,
	    "text after the object is refused");
	CHECK(statefile_parse("{\"a\":", 5, &o, err, sizeof(err)) == -1,
	    "a torn object is refused");
	CHECK(statefile_parse("", 0, &o, err, sizeof(err)) == -1,
	    "an empty file is refused");
	CHECK(statefile_parse("{}", STATEFILE_MAX + 1, &o, err,
	    sizeof(err)) == -1 && strstr(err, "larger than") != NULL,
	    "a file over the limit is refused (%s)", err);
}

static void
test_files(const char *dir)
{
	char sub[512], path[600], tmp[610];
	json_object *in = json_tokener_parse("{\"MOTOR\":\"ON\",\"l\":{\"c\":1}}");
	json_object *out;
	struct stat st;

	snprintf(sub, sizeof(sub), "%s/state", dir);
	CHECK(statefile_dir(sub, err, sizeof(err)) == 0 && stat(sub, &st) == 0 &&
	    (st.st_mode & 0777) == 0700, "the directory is created with mode 0700");
	CHECK(statefile_dir(sub, err, sizeof(err)) == 0,
	    "an existing directory is fine");
	snprintf(path, sizeof(path), "%s/a/b/c", dir);
	CHECK(statefile_dir(path, err, sizeof(err)) == 0 && stat(path, &st) == 0 &&
	    S_ISDIR(st.st_mode), "missing parents are created too (%s)", err);
	snprintf(path, sizeof(path), "%s/a/b/c/f", dir);
	put_file(path, "");
	snprintf(tmp, sizeof(tmp), "%s/a/b/c/f/g", dir);
	CHECK(statefile_dir(tmp, err, sizeof(err)) == -1 &&
	    strstr(err, "can't create") != NULL,
	    "a file in the way is an error naming it (%s)", err);
	snprintf(path, sizeof(path), "%s/t.json", sub);
	CHECK(statefile_read(path, &out, err, sizeof(err)) == 0 && out == NULL,
	    "no file: no state, no error");
	CHECK(statefile_write(path, in, err, sizeof(err)) == 0, "write (%s)", err);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	CHECK(stat(tmp, &st) == -1, "no temporary file is left behind");
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600,
	    "the file is private (0600)");
	CHECK(statefile_read(path, &out, err, sizeof(err)) == 0 &&
	    json_object_equal(in, out), "what was written reads back");
	json_object_put(out);
	put_file(path, "[\"torn\"");
	CHECK(statefile_read(path, &out, err, sizeof(err)) == -1 &&
	    strstr(err, path) != NULL && strstr(err, "not a JSON object") &&
	    strstr(err, "left as it is"), "a bad file: the error names it (%s)",
	    err);
	json_object_put(in);
	snprintf(path, sizeof(path), "%s/missing/t.json", sub);
	in = json_object_new_object();
	CHECK(statefile_write(path, in, err, sizeof(err)) == -1 &&
	    strstr(err, "missing/t.json") != NULL,
	    "a write that cannot happen names the file (%s)", err);
	json_object_put(in);
}

int
main(void)
{
	char dir[] = "/tmp/test_statefile.XXXXXX";
	char cmd[128];

	if (mkdtemp(dir) == NULL)
		abort();
	test_names();
	test_parse();
	test_files(dir);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	CHECK_DONE();
}
