#include "rate.h"

#include <stdlib.h>
#include <string.h>

#include "topic.h"

#define RATE_MIN_SLOTS 64

struct rate_slot {
	bool used;
	int64_t window;
	long count;
	char thing[SHADOW_THING_MAX + 1];
};

struct rate {
	long limit;
	size_t nslots;        /* a power of two */
	size_t nused;
	struct rate_slot *slots;
};

static size_t
rate_hash(const char *s)
{
	size_t h = 14695981039346656037ULL;

	while (*s != '\0')
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

static struct rate_slot *
rate_find(struct rate_slot *slots, size_t n, const char *thing)
{
	size_t i = rate_hash(thing) & (n - 1);

	while (slots[i].used && strcmp(slots[i].thing, thing) != 0)
		i = (i + 1) & (n - 1);
	return &slots[i];
}

struct rate *
rate_new(long per_second)
{
	struct rate *r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->limit = per_second;
	r->nslots = RATE_MIN_SLOTS;
	if ((r->slots = calloc(r->nslots, sizeof(*r->slots))) == NULL) {
		free(r);
		return NULL;
	}
	return r;
}

/* Rebuild without the things idle since before this second; grow if still
 * half full. */
static int
rate_rebuild(struct rate *r, int64_t now_sec)
{
	struct rate_slot *slots, *d;
	size_t i, live = 0, n = RATE_MIN_SLOTS;

	for (i = 0; i < r->nslots; i++)
		if (r->slots[i].used && r->slots[i].window >= now_sec)
			live++;
	while (n < live * 4)
		n *= 2;
	if ((slots = calloc(n, sizeof(*slots))) == NULL)
		return -1;
	for (i = 0; i < r->nslots; i++) {
		if (!r->slots[i].used || r->slots[i].window < now_sec)
			continue;
		d = rate_find(slots, n, r->slots[i].thing);
		*d = r->slots[i];
	}
	free(r->slots);
	r->slots = slots;
	r->nslots = n;
	r->nused = live;
	return 0;
}

bool
rate_allow(struct rate *r, const char *thing, int64_t now_sec)
{
	struct rate_slot *s;

	if (strlen(thing) > SHADOW_THING_MAX)
		return false;
	if ((r->nused + 1) * 2 > r->nslots && rate_rebuild(r, now_sec) == -1)
		return true;
	s = rate_find(r->slots, r->nslots, thing);
	if (!s->used) {
		s->used = true;
		strcpy(s->thing, thing);
		s->window = now_sec;
		s->count = 0;
		r->nused++;
	}
	if (s->window != now_sec) {
		s->window = now_sec;
		s->count = 0;
	}
	s->count++;
	return s->count <= r->limit;
}

void
rate_free(struct rate *r)
{
	if (r == NULL)
		return;
	free(r->slots);
	free(r);
}
