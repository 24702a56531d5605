/*
 * test_ini - common/ini.c: the one INI reader (libinih) behind our config
 * file and ~/.aws/credentials and ~/.aws/config. What each line gives, the
 * line numbers it reports (also past long lines, which libinih would
 * otherwise split), and an error naming file and line for each bad line.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "ini.h"

static char tmpdir[] = "/tmp/test_ini.XXXXXX";
static char path[512];
static char seen[8192];   /* "line:section:key=value|" for every call */

static void
write_bytes(const char *text, size_t len)
{
	FILE *fp;

	snprintf(path, sizeof(path), "%s/file.ini", tmpdir);
	if ((fp = fopen(path, "w")) == NULL ||
	    fwrite(text, 1, len, fp) != len || fclose(fp) != 0) {
		perror(path);
		exit(99);
	}
}

static int
record(void *ud, const char *section, const char *key, const char *value,
    unsigned line, char *err, size_t errlen)
{
	size_t n = strlen(seen);
	char longname[32];

	(void)ud;
	if (section != NULL && strlen(section) > 40) {
		snprintf(longname, sizeof(longname), "<%zu bytes>",
		    strlen(section));
		section = longname;
	}
	if (key != NULL && strcmp(key, "refuse") == 0) {
		snprintf(err, errlen, "refused '%s'", value);
		return -1;
	}
	if (value != NULL && strlen(value) > 100)
		snprintf(seen + n, sizeof(seen) - n, "%u:%s:%s=<%zu bytes>|",
		    line, section, key, strlen(value));
	else
		snprintf(seen + n, sizeof(seen) - n, "%u:%s:%s=%s|", line,
		    section != NULL ? section : "-", key != NULL ? key : "[]",
		    value != NULL ? value : "");
	return 0;
}

static enum ini_status
read_text(const char *text, char *err, size_t errlen)
{
	write_bytes(text, strlen(text));
	seen[0] = '\0';
	err[0] = '\0';
	return ini_read_file(path, record, NULL, err, errlen);
}

static bool
err_is(const char *err, const char *suffix)
{
	size_t n = strlen(path);

	return strncmp(err, path, n) == 0 && strcmp(err + n, suffix) == 0;
}

int
main(void)
{
	char err[1024], *big, *text;
	enum ini_status st;

	if (mkdtemp(tmpdir) == NULL)
		return 99;

	st = read_text("# comment\n; comment\nglobal = 1\n\n[default]\n"
	    "  region = eu-west-1  \nkey: value with spaces\n"
	    "empty =\n[ profile prod ]\ncredential_process = sh -c 'a; b' # x\n"
	    "[empty]\n", err, sizeof(err));
	CHECK(st == INI_OK, "a file with sections, comments, ':' and '=' "
	    "reads (%s)", err);
	CHECK_STR(seen, "3:-:global=1|5:default:[]=|6:default:region=eu-west-1|"
	    "7:default:key=value with spaces|8:default:empty=|"
	    "9:profile prod:[]=|10:profile prod:credential_process=sh -c "
	    "'a; b' # x|11:empty:[]=|",
	    "every section and key with its line; values trimmed; no inline "
	    "comments; an indented line is a key line");

	st = read_text("\xEF\xBB\xBF[a]\r\nk = v\r\n", err, sizeof(err));
	CHECK(st == INI_OK && strcmp(seen, "1:a:[]=|2:a:k=v|") == 0,
	    "a UTF-8 BOM and CRLF line ends are fine (%s)", seen);

	/* A section name longer than libinih's 50 bytes, and lines longer
	 * than its 200-byte buffer, keep their text and the line count. */
	big = malloc(20000);
	text = malloc(50000);
	memset(big, 'x', 19999);
	big[19999] = '\0';
	snprintf(text, 50000, "[profile %.*s]\nlong = %s\nafter = 1\n", 70,
	    big, big);
	st = read_text(text, err, sizeof(err));
	CHECK(st == INI_OK && strcmp(seen, "1:<78 bytes>:[]=|"
	    "2:<78 bytes>:long=<19999 bytes>|3:<78 bytes>:after=1|") == 0,
	    "a 70-byte section name and a 20000-byte line are read whole; "
	    "line numbers stay right after them");
	snprintf(text, 50000, "[a]\nlong = %s\nrefuse = me\n", big);
	seen[0] = '\0';
	write_bytes(text, strlen(text));
	st = ini_read_file(path, record, NULL, err, sizeof(err));
	CHECK(st == INI_ERR_ENTRY && err_is(err, ":3: refused 'me'"),
	    "a refused entry after a long line names line 3 (%s)", err);

	big = realloc(big, INI_LINE_MAX + 10);
	memset(big, 'y', INI_LINE_MAX + 9);
	big[INI_LINE_MAX + 9] = '\0';
	free(text);
	text = malloc(INI_LINE_MAX + 100);
	snprintf(text, INI_LINE_MAX + 100, "a = 1\nb = %s\n", big);
	st = read_text(text, err, sizeof(err));
	CHECK(st == INI_ERR_SYNTAX && strstr(err, ":2: line longer than") &&
	    strncmp(err, path, strlen(path)) == 0,
	    "a line over INI_LINE_MAX is an error naming file and line");
	free(big);
	free(text);

	st = read_text("a = 1\njust words\n", err, sizeof(err));
	CHECK(st == INI_ERR_SYNTAX && err_is(err, ":2: expected 'key = "
	    "value', '[section]' or a comment, got 'just words'"),
	    "a line without '=' names file and line (%s)", err);
	st = read_text("[open\n", err, sizeof(err));
	CHECK(st == INI_ERR_SYNTAX && err_is(err, ":1: bad section header "
	    "'[open' (expected [name])"), "an unclosed section (%s)", err);
	st = read_text("[a] b\n", err, sizeof(err));
	CHECK(st == INI_ERR_SYNTAX && strstr(err, ":1: bad section header"),
	    "text after a section header (%s)", err);
	st = read_text("[a] # comment\n[ ]\n", err, sizeof(err));
	CHECK(st == INI_ERR_SYNTAX && err_is(err, ":2: empty section name"),
	    "a comment after a header is fine; an empty name is not (%s)",
	    err);
	write_bytes("a = 1\nb = x\0y\n", 14);
	st = ini_read_file(path, record, NULL, err, sizeof(err));
	CHECK(st == INI_ERR_SYNTAX && err_is(err, ":2: a NUL byte in the "
	    "line"), "a NUL byte names file and line (%s)", err);
	st = read_text("[s]\nrefuse = this\n", err, sizeof(err));
	CHECK(st == INI_ERR_ENTRY && err_is(err, ":2: refused 'this'"),
	    "the caller's refusal gets FILE:LINE in front (%s)", err);
	st = read_text("", err, sizeof(err));
	CHECK(st == INI_OK && seen[0] == '\0', "an empty file is fine");

	snprintf(path, sizeof(path), "%s/missing.ini", tmpdir);
	errno = 0;
	st = ini_read_file(path, record, NULL, err, sizeof(err));
	CHECK(st == INI_ERR_OPEN && errno == ENOENT &&
	    strstr(err, "can't open ") && strstr(err, path) &&
	    strstr(err, "No such file"),
	    "a missing file: INI_ERR_OPEN, errno ENOENT, the path named");

	snprintf(path, sizeof(path), "%s/file.ini", tmpdir);
	unlink(path);
	rmdir(tmpdir);
	CHECK_DONE();
}
