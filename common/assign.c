#include "assign.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

/*
 * A dotted key, unescaped: segments stored one after another, each ended
 * by '\0', in a buffer as long as the source.
 */
struct key_path {
	char *buf;
	size_t nseg;
};

enum assign_kind {
	ASSIGN_NONE,    /* no separator: a bare key (unset, get) */
	ASSIGN_STRING,  /* KEY=VALUE */
	ASSIGN_JSON     /* KEY:=JSON */
};

static bool
escapable(char c)
{
	return c == '.' || c == '=' || c == ':' || c == '\\';
}

/*
 * Read the key of arg into p, stopping at the first unescaped "=" or ":=".
 * *kind says which separator ended it, *value points after it.
 */
static int
key_parse(const char *arg, bool want_sep, struct key_path *p,
    enum assign_kind *kind, const char **value, char *err, size_t errlen)
{
	const char *s = arg;
	char *o;
	size_t seglen = 0;

	*kind = ASSIGN_NONE;
	*value = NULL;
	p->nseg = 0;
	if ((p->buf = malloc(strlen(arg) + 1)) == NULL) {
		snprintf(err, errlen, "'%s': %s", arg, strerror(errno));
		return -1;
	}
	o = p->buf;
	for (; *s != '\0'; s++) {
		if (*s == '\\' && escapable(s[1])) {
			*o++ = *++s;
			seglen++;
			continue;
		}
		if (want_sep && *s == '=') {
			*kind = ASSIGN_STRING;
			*value = s + 1;
			break;
		}
		if (want_sep && *s == ':' && s[1] == '=') {
			*kind = ASSIGN_JSON;
			*value = s + 2;
			break;
		}
		if (*s == '.') {
			if (seglen == 0)
				goto empty;
			*o++ = '\0';
			p->nseg++;
			seglen = 0;
			continue;
		}
		*o++ = *s;
		seglen++;
	}
	if (seglen == 0)
		goto empty;
	*o = '\0';
	p->nseg++;
	if (want_sep && *kind == ASSIGN_NONE) {
		snprintf(err, errlen,
		    "'%s': not an assignment; write KEY=VALUE or KEY:=JSON", arg);
		goto fail;
	}
	return 0;
empty:
	if (s == arg && *s != '.')
		snprintf(err, errlen, "'%s': empty key", arg);
	else
		snprintf(err, errlen,
		    "'%s': empty key segment (write a literal dot as \\.)", arg);
fail:
	free(p->buf);
	p->buf = NULL;
	return -1;
}

static int
value_make(enum assign_kind kind, const char *text, json_object **v,
    const char *arg, char *err, size_t errlen)
{
	struct json_result jr;

	*v = NULL;
	if (kind == ASSIGN_STRING) {
		if ((*v = json_object_new_string(text)) == NULL)
			goto nomem;
		return 0;
	}
	if (json_read(text, strlen(text), NULL, &jr) != JSON_OK) {
		if (*text == '\0')
			snprintf(err, errlen, "'%s': no JSON after ':='", arg);
		else
			snprintf(err, errlen, "'%s': invalid JSON after ':='"
			    " (a string needs quotes: KEY:='\"text\"', or use"
			    " KEY=text)", arg);
		return -1;
	}
	*v = jr.value;
	return 0;
nomem:
	snprintf(err, errlen, "'%s': out of memory", arg);
	return -1;
}

/* Walk p in *obj, creating objects (and replacing non-objects) on the way. */
static int
path_set(json_object **obj, const struct key_path *p, json_object *v)
{
	json_object *cur, *next;
	const char *seg = p->buf;

	if (*obj == NULL || !json_object_is_type(*obj, json_type_object)) {
		json_object_put(*obj);
		if ((*obj = json_object_new_object()) == NULL)
			goto fail;
	}
	cur = *obj;
	for (size_t i = 0; i + 1 < p->nseg; i++, seg += strlen(seg) + 1) {
		if (!json_object_object_get_ex(cur, seg, &next) ||
		    !json_object_is_type(next, json_type_object)) {
			if ((next = json_object_new_object()) == NULL)
				goto fail;
			if (json_object_object_add(cur, seg, next) != 0) {
				json_object_put(next);
				goto fail;
			}
		}
		cur = next;
	}
	if (json_object_object_add(cur, seg, v) != 0)
		goto fail;
	return 0;
fail:
	json_object_put(v);
	return -1;
}

static int
assign_path(json_object **obj, const char *arg, bool want_sep, char *err,
    size_t errlen)
{
	struct key_path p;
	enum assign_kind kind;
	const char *text;
	json_object *v = NULL;
	int rc = -1;

	if (key_parse(arg, want_sep, &p, &kind, &text, err, errlen) == -1)
		return -1;
	if (kind != ASSIGN_NONE &&
	    value_make(kind, text, &v, arg, err, errlen) == -1)
		goto out;
	if (path_set(obj, &p, v) == -1) {
		snprintf(err, errlen, "'%s': out of memory", arg);
		goto out;
	}
	rc = 0;
out:
	free(p.buf);
	return rc;
}

int
assign_apply(json_object **obj, const char *arg, char *err, size_t errlen)
{
	return assign_path(obj, arg, true, err, errlen);
}

int
assign_null(json_object **obj, const char *key, char *err, size_t errlen)
{
	return assign_path(obj, key, false, err, errlen);
}

static bool
array_index(const char *seg, size_t n, size_t *idx)
{
	char *end;
	unsigned long long v;

	if (*seg < '0' || *seg > '9' || (seg[0] == '0' && seg[1] != '\0'))
		return false;
	errno = 0;
	v = strtoull(seg, &end, 10);
	if (errno != 0 || *end != '\0' || v >= n)
		return false;
	*idx = (size_t)v;
	return true;
}

static bool
path_step(json_object *cur, const char *seg, json_object **next)
{
	size_t idx;

	if (json_object_is_type(cur, json_type_object))
		return json_object_object_get_ex(cur, seg, next);
	if (json_object_is_type(cur, json_type_array) &&
	    array_index(seg, json_object_array_length(cur), &idx)) {
		*next = json_object_array_get_idx(cur, idx);
		return true;
	}
	return false;
}

int
assign_lookup(json_object *root, const char *path, json_object **out,
    char *err, size_t errlen)
{
	struct key_path p;
	enum assign_kind kind;
	const char *unused, *seg;
	json_object *cur = root;

	*out = NULL;
	if (path[0] == '\0') {
		*out = root;
		return 0;
	}
	if (key_parse(path, false, &p, &kind, &unused, err, errlen) == -1)
		return -1;
	seg = p.buf;
	for (size_t i = 0; i < p.nseg; i++, seg += strlen(seg) + 1) {
		if (!path_step(cur, seg, &cur)) {
			snprintf(err, errlen, "'%s': path absent (no '%s' there)",
			    path, seg);
			free(p.buf);
			return -1;
		}
	}
	free(p.buf);
	*out = cur;
	return 0;
}
