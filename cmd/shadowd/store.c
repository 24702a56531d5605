#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <sqlite3.h>

#include "doc.h"
#include "log.h"

/* "SHDW": marks the file as ours, so a foreign database is never touched. */
#define STORE_APP_ID 0x53484457
#define STORE_SCHEMA_VERSION 3
#define STORE_FILE "shadows.db"
#define STORE_LOCK_FILE "shadowd.lock"
#define STORE_BUSY_MS 2000

enum stmt {
	STMT_BEGIN,
	STMT_COMMIT,
	STMT_ROLLBACK,
	STMT_LOAD,
	STMT_SAVE,
	STMT_LIST,
	STMT_OUTCOME_GET,
	STMT_OUTCOME_PUT,
	STMT_OUTCOME_FIRST,
	STMT_OUTCOME_PRUNE,
	STMT_OUTCOME_ALL,
	STMT_OUTBOX_ADD,
	STMT_OUTBOX_DONE,
	STMT_OUTBOX_ALL,
	STMT_META_GET,
	STMT_META_PUT,
	STMT_COUNT
};

static const char *const stmt_sql[STMT_COUNT] = {
	[STMT_BEGIN] = "BEGIN",
	[STMT_COMMIT] = "COMMIT",
	[STMT_ROLLBACK] = "ROLLBACK",
	[STMT_LOAD] = "SELECT version, present, doc, deleted_at FROM shadows "
	    "WHERE thing = ?1 AND name = ?2",
	[STMT_SAVE] = "INSERT OR REPLACE INTO shadows "
	    "(thing, name, version, present, doc, deleted_at) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	/* BINARY collation: names in bytewise order, along the key */
	[STMT_LIST] = "SELECT name FROM shadows WHERE thing = ?1 AND "
	    "name > ?2 AND present = 1 ORDER BY name LIMIT ?3",
	[STMT_OUTCOME_GET] = "SELECT key, at, code, msg, answer FROM outcomes "
	    "WHERE id = ?1",
	[STMT_OUTCOME_PUT] = "INSERT INTO outcomes "
	    "(id, key, at, code, msg, answer) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	/* rows are in time order: the scan stops at the first one kept */
	[STMT_OUTCOME_FIRST] = "SELECT id FROM outcomes WHERE at >= ?1 "
	    "ORDER BY id LIMIT 1",
	[STMT_OUTCOME_PRUNE] = "DELETE FROM outcomes WHERE id < ?1",
	[STMT_OUTCOME_ALL] = "SELECT id, key FROM outcomes WHERE at >= ?1 "
	    "ORDER BY id",
	[STMT_OUTBOX_ADD] = "INSERT INTO outbox (id, topic, body) "
	    "VALUES (?1, ?2, ?3)",
	[STMT_OUTBOX_DONE] = "DELETE FROM outbox WHERE id = ?1",
	[STMT_OUTBOX_ALL] = "SELECT id, topic, body FROM outbox ORDER BY id",
	[STMT_META_GET] = "SELECT value FROM meta WHERE name = ?1",
	[STMT_META_PUT] = "INSERT INTO meta (name, value) VALUES (?1, ?2)",
};

static const char schema_sql[] =
    "CREATE TABLE shadows ("
    " thing TEXT NOT NULL,"
    " name TEXT NOT NULL,"
    " version INTEGER NOT NULL,"
    " present INTEGER NOT NULL,"
    " doc TEXT,"
    " deleted_at INTEGER,"
    " PRIMARY KEY (thing, name)"
    ") WITHOUT ROWID";

/*
 * Since schema 2: the answers committed but not yet acknowledged by the
 * broker, appended in time order (rowid), so new rows fill the last pages
 * only and old ones go from the front.
 */
static const char schema2_sql[] =
    "CREATE TABLE outbox ("
    " id INTEGER PRIMARY KEY,"
    " topic TEXT NOT NULL,"
    " body TEXT NOT NULL"
    ")";

/*
 * Since schema 3: the outcome of each write with a clientToken (shadowd(8),
 * EXACTLY ONCE), appended in time order like the outbox and without an
 * index: key is the SHA-256 of the request, and shadowd finds rows by id
 * from a map in memory (seen.h) rebuilt at start. Schema 2 had a table
 * `dedupe` with an index on the key; its outcomes are dropped.
 */
static const char schema3_sql[] =
    "DROP TABLE IF EXISTS dedupe;"
    "CREATE TABLE outcomes ("
    " id INTEGER PRIMARY KEY,"
    " key BLOB NOT NULL,"
    " at INTEGER NOT NULL,"
    " code INTEGER NOT NULL,"
    " msg INTEGER NOT NULL,"
    " answer TEXT NOT NULL"
    ")";

/*
 * Schema 3 too: values kept across restarts, by name (the key of the
 * HTTP face's nextToken MACs). It came before schema 3 was released but
 * after some schema 3 files were made: one without it gets it at open.
 */
static const char schema3_meta_sql[] =
    "CREATE TABLE IF NOT EXISTS meta ("
    " name TEXT PRIMARY KEY,"
    " value BLOB NOT NULL"
    ") WITHOUT ROWID";

struct store {
	sqlite3 *db;
	sqlite3 *rdb;                /* reads outside the batch: committed only */
	char *path;
	int lock_fd;
	int64_t outbox_next;         /* the id of the next outbox row */
	int64_t outcome_next;        /* the id of the next outcome row */
	sqlite3_stmt *stmt[STMT_COUNT];
};

static int
mkdir_p(const char *dir, char *err, size_t errlen)
{
	char *p, *s;
	struct stat sb;

	if (stat(dir, &sb) == 0) {
		if (S_ISDIR(sb.st_mode))
			return 0;
		snprintf(err, errlen, "data directory %s: not a directory",
		    dir);
		return -1;
	}
	if ((s = strdup(dir)) == NULL) {
		snprintf(err, errlen, "%s", strerror(errno));
		return -1;
	}
	for (p = s + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(s, 0700) == -1 && errno != EEXIST) {
			snprintf(err, errlen, "can't create data directory %s: "
			    "%s", s, strerror(errno));
			free(s);
			return -1;
		}
		*p = c;
		if (c == '\0')
			break;
	}
	free(s);
	return 0;
}

static int
store_error(struct store *st, char *err, size_t errlen, const char *what)
{
	snprintf(err, errlen, "%s: %s: %s", st->path, what,
	    sqlite3_errmsg(st->db));
	return -1;
}

static int
store_exec(struct store *st, const char *sql, char *err, size_t errlen)
{
	char *msg = NULL;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	snprintf(err, errlen, "%s: %s: %s", st->path, sql,
	    msg ? msg : sqlite3_errmsg(st->db));
	sqlite3_free(msg);
	return -1;
}

/* One integer from a single-row query; -1 on error. */
static int
store_query_int(struct store *st, const char *sql, long long *out)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : -1;
}

/* A new file gets every table; an older one (from) the tables since; a
 * schema 3 file without meta gets meta. */
static int
store_create_schema(struct store *st, long long from, char *err,
    size_t errlen)
{
	char sql[128];

	if (store_exec(st, "BEGIN IMMEDIATE", err, errlen) == -1)
		return -1;
	snprintf(sql, sizeof(sql), "PRAGMA application_id = %d; "
	    "PRAGMA user_version = %d", STORE_APP_ID, STORE_SCHEMA_VERSION);
	if ((from < 1 && store_exec(st, schema_sql, err, errlen) == -1) ||
	    (from < 2 && store_exec(st, schema2_sql, err, errlen) == -1) ||
	    (from < 3 && store_exec(st, schema3_sql, err, errlen) == -1) ||
	    store_exec(st, schema3_meta_sql, err, errlen) == -1 ||
	    store_exec(st, sql, err, errlen) == -1 ||
	    store_exec(st, "COMMIT", err, errlen) == -1) {
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return 0;
}

/* Decide, by reading only, whether the file is ours, new, or foreign. */
static int
store_identify(struct store *st, long long *ver, char *err, size_t errlen)
{
	long long app, tables;

	if (store_query_int(st, "PRAGMA application_id", &app) == -1 ||
	    store_query_int(st, "SELECT count(*) FROM sqlite_master",
	    &tables) == -1) {
		snprintf(err, errlen, "%s: can't read the database: %s; "
		    "shadowd leaves it untouched: move it away or choose "
		    "another --data-dir", st->path, sqlite3_errmsg(st->db));
		return -1;
	}
	*ver = 0;
	if (app == 0 && tables == 0)
		return 0;
	if (app != STORE_APP_ID) {
		snprintf(err, errlen, "%s is not a shadowd database (it is a "
		    "SQLite database of something else); shadowd leaves it "
		    "untouched: move it away or choose another --data-dir",
		    st->path);
		return -1;
	}
	if (store_query_int(st, "PRAGMA user_version", ver) == -1)
		return store_error(st, err, errlen, "can't read the schema "
		    "version");
	if (*ver < 1 || *ver > STORE_SCHEMA_VERSION) {
		snprintf(err, errlen, "%s: schema version %lld, this shadowd "
		    "knows 1 to %d", st->path, *ver, STORE_SCHEMA_VERSION);
		return -1;
	}
	return 0;
}

static int
store_set_journal(struct store *st, char *err, size_t errlen)
{
	sqlite3_stmt *s;
	const unsigned char *mode;
	bool wal;

	if (sqlite3_prepare_v2(st->db, "PRAGMA journal_mode = WAL", -1, &s,
	    NULL) != SQLITE_OK)
		return store_error(st, err, errlen, "can't set WAL mode");
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_finalize(s);
		return store_error(st, err, errlen, "can't set WAL mode");
	}
	mode = sqlite3_column_text(s, 0);
	wal = mode != NULL && strcmp((const char *)mode, "wal") == 0;
	sqlite3_finalize(s);
	if (!wal) {
		snprintf(err, errlen, "%s: can't set WAL mode (the file system "
		    "may not support it)", st->path);
		return -1;
	}
	return store_exec(st, "PRAGMA synchronous = FULL", err, errlen);
}

static int
store_prepare(struct store *st, char *err, size_t errlen)
{
	int i;

	for (i = 0; i < STMT_COUNT; i++) {
		if (sqlite3_prepare_v3(i == STMT_LIST ? st->rdb : st->db,
		    stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &st->stmt[i],
		    NULL) != SQLITE_OK)
			return store_error(st, err, errlen,
			    "can't prepare statements");
	}
	return 0;
}

/*
 * A second connection, read-only, for what is answered outside a batch
 * (the HTTP face's list): in WAL mode it sees only committed
 * transactions, never the writes of a batch not yet durable, or of one
 * whose rollback failed.
 */
static int
store_open_reader(struct store *st, char *err, size_t errlen)
{
	if (sqlite3_open_v2(st->path, &st->rdb, SQLITE_OPEN_READONLY |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "can't open %s for reading: %s",
		    st->path, st->rdb ? sqlite3_errmsg(st->rdb) :
		    "out of memory");
		return -1;
	}
	sqlite3_extended_result_codes(st->rdb, 1);
	if (sqlite3_busy_timeout(st->rdb, STORE_BUSY_MS) != SQLITE_OK) {
		snprintf(err, errlen, "%s: can't set busy timeout: %s",
		    st->path, sqlite3_errmsg(st->rdb));
		return -1;
	}
	return 0;
}

static int
store_setup(struct store *st, char *err, size_t errlen)
{
	long long ver, last, meta = 0;

	if (sqlite3_open_v2(st->path, &st->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "can't open %s: %s", st->path,
		    st->db ? sqlite3_errmsg(st->db) : "out of memory");
		return -1;
	}
	sqlite3_extended_result_codes(st->db, 1);
	if (sqlite3_busy_timeout(st->db, STORE_BUSY_MS) != SQLITE_OK)
		return store_error(st, err, errlen, "can't set busy timeout");
	if (store_identify(st, &ver, err, errlen) == -1)
		return -1;
	if (sqlite3_db_readonly(st->db, "main") == 1) {
		snprintf(err, errlen, "%s: can't open the database for writing "
		    "(read-only file, directory or file system)", st->path);
		return -1;
	}
	if (store_set_journal(st, err, errlen) == -1)
		return -1;
	if (ver == STORE_SCHEMA_VERSION && store_query_int(st,
	    "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
	    "name = 'meta'", &meta) == -1)
		return store_error(st, err, errlen, "can't read the schema");
	if ((ver < STORE_SCHEMA_VERSION || meta == 0) &&
	    store_create_schema(st, ver, err, errlen) == -1)
		return -1;
	if (store_query_int(st, "SELECT coalesce(max(id), 0) FROM outbox",
	    &last) == -1)
		return store_error(st, err, errlen, "can't read the outbox");
	st->outbox_next = last + 1;
	if (store_query_int(st, "SELECT coalesce(max(id), 0) FROM outcomes",
	    &last) == -1)
		return store_error(st, err, errlen, "can't read the outcomes "
		    "of earlier requests");
	st->outcome_next = last + 1;
	if (store_open_reader(st, err, errlen) == -1)
		return -1;
	return store_prepare(st, err, errlen);
}

static void
lock_holder(int fd, char *buf, size_t len)
{
	ssize_t n;

	n = pread(fd, buf, len - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
}

/* Two shadowd on one store would answer every request twice. */
static int
store_lock(struct store *st, const char *dir, char *err, size_t errlen)
{
	char *path, pid[32], holder[32];
	int len;

	if (asprintf(&path, "%s/%s", dir, STORE_LOCK_FILE) == -1) {
		snprintf(err, errlen, "%s", strerror(ENOMEM));
		return -1;
	}
	st->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (st->lock_fd == -1) {
		snprintf(err, errlen, "can't open lock file %s: %s", path,
		    strerror(errno));
		free(path);
		return -1;
	}
	if (flock(st->lock_fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EWOULDBLOCK) {
			lock_holder(st->lock_fd, holder, sizeof(holder));
			snprintf(err, errlen, "data directory %s is in use by "
			    "another shadowd (pid %s, lock %s); stop it or "
			    "choose another --data-dir", dir,
			    holder[0] ? holder : "unknown", path);
		} else
			snprintf(err, errlen, "can't lock %s: %s", path,
			    strerror(errno));
		free(path);
		return -1;
	}
	len = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(st->lock_fd, 0) == -1 ||
	    pwrite(st->lock_fd, pid, (size_t)len, 0) != len) {
		snprintf(err, errlen, "can't write lock file %s: %s", path,
		    strerror(errno));
		free(path);
		return -1;
	}
	free(path);
	return 0;
}

int
store_open(struct store **out, const char *dir, char *err, size_t errlen)
{
	struct store *st;

	*out = NULL;
	if (mkdir_p(dir, err, errlen) == -1)
		return -1;
	if ((st = calloc(1, sizeof(*st))) == NULL ||
	    asprintf(&st->path, "%s/%s", dir, STORE_FILE) == -1) {
		free(st);
		snprintf(err, errlen, "%s", strerror(ENOMEM));
		return -1;
	}
	st->lock_fd = -1;
	if (store_lock(st, dir, err, errlen) == -1 ||
	    store_setup(st, err, errlen) == -1) {
		store_close(st);
		return -1;
	}
	*out = st;
	return 0;
}

void
store_close(struct store *st)
{
	int i;

	if (st == NULL)
		return;
	for (i = 0; i < STMT_COUNT; i++)
		sqlite3_finalize(st->stmt[i]);
	if (st->rdb != NULL && sqlite3_close(st->rdb) != SQLITE_OK)
		log_error("%s: close: %s", st->path, sqlite3_errmsg(st->rdb));
	if (st->db != NULL && sqlite3_close(st->db) != SQLITE_OK)
		log_error("%s: close: %s", st->path, sqlite3_errmsg(st->db));
	if (st->lock_fd != -1)
		close(st->lock_fd);
	free(st->path);
	free(st);
}

const char *
store_path(const struct store *st)
{
	return st->path;
}

/*
 * SQLite's "disk I/O error" hides the cause, and sqlite3_system_errno() is
 * not set for a failed COMMIT: errno right after the step still holds it.
 * The connection is the statement's own (the list reads on the second).
 */
static int
os_error(sqlite3_stmt *s, int rc, int saved)
{
	sqlite3 *db = sqlite3_db_handle(s);
	int prim = rc & 0xff;

	if (prim != SQLITE_IOERR && prim != SQLITE_FULL &&
	    prim != SQLITE_CANTOPEN && prim != SQLITE_READONLY)
		return 0;
	if (sqlite3_system_errno(db) != 0)
		return sqlite3_system_errno(db);
	return saved;
}

static int
store_step_error(struct store *st, int rc, int sys, char *err,
    size_t errlen, const char *what)
{
	if (sys != 0 && (rc & 0xff) != SQLITE_BUSY)
		snprintf(err, errlen, "%s: %s: %s (%s)", st->path, what,
		    sqlite3_errstr(rc), strerror(sys));
	else
		snprintf(err, errlen, "%s: %s: %s", st->path, what,
		    sqlite3_errstr(rc));
	return -1;
}

static int
store_step_done(struct store *st, enum stmt which, char *err, size_t errlen,
    const char *what)
{
	sqlite3_stmt *s = st->stmt[which];
	int rc, sys;

	errno = 0;
	rc = sqlite3_step(s);
	sys = os_error(s, rc, errno);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_DONE)
		return store_step_error(st, rc, sys, err, errlen, what);
	return 0;
}

int
store_begin(struct store *st, char *err, size_t errlen)
{
	return store_step_done(st, STMT_BEGIN, err, errlen,
	    "can't begin a transaction");
}

int
store_commit(struct store *st, char *err, size_t errlen)
{
	return store_step_done(st, STMT_COMMIT, err, errlen, "can't commit");
}

int
store_rollback(struct store *st, char *err, size_t errlen)
{
	if (!store_in_transaction(st))
		return 0;
	return store_step_done(st, STMT_ROLLBACK, err, errlen,
	    "can't roll back");
}

bool
store_in_transaction(const struct store *st)
{
	return sqlite3_get_autocommit(st->db) == 0;
}

/* A value could not be bound: the statement is left clean. The message is
 * its own connection's (the list reads on the second). */
static int
bind_failed(struct store *st, sqlite3_stmt *s, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s: can't bind values: %s", st->path,
	    sqlite3_errmsg(sqlite3_db_handle(s)));
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return -1;
}

static int
bind_names(struct store *st, sqlite3_stmt *s, const char *thing,
    const char *shadow, char *err, size_t errlen)
{
	if (sqlite3_bind_text(s, 1, thing, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(s, 2, shadow ? shadow : "", -1,
	    SQLITE_STATIC) != SQLITE_OK)
		return store_error(st, err, errlen, "can't bind names");
	return 0;
}

static int
store_load_row(struct store *st, sqlite3_stmt *s, const char *thing,
    const char *shadow, int64_t now, long forget, struct doc_shadow *out,
    char *err, size_t errlen)
{
	int64_t version = sqlite3_column_int64(s, 0);
	bool present = sqlite3_column_int(s, 1) != 0;
	const unsigned char *doc = sqlite3_column_text(s, 2);
	int64_t deleted_at = sqlite3_column_int64(s, 3);

	if (!present) {
		if (forget > 0 && deleted_at + forget <= now)
			version = 0;
		doc_shadow_init(out, version);
		return 0;
	}
	if (doc == NULL || doc_shadow_load(out, (const char *)doc) == -1) {
		snprintf(err, errlen, "%s: the stored document of %s%s%s is "
		    "damaged", st->path, thing, shadow ? "~" : "",
		    shadow ? shadow : "");
		return -1;
	}
	out->version = version;
	return 0;
}

int
store_load(struct store *st, const char *thing, const char *shadow,
    int64_t now, long forget_deleted, struct doc_shadow *out, char *err,
    size_t errlen)
{
	sqlite3_stmt *s = st->stmt[STMT_LOAD];
	int rc, ret, sys;

	memset(out, 0, sizeof(*out));
	if (bind_names(st, s, thing, shadow, err, errlen) == -1)
		return -1;
	errno = 0;
	rc = sqlite3_step(s);
	sys = os_error(s, rc, errno);
	if (rc == SQLITE_ROW) {
		ret = store_load_row(st, s, thing, shadow, now, forget_deleted,
		    out, err, errlen);
	} else if (rc == SQLITE_DONE) {
		doc_shadow_init(out, 0);
		ret = 0;
	} else
		ret = store_step_error(st, rc, sys, err, errlen,
		    "can't read");
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return ret;
}

static int
store_write(struct store *st, const char *thing, const char *shadow,
    int64_t version, const char *doc, int64_t deleted_at, char *err,
    size_t errlen)
{
	sqlite3_stmt *s = st->stmt[STMT_SAVE];
	int rc;

	if (bind_names(st, s, thing, shadow, err, errlen) == -1)
		return -1;
	rc = sqlite3_bind_int64(s, 3, version);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(s, 4, doc != NULL);
	if (rc == SQLITE_OK)
		rc = doc ? sqlite3_bind_text(s, 5, doc, -1, SQLITE_STATIC) :
		    sqlite3_bind_null(s, 5);
	if (rc == SQLITE_OK)
		rc = doc ? sqlite3_bind_null(s, 6) :
		    sqlite3_bind_int64(s, 6, deleted_at);
	if (rc != SQLITE_OK)
		return bind_failed(st, s, err, errlen);
	return store_step_done(st, STMT_SAVE, err, errlen, "can't write");
}

int
store_save(struct store *st, const char *thing, const char *shadow,
    const struct doc_shadow *sh, char *err, size_t errlen)
{
	json_object *snap;
	const char *text;
	int ret;

	if ((snap = doc_shadow_snapshot(sh)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	text = json_object_to_json_string_ext(snap, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	if (text == NULL) {
		json_object_put(snap);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	ret = store_write(st, thing, shadow, sh->version, text, 0, err, errlen);
	json_object_put(snap);
	return ret;
}

int
store_mark_deleted(struct store *st, const char *thing, const char *shadow,
    int64_t version, int64_t now, char *err, size_t errlen)
{
	return store_write(st, thing, shadow, version, NULL, now, err, errlen);
}

int
store_list_named(struct store *st, const char *thing, const char *after,
    int limit, json_object *names, bool *more, char *err, size_t errlen)
{
	sqlite3_stmt *s = st->stmt[STMT_LIST];
	const unsigned char *name;
	int rc, n = 0, sys;

	*more = false;
	if (bind_names(st, s, thing, after, err, errlen) == -1)
		return -1;
	if (sqlite3_bind_int(s, 3, limit + 1) != SQLITE_OK)
		return bind_failed(st, s, err, errlen);
	errno = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (n == limit) {
			*more = true;
			continue;
		}
		name = sqlite3_column_text(s, 0);
		if (name == NULL || json_object_array_add(names,
		    json_object_new_string((const char *)name)) != 0) {
			rc = SQLITE_NOMEM;
			break;
		}
		n++;
	}
	sys = os_error(s, rc, errno);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_DONE)
		return store_step_error(st, rc, sys, err, errlen,
		    "can't list named shadows");
	return 0;
}

int
store_outcome_get(struct store *st, int64_t id,
    const unsigned char key[STORE_KEY_LEN], int64_t since,
    struct store_outcome *out, char *err, size_t errlen)
{
	sqlite3_stmt *s = st->stmt[STMT_OUTCOME_GET];
	const unsigned char *answer;
	int rc, ret = 0, sys;

	memset(out, 0, sizeof(*out));
	if (sqlite3_bind_int64(s, 1, id) != SQLITE_OK)
		return bind_failed(st, s, err, errlen);
	errno = 0;
	rc = sqlite3_step(s);
	sys = os_error(s, rc, errno);
	if (rc == SQLITE_ROW) {
		/* another request whose key begins alike, or too old */
		if (sqlite3_column_bytes(s, 0) != STORE_KEY_LEN ||
		    memcmp(sqlite3_column_blob(s, 0), key, STORE_KEY_LEN) != 0 ||
		    sqlite3_column_int64(s, 1) < since)
			goto done;
		out->code = sqlite3_column_int(s, 2);
		out->msg = sqlite3_column_int(s, 3);
		answer = sqlite3_column_text(s, 4);
		if (answer == NULL ||
		    (out->answer = strdup((const char *)answer)) == NULL) {
			snprintf(err, errlen, "out of memory");
			ret = -1;
		} else
			ret = 1;
	} else if (rc != SQLITE_DONE)
		ret = store_step_error(st, rc, sys, err, errlen,
		    "can't read the outcomes of earlier requests");
done:
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return ret;
}

int
store_outcome_put(struct store *st, const unsigned char key[STORE_KEY_LEN],
    int64_t now, const struct store_outcome *o, int64_t *id, char *err,
    size_t errlen)
{
	sqlite3_stmt *s = st->stmt[STMT_OUTCOME_PUT];

	if (sqlite3_bind_int64(s, 1, st->outcome_next) != SQLITE_OK ||
	    sqlite3_bind_blob(s, 2, key, STORE_KEY_LEN, SQLITE_STATIC) !=
	    SQLITE_OK ||
	    sqlite3_bind_int64(s, 3, now) != SQLITE_OK ||
	    sqlite3_bind_int(s, 4, o->code) != SQLITE_OK ||
	    sqlite3_bind_int(s, 5, o->msg) != SQLITE_OK ||
	    sqlite3_bind_text(s, 6, o->answer, -1, SQLITE_STATIC) !=
	    SQLITE_OK)
		return bind_failed(st, s, err, errlen);
	if (store_step_done(st, STMT_OUTCOME_PUT, err, errlen,
	    "can't keep the outcome of a request") == -1)
		return -1;
	*id = st->outcome_next++;
	return 0;
}

/* A statement whose one parameter is an integer, run once. */
static int
store_step_int(struct store *st, enum stmt which, int64_t v, char *err,
    size_t errlen, const char *what)
{
	if (sqlite3_bind_int64(st->stmt[which], 1, v) != SQLITE_OK)
		return bind_failed(st, st->stmt[which], err, errlen);
	return store_step_done(st, which, err, errlen, what);
}

int
store_outcome_prune(struct store *st, int64_t before, int64_t *first_kept,
    char *err, size_t errlen)
{
	sqlite3_stmt *s = st->stmt[STMT_OUTCOME_FIRST];
	int rc, sys;

	if (sqlite3_bind_int64(s, 1, before) != SQLITE_OK)
		return bind_failed(st, s, err, errlen);
	errno = 0;
	rc = sqlite3_step(s);
	sys = os_error(s, rc, errno);
	/* none as recent: every row goes */
	*first_kept = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) :
	    st->outcome_next;
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_step_error(st, rc, sys, err, errlen,
		    "can't forget old outcomes");
	return store_step_int(st, STMT_OUTCOME_PRUNE, *first_kept, err,
	    errlen, "can't forget old outcomes");
}

int
store_outcome_each(struct store *st, int64_t since, int (*fn)(void *ud,
    int64_t id, const unsigned char *key), void *ud, char *err,
    size_t errlen)
{
	sqlite3_stmt *s = st->stmt[STMT_OUTCOME_ALL];
	int rc, sys, ret = 0;

	if (sqlite3_bind_int64(s, 1, since) != SQLITE_OK)
		return bind_failed(st, s, err, errlen);
	errno = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (sqlite3_column_bytes(s, 1) != STORE_KEY_LEN)
			continue;
		if (fn(ud, sqlite3_column_int64(s, 0),
		    sqlite3_column_blob(s, 1)) == -1) {
			snprintf(err, errlen, "out of memory");
			ret = -1;
			break;
		}
	}
	sys = os_error(s, rc, errno);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (ret == 0 && rc != SQLITE_DONE)
		return store_step_error(st, rc, sys, err, errlen,
		    "can't read the outcomes of earlier requests");
	return ret;
}

int
store_outbox_add(struct store *st, const char *topic, const char *body,
    int64_t *id, char *err, size_t errlen)
{
	sqlite3_stmt *s = st->stmt[STMT_OUTBOX_ADD];

	if (sqlite3_bind_int64(s, 1, st->outbox_next) != SQLITE_OK ||
	    sqlite3_bind_text(s, 2, topic, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(s, 3, body, -1, SQLITE_STATIC) != SQLITE_OK)
		return bind_failed(st, s, err, errlen);
	if (store_step_done(st, STMT_OUTBOX_ADD, err, errlen,
	    "can't keep an answer") == -1)
		return -1;
	*id = st->outbox_next++;
	return 0;
}

int
store_outbox_done(struct store *st, int64_t id, char *err, size_t errlen)
{
	return store_step_int(st, STMT_OUTBOX_DONE, id, err, errlen,
	    "can't forget a delivered answer");
}

int
store_outbox_each(struct store *st, void (*fn)(void *ud, int64_t id,
    const char *topic, const char *body), void *ud, char *err, size_t errlen)
{
	sqlite3_stmt *s = st->stmt[STMT_OUTBOX_ALL];
	int rc, sys;

	errno = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		fn(ud, sqlite3_column_int64(s, 0),
		    (const char *)sqlite3_column_text(s, 1),
		    (const char *)sqlite3_column_text(s, 2));
	sys = os_error(s, rc, errno);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return store_step_error(st, rc, sys, err, errlen,
		    "can't read the outbox");
	return 0;
}

/* The value of meta row name when it has len bytes: 1 and out filled; no
 * such row: 0; -1 for a value of another size or a failed read. */
static int
meta_get(struct store *st, const char *name, unsigned char *out, size_t len,
    char *err, size_t errlen)
{
	sqlite3_stmt *s = st->stmt[STMT_META_GET];
	const void *value;
	int rc, sys, n = 0, ret;

	if (sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC) != SQLITE_OK)
		return bind_failed(st, s, err, errlen);
	errno = 0;
	rc = sqlite3_step(s);
	sys = os_error(s, rc, errno);
	if (rc == SQLITE_ROW) {
		value = sqlite3_column_blob(s, 0);
		n = sqlite3_column_bytes(s, 0);
		if (value != NULL && n > 0 && (size_t)n == len) {
			memcpy(out, value, len);
			ret = 1;
		} else {
			snprintf(err, errlen, "%s: the stored %s has %d bytes, "
			    "not %zu: something else changed the file; stop "
			    "shadowd and run sqlite3 %s \"DELETE FROM meta "
			    "WHERE name = '%s'\" to have a new one made",
			    st->path, name, n, len, st->path, name);
			ret = -1;
		}
	} else if (rc == SQLITE_DONE)
		ret = 0;
	else
		ret = store_step_error(st, rc, sys, err, errlen,
		    "can't read a stored secret");
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return ret;
}

int
store_secret(struct store *st, const char *name, unsigned char *out,
    size_t len, char *err, size_t errlen)
{
	sqlite3_stmt *s = st->stmt[STMT_META_PUT];
	int found;

	if (len == 0 || len > INT_MAX || store_in_transaction(st)) {
		snprintf(err, errlen, "%s: the %s (%zu bytes) can't be read "
		    "%s; this is a bug in shadowd: please report it",
		    st->path, name, len, store_in_transaction(st) ?
		    "inside a transaction" : "at that size");
		return -1;
	}
	/* the write lock at once: a second reader waits, then finds it */
	if (store_exec(st, "BEGIN IMMEDIATE", err, errlen) == -1)
		return -1;
	if ((found = meta_get(st, name, out, len, err, errlen)) == -1)
		goto fail;
	if (found == 0) {
		if (RAND_bytes(out, (int)len) != 1) {
			snprintf(err, errlen, "can't draw %zu random bytes for "
			    "the %s: OpenSSL's random generator failed; check "
			    "that the system has a source of entropy", len,
			    name);
			goto fail;
		}
		if (sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC) !=
		    SQLITE_OK || sqlite3_bind_blob(s, 2, out, (int)len,
		    SQLITE_STATIC) != SQLITE_OK) {
			bind_failed(st, s, err, errlen);
			goto fail;
		}
		if (store_step_done(st, STMT_META_PUT, err, errlen,
		    "can't store a new secret") == -1)
			goto fail;
	}
	if (store_exec(st, "COMMIT", err, errlen) == -1)
		goto fail;
	return 0;
fail:
	if (store_in_transaction(st))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	OPENSSL_cleanse(out, len);
	return -1;
}
