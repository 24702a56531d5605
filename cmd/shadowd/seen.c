/*
 * seen.c - kept outcomes found in memory (seen.h): open addressing with
 * linear probing over keys that are already uniform (a SHA-256 prefix).
 * Nothing is deleted one by one: when the table fills up to three
 * quarters it is rebuilt with the entries still kept, at most half full.
 */
#include "seen.h"

#include <stdlib.h>

#define SEEN_MIN_SLOTS 64

struct seen_slot {
	uint64_t key;                       /* 0: empty */
	int64_t id;
};

struct seen {
	struct seen_slot *slots;
	size_t nslots;                      /* a power of two */
	size_t nused;
	int64_t min_id;                     /* entries below are forgotten */
};

/* 0 marks an empty slot: the one key that would be 0 is stored as 1. */
static uint64_t
slot_key(uint64_t key)
{
	return key != 0 ? key : 1;
}

static struct seen_slot *
slot_for(struct seen_slot *slots, size_t n, uint64_t key)
{
	size_t i = (size_t)key & (n - 1);

	while (slots[i].key != 0 && slots[i].key != key)
		i = (i + 1) & (n - 1);
	return &slots[i];
}

struct seen *
seen_new(void)
{
	struct seen *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->nslots = SEEN_MIN_SLOTS;
	if ((s->slots = calloc(s->nslots, sizeof(*s->slots))) == NULL) {
		free(s);
		return NULL;
	}
	return s;
}

void
seen_free(struct seen *s)
{
	if (s == NULL)
		return;
	free(s->slots);
	free(s);
}

/* Room for one more: rebuild with the entries kept, at most half full. */
static int
seen_make_room(struct seen *s)
{
	struct seen_slot *slots, *old = s->slots;
	size_t i, live = 0, n = SEEN_MIN_SLOTS;

	if ((s->nused + 1) * 4 <= s->nslots * 3)
		return 0;
	for (i = 0; i < s->nslots; i++)
		if (old[i].key != 0 && old[i].id >= s->min_id)
			live++;
	while (n < (live + 1) * 2)
		n *= 2;
	if ((slots = calloc(n, sizeof(*slots))) == NULL)
		return -1;
	for (i = 0; i < s->nslots; i++)
		if (old[i].key != 0 && old[i].id >= s->min_id)
			*slot_for(slots, n, old[i].key) = old[i];
	free(old);
	s->slots = slots;
	s->nslots = n;
	s->nused = live;
	return 0;
}

int
seen_put(struct seen *s, uint64_t key, int64_t id)
{
	struct seen_slot *slot;

	key = slot_key(key);
	if (seen_make_room(s) == -1)
		return -1;
	slot = slot_for(s->slots, s->nslots, key);
	if (slot->key == 0) {
		slot->key = key;
		s->nused++;
	}
	slot->id = id;
	return 0;
}

bool
seen_find(const struct seen *s, uint64_t key, int64_t *id)
{
	const struct seen_slot *slot;

	slot = slot_for(s->slots, s->nslots, slot_key(key));
	if (slot->key == 0 || slot->id < s->min_id)
		return false;
	*id = slot->id;
	return true;
}

void
seen_forget_before(struct seen *s, int64_t id)
{
	if (id > s->min_id)
		s->min_id = id;
}

size_t
seen_count(const struct seen *s)
{
	return s->nused;
}
