/* SPDX-License-Identifier: ISC */
/*
 * output.c - records as JSON (jansson) or as text for people.
 *
 * Every text is escaped on the way out (utf8_escape): input is checked,
 * but a store written by an older version may hold control characters or
 * bytes that are not UTF-8, which must neither reach root's terminal nor
 * make the JSON encoder drop a token from a listing.  Output that cannot
 * be written is an error, never an empty success.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sys/param.h>

#include <jansson.h>

#include "apitoken.h"
#include "store_fleet.h"
#include "utf8.h"
#include "when.h"

/* Room for any escaped field: the description is the longest. */
#define SHOWN_MAX UTF8_ESCAPED_MAX(DESC_MAX_LEN)

struct shown {
	char b[SHOWN_MAX];
};

static const char *
esc(const char *s, struct shown *out)
{
	utf8_escape(s, out->b, sizeof(out->b));
	return out->b;
}

static json_t *
str(const char *s)
{
	struct shown e;

	return json_string(esc(s, &e));
}

static json_t *
time_or_null(int64_t t)
{
	char buf[WHEN_BUF];

	return t == 0 ? json_null() : json_string(when_format(t, buf));
}

static json_t *
list(const struct strlist *l)
{
	json_t *a = json_array();

	for (int i = 0; i < l->n; i++)
		json_array_append_new(a, str(l->v[i]));
	return a;
}

static json_t *
who_when(int64_t at, const char *by)
{
	return json_pack("{s:o, s:o}", "at", time_or_null(at), "by", str(by));
}

/* What PAM goes by: the token's services, or the configured default. */
static const struct strlist *
effective_services(const struct invocation *inv, const struct record *r)
{
	return r->services.n > 0 ? &r->services : &inv->conf.default_services;
}

/* Until when the secret before a rotate --grace still works; 0 if not. */
static int64_t
old_secret_until(const struct invocation *inv, const struct record *r)
{
	return r->old_hash_until > inv->now ? r->old_hash_until : 0;
}

/* The sources locked out now, each with when its lockout ends. */
static json_t *
locked_sources(const struct invocation *inv, const struct usage *u)
{
	json_t *a = json_array();

	for (int i = 0; i < USAGE_SOURCES; i++)
		if (u->sources[i].locked_until > inv->now)
			json_array_append_new(a,
			    json_pack("{s:o, s:o}", "source",
			        str(u->sources[i].source), "until",
			        time_or_null(u->sources[i].locked_until)));
	return a;
}

/*
 * The status people see: a token whose uses are spent is revoked, though
 * its record catches up only at root's next check --repair or prune.
 */
static int
shown_status(const struct record *r, const struct usage *u)
{
	return hygiene_spent(r, u) ? STATUS_REVOKED : r->status;
}

/* Revoked because its uses are spent, in the record yet or not. */
static bool
revoked_by_uses(const struct record *r, const struct usage *u)
{
	return r->max_uses > 0 && hygiene_uses_left(r, u) == 0 &&
	    shown_status(r, u) == STATUS_REVOKED;
}

/*
 * Whether an active or suspended token's account is no longer the one it
 * was made for (account_state): it can never log in again, nor be
 * rotated or activated.  Other tokens cannot log in anyway.
 */
static enum account_state
orphaned(const struct record *r)
{
	if (r->status != STATUS_ACTIVE && r->status != STATUS_SUSPENDED)
		return ACCOUNT_SAME;
	return account_state(r);
}

/* The shadow last-change day account_since keeps, as a date; or null. */
static json_t *
day_or_null(int64_t day)
{
	char buf[WHEN_BUF], date[16];

	if (day == 0)
		return json_null();
	snprintf(date, sizeof(date), "%.10s", when_format(day * 86400, buf));
	return json_string(date);
}

static int
contact_fn(struct store_txn *t, void *ctx, char *err)
{
	return store_fleet_contact(t, ctx, err);
}

/* When the replica last heard from a provider; 0 for never. */
static int64_t
fleet_contact(struct store *st)
{
	int64_t at = 0;

	if (st == NULL || store_read(st, contact_fn, &at, NULL) < 0)
		return 0;
	return at;
}

/* "last contact TIME (AGE ago)", or that there was none, into buf. */
static const char *
contact_text(const struct invocation *inv, int64_t at, char buf[128])
{
	static const struct {
		int64_t secs;
		char unit;
	} units[] = { { 86400, 'd' }, { 3600, 'h' }, { 60, 'm' }, { 1, 's' } };
	int64_t age = inv->now > at ? inv->now - at : 0;
	char when[WHEN_BUF];
	size_t u = 0;

	if (at == 0)
		return strcpy(buf, "never heard from a provider");
	while (u + 1 < sizeof(units) / sizeof(units[0]) && age < units[u].secs)
		u++;
	snprintf(buf, 128, "last contact %s (%lld%c ago)",
	    when_format(at, when), (long long)(age / units[u].secs),
	    units[u].unit);
	return buf;
}

static json_t *
to_json(const struct invocation *inv, struct store *st, const struct record *r,
    const char *token)
{
	struct usage u;
	json_t *o, *from = json_array();
	/* A fleet token is changed in the directory only (select_token). */
	bool local = r->origin != ORIGIN_FLEET;
	bool live, spent;
	/* Revoked or deleted, yes; renewed or re-opened, never. */
	bool changed = orphaned(r) != ACCOUNT_SAME;
	int status;

	if (store_usage_get(st, r->id, &u, NULL) < 0)
		memset(&u, 0, sizeof(u));
	spent = hygiene_spent(r, &u);
	status = shown_status(r, &u);
	live = local && (status == STATUS_ACTIVE || status == STATUS_SUSPENDED);
	for (int i = 0; i < USAGE_ADDRS; i++)
		if (u.last_used_from[i][0] != '\0')
			json_array_append_new(from, str(u.last_used_from[i]));
	o = json_pack("{s:s, s:o, s:o, s:o, s:I, s:b, s:o, s:o, s:o, s:s, s:o, "
	              "s:o, s:o,"
	              " s:I, s:o, s:o, s:I, s:b, s:{s:b, s:b, s:b, s:b, s:b}}",
	    "id", r->id, "name", str(r->name), "description",
	    str(r->description), "user", str(r->user), "uid",
	    (json_int_t)r->uid, "service_user", r->service_user, "services",
	    list(&r->services), "permissions", list(&r->permissions),
	    "allowed_addresses", list(&r->allowed_addresses), "status",
	    record_status_name(status), "expires_at",
	    time_or_null(r->expires_at), "created",
	    who_when(r->created_at, r->created_by), "updated",
	    who_when(r->updated_at, r->updated_by), "revision",
	    (json_int_t)r->revision, "last_used_at",
	    time_or_null(u.last_used_at), "last_used_from", from,
	    "recorded_uses", (json_int_t)u.recorded_uses, "expired",
	    record_expired(r, inv->now), "available_actions", "activate",
	    local && !changed && status == STATUS_SUSPENDED, "suspend",
	    local && status == STATUS_ACTIVE, "revoke", live || spent, "delete",
	    local && r->status != STATUS_DELETED && r->status != STATUS_PENDING,
	    "rotate", live && !changed);
	if (o != NULL) {
		json_object_set_new(o, "effective_services",
		    list(effective_services(inv, r)));
		json_object_set_new(o, "old_secret_valid_until",
		    time_or_null(old_secret_until(inv, r)));
		json_object_set_new(o, "locked_out_until",
		    time_or_null(usage_locked_until(&u, inv->now)));
		json_object_set_new(o, "locked_out_sources",
		    locked_sources(inv, &u));
		json_object_set_new(o, "limits_set_by_uid",
		    json_integer((json_int_t)r->limits_uid));
		json_object_set_new(o, "status_set_by_uid",
		    json_integer((json_int_t)r->status_uid));
		json_object_set_new(o, "origin",
		    json_string(local ? "local" : "fleet"));
		json_object_set_new(o, "hosts", list(&r->hosts));
		/* How fresh the replica's view of a fleet token is. */
		json_object_set_new(o, "fleet_last_contact",
		    local ? json_null() : time_or_null(fleet_contact(st)));
		json_object_set_new(o, "account_since",
		    day_or_null(r->account_since));
		json_object_set_new(o, "account_changed",
		    json_boolean(changed));
		json_object_set_new(o, "max_uses",
		    r->max_uses ? json_integer((json_int_t)r->max_uses) :
		                  json_null());
		json_object_set_new(o, "uses_left",
		    r->max_uses ?
		        json_integer((json_int_t)hygiene_uses_left(r, &u)) :
		        json_null());
		/* Why it is revoked, when that is its use limit. */
		json_object_set_new(o, "status_reason",
		    revoked_by_uses(r, &u) ? json_string("uses_spent") :
		                             json_null());
	}
	if (o != NULL && token != NULL)
		json_object_set_new(o, "token", json_string(token));
	return o;
}

/* Print j, and free it; 0, or the refusal's exit status when it could not. */
static int
emit(json_t *j)
{
	char *s = j != NULL ?
	    json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER) :
	    NULL;
	int rc = 0;

	if (s == NULL)
		rc = fail(EXIT_REFUSED, "cannot encode the output as JSON");
	else {
		if (puts(s) == EOF || fflush(stdout) == EOF)
			rc = fail(EXIT_REFUSED, "cannot write the output");
		/* The one output that may hold a secret: wipe it before
		 * freeing. */
		explicit_bzero(s, strlen(s));
		free(s);
	}
	json_decref(j);
	return rc;
}

/* After text output: whether it reached stdout. */
static int
flushed(void)
{
	if (fflush(stdout) == EOF || ferror(stdout))
		return fail(EXIT_REFUSED, "cannot write the output");
	return 0;
}

/* key, the items of l (or "-"), and note in parentheses when not NULL. */
static void
text_list(const char *key, const struct strlist *l, const char *note)
{
	struct shown e;

	printf("%-18s", key);
	for (int i = 0; i < l->n; i++)
		printf("%s%s", i ? ", " : "", esc(l->v[i], &e));
	printf("%s", l->n ? "" : "-");
	if (note != NULL)
		printf(" (%s)", note);
	putchar('\n');
}

int
print_record(const struct invocation *inv, struct store *st,
    const struct record *r, const char *token)
{
	char a[WHEN_BUF], b[WHEN_BUF];
	struct shown e1, e2;
	struct usage u;

	if (inv->json)
		return emit(to_json(inv, st, r, token));
	if (store_usage_get(st, r->id, &u, NULL) < 0)
		memset(&u, 0, sizeof(u));
	printf("%-18s%s\n%-18s%s\n%-18s%s\n", "id:", r->id,
	    "name:", esc(r->name, &e1),
	    "description:", r->description[0] ? esc(r->description, &e2) : "-");
	printf("%-18s%s (uid %u%s)\n", "user:", esc(r->user, &e1), r->uid,
	    r->service_user ? ", service user" : "");
	if (r->origin == ORIGIN_FLEET) {
		char c[128];

		printf("%-18sfleet, changed in the directory only\n",
		    "origin:");
		text_list("hosts:", &r->hosts, NULL);
		printf("%-18s%s\n",
		    "fleet replica:", contact_text(inv, fleet_contact(st), c));
	}
	printf("%-18s%s%s%s\n",
	    "status:", record_status_name(shown_status(r, &u)),
	    revoked_by_uses(r, &u) ? " (all of its uses are spent)" : "",
	    record_expired(r, inv->now) ? " (expired)" : "");
	if (orphaned(r) != ACCOUNT_SAME)
		printf("%-18s%s\n",
		    "orphaned:", account_state_text(orphaned(r)));
	if (r->max_uses > 0)
		printf("%-18s%u of %u left\n",
		    "uses:", hygiene_uses_left(r, &u), r->max_uses);
	printf("%-18s%s\n", "expires:", when_format(r->expires_at, a));
	if (old_secret_until(inv, r) != 0)
		printf("%-18suntil %s (rotate --grace)\n", "old secret valid:",
		    when_format(old_secret_until(inv, r), a));
	text_list("services:", effective_services(inv, r),
	    r->services.n == 0 ? "default_services" : NULL);
	text_list("permissions:", &r->permissions, NULL);
	text_list("allowed from:", &r->allowed_addresses, NULL);
	printf("%-18s%s by %s\n", "created:", when_format(r->created_at, a),
	    esc(r->created_by, &e1));
	printf("%-18s%s by %s (revision %llu)\n",
	    "updated:", when_format(r->updated_at, b), esc(r->updated_by, &e1),
	    (unsigned long long)r->revision);
	printf("%-18slimits by uid %u, status by uid %u\n",
	    "set by:", r->limits_uid, r->status_uid);
	printf("%-18s%s", "last used:",
	    u.last_used_at ? when_format(u.last_used_at, a) : "never");
	if (u.last_used_from[0][0] != '\0')
		printf(" from %s", esc(u.last_used_from[0], &e1));
	printf(" (%llu recorded uses)\n", (unsigned long long)u.recorded_uses);
	for (int i = 0; i < USAGE_SOURCES; i++)
		if (u.sources[i].locked_until > inv->now)
			printf("%-18s%s until %s (apitoken unlock lifts it)\n",
			    "locked out:", esc(u.sources[i].source, &e1),
			    when_format(u.sources[i].locked_until, a));
	return flushed();
}

int
print_table(const struct invocation *inv, struct store *st,
    const struct record *r, int n)
{
	char a[WHEN_BUF], b[WHEN_BUF];
	struct shown e1, e2;
	struct usage u;
	json_t *all, *o;
	int wname = 20, wuser = 16;
	bool fleet = false;
	char c[128];

	if (inv->json) {
		all = json_array();
		for (int i = 0; i < n && all != NULL; i++)
			/* A token that cannot be encoded fails the listing,
			 * rather than vanish from it. */
			if ((o = to_json(inv, st, &r[i], NULL)) == NULL ||
			    json_array_append_new(all, o) < 0) {
				json_decref(all);
				all = NULL;
			}
		return emit(all);
	}
	/* Columns as wide as their longest entry: names run to 32 bytes. */
	for (int i = 0; i < n; i++) {
		wname = MAX(wname, (int)strlen(esc(r[i].name, &e1)));
		wuser = MAX(wuser, (int)strlen(esc(r[i].user, &e1)));
		fleet |= r[i].origin == ORIGIN_FLEET;
	}
	/* An ORIGIN column only where there are fleet tokens to mark. */
	printf("%-12s  %-*s  %-*s  %-9s  %-20s  %-20s%s\n", "ID", wname, "NAME",
	    wuser, "USER", "STATUS", "EXPIRES", "LAST USED",
	    fleet ? "  ORIGIN" : "");
	for (int i = 0; i < n; i++) {
		if (store_usage_get(st, r[i].id, &u, NULL) < 0)
			memset(&u, 0, sizeof(u));
		printf("%-12s  %-*s  %-*s  %-9s  %-20s  %-20s%s\n", r[i].id,
		    wname, esc(r[i].name, &e1), wuser, esc(r[i].user, &e2),
		    orphaned(&r[i]) != ACCOUNT_SAME ?
		        "orphaned" :
		        record_expired(&r[i], inv->now) &&
		            shown_status(&r[i], &u) == STATUS_ACTIVE ?
		        "expired" :
		        record_status_name(shown_status(&r[i], &u)),
		    when_format(r[i].expires_at, a),
		    u.last_used_at ? when_format(u.last_used_at, b) : "never",
		    !fleet                          ? "" :
		        r[i].origin == ORIGIN_FLEET ? "  fleet" :
		                                      "  local");
	}
	if (fleet)
		printf("fleet replica: %s\n",
		    contact_text(inv, fleet_contact(st), c));
	return flushed();
}
