#include "owned.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assign.h"

struct owned_key {
	char **seg;
	size_t n;
};

struct owned {
	struct owned_key *keys;
	size_t n;
	unsigned int refs;
};

struct split_ctx {
	const struct owned *o;
	double max_age;
	int64_t now;
	struct owned_split *sp;
	const char *path[OWNED_PATH_MAX];
};

struct owned *
owned_new(void)
{
	struct owned *o = calloc(1, sizeof(*o));

	if (o != NULL)
		o->refs = 1;
	return o;
}

struct owned *
owned_ref(struct owned *o)
{
	if (o != NULL)
		o->refs++;
	return o;
}

static void
key_free(struct owned_key *k)
{
	for (size_t i = 0; i < k->n; i++)
		free(k->seg[i]);
	free(k->seg);
}

void
owned_free(struct owned *o)
{
	if (o == NULL || --o->refs > 0)
		return;
	for (size_t i = 0; i < o->n; i++)
		key_free(&o->keys[i]);
	free(o->keys);
	free(o);
}

size_t
owned_count(const struct owned *o)
{
	return o->n;
}

static int
key_push(struct owned_key *k, const char *seg)
{
	char **grown = realloc(k->seg, (k->n + 1) * sizeof(*k->seg));

	if (grown == NULL)
		return -1;
	k->seg = grown;
	if ((k->seg[k->n] = strdup(seg)) == NULL)
		return -1;
	k->n++;
	return 0;
}

/*
 * The keys of a dotted path, read by assign_null (one reader of paths and
 * their escapes): on an empty document it gives a chain of one-key objects
 * ending in null.
 */
static int
key_parse(struct owned_key *k, const char *path, char *err, size_t errlen)
{
	json_object *probe = NULL, *cur, *next;
	int rc = -1;

	if (assign_null(&probe, path, err, errlen) != 0)
		return -1;
	for (cur = probe; cur != NULL; cur = next) {
		next = NULL;
		json_object_object_foreach(cur, name, v) {
			if (key_push(k, name) != 0) {
				snprintf(err, errlen, "'%s': out of memory",
				    path);
				goto out;
			}
			next = v;
		}
		if (next != NULL && !json_object_is_type(next, json_type_object))
			break;
	}
	rc = 0;
out:
	json_object_put(probe);
	return rc;
}

int
owned_add(struct owned *o, const char *path, char *err, size_t errlen)
{
	struct owned_key k = { NULL, 0 }, *grown;

	if (key_parse(&k, path, err, errlen) != 0) {
		key_free(&k);
		return -1;
	}
	if ((grown = realloc(o->keys, (o->n + 1) * sizeof(*o->keys))) == NULL) {
		snprintf(err, errlen, "'%s': out of memory", path);
		key_free(&k);
		return -1;
	}
	o->keys = grown;
	o->keys[o->n++] = k;
	return 0;
}

/* The key of an assignment as written, up to its unescaped "=" or ":=". */
static char *
assignment_key(const char *arg)
{
	const char *s;

	for (s = arg; *s != '\0'; s++) {
		if (*s == '\\' && s[1] != '\0') {
			s++;
			continue;
		}
		if (*s == '=' || (*s == ':' && s[1] == '='))
			break;
	}
	return strndup(arg, s - arg);
}

int
owned_add_assignment(struct owned *o, const char *arg, char *err,
    size_t errlen)
{
	char *key = assignment_key(arg);
	int rc;

	if (key == NULL) {
		snprintf(err, errlen, "'%s': %s", arg, strerror(errno));
		return -1;
	}
	rc = owned_add(o, key, err, errlen);
	free(key);
	return rc;
}

enum owned_kind
owned_which(const struct owned *o, const char *const *path, size_t n)
{
	enum owned_kind best = OWNED_NONE;

	for (size_t i = 0; i < o->n; i++) {
		const struct owned_key *k = &o->keys[i];
		size_t j;

		for (j = 0; j < k->n && j < n; j++)
			if (strcmp(path[j], k->seg[j]) != 0)
				break;
		if (j < k->n && j < n)
			continue;
		if (k->n <= n)
			return OWNED_OWNED;
		best = OWNED_ANCESTOR;
	}
	return best;
}

/* "a.b" for path[0..n) (dots inside keys written as they are). */
static void
path_text(const char *const *path, size_t n, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && len < size; i++) {
		int w = snprintf(buf + len, size - len, "%s%s",
		    i > 0 ? "." : "", path[i]);
		if (w < 0)
			return;
		len += (size_t)w;
	}
}

/* Set path[0..n) in *root (created when NULL) to val (consumed). */
static int
path_set(json_object **root, const char *const *path, size_t n,
    json_object *val)
{
	json_object *o, *child;

	if (*root == NULL && (*root = json_object_new_object()) == NULL)
		goto fail;
	o = *root;
	for (size_t i = 0; i + 1 < n; i++) {
		if (!json_object_object_get_ex(o, path[i], &child) ||
		    !json_object_is_type(child, json_type_object)) {
			if ((child = json_object_new_object()) == NULL ||
			    json_object_object_add(o, path[i], child) != 0) {
				json_object_put(child);
				goto fail;
			}
		}
		o = child;
	}
	if (json_object_object_add(o, path[n - 1], val) != 0)
		goto fail;
	return 0;
fail:
	json_object_put(val);
	return -1;
}

static int
list_add(json_object **list, const char *const *path, size_t n)
{
	char text[1024];
	json_object *s;

	path_text(path, n, text, sizeof(text));
	if (*list == NULL && (*list = json_object_new_array()) == NULL)
		return -1;
	if ((s = json_object_new_string(text)) == NULL)
		return -1;
	if (json_object_array_add(*list, s) != 0) {
		json_object_put(s);
		return -1;
	}
	return 0;
}

/* Newest {"timestamp":T} leaf in a metadata subtree; -1 when none. */
static int64_t
metadata_newest(json_object *m)
{
	json_object *ts;
	int64_t best = -1, t;
	size_t n;

	switch (json_object_get_type(m)) {
	case json_type_object:
		if (json_object_object_get_ex(m, "timestamp", &ts) &&
		    json_object_is_type(ts, json_type_int))
			return json_object_get_int64(ts);
		json_object_object_foreach(m, k, v) {
			(void)k;
			if ((t = metadata_newest(v)) > best)
				best = t;
		}
		return best;
	case json_type_array:
		n = json_object_array_length(m);
		for (size_t i = 0; i < n; i++)
			if ((t = metadata_newest(json_object_array_get_idx(m,
			    i))) > best)
				best = t;
		return best;
	default:
		return -1;
	}
}

static bool
expired(const struct split_ctx *c, json_object *meta, int64_t *ts)
{
	if (c->max_age <= 0)
		return false;
	*ts = metadata_newest(meta);
	return *ts >= 0 && (double)(c->now - *ts) > c->max_age;
}

static int
split_owned(struct split_ctx *c, json_object *v, json_object *meta, size_t n)
{
	struct owned_split *sp = c->sp;
	json_object *copy = NULL;
	int64_t ts;

	if (expired(c, meta, &ts)) {
		if (sp->oldest < 0 || ts < sp->oldest)
			sp->oldest = ts;
		if (list_add(&sp->expired, c->path, n) != 0)
			return -1;
		return path_set(&sp->clear, c->path, n, NULL);
	}
	if (json_object_deep_copy(v, &copy, NULL) != 0)
		return -1;
	return path_set(&sp->apply, c->path, n, copy);
}

static int
split_at(struct split_ctx *c, json_object *delta, json_object *meta, size_t n)
{
	json_object *m;

	json_object_object_foreach(delta, k, v) {
		int rc = 0;

		if (n >= OWNED_PATH_MAX)
			return list_add(&c->sp->ignored, c->path, n);
		c->path[n] = k;
		if (meta == NULL || !json_object_object_get_ex(meta, k, &m))
			m = NULL;
		switch (owned_which(c->o, c->path, n + 1)) {
		case OWNED_OWNED:
			rc = split_owned(c, v, m, n + 1);
			break;
		case OWNED_ANCESTOR:
			if (json_object_is_type(v, json_type_object)) {
				rc = split_at(c, v, m, n + 1);
				break;
			}
			/* FALLTHROUGH */
		case OWNED_NONE:
			rc = list_add(&c->sp->ignored, c->path, n + 1);
			break;
		}
		if (rc != 0)
			return -1;
	}
	return 0;
}

int
owned_split(const struct owned *o, json_object *delta, json_object *meta,
    double max_age, int64_t now, struct owned_split *sp)
{
	struct split_ctx c = { .o = o, .max_age = max_age, .now = now,
	    .sp = sp };

	memset(sp, 0, sizeof(*sp));
	sp->oldest = -1;
	if (split_at(&c, delta, meta, 0) != 0) {
		owned_split_free(sp);
		return -1;
	}
	return 0;
}

void
owned_split_free(struct owned_split *sp)
{
	json_object_put(sp->apply);
	json_object_put(sp->clear);
	json_object_put(sp->expired);
	json_object_put(sp->ignored);
	memset(sp, 0, sizeof(*sp));
	sp->oldest = -1;
}
