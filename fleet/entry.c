/* SPDX-License-Identifier: ISC */
/*
 * entry.c - a token entry of the directory (ldap/apitoken.schema) and a
 * struct record, both ways; records as text or JSON.  Entries are read
 * as apitoken-syncd reads them (common/fleet_entry.c), and the attributes
 * written are the ones it reads, so what is written here is what every
 * host replicates.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium/utils.h>

#include "err.h"
#include "fleet.h"
#include "fleet_entry.h"
#include "record_show.h"
#include "when.h"

void
entry_dn(const struct fleet *f, const char *id, char dn[FLEET_DN_MAX])
{
	snprintf(dn, FLEET_DN_MAX, "apitokenId=%s,%s", id, f->conf.fleet_base);
}

void
entry_gentime(int64_t t, char buf[16])
{
	struct tm tm;
	time_t tt = (time_t)t;

	gmtime_r(&tt, &tm);
	strftime(buf, 16, "%Y%m%d%H%M%SZ", &tm);
}

/* Who a creatorsName or modifiersName is, as short as it can be said. */
static void
who(LDAP *ld, LDAPMessage *e, const char *a, char *dst, size_t cap)
{
	char dn[FLEET_DN_MAX];
	const char *eq;
	size_t n;

	if (fleet_entry_text(ld, e, a, dn, sizeof(dn)) != 0) {
		snprintf(dst, cap, "fleet");
		return;
	}
	/* uid=alice,ou=people,... and cn=admin,...: the first RDN's value */
	eq = strchr(dn, '=');
	eq = eq != NULL ? eq + 1 : dn;
	n = strcspn(eq, ",+");
	snprintf(dst, cap, "%.*s", (int)n, eq);
}

int
entry_record(LDAP *ld, LDAPMessage *e, struct record *r, char dn[FLEET_DN_MAX],
    char *err)
{
	char *d = ldap_get_dn(ld, e), why[ERR_MAX];

	snprintf(dn, FLEET_DN_MAX, "%s", d != NULL ? d : "");
	ldap_memfree(d);
	if (fleet_entry_record(ld, e, FLEET_ENTRY_SHOWN, r, why) < 0)
		return err_set(err, ERR_INVAL, "%s: %s", dn, why);
	who(ld, e, "creatorsName", r->created_by, sizeof(r->created_by));
	who(ld, e, "modifiersName", r->updated_by, sizeof(r->updated_by));
	return 0;
}

/* The modifications of an add, grown one attribute at a time. */
struct mods {
	LDAPMod **v;
	int n;
	bool bad;
};

static LDAPMod *
mod_new(struct mods *m, const char *type, int nvals)
{
	LDAPMod *mod;
	LDAPMod **v;

	if (m->bad)
		return NULL;
	if ((v = realloc(m->v, (size_t)(m->n + 2) * sizeof(*v))) == NULL) {
		m->bad = true;
		return NULL;
	}
	m->v = v;
	m->v[m->n] = NULL;
	if ((mod = calloc(1, sizeof(*mod))) == NULL) {
		m->bad = true;
		return NULL;
	}
	/* In the list at once, so that entry_mods_free finds it. */
	m->v[m->n++] = mod;
	m->v[m->n] = NULL;
	mod->mod_op = LDAP_MOD_ADD | LDAP_MOD_BVALUES;
	mod->mod_type = (char *)type;
	if ((mod->mod_bvalues = calloc((size_t)nvals + 1,
	         sizeof(*mod->mod_bvalues))) == NULL)
		m->bad = true;
	return m->bad ? NULL : mod;
}

/* One value of len bytes at val (copied). */
static void
mod_val(struct mods *m, LDAPMod *mod, int i, const void *val, size_t len)
{
	struct berval *b;

	if (mod == NULL || (b = malloc(sizeof(*b) + len + 1)) == NULL) {
		m->bad = true;
		return;
	}
	b->bv_val = (char *)(b + 1);
	b->bv_len = len;
	memcpy(b->bv_val, val, len);
	b->bv_val[len] = '\0';
	mod->mod_bvalues[i] = b;
}

static void
mod_str(struct mods *m, const char *type, const char *s)
{
	mod_val(m, mod_new(m, type, 1), 0, s, strlen(s));
}

static void
mod_list(struct mods *m, const char *type, const struct strlist *l)
{
	LDAPMod *mod;

	if (l->n == 0)
		return;
	mod = mod_new(m, type, l->n);
	for (int i = 0; i < l->n; i++)
		mod_val(m, mod, i, l->v[i], strlen(l->v[i]));
}

LDAPMod **
entry_add_mods(const struct record *r)
{
	struct mods m = { NULL, 0, false };
	char buf[32];

	mod_str(&m, "objectClass", "apitoken");
	mod_str(&m, "apitokenId", r->id);
	mod_str(&m, "cn", r->name);
	if (r->description[0] != '\0')
		mod_str(&m, "description", r->description);
	mod_val(&m, mod_new(&m, "apitokenSecretHash", 1), 0, r->hash,
	    TOKEN_HASH_LEN);
	mod_str(&m, "apitokenOwner", r->user);
	mod_str(&m, "apitokenStatus", record_status_name(r->status));
	mod_list(&m, "apitokenService", &r->services);
	mod_list(&m, "apitokenPermission", &r->permissions);
	mod_list(&m, "apitokenAllowFrom", &r->allowed_addresses);
	mod_list(&m, "apitokenHost", &r->hosts);
	if (r->expires_at != 0) {
		entry_gentime(r->expires_at, buf);
		mod_str(&m, "apitokenNotAfter", buf);
	}
	if (r->service_user) {
		mod_str(&m, "apitokenServiceUser", "TRUE");
		snprintf(buf, sizeof(buf), "%u", r->uid);
		mod_str(&m, "apitokenUidNumber", buf);
	}
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)r->revision);
	mod_str(&m, "apitokenRevision", buf);
	if (m.bad) {
		entry_mods_free(m.v);
		return NULL;
	}
	return m.v;
}

void
entry_mods_free(LDAPMod **mods)
{
	for (int i = 0; mods != NULL && mods[i] != NULL; i++) {
		for (int j = 0; mods[i]->mod_bvalues != NULL &&
		     mods[i]->mod_bvalues[j] != NULL;
		     j++)
			free(mods[i]->mod_bvalues[j]);
		free(mods[i]->mod_bvalues);
		free(mods[i]);
	}
	free(mods);
}

/* RFC 2849: a SAFE-STRING as it is, anything else base64 after "::". */
static bool
ldif_safe(const uint8_t *v, size_t len)
{
	if (len > 0 &&
	    (v[0] == ' ' || v[0] == ':' || v[0] == '<' || v[len - 1] == ' '))
		return false;
	for (size_t i = 0; i < len; i++)
		if (v[i] < 0x20 || v[i] > 0x7e)
			return false;
	return true;
}

static void
ldif_line(FILE *out, const char *type, const void *val, size_t len)
{
	char b64[sodium_base64_ENCODED_LEN(DESC_MAX_LEN + 1,
	    sodium_base64_VARIANT_ORIGINAL)];

	if (ldif_safe(val, len))
		fprintf(out, "%s: %.*s\n", type, (int)len, (const char *)val);
	else {
		sodium_bin2base64(b64, sizeof(b64), val, len,
		    sodium_base64_VARIANT_ORIGINAL);
		fprintf(out, "%s:: %s\n", type, b64);
	}
}

int
entry_write_ldif(FILE *out, const char *dn, const struct record *r, char *err)
{
	LDAPMod **mods = entry_add_mods(r);

	if (mods == NULL)
		return err_set(err, ERR_NOMEM, "out of memory");
	ldif_line(out, "dn", dn, strlen(dn));
	fputs("changetype: add\n", out);
	for (int i = 0; mods[i] != NULL; i++)
		for (int j = 0; mods[i]->mod_bvalues[j] != NULL; j++)
			ldif_line(out, mods[i]->mod_type,
			    mods[i]->mod_bvalues[j]->bv_val,
			    mods[i]->mod_bvalues[j]->bv_len);
	entry_mods_free(mods);
	if (fflush(out) == EOF || ferror(out))
		return err_set(err, ERR_UNAVAIL, "cannot write the LDIF");
	return 0;
}

/* 0, or EXIT_REFUSED after saying why the output failed (rc < 0). */
static int
refused(int rc, const char *err)
{
	return rc < 0 ? fail(EXIT_REFUSED, "%s", err) : 0;
}

static int64_t
grace_until(const struct fleet *f, const struct record *r)
{
	return r->old_hash_until > f->now ? r->old_hash_until : 0;
}

static json_t *
to_json(const struct fleet *f, const struct record *r, const char *dn,
    const char *token)
{
	/* A personal token has no uid in the directory: on each host it is
	 * its owner's there. */
	json_t *o = show_json_record(r, r->status,
	    r->service_user ? json_integer((json_int_t)r->uid) : json_null(),
	    json_pack("{s:o, s:b, s:s, s:o, s:o}", "old_secret_valid_until",
	        show_json_time(grace_until(f, r)), "expired",
	        record_expired(r, f->now), "origin", "fleet", "hosts",
	        show_json_list(&r->hosts), "dn", show_json_text(dn)));

	if (o != NULL && token != NULL)
		json_object_set_new(o, "token", json_string(token));
	return o;
}

int
entry_print(const struct fleet *f, const struct record *r, const char *dn,
    const char *token)
{
	char a[WHEN_BUF], err[ERR_MAX];
	struct shown e1, e2, e3;

	if (f->json)
		return refused(show_json_print(to_json(f, r, dn, token), err),
		    err);
	printf("%-18s%s\n%-18s%s\n%-18s%s\n%-18s%s\n", "id:", r->id,
	    "dn:", show_esc(dn, &e1), "name:", show_esc(r->name, &e2),
	    "description:",
	    r->description[0] ? show_esc(r->description, &e3) : "-");
	if (r->service_user)
		printf("%-18s%s (uid %u on every host, service user)\n",
		    "user:", show_esc(r->user, &e1), r->uid);
	else
		printf("%-18s%s\n", "user:", show_esc(r->user, &e1));
	printf("%-18s%s%s\n", "status:", record_status_name(r->status),
	    record_expired(r, f->now) ? " (expired)" : "");
	printf("%-18s%s\n", "expires:", when_format(r->expires_at, a));
	if (grace_until(f, r) != 0)
		printf("%-18suntil %s (rotate --grace)\n",
		    "old secret valid:", when_format(grace_until(f, r), a));
	show_text_list("hosts:", &r->hosts, "-", NULL);
	show_text_list("services:", &r->services,
	    "- (each host's default_services)", NULL);
	show_text_limits(r);
	show_text_history(r);
	return refused(show_flushed(err), err);
}

int
entry_print_table(const struct fleet *f, const struct record *r, int n)
{
	char a[WHEN_BUF], hosts[LIST_MAX * (ITEM_MAX_LEN + 1) + 1],
	    err[ERR_MAX];
	struct shown e1, e2, e3;
	json_t *all, *o;
	char dn[FLEET_DN_MAX];
	size_t used;

	if (f->json) {
		all = json_array();
		for (int i = 0; i < n && all != NULL; i++) {
			entry_dn(f, r[i].id, dn);
			if ((o = to_json(f, &r[i], dn, NULL)) == NULL ||
			    json_array_append_new(all, o) < 0) {
				json_decref(all);
				all = NULL;
			}
		}
		return refused(show_json_print(all, err), err);
	}
	printf("%-12s  %-20s  %-16s  %-9s  %-20s  %s\n", "ID", "NAME", "USER",
	    "STATUS", "EXPIRES", "HOSTS");
	for (int i = 0; i < n; i++) {
		used = 0;
		hosts[0] = '\0';
		for (int j = 0; j < r[i].hosts.n; j++)
			used +=
			    (size_t)snprintf(hosts + used, sizeof(hosts) - used,
			        "%s%s", j ? "," : "", r[i].hosts.v[j]);
		printf("%-12s  %-20s  %-16s  %-9s  %-20s  %s\n", r[i].id,
		    show_esc(r[i].name, &e1), show_esc(r[i].user, &e2),
		    record_expired(&r[i], f->now) &&
		            r[i].status == STATUS_ACTIVE ?
		        "expired" :
		        record_status_name(r[i].status),
		    when_format(r[i].expires_at, a), show_esc(hosts, &e3));
	}
	return refused(show_flushed(err), err);
}
