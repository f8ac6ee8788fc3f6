/* SPDX-License-Identifier: ISC */
/*
 * uids.c - the uids of fleet service users, from the one apitokenUidPool
 * entry (ldap/base.ldif cn=uids): the same uid on every host, handed out
 * once.  A take is one modify that deletes the value read and adds the
 * next: the server applies both or neither, and the delete fails when
 * someone else took that value first.  Only writes count, never a read
 * followed by a write, so two admins at once get two uids.  In mirror
 * mode both take from the first provider that answers (fleet_providers'
 * order), so they meet on one server.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium/randombytes.h>

#include "err.h"
#include "fleet.h"

#define TAKE_TRIES 16

static int
number(LDAP *ld, LDAPMessage *e, const char *a, unsigned long long *out)
{
	struct berval **v = ldap_get_values_len(ld, e, a);
	char buf[24], *end;
	int rc = -1;

	if (v != NULL && v[0] != NULL && v[0]->bv_len > 0 &&
	    v[0]->bv_len < sizeof(buf)) {
		memcpy(buf, v[0]->bv_val, v[0]->bv_len);
		buf[v[0]->bv_len] = '\0';
		*out = strtoull(buf, &end, 10);
		rc = *end == '\0' && buf[0] != '-' ? 0 : -1;
	}
	ldap_value_free_len(v);
	return rc;
}

/* The counter and the end of the range, as they are now. */
static int
read_pool(struct fleet *f, unsigned long long *next, unsigned long long *max,
    char *err)
{
	static const char *const attrs[] = { "apitokenNextUid",
		"apitokenUidMax", NULL };
	LDAPMessage *res = NULL, *e;
	int rc;

	rc = ldap_search_ext_s(f->ld, f->pool_dn, LDAP_SCOPE_BASE,
	    "(objectClass=apitokenUidPool)", (char **)attrs, 0, NULL, NULL,
	    NULL, 1, &res);
	if (rc == LDAP_NO_SUCH_OBJECT || rc == LDAP_INSUFFICIENT_ACCESS ||
	    (rc == LDAP_SUCCESS && ldap_first_entry(f->ld, res) == NULL)) {
		ldap_msgfree(res);
		return err_set(err, ERR_PERM,
		    "%s cannot take a service-user uid from %s (not there, or "
		    "not yours to read): only fleet admins create service "
		    "users",
		    f->bind_dn, f->pool_dn);
	}
	if (rc != LDAP_SUCCESS) {
		ldap_msgfree(res);
		return fleet_lderr(f, err, ERR_UNAVAIL, f->pool_dn, rc);
	}
	e = ldap_first_entry(f->ld, res);
	rc = number(f->ld, e, "apitokenNextUid", next) < 0 ||
	        number(f->ld, e, "apitokenUidMax", max) < 0 ?
	    err_set(err, ERR_CORRUPT,
	        "%s: apitokenNextUid or apitokenUidMax is not a number",
	        f->pool_dn) :
	    0;
	ldap_msgfree(res);
	return rc;
}

int
uid_take(struct fleet *f, uint32_t *uid, char *err)
{
	unsigned long long next, max;
	char old[24], new[24];
	char *oldv[] = { old, NULL }, *newv[] = { new, NULL };
	LDAPMod del = { LDAP_MOD_DELETE, (char *)"apitokenNextUid",
		{ .modv_strvals = oldv } },
	        add = { LDAP_MOD_ADD, (char *)"apitokenNextUid",
		        { .modv_strvals = newv } };
	LDAPMod *mods[] = { &del, &add, NULL };
	struct timespec pause;
	int rc;

	for (int i = 0; i < TAKE_TRIES; i++) {
		if ((rc = read_pool(f, &next, &max, err)) < 0)
			return rc;
		if (next > max || next > UINT32_MAX - 1)
			return err_set(err, ERR_LIMIT,
			    "the service-user uid pool %s is used up: every "
			    "uid up to its apitokenUidMax %llu has been handed "
			    "out, and uids are never reused; raise "
			    "apitokenUidMax",
			    f->pool_dn, max);
		snprintf(old, sizeof(old), "%llu", next);
		snprintf(new, sizeof(new), "%llu", next + 1);
		rc = ldap_modify_ext_s(f->ld, f->pool_dn, mods, NULL, NULL);
		if (rc == LDAP_SUCCESS) {
			*uid = (uint32_t)next;
			return 0;
		}
		if (rc == LDAP_INSUFFICIENT_ACCESS)
			return err_set(err, ERR_PERM,
			    "%s may not take service-user uids from %s: only "
			    "fleet admins create service users",
			    f->bind_dn, f->pool_dn);
		if (rc != LDAP_NO_SUCH_ATTRIBUTE)
			return fleet_lderr(f, err, ERR_UNAVAIL, f->pool_dn, rc);
		/* Taken meanwhile: read again, after a pause that differs
		 * between the takers. */
		pause.tv_sec = 0;
		pause.tv_nsec = (long)(randombytes_uniform(20) + 1) * 1000000L;
		nanosleep(&pause, NULL);
	}
	return err_set(err, ERR_UNAVAIL,
	    "%s: the uid was taken by someone else %d times in a row; try "
	    "again",
	    f->pool_dn, TAKE_TRIES);
}
