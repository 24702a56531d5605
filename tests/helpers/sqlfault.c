/*
 * sqlfault.c - SQLite statements that fail on demand, for the fault suites
 * (tests/bats/faults-sql.bats), with no change to the program under test:
 * an LD_PRELOAD library, built into $(BUILD)/tests/sqlfault.so by
 * "make units".
 *
 * Offers: sqlite3_step(), interposed. While the file named by
 * $SQLFAULT_FILE exists, each of its lines "CODE SQL" makes every statement
 * whose text (sqlite3_sql) begins with SQL fail with CODE without running
 * (the first line that matches counts): nothing of it happens, as when
 * SQLite gives up before touching the file.
 * CODE is a result code's name without SQLITE_ (IOERR, IOERR_WRITE,
 * IOERR_FSYNC, BUSY, BUSY_SNAPSHOT, FULL, ...) or its number; an IOERR
 * leaves errno at EIO, a FULL at ENOSPC, as the system call would have.
 * Each failure it makes appends "CODE SQL" (the statement's whole text) to
 * $SQLFAULT_FILE.log, so a test can tell its fault was hit. Every other
 * statement, and every statement while the file is absent, runs as usual.
 *
 *   echo 'IOERR BEGIN' >f.new && mv f.new f    (atomic: never half a line)
 *   SQLFAULT_FILE=f LD_PRELOAD=.../sqlfault.so shadowd ...
 *
 * An ASan-built program refuses a library preloaded before its runtime
 * unless ASAN_OPTIONS has verify_asan_link_order=0; under valgrind the
 * preload reaches the program through valgrind's own LD_PRELOAD.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

/* Interposed: declared here too, as this file defines it. */
int sqlite3_step(sqlite3_stmt *stmt);

static const struct {
	const char *name;
	int code;
} codes[] = {
	{ "ERROR", SQLITE_ERROR },
	{ "BUSY", SQLITE_BUSY },
	{ "BUSY_SNAPSHOT", SQLITE_BUSY_SNAPSHOT },
	{ "LOCKED", SQLITE_LOCKED },
	{ "NOMEM", SQLITE_NOMEM },
	{ "READONLY", SQLITE_READONLY },
	{ "IOERR", SQLITE_IOERR },
	{ "IOERR_READ", SQLITE_IOERR_READ },
	{ "IOERR_WRITE", SQLITE_IOERR_WRITE },
	{ "IOERR_FSYNC", SQLITE_IOERR_FSYNC },
	{ "CORRUPT", SQLITE_CORRUPT },
	{ "FULL", SQLITE_FULL },
	{ "CANTOPEN", SQLITE_CANTOPEN },
};

/* The code of a name or a number; 0 when it is neither. */
static int
code_of(const char *word)
{
	char *end;
	long n;
	size_t i;

	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (strcmp(word, codes[i].name) == 0)
			return codes[i].code;
	n = strtol(word, &end, 10);
	if (*word == '\0' || *end != '\0' || n <= 0 || n > 0xffff)
		return 0;
	return (int)n;
}

/*
 * The fault for a statement's text: the code of the first line of file
 * whose SQL begins the text (in word the code as written); 0 when none
 * (no file, no such line).
 */
static int
fault_for(const char *file, const char *text, char *word, size_t wordlen)
{
	char buf[4096], *line, *next, *sp;
	ssize_t n;
	int fd, saved = errno;

	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd == -1) {
		errno = saved;
		return 0;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	errno = saved;
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	for (line = buf; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if ((sp = strchr(line, ' ')) == NULL || sp[1] == '\0')
			continue;
		*sp = '\0';
		if (strncmp(text, sp + 1, strlen(sp + 1)) != 0 ||
		    strlen(line) >= wordlen)
			continue;
		strcpy(word, line);
		return code_of(line);
	}
	return 0;
}

static void
fault_log(const char *file, const char *code, const char *sql)
{
	char path[4096], line[1024];
	int fd, len, saved = errno;

	if (snprintf(path, sizeof(path), "%s.log", file) >= (int)sizeof(path))
		return;
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd == -1) {
		errno = saved;
		return;
	}
	len = snprintf(line, sizeof(line), "%s %s\n", code, sql);
	if (len > (int)sizeof(line) - 1)
		len = (int)sizeof(line) - 1;
	if (write(fd, line, (size_t)len) != len)
		len = -1; /* a test log: nothing to do about it */
	close(fd);
	errno = saved;
}

int
sqlite3_step(sqlite3_stmt *stmt)
{
	static int (*real_step)(sqlite3_stmt *);
	static const char *(*real_sql)(sqlite3_stmt *);
	const char *file = getenv("SQLFAULT_FILE"), *text;
	char name[32];
	int code, saved = errno;
	bool off;

	if (real_step == NULL) {
		*(void **)&real_step = dlsym(RTLD_NEXT, "sqlite3_step");
		*(void **)&real_sql = dlsym(RTLD_NEXT, "sqlite3_sql");
		if (real_step == NULL || real_sql == NULL) {
			fprintf(stderr, "sqlfault: no sqlite3_step or "
			    "sqlite3_sql after this library: %s\n", dlerror());
			abort();
		}
	}
	/* (errno as it was: the program may read it after the step) */
	off = file == NULL || *file == '\0' || access(file, F_OK) == -1;
	errno = saved;
	if (off || (text = real_sql(stmt)) == NULL ||
	    (code = fault_for(file, text, name, sizeof(name))) == 0)
		return real_step(stmt);
	fault_log(file, name, text);
	if ((code & 0xff) == SQLITE_IOERR)
		errno = EIO;
	else if ((code & 0xff) == SQLITE_FULL)
		errno = ENOSPC;
	return code;
}
