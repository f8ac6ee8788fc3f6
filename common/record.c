/* SPDX-License-Identifier: ISC */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "blake2b.h"
#include "err.h"
#include "record.h"

/* A bounded writer and reader; any overrun sets bad and stops moving. */
struct cur {
	uint8_t *w;
	const uint8_t *r;
	size_t len, pos;
	bool bad;
	const char *why;
};

static void
put_bytes(struct cur *cur, const void *p, size_t n)
{
	if (cur->bad || n > cur->len - cur->pos) {
		cur->bad = true;
		return;
	}
	memcpy(cur->w + cur->pos, p, n);
	cur->pos += n;
}

static void
put_uint(struct cur *cur, uint64_t v, int bytes)
{
	uint8_t b[8];

	for (int i = 0; i < bytes; i++)
		b[i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
	put_bytes(cur, b, (size_t)bytes);
}

static void
put_str(struct cur *cur, const char *s)
{
	size_t n = strlen(s);

	put_uint(cur, n, 2);
	put_bytes(cur, s, n);
}

static void
put_list(struct cur *cur, const struct strlist *l)
{
	put_uint(cur, l->n, 1);
	for (int i = 0; i < l->n; i++)
		put_str(cur, l->v[i]);
}

static void
fail(struct cur *cur, const char *why)
{
	if (!cur->bad)
		cur->why = why;
	cur->bad = true;
}

/* Append the checksum of everything written so far. */
static void
put_sum(struct cur *cur)
{
	uint8_t sum[RECORD_SUM_LEN];

	if (cur->bad)
		return;
	blake2b(sum, sizeof(sum), cur->w, cur->pos);
	put_bytes(cur, sum, sizeof(sum));
}

/* Check the trailing checksum and hide it from the field reader. */
static void
check_sum(struct cur *cur)
{
	uint8_t sum[RECORD_SUM_LEN];

	if (cur->len < RECORD_SUM_LEN) {
		fail(cur, "truncated");
		return;
	}
	cur->len -= RECORD_SUM_LEN;
	blake2b(sum, sizeof(sum), cur->r, cur->len);
	if (blake2b_memcmp(sum, cur->r + cur->len, RECORD_SUM_LEN) != 0)
		fail(cur, "checksum mismatch");
}

static const uint8_t *
get_bytes(struct cur *cur, size_t n)
{
	const uint8_t *p;

	if (cur->bad)
		return NULL;
	if (n > cur->len - cur->pos) {
		fail(cur, "truncated");
		return NULL;
	}
	p = cur->r + cur->pos;
	cur->pos += n;
	return p;
}

static uint64_t
get_uint(struct cur *cur, int bytes)
{
	const uint8_t *p = get_bytes(cur, (size_t)bytes);
	uint64_t v = 0;

	if (p == NULL)
		return 0;
	for (int i = 0; i < bytes; i++)
		v = (v << 8) | p[i];
	return v;
}

static void
get_str(struct cur *cur, char *dst, size_t cap)
{
	size_t n = (size_t)get_uint(cur, 2);
	const uint8_t *p;

	dst[0] = '\0';
	if (cur->bad)
		return;
	if (n >= cap) {
		fail(cur, "string too long");
		return;
	}
	if ((p = get_bytes(cur, n)) == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] == 0x7f) {
			fail(cur, "control character in string");
			return;
		}
	memcpy(dst, p, n);
	dst[n] = '\0';
}

static void
get_list(struct cur *cur, struct strlist *l)
{
	uint8_t n = (uint8_t)get_uint(cur, 1);

	l->n = 0;
	if (n > LIST_MAX) {
		fail(cur, "list too long");
		return;
	}
	for (l->n = 0; l->n < n && !cur->bad; l->n++)
		get_str(cur, l->v[l->n], sizeof(l->v[0]));
}

int
record_encode(const struct record *r, uint8_t *buf, size_t cap)
{
	struct cur cur = { .w = buf, .len = cap };

	put_uint(&cur, RECORD_VERSION, 1);
	put_str(&cur, r->id);
	put_str(&cur, r->name);
	put_str(&cur, r->description);
	put_str(&cur, r->user);
	put_uint(&cur, r->uid, 4);
	put_uint(&cur, r->service_user, 1);
	put_uint(&cur, r->status, 1);
	put_uint(&cur, r->pending, 1);
	put_list(&cur, &r->services);
	put_list(&cur, &r->permissions);
	put_list(&cur, &r->allowed_addresses);
	put_uint(&cur, (uint64_t)r->expires_at, 8);
	put_uint(&cur, (uint64_t)r->created_at, 8);
	put_str(&cur, r->created_by);
	put_uint(&cur, (uint64_t)r->updated_at, 8);
	put_str(&cur, r->updated_by);
	put_uint(&cur, r->revision, 8);
	put_bytes(&cur, r->hash, TOKEN_HASH_LEN);
	put_bytes(&cur, r->old_hash, TOKEN_HASH_LEN);
	put_uint(&cur, (uint64_t)r->old_hash_until, 8);
	put_uint(&cur, r->max_uses, 4);
	put_uint(&cur, (uint64_t)r->granted_lifetime, 8);
	put_uint(&cur, (uint64_t)r->notified_expiry, 8);
	put_uint(&cur, r->notified_days, 2);
	put_uint(&cur, r->limits_uid, 4);
	put_uint(&cur, r->status_uid, 4);
	put_uint(&cur, r->origin, 1);
	put_list(&cur, &r->hosts);
	put_uint(&cur, (uint64_t)r->account_since, 8);
	put_sum(&cur);
	return cur.bad ? ERR_LIMIT : (int)cur.pos;
}

int
record_decode(const uint8_t *buf, size_t len, struct record *r, char *err)
{
	struct cur cur = { .r = buf, .len = len };
	const uint8_t *p;
	uint64_t version, service_user;

	memset(r, 0, sizeof(*r));
	if (len == 0)
		return err_set(err, ERR_CORRUPT, "damaged record: empty");
	/* The version is read before the checksum so a newer format says so. */
	version = get_uint(&cur, 1);
	if (version != RECORD_VERSION && version != 1)
		return err_set(err, ERR_CORRUPT,
		    "record format %u is not supported by this version (knows "
		    "%d)",
		    (unsigned)version, RECORD_VERSION);
	check_sum(&cur);
	get_str(&cur, r->id, sizeof(r->id));
	get_str(&cur, r->name, sizeof(r->name));
	get_str(&cur, r->description, sizeof(r->description));
	get_str(&cur, r->user, sizeof(r->user));
	r->uid = (uint32_t)get_uint(&cur, 4);
	service_user = get_uint(&cur, 1);
	r->service_user = service_user == 1;
	r->status = (uint8_t)get_uint(&cur, 1);
	r->pending = (uint8_t)get_uint(&cur, 1);
	get_list(&cur, &r->services);
	get_list(&cur, &r->permissions);
	get_list(&cur, &r->allowed_addresses);
	r->expires_at = (int64_t)get_uint(&cur, 8);
	r->created_at = (int64_t)get_uint(&cur, 8);
	get_str(&cur, r->created_by, sizeof(r->created_by));
	r->updated_at = (int64_t)get_uint(&cur, 8);
	get_str(&cur, r->updated_by, sizeof(r->updated_by));
	r->revision = get_uint(&cur, 8);
	if ((p = get_bytes(&cur, TOKEN_HASH_LEN)) != NULL)
		memcpy(r->hash, p, TOKEN_HASH_LEN);
	if ((p = get_bytes(&cur, TOKEN_HASH_LEN)) != NULL)
		memcpy(r->old_hash, p, TOKEN_HASH_LEN);
	r->old_hash_until = (int64_t)get_uint(&cur, 8);
	if (version >= 2) {
		r->max_uses = (uint32_t)get_uint(&cur, 4);
		r->granted_lifetime = (int64_t)get_uint(&cur, 8);
		r->notified_expiry = (int64_t)get_uint(&cur, 8);
		r->notified_days = (uint16_t)get_uint(&cur, 2);
		r->limits_uid = (uint32_t)get_uint(&cur, 4);
		r->status_uid = (uint32_t)get_uint(&cur, 4);
		r->origin = (uint8_t)get_uint(&cur, 1);
		get_list(&cur, &r->hosts);
		r->account_since = (int64_t)get_uint(&cur, 8);
	}

	if (!cur.bad && cur.pos != cur.len)
		fail(&cur, "trailing bytes");
	if (!cur.bad && !token_id_valid(r->id))
		fail(&cur, "invalid id");
	if (!cur.bad && service_user > 1)
		fail(&cur, "invalid flag");
	if (!cur.bad && r->status > STATUS_DELETED)
		fail(&cur, "invalid status");
	if (!cur.bad && r->pending > PENDING_LOCK)
		fail(&cur, "invalid pending state");
	if (!cur.bad && r->origin > ORIGIN_FLEET)
		fail(&cur, "invalid origin");
	if (cur.bad) {
		memset(r, 0, sizeof(*r));
		return err_set(err, ERR_CORRUPT, "damaged record: %s", cur.why);
	}
	return 0;
}

int
usage_encode(const struct usage *u, uint8_t *buf, size_t cap)
{
	struct cur cur = { .w = buf, .len = cap };

	put_uint(&cur, USAGE_VERSION, 1);
	put_uint(&cur, (uint64_t)u->last_used_at, 8);
	for (int i = 0; i < USAGE_ADDRS; i++)
		put_str(&cur, u->last_used_from[i]);
	put_uint(&cur, u->recorded_uses, 8);
	for (int i = 0; i < USAGE_SOURCES; i++) {
		const struct usage_source *f = &u->sources[i];

		put_str(&cur, f->source);
		put_uint(&cur, f->failures, 4);
		put_uint(&cur, (uint64_t)f->window_start, 8);
		put_uint(&cur, (uint64_t)f->locked_until, 8);
	}
	put_uint(&cur, u->uses, 4);
	put_sum(&cur);
	return cur.bad ? ERR_LIMIT : (int)cur.pos;
}

int
usage_decode(const uint8_t *buf, size_t len, struct usage *u, char *err)
{
	struct cur cur = { .r = buf, .len = len };
	uint64_t version;

	memset(u, 0, sizeof(*u));
	check_sum(&cur);
	version = get_uint(&cur, 1);
	if (version != USAGE_VERSION && version != 1 && !cur.bad)
		fail(&cur, "unknown version");
	u->last_used_at = (int64_t)get_uint(&cur, 8);
	for (int i = 0; i < USAGE_ADDRS; i++)
		get_str(&cur, u->last_used_from[i],
		    sizeof(u->last_used_from[i]));
	u->recorded_uses = get_uint(&cur, 8);
	if (version == 1) {
		/* One counter for every source: not kept, so that no source
		 * starts locked out for what another did. */
		get_uint(&cur, 4);
		get_uint(&cur, 8);
		get_uint(&cur, 8);
	}
	for (int i = 0; i < USAGE_SOURCES && version != 1; i++) {
		struct usage_source *f = &u->sources[i];

		get_str(&cur, f->source, sizeof(f->source));
		f->failures = (uint32_t)get_uint(&cur, 4);
		f->window_start = (int64_t)get_uint(&cur, 8);
		f->locked_until = (int64_t)get_uint(&cur, 8);
	}
	/* Version 1 ends here: it counted no uses (no token had a limit). */
	if (version != 1)
		u->uses = (uint32_t)get_uint(&cur, 4);
	if (!cur.bad && cur.pos != cur.len)
		fail(&cur, "trailing bytes");
	if (cur.bad) {
		memset(u, 0, sizeof(*u));
		return err_set(err, ERR_CORRUPT, "damaged usage data: %s",
		    cur.why);
	}
	return 0;
}

void
usage_note_address(struct usage *u, const char *addr)
{
	int last = USAGE_ADDRS - 1;

	if (addr == NULL || *addr == '\0' || strlen(addr) > ADDR_MAX_LEN)
		return;
	for (int i = 0; i < USAGE_ADDRS; i++)
		if (strcmp(u->last_used_from[i], addr) == 0) {
			last = i;
			break;
		}
	memmove(u->last_used_from[1], u->last_used_from[0],
	    (size_t)last * sizeof(u->last_used_from[0]));
	snprintf(u->last_used_from[0], sizeof(u->last_used_from[0]), "%s",
	    addr);
}

const char *
record_status_name(int status)
{
	static const char *const names[] = {
		"active",
		"suspended",
		"revoked",
		"pending",
		"deleted",
	};

	if (status < 0 || status > STATUS_DELETED)
		return "unknown";
	return names[status];
}

void
record_touch(struct record *r, int64_t now, const char *by)
{
	r->updated_at = now;
	snprintf(r->updated_by, sizeof(r->updated_by), "%s", by);
	r->revision++;
}

bool
record_expired(const struct record *r, int64_t now)
{
	return r->expires_at != 0 && now >= r->expires_at;
}

bool
strlist_contains(const struct strlist *l, const char *s)
{
	for (int i = 0; i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return true;
	return false;
}

int
field_set(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);

	if (n >= cap)
		return ERR_LIMIT;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)src[i] < 0x20 || src[i] == 0x7f)
			return ERR_INVAL;
	memcpy(dst, src, n + 1);
	return 0;
}

int
strlist_add(struct strlist *l, const char *s)
{
	if (strlist_contains(l, s))
		return 0;
	if (l->n >= LIST_MAX)
		return ERR_LIMIT;
	if (field_set(l->v[l->n], sizeof(l->v[0]), s) < 0)
		return strlen(s) > ITEM_MAX_LEN ? ERR_LIMIT : ERR_INVAL;
	l->n++;
	return 0;
}

struct usage_source *
usage_source_find(struct usage *u, const char *source)
{
	for (int i = 0; i < USAGE_SOURCES; i++)
		if (u->sources[i].source[0] != '\0' &&
		    strcmp(u->sources[i].source, source) == 0)
			return &u->sources[i];
	return NULL;
}

/* Which of a and b to give up first; see usage_source_take. */
static bool
sooner_gone(const struct usage_source *a, const struct usage_source *b,
    int64_t now)
{
	bool a_locked = a->locked_until > now, b_locked = b->locked_until > now;

	if (a->source[0] == '\0' || b->source[0] == '\0')
		return a->source[0] == '\0';
	if (a_locked != b_locked)
		return !a_locked;
	return a_locked ? a->locked_until < b->locked_until :
	                  a->window_start < b->window_start;
}

struct usage_source *
usage_source_take(struct usage *u, const char *source, int64_t now)
{
	struct usage_source *f = usage_source_find(u, source);

	if (f != NULL)
		return f;
	f = &u->sources[0];
	for (int i = 1; i < USAGE_SOURCES; i++)
		if (sooner_gone(&u->sources[i], f, now))
			f = &u->sources[i];
	memset(f, 0, sizeof(*f));
	snprintf(f->source, sizeof(f->source), "%s", source);
	return f;
}

int64_t
usage_locked_until(const struct usage *u, int64_t now)
{
	int64_t until = 0;

	for (int i = 0; i < USAGE_SOURCES; i++)
		if (u->sources[i].locked_until > now &&
		    u->sources[i].locked_until > until)
			until = u->sources[i].locked_until;
	return until;
}
