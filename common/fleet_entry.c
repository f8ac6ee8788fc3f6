/* SPDX-License-Identifier: ISC */
/*
 * fleet_entry.c - a token entry of the directory read into a record
 * (fleet_entry.h), for apitoken-fleet and apitoken-syncd alike.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "err.h"
#include "fleet_entry.h"
#include "token.h"

/* GeneralizedTime as the directory writes it: YYYYMMDDHHMMSSZ. */
static int
gentime(const struct berval *v, int64_t *out)
{
	struct tm tm;
	char buf[32];
	char *end;

	if (v->bv_len < 15 || v->bv_len >= sizeof(buf))
		return -1;
	memcpy(buf, v->bv_val, v->bv_len);
	buf[v->bv_len] = '\0';
	memset(&tm, 0, sizeof(tm));
	end = strptime(buf, "%Y%m%d%H%M%S", &tm);
	/* fractions of a second are dropped */
	if (end != NULL && *end == '.')
		end += 1 + strspn(end + 1, "0123456789");
	if (end == NULL || strcmp(end, "Z") != 0)
		return -1;
	*out = (int64_t)timegm(&tm);
	return 0;
}

int
fleet_entry_text(LDAP *ld, LDAPMessage *e, const char *a, char *dst, size_t cap)
{
	struct berval **v = ldap_get_values_len(ld, e, a);
	int rc = 1;

	dst[0] = '\0';
	if (v != NULL && v[0] != NULL) {
		rc = v[0]->bv_len < cap &&
		        memchr(v[0]->bv_val, 0, v[0]->bv_len) == NULL ?
		    0 :
		    -1;
		if (rc == 0) {
			memcpy(dst, v[0]->bv_val, v[0]->bv_len);
			dst[v[0]->bv_len] = '\0';
		}
	}
	ldap_value_free_len(v);
	return rc;
}

int
fleet_entry_list(LDAP *ld, LDAPMessage *e, const char *a, struct strlist *l)
{
	struct berval **v = ldap_get_values_len(ld, e, a);
	char item[ITEM_MAX_LEN + 1];
	int rc = 0;

	l->n = 0;
	for (size_t i = 0; v != NULL && v[i] != NULL && rc == 0; i++) {
		if (v[i]->bv_len > ITEM_MAX_LEN ||
		    memchr(v[i]->bv_val, 0, v[i]->bv_len) != NULL) {
			rc = -1;
			break;
		}
		memcpy(item, v[i]->bv_val, v[i]->bv_len);
		item[v[i]->bv_len] = '\0';
		rc = strlist_add(l, item) < 0 ? -1 : 0;
	}
	ldap_value_free_len(v);
	return rc;
}

int
fleet_entry_hash(LDAP *ld, LDAPMessage *e, const char *a,
    uint8_t out[TOKEN_HASH_LEN])
{
	struct berval **v = ldap_get_values_len(ld, e, a);
	int rc = 1;

	if (v != NULL && v[0] != NULL) {
		rc = v[0]->bv_len == TOKEN_HASH_LEN ? 0 : -1;
		if (rc == 0)
			memcpy(out, v[0]->bv_val, TOKEN_HASH_LEN);
	}
	ldap_value_free_len(v);
	return rc;
}

int
fleet_entry_time(LDAP *ld, LDAPMessage *e, const char *a, int64_t *out)
{
	struct berval **v = ldap_get_values_len(ld, e, a);
	int rc = 1;

	*out = 0;
	if (v != NULL && v[0] != NULL)
		rc = gentime(v[0], out);
	ldap_value_free_len(v);
	return rc;
}

/* The first value of a as text; on a host, only what the store takes. */
static int
text(LDAP *ld, LDAPMessage *e, enum fleet_entry_as as, const char *a, char *dst,
    size_t cap)
{
	int rc = fleet_entry_text(ld, e, a, dst, cap);

	if (rc == 0 && as == FLEET_ENTRY_HOST && field_set(dst, cap, dst) < 0)
		rc = -1;
	return rc;
}

int
fleet_entry_record(LDAP *ld, LDAPMessage *e, enum fleet_entry_as as,
    struct record *r, char *err)
{
	/* on a host, absent is refused too (the table of fleet_entry.h) */
	bool host = as == FLEET_ENTRY_HOST;
	char buf[64], *end = buf;
	int rc;

	memset(r, 0, sizeof(*r));
	r->origin = ORIGIN_FLEET;
	if (text(ld, e, as, "apitokenId", r->id, sizeof(r->id)) != 0 ||
	    !token_id_valid(r->id))
		return err_set(err, ERR_INVAL, "no valid apitokenId");
	rc = fleet_entry_hash(ld, e, "apitokenSecretHash", r->hash);
	if (rc < 0 || (host && rc != 0))
		return err_set(err, ERR_INVAL, "no valid apitokenSecretHash");
	if (fleet_entry_hash(ld, e, "apitokenGraceHash", r->old_hash) < 0 ||
	    fleet_entry_time(ld, e, "apitokenGraceNotAfter",
	        &r->old_hash_until) < 0)
		return err_set(err, ERR_INVAL, "bad grace hash or time");
	rc = text(ld, e, as, "apitokenOwner", r->user, sizeof(r->user));
	if (rc < 0 || (host && rc != 0))
		return err_set(err, ERR_INVAL, "no valid apitokenOwner");
	if (text(ld, e, as, "cn", r->name, sizeof(r->name)) < 0 ||
	    text(ld, e, as, "description", r->description,
	        sizeof(r->description)) < 0)
		return err_set(err, ERR_INVAL, "bad cn or description");
	rc = text(ld, e, as, "apitokenStatus", buf, sizeof(buf));
	if (rc < 0 || (host && rc != 0))
		return err_set(err, ERR_INVAL, "no apitokenStatus");
	if (strcasecmp(buf, "active") == 0)
		r->status = STATUS_ACTIVE;
	else if (strcasecmp(buf, "suspended") == 0)
		r->status = STATUS_SUSPENDED;
	else /* revoked, and anything this version does not know */
		r->status = STATUS_REVOKED;
	if (fleet_entry_list(ld, e, "apitokenService", &r->services) < 0 ||
	    fleet_entry_list(ld, e, "apitokenPermission", &r->permissions) <
	        0 ||
	    fleet_entry_list(ld, e, "apitokenAllowFrom",
	        &r->allowed_addresses) < 0 ||
	    fleet_entry_list(ld, e, "apitokenHost", &r->hosts) < 0)
		return err_set(err, ERR_INVAL, "a list too long or bad");
	if (fleet_entry_time(ld, e, "apitokenNotAfter", &r->expires_at) < 0 ||
	    fleet_entry_time(ld, e, "createTimestamp", &r->created_at) < 0 ||
	    fleet_entry_time(ld, e, "modifyTimestamp", &r->updated_at) < 0)
		return err_set(err, ERR_INVAL, "bad time");
	if (text(ld, e, as, "apitokenRevision", buf, sizeof(buf)) == 0)
		r->revision = strtoull(buf, NULL, 10);
	if (text(ld, e, as, "apitokenServiceUser", buf, sizeof(buf)) == 0)
		r->service_user = strcmp(buf, "TRUE") == 0;
	rc = text(ld, e, as, "apitokenUidNumber", buf, sizeof(buf));
	if (rc == 0)
		r->uid = (uint32_t)strtoul(buf, &end, 10);
	if (host && r->service_user && (rc != 0 || r->uid == 0 || *end != '\0'))
		return err_set(err, ERR_INVAL,
		    "a service user without apitokenUidNumber");
	return 0;
}
