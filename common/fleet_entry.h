/* SPDX-License-Identifier: ISC */
/*
 * fleet_entry.h - a token entry of the directory (ldap/apitoken.schema)
 * read into a record: one reading for apitoken-fleet, which shows entries
 * to an admin, and apitoken-syncd, which replicates them into a host's
 * store, so that what the admin is shown is what every host holds.
 *
 * Not part of libcommon: it needs libldap, which the PAM module and the
 * setuid helper must never load.  The two programs that link libldap
 * compile it into themselves (fleet/local.mk, syncd/local.mk).
 *
 *   attribute              record field         when absent
 *   apitokenId             id                   refused
 *   apitokenSecretHash     hash (32 bytes)      refused on a host
 *   apitokenGraceHash      old_hash             none
 *   apitokenGraceNotAfter  old_hash_until       0
 *   apitokenOwner          user                 refused on a host
 *   cn, description        name, description    empty
 *   apitokenStatus         status               refused on a host, else
 *                                               revoked
 *   apitokenService, apitokenPermission, apitokenAllowFrom, apitokenHost
 *                          services, permissions, allowed_addresses,
 *                          hosts                empty lists
 *   apitokenNotAfter       expires_at           0 (never)
 *   createTimestamp, modifyTimestamp
 *                          created_at, updated_at  0
 *   apitokenRevision       revision             0
 *   apitokenServiceUser    service_user (TRUE)  false
 *   apitokenUidNumber      uid                  refused on a host for a
 *                                               service user, else 0
 *
 * A status other than active or suspended (case-insensitive) reads as
 * revoked, also one that this version does not know yet.  Times are
 * GeneralizedTime as the directory writes it (YYYYMMDDHHMMSSZ, fractions
 * of a second dropped).
 */
#ifndef APITOKEN_FLEET_ENTRY_H
#define APITOKEN_FLEET_ENTRY_H

#include <stddef.h>
#include <stdint.h>

#include <ldap.h>

#include "record.h"

/*
 * The readers of attribute a of entry e return 0, 1 when e has no value
 * of a, or -1 when its value does not fit.
 *
 * fleet_entry_text: the first value into dst (cap bytes), as it is; dst
 * is "" unless 0.  Too long or holding a NUL byte does not fit.
 */
int fleet_entry_text(LDAP *ld, LDAPMessage *e, const char *a, char *dst,
    size_t cap);
/* Every value into l (strlist_add: duplicates once); none is 0 and empty. */
int fleet_entry_list(LDAP *ld, LDAPMessage *e, const char *a,
    struct strlist *l);
/* The first value, exactly TOKEN_HASH_LEN bytes, into out. */
int fleet_entry_hash(LDAP *ld, LDAPMessage *e, const char *a,
    uint8_t out[TOKEN_HASH_LEN]);
/* The first value, a GeneralizedTime, as unix seconds; 0 unless present. */
int fleet_entry_time(LDAP *ld, LDAPMessage *e, const char *a, int64_t *out);

enum fleet_entry_as {
	/*
	 * As a host stores it: the attributes the table says are refused
	 * when absent must be there, and every text value is held to what
	 * the store takes (field_set: no control characters).
	 */
	FLEET_ENTRY_HOST,
	/* As the directory has it, for an admin to see: nothing but a valid
	 * apitokenId is required. */
	FLEET_ENTRY_SHOWN,
};

/*
 * The entry e as a record of origin fleet, read as the table says: 0, or
 * ERR_INVAL with the reason in err.  created_by and updated_by are left
 * empty, and so is uid but for apitokenUidNumber: who made a token and
 * which account it is bound to are for the caller to say.
 */
int fleet_entry_record(LDAP *ld, LDAPMessage *e, enum fleet_entry_as as,
    struct record *r, char *err);

#endif
