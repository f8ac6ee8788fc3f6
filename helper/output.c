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
#include "err.h"
#include "record_show.h"
#include "store_fleet.h"
#include "when.h"

/* 0, or EXIT_REFUSED after saying why the output failed (rc < 0). */
static int
refused(int rc, const char *err)
{
	return rc < 0 ? fail(EXIT_REFUSED, "%s", err) : 0;
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
			        show_json_text(u->sources[i].source), "until",
			        show_json_time(u->sources[i].locked_until)));
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
			json_array_append_new(from,
			    show_json_text(u.last_used_from[i]));
	o = show_json_record(r, status, json_integer((json_int_t)r->uid),
	    json_pack("{s:o, s:o, s:I, s:b, s:{s:b, s:b, s:b, s:b, s:b}}",
	        "last_used_at", show_json_time(u.last_used_at),
	        "last_used_from", from, "recorded_uses",
	        (json_int_t)u.recorded_uses, "expired",
	        record_expired(r, inv->now), "available_actions", "activate",
	        local && !changed && status == STATUS_SUSPENDED, "suspend",
	        local && status == STATUS_ACTIVE, "revoke", live || spent,
	        "delete",
	        local && r->status != STATUS_DELETED &&
	            r->status != STATUS_PENDING,
	        "rotate", live && !changed));
	if (o != NULL) {
		json_object_set_new(o, "effective_services",
		    show_json_list(effective_services(inv, r)));
		json_object_set_new(o, "old_secret_valid_until",
		    show_json_time(old_secret_until(inv, r)));
		json_object_set_new(o, "locked_out_until",
		    show_json_time(usage_locked_until(&u, inv->now)));
		json_object_set_new(o, "locked_out_sources",
		    locked_sources(inv, &u));
		json_object_set_new(o, "limits_set_by_uid",
		    json_integer((json_int_t)r->limits_uid));
		json_object_set_new(o, "status_set_by_uid",
		    json_integer((json_int_t)r->status_uid));
		json_object_set_new(o, "origin",
		    json_string(local ? "local" : "fleet"));
		json_object_set_new(o, "hosts", show_json_list(&r->hosts));
		/* How fresh the replica's view of a fleet token is. */
		json_object_set_new(o, "fleet_last_contact",
		    local ? json_null() : show_json_time(fleet_contact(st)));
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

int
print_record(const struct invocation *inv, struct store *st,
    const struct record *r, const char *token)
{
	char a[WHEN_BUF], err[ERR_MAX];
	struct shown e1, e2;
	struct usage u;

	if (inv->json)
		return refused(show_json_print(to_json(inv, st, r, token), err),
		    err);
	if (store_usage_get(st, r->id, &u, NULL) < 0)
		memset(&u, 0, sizeof(u));
	printf("%-18s%s\n%-18s%s\n%-18s%s\n", "id:", r->id,
	    "name:", show_esc(r->name, &e1), "description:",
	    r->description[0] ? show_esc(r->description, &e2) : "-");
	printf("%-18s%s (uid %u%s)\n", "user:", show_esc(r->user, &e1), r->uid,
	    r->service_user ? ", service user" : "");
	if (r->origin == ORIGIN_FLEET) {
		char c[128];

		printf("%-18sfleet, changed in the directory only\n",
		    "origin:");
		show_text_list("hosts:", &r->hosts, "-", NULL);
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
	show_text_list("services:", effective_services(inv, r), "-",
	    r->services.n == 0 ? "default_services" : NULL);
	show_text_limits(r);
	show_text_history(r);
	printf("%-18slimits by uid %u, status by uid %u\n",
	    "set by:", r->limits_uid, r->status_uid);
	printf("%-18s%s", "last used:",
	    u.last_used_at ? when_format(u.last_used_at, a) : "never");
	if (u.last_used_from[0][0] != '\0')
		printf(" from %s", show_esc(u.last_used_from[0], &e1));
	printf(" (%llu recorded uses)\n", (unsigned long long)u.recorded_uses);
	for (int i = 0; i < USAGE_SOURCES; i++)
		if (u.sources[i].locked_until > inv->now)
			printf("%-18s%s until %s (apitoken unlock lifts it)\n",
			    "locked out:", show_esc(u.sources[i].source, &e1),
			    when_format(u.sources[i].locked_until, a));
	return refused(show_flushed(err), err);
}

int
print_table(const struct invocation *inv, struct store *st,
    const struct record *r, int n)
{
	char a[WHEN_BUF], b[WHEN_BUF], err[ERR_MAX];
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
		return refused(show_json_print(all, err), err);
	}
	/* Columns as wide as their longest entry: names run to 32 bytes. */
	for (int i = 0; i < n; i++) {
		wname = MAX(wname, (int)strlen(show_esc(r[i].name, &e1)));
		wuser = MAX(wuser, (int)strlen(show_esc(r[i].user, &e1)));
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
		    wname, show_esc(r[i].name, &e1), wuser,
		    show_esc(r[i].user, &e2),
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
	return refused(show_flushed(err), err);
}
