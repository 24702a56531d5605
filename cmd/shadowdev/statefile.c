#include "statefile.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "buf.h"
#include "json.h"

char *
statefile_path(const char *dir, const char *thing, const char *shadow)
{
	char *path;
	int n;

	if (shadow != NULL)
		n = asprintf(&path, "%s/%s~%s.json", dir, thing, shadow);
	else
		n = asprintf(&path, "%s/%s.json", dir, thing);
	return n < 0 ? NULL : path;
}

/* mkdir -p: DIR and its missing parents (0700 for DIR, 0755 above it). */
static int
dir_make(const char *dir, char *path)
{
	struct stat st;

	strcpy(path, dir);
	for (char *p = path + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		return -1;
	if (stat(path, &st) != 0)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}

int
statefile_dir(const char *dir, char *err, size_t errlen)
{
	char *path = malloc(strlen(dir) + 1);
	int rc;

	if (path == NULL) {
		snprintf(err, errlen, "--state-dir %s: out of memory", dir);
		return -1;
	}
	if ((rc = dir_make(dir, path)) != 0)
		snprintf(err, errlen, "--state-dir %s: can't create %s: %s",
		    dir, path, strerror(errno));
	free(path);
	return rc;
}

int
statefile_parse(const char *text, size_t len, json_object **state, char *err,
    size_t errlen)
{
	struct json_result jr;

	*state = NULL;
	if (len > STATEFILE_MAX) {
		snprintf(err, errlen, "larger than %d bytes", STATEFILE_MAX);
		return -1;
	}
	if (json_read(text, len, NULL, &jr) != JSON_OK ||
	    !json_object_is_type(jr.value, json_type_object)) {
		json_object_put(jr.value);
		snprintf(err, errlen, "not a JSON object");
		return -1;
	}
	*state = jr.value;
	return 0;
}

int
statefile_read(const char *path, json_object **state, char *err,
    size_t errlen)
{
	struct buf b = { 0 };
	char why[128];
	FILE *f;
	int rc = -1;

	*state = NULL;
	if ((f = fopen(path, "re")) == NULL) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "state file %s: can't read it: %s", path,
		    strerror(errno));
		return -1;
	}
	if (buf_read(&b, f, STATEFILE_MAX) == -1)
		snprintf(err, errlen, "state file %s: can't read it: %s", path,
		    strerror(errno));
	else if (statefile_parse(b.data != NULL ? b.data : "", b.len, state,
	    why, sizeof(why)) != 0)
		snprintf(err, errlen, "state file %s: %s (fix or remove it; it "
		    "was left as it is)", path, why);
	else
		rc = 0;
	buf_free(&b);
	fclose(f);
	return rc;
}

static int
write_all(int fd, const char *s, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
dir_sync(const char *path)
{
	char *copy = strdup(path);
	int fd, rc = -1;

	if (copy == NULL)
		return -1;
	if ((fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		rc = fsync(fd);
		close(fd);
	}
	free(copy);
	return rc;
}

int
statefile_write(const char *path, json_object *state, char *err,
    size_t errlen)
{
	const char *text = json_object_to_json_string_ext(state,
	    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	char *tmp = NULL;
	int fd = -1;

	if (text == NULL || asprintf(&tmp, "%s.tmp", path) < 0) {
		snprintf(err, errlen, "state file %s: out of memory", path);
		return -1;
	}
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) < 0 || write_all(fd, text, strlen(text)) != 0 ||
	    write_all(fd, "\n", 1) != 0 || fsync(fd) != 0) {
		snprintf(err, errlen, "state file %s: can't write %s: %s", path,
		    tmp, strerror(errno));
		goto fail;
	}
	if (close(fd) != 0) {
		fd = -1;
		snprintf(err, errlen, "state file %s: can't write %s: %s", path,
		    tmp, strerror(errno));
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) != 0) {
		snprintf(err, errlen, "state file %s: can't replace it: %s",
		    path, strerror(errno));
		goto fail;
	}
	free(tmp);
	if (dir_sync(path) != 0) {
		snprintf(err, errlen, "state file %s: can't sync its "
		    "directory: %s", path, strerror(errno));
		return -1;
	}
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	(void)unlink(tmp);
	free(tmp);
	return -1;
}
