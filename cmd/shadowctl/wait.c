/*
 * wait.c - --wait: after an update of desired state is accepted, ask the
 * transport for snapshots of the shadow until reported holds every value
 * just set (a null: until the key is absent), or --timeout runs out.
 */
#include "ctl.h"

#include <stdio.h>
#include <string.h>

#include "log.h"
#include "transport.h"

enum ctl_status
wait_init(struct wait_state *w, json_object *update_state)
{
	json_object *d = NULL;

	memset(w, 0, sizeof(*w));
	w->snap_version = -1;
	if (update_state == NULL ||
	    !json_object_object_get_ex(update_state, "desired", &d) ||
	    !json_object_is_type(d, json_type_object)) {
		log_error("--wait needs desired state in the update: it waits "
		    "until reported holds it");
		return CTL_USAGE;
	}
	w->expect = d;
	return CTL_OK;
}

void
wait_free(struct wait_state *w)
{
	json_object_put(w->reported);
	w->reported = NULL;
}

void
wait_note(struct wait_state *w, json_object *state, json_object *version)
{
	json_object *reported = NULL;
	int64_t v;

	if (!json_object_is_type(version, json_type_int))
		return;
	v = json_object_get_int64(version);
	if (v <= w->snap_version)
		return;
	if (json_object_is_type(state, json_type_object))
		json_object_object_get_ex(state, "reported", &reported);
	json_object_put(w->reported);
	w->reported = json_object_get(reported);
	w->snap_version = v;
}

static json_object *
member(json_object *obj, const char *key)
{
	json_object *v = NULL;

	if (!json_object_is_type(obj, json_type_object) ||
	    !json_object_object_get_ex(obj, key, &v))
		return NULL;
	return v;
}

static bool holds(json_object *expect, json_object *reported);

/* null means "absent"; an object holds when each of its keys holds. */
static bool
value_holds(json_object *want, json_object *got)
{
	if (want == NULL)
		return got == NULL;
	if (json_object_is_type(want, json_type_object))
		return holds(want, got);
	return got != NULL && doc_json_equal(want, got);
}

static bool
holds(json_object *expect, json_object *reported)
{
	json_object_object_foreach(expect, k, v) {
		if (!value_holds(v, member(reported, k)))
			return false;
	}
	return true;
}

struct describer {
	char *buf;
	size_t len;
	size_t used;
};

static void
append(struct describer *d, const char *s)
{
	size_t n = strlen(s);

	if (d->used + n + 1 > d->len)
		n = d->len > d->used + 1 ? d->len - d->used - 1 : 0;
	memcpy(d->buf + d->used, s, n);
	d->used += n;
	d->buf[d->used] = '\0';
}

static const char *
show(json_object *v)
{
	if (v == NULL)
		return "absent";
	return json_object_to_json_string_ext(v,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

static void
describe(struct describer *d, json_object *expect, json_object *reported,
    char *path, size_t pathlen)
{
	size_t base = strlen(path);

	json_object_object_foreach(expect, k, v) {
		json_object *got = member(reported, k);

		snprintf(path + base, pathlen - base, "%s%s", base ? "." : "",
		    k);
		if (v != NULL && json_object_is_type(v, json_type_object))
			describe(d, v, got, path, pathlen);
		else if (!value_holds(v, got)) {
			if (d->used > 0)
				append(d, ", ");
			append(d, path);
			append(d, " (desired ");
			append(d, show(v));
			append(d, ", reported ");
			append(d, show(got));
			append(d, ")");
		}
		path[base] = '\0';
	}
}

static void
differences(const struct wait_state *w, char *buf, size_t len)
{
	struct describer d = { buf, len, 0 };
	char path[512] = "";

	if (len == 0)
		return;
	buf[0] = '\0';
	describe(&d, w->expect, w->reported, path, sizeof(path));
	if (d.used == 0)
		append(&d, "(no report seen since the update)");
}

/* The snapshot is at least as new as the accepted update, and holds. */
static bool
converged(const struct wait_state *w, json_object *accepted)
{
	json_object *v;

	return json_object_object_get_ex(accepted, "version", &v) &&
	    w->snap_version >= json_object_get_int64(v) &&
	    holds(w->expect, w->reported);
}

enum ctl_status
wait_until(struct transport *t, struct wait_state *w, json_object *accepted)
{
	char buf[CTL_ERRLEN];
	enum ctl_status st = CTL_OK;

	while (!converged(w, accepted) &&
	    (st = t->ops->wait_poll(t, w)) == CTL_OK)
		;
	if (st == CTL_TIMEOUT) {
		differences(w, buf, sizeof(buf));
		log_error("--wait: timed out after %g s; still different: %s",
		    t->cfg->timeout, buf);
	}
	return st;
}
