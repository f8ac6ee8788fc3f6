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
put_bytes(struct cur *c, const void *p, size_t n)
{
	if (c->bad || n > c->len - c->pos) {
		c->bad = true;
		return;
	}
	memcpy(c->w + c->pos, p, n);
	c->pos += n;
}

static void
put_uint(struct cur *c, uint64_t v, int bytes)
{
	uint8_t b[8];

	for (int i = 0; i < bytes; i++)
		b[i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
	put_bytes(c, b, (size_t)bytes);
}

static void
put_str(struct cur *c, const char *s)
{
	size_t n = strlen(s);

	put_uint(c, n, 2);
	put_bytes(c, s, n);
}

static void
put_list(struct cur *c, const struct strlist *l)
{
	put_uint(c, l->n, 1);
	for (int i = 0; i < l->n; i++)
		put_str(c, l->v[i]);
}

static void
fail(struct cur *c, const char *why)
{
	if (!c->bad)
		c->why = why;
	c->bad = true;
}

/* Append the checksum of everything written so far. */
static void
put_sum(struct cur *c)
{
	uint8_t sum[RECORD_SUM_LEN];

	if (c->bad)
		return;
	blake2b(sum, sizeof(sum), c->w, c->pos);
	put_bytes(c, sum, sizeof(sum));
}

/* Check the trailing checksum and hide it from the field reader. */
static void
check_sum(struct cur *c)
{
	uint8_t sum[RECORD_SUM_LEN];

	if (c->len < RECORD_SUM_LEN) {
		fail(c, "truncated");
		return;
	}
	c->len -= RECORD_SUM_LEN;
	blake2b(sum, sizeof(sum), c->r, c->len);
	if (blake2b_memcmp(sum, c->r + c->len, RECORD_SUM_LEN) != 0)
		fail(c, "checksum mismatch");
}

static const uint8_t *
get_bytes(struct cur *c, size_t n)
{
	const uint8_t *p;

	if (c->bad)
		return NULL;
	if (n > c->len - c->pos) {
		fail(c, "truncated");
		return NULL;
	}
	p = c->r + c->pos;
	c->pos += n;
	return p;
}

static uint64_t
get_uint(struct cur *c, int bytes)
{
	const uint8_t *p = get_bytes(c, (size_t)bytes);
	uint64_t v = 0;

	if (p == NULL)
		return 0;
	for (int i = 0; i < bytes; i++)
		v = (v << 8) | p[i];
	return v;
}

static void
get_str(struct cur *c, char *dst, size_t cap)
{
	size_t n = (size_t)get_uint(c, 2);
	const uint8_t *p;

	dst[0] = '\0';
	if (c->bad)
		return;
	if (n >= cap) {
		fail(c, "string too long");
		return;
	}
	if ((p = get_bytes(c, n)) == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] == 0x7f) {
			fail(c, "control character in string");
			return;
		}
	memcpy(dst, p, n);
	dst[n] = '\0';
}

static void
get_list(struct cur *c, struct strlist *l)
{
	uint8_t n = (uint8_t)get_uint(c, 1);

	l->n = 0;
	if (n > LIST_MAX) {
		fail(c, "list too long");
		return;
	}
	for (l->n = 0; l->n < n && !c->bad; l->n++)
		get_str(c, l->v[l->n], sizeof(l->v[0]));
}

int
record_encode(const struct record *r, uint8_t *buf, size_t cap)
{
	struct cur c = { .w = buf, .len = cap };

	put_uint(&c, RECORD_VERSION, 1);
	put_str(&c, r->id);
	put_str(&c, r->name);
	put_str(&c, r->description);
	put_str(&c, r->user);
	put_uint(&c, r->uid, 4);
	put_uint(&c, r->service_user, 1);
	put_uint(&c, r->status, 1);
	put_uint(&c, r->pending, 1);
	put_list(&c, &r->services);
	put_list(&c, &r->permissions);
	put_list(&c, &r->allowed_addresses);
	put_uint(&c, (uint64_t)r->expires_at, 8);
	put_uint(&c, (uint64_t)r->created_at, 8);
	put_str(&c, r->created_by);
	put_uint(&c, (uint64_t)r->updated_at, 8);
	put_str(&c, r->updated_by);
	put_uint(&c, r->revision, 8);
	put_bytes(&c, r->hash, TOKEN_HASH_LEN);
	put_bytes(&c, r->old_hash, TOKEN_HASH_LEN);
	put_uint(&c, (uint64_t)r->old_hash_until, 8);
	put_uint(&c, r->max_uses, 4);
	put_uint(&c, (uint64_t)r->granted_lifetime, 8);
	put_uint(&c, (uint64_t)r->notified_expiry, 8);
	put_uint(&c, r->notified_days, 2);
	put_uint(&c, r->limits_uid, 4);
	put_uint(&c, r->status_uid, 4);
	put_uint(&c, r->origin, 1);
	put_list(&c, &r->hosts);
	put_uint(&c, (uint64_t)r->account_since, 8);
	put_sum(&c);
	return c.bad ? ERR_LIMIT : (int)c.pos;
}

int
record_decode(const uint8_t *buf, size_t len, struct record *r, char *err)
{
	struct cur c = { .r = buf, .len = len };
	const uint8_t *p;
	uint64_t version, service_user;

	memset(r, 0, sizeof(*r));
	if (len == 0)
		return err_set(err, ERR_CORRUPT, "damaged record: empty");
	/* The version is read before the checksum so a newer format says so. */
	version = get_uint(&c, 1);
	if (version != RECORD_VERSION && version != 1)
		return err_set(err, ERR_CORRUPT,
		    "record format %u is not supported by this version (knows "
		    "%d)",
		    (unsigned)version, RECORD_VERSION);
	check_sum(&c);
	get_str(&c, r->id, sizeof(r->id));
	get_str(&c, r->name, sizeof(r->name));
	get_str(&c, r->description, sizeof(r->description));
	get_str(&c, r->user, sizeof(r->user));
	r->uid = (uint32_t)get_uint(&c, 4);
	service_user = get_uint(&c, 1);
	r->service_user = service_user == 1;
	r->status = (uint8_t)get_uint(&c, 1);
	r->pending = (uint8_t)get_uint(&c, 1);
	get_list(&c, &r->services);
	get_list(&c, &r->permissions);
	get_list(&c, &r->allowed_addresses);
	r->expires_at = (int64_t)get_uint(&c, 8);
	r->created_at = (int64_t)get_uint(&c, 8);
	get_str(&c, r->created_by, sizeof(r->created_by));
	r->updated_at = (int64_t)get_uint(&c, 8);
	get_str(&c, r->updated_by, sizeof(r->updated_by));
	r->revision = get_uint(&c, 8);
	if ((p = get_bytes(&c, TOKEN_HASH_LEN)) != NULL)
		memcpy(r->hash, p, TOKEN_HASH_LEN);
	if ((p = get_bytes(&c, TOKEN_HASH_LEN)) != NULL)
		memcpy(r->old_hash, p, TOKEN_HASH_LEN);
	r->old_hash_until = (int64_t)get_uint(&c, 8);
	if (version >= 2) {
		r->max_uses = (uint32_t)get_uint(&c, 4);
		r->granted_lifetime = (int64_t)get_uint(&c, 8);
		r->notified_expiry = (int64_t)get_uint(&c, 8);
		r->notified_days = (uint16_t)get_uint(&c, 2);
		r->limits_uid = (uint32_t)get_uint(&c, 4);
		r->status_uid = (uint32_t)get_uint(&c, 4);
		r->origin = (uint8_t)get_uint(&c, 1);
		get_list(&c, &r->hosts);
		r->account_since = (int64_t)get_uint(&c, 8);
	}

	if (!c.bad && c.pos != c.len)
		fail(&c, "trailing bytes");
	if (!c.bad && !token_id_valid(r->id))
		fail(&c, "invalid id");
	if (!c.bad && service_user > 1)
		fail(&c, "invalid flag");
	if (!c.bad && r->status > STATUS_DELETED)
		fail(&c, "invalid status");
	if (!c.bad && r->pending > PENDING_LOCK)
		fail(&c, "invalid pending state");
	if (!c.bad && r->origin > ORIGIN_FLEET)
		fail(&c, "invalid origin");
	if (c.bad) {
		memset(r, 0, sizeof(*r));
		return err_set(err, ERR_CORRUPT, "damaged record: %s", c.why);
	}
	return 0;
}

int
usage_encode(const struct usage *u, uint8_t *buf, size_t cap)
{
	struct cur c = { .w = buf, .len = cap };

	put_uint(&c, USAGE_VERSION, 1);
	put_uint(&c, (uint64_t)u->last_used_at, 8);
	for (int i = 0; i < USAGE_ADDRS; i++)
		put_str(&c, u->last_used_from[i]);
	put_uint(&c, u->recorded_uses, 8);
	for (int i = 0; i < USAGE_SOURCES; i++) {
		const struct usage_source *f = &u->sources[i];

		put_str(&c, f->source);
		put_uint(&c, f->failures, 4);
		put_uint(&c, (uint64_t)f->window_start, 8);
		put_uint(&c, (uint64_t)f->locked_until, 8);
	}
	put_uint(&c, u->uses, 4);
	put_sum(&c);
	return c.bad ? ERR_LIMIT : (int)c.pos;
}

int
usage_decode(const uint8_t *buf, size_t len, struct usage *u, char *err)
{
	struct cur c = { .r = buf, .len = len };
	uint64_t version;

	memset(u, 0, sizeof(*u));
	check_sum(&c);
	version = get_uint(&c, 1);
	if (version != USAGE_VERSION && version != 1 && !c.bad)
		fail(&c, "unknown version");
	u->last_used_at = (int64_t)get_uint(&c, 8);
	for (int i = 0; i < USAGE_ADDRS; i++)
		get_str(&c, u->last_used_from[i], sizeof(u->last_used_from[i]));
	u->recorded_uses = get_uint(&c, 8);
	if (version == 1) {
		/* One counter for every source: not kept, so that no source
		 * starts locked out for what another did. */
		get_uint(&c, 4);
		get_uint(&c, 8);
		get_uint(&c, 8);
	}
	for (int i = 0; i < USAGE_SOURCES && version != 1; i++) {
		struct usage_source *f = &u->sources[i];

		get_str(&c, f->source, sizeof(f->source));
		f->failures = (uint32_t)get_uint(&c, 4);
		f->window_start = (int64_t)get_uint(&c, 8);
		f->locked_until = (int64_t)get_uint(&c, 8);
	}
	/* Version 1 ends here: it counted no uses (no token had a limit). */
	if (version != 1)
		u->uses = (uint32_t)get_uint(&c, 4);
	if (!c.bad && c.pos != c.len)
		fail(&c, "trailing bytes");
	if (c.bad) {
		memset(u, 0, sizeof(*u));
		return err_set(err, ERR_CORRUPT, "damaged usage data: %s",
		    c.why);
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
