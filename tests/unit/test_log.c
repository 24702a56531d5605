/* test_log.c - diagnostics lines: one line per message, whatever it says. */
#include "check.h"
#include "log.h"

static char got[8192];

/* The stderr of one log_error call with a "%s" of s. */
static const char *
logged(const char *s)
{
	struct check_capture cap;
	char path[] = "/tmp/test_log.XXXXXX";
	int fd = mkstemp(path);

	if (fd == -1) {
		perror("mkstemp");
		exit(99);
	}
	close(fd);
	check_capture_begin(&cap, path);
	log_error("x %s y", s);
	check_capture_end(&cap, got, sizeof(got));
	unlink(path);
	return got;
}

int
main(void)
{
	char long_msg[3000];

	log_init("t", 0);
	CHECK_STR(logged("plain"), "t: x plain y\n", "a plain message as it is");
	CHECK_STR(logged("tok\nt: forged line"), "t: x tok\\nt: forged line y\n",
	    "a newline in a message is written \\n: no forged line");
	CHECK_STR(logged("a\rb\tc"), "t: x a\\rb\\tc y\n",
	    "carriage return and tab are written \\r and \\t");
	CHECK_STR(logged("\x1b[31mred\x7f"), "t: x \\x1b[31mred\\x7f y\n",
	    "escape and DEL are written \\xNN: no terminal escape gets through");
	CHECK_STR(logged("caf\xc3\xa9 \"q\" \\"), "t: x caf\xc3\xa9 \"q\" \\ y\n",
	    "UTF-8, quotes and backslashes are left alone");
	memset(long_msg, 'a', sizeof(long_msg) - 1);
	long_msg[sizeof(long_msg) - 1] = '\0';
	long_msg[2000] = '\n';
	logged(long_msg);
	CHECK(strlen(got) == 2 + 3 + 2999 + 1 + 2 + 1 &&
	    strstr(got, "a\\na") != NULL && strchr(got, '\n') == got + strlen(got) - 1,
	    "a message longer than 1 KiB is written whole, escaped, on one line");
	log_init("t", -1);
	CHECK_STR(logged("quiet"), "t: x quiet y\n", "errors are written even with -q");
	CHECK_DONE();
}
