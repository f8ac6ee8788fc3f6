#!/bin/sh
# SPDX-License-Identifier: ISC
# The shipped schema and provider configuration, on two real slapd
# providers in mirror mode: the ACLs refuse what they must (a host reading
# another group's token, a self-service user adding someone else's token,
# a service user or sudo), writes on either provider reach the other, and
# apitoken.ldif says what apitoken.schema says.
. "$srcdir/tests/fleet/lib.sh"


# apitoken.ldif is the cn=config form of apitoken.schema.
mkdir -p "$FW/conv/d"
printf 'include %s/core.schema\ninclude %s/apitoken.schema\n' "$SYSSCHEMA" "$LDAPDIR" > "$FW/conv/s.conf"
slaptest -f "$FW/conv/s.conf" -F "$FW/conv/d" >/dev/null 2>&1 || fail "apitoken.schema does not load"
norm() { sed -e '/^#/d' -e '/^$/d' "$1" | sed -e ':a' -e '$!N' -e 's/\n //' -e 'ta' -e 'P' -e 'D' |
	grep -E '^olc(ObjectIdentifier|AttributeTypes|ObjectClasses):' | sed 's/: {[0-9]*}/: /'; }
norm "$FW/conv/d/cn=config/cn=schema/cn={1}apitoken.ldif" > "$FW/conv/a"
norm "$LDAPDIR/apitoken.ldif" > "$FW/conv/b"
cmp -s "$FW/conv/a" "$FW/conv/b" || { diff "$FW/conv/a" "$FW/conv/b"; fail "apitoken.ldif and apitoken.schema differ"; }
grep -q '1\.3\.6\.1\.4\.1\.4203\.666' "$LDAPDIR/apitoken.schema" "$LDAPDIR/apitoken.ldif" &&
	fail "the schema uses OpenLDAP's experimental arc"
ok "apitoken.ldif matches apitoken.schema (OIDs under 2.25)"

hash=$(head -c 32 /dev/urandom | base64 -w0)
# entry ID NAME OWNER HOST: an active token entry, as slapadd takes it.
entry() {
	printf 'dn: apitokenId=%s,%s\nobjectClass: apitoken\napitokenId: %s\ncn: %s\napitokenSecretHash:: %s\napitokenOwner: %s\napitokenStatus: active\napitokenHost: %s\n\n' \
		"$1" "$TOKENS" "$1" "$2" "$hash" "$3" "$4"
}
{
	host_ldif db01 db
	person_ldif alice alice-pw
	person_ldif bob bob-pw
	entry WEBTOKEN0001 ci-web ci web
	entry DBTOKEN00001 ci-db ci db
	entry ALLTOKEN0001 ci-all ci '*'
	entry BOBTOKEN0001 laptop bob web01
} > "$FW/schema.ldif"
fleet_directory "$FW/schema.ldif"
provider_config 2 "$P1" "$CA"
start_provider 2 "$P2"

ids() { lds "$@" -b "$TOKENS" '(objectClass=apitoken)' apitokenId | sed -n 's/^apitokenId: //p' | sort | tr '\n' ' '; }

# Mirror mode: provider 2 started empty and has everything from provider 1.
i=0
until [ "$(ids "$U2" "$ADMIN" "$ADMIN_PW")" = "ALLTOKEN0001 BOBTOKEN0001 DBTOKEN00001 WEBTOKEN0001 " ]; do
	i=$((i + 1)); [ $i -lt 100 ] || fail "provider 2 did not replicate provider 1"
	sleep 0.1
done
ok "provider 2 replicated provider 1"

for u in "$U1" "$U2"; do
	got=$(ids "$u" "cn=web01,$HOSTS" web01-pw)
	[ "$got" = "ALLTOKEN0001 BOBTOKEN0001 WEBTOKEN0001 " ] || fail "web01 on $u reads: $got"
	got=$(ids "$u" "cn=db01,$HOSTS" db01-pw)
	[ "$got" = "ALLTOKEN0001 DBTOKEN00001 " ] || fail "db01 on $u reads: $got"
	# Not by naming it either: the entry does not exist for db01.
	got=$(lds "$u" "cn=db01,$HOSTS" db01-pw -b "apitokenId=WEBTOKEN0001,$TOKENS" -s base 2>&1)
	echo "$got" | grep -q '^dn:' && fail "db01 read the web token by its DN"
	got=$(lds "$u" "cn=db01,$HOSTS" db01-pw -b "$HOSTS" '(cn=web01)' apitokenHostGroup 2>&1)
	echo "$got" | grep -q apitokenHostGroup && fail "db01 read web01's host entry"
done
ok "each host reads only its groups' tokens, on both providers"

anon=$(LDAPTLS_CACERT=$CA/ca.pem ldapsearch -x -ZZ -LLL -H "$U1" -b "$TOKENS" 2>&1)
echo "$anon" | grep -q '^dn:' && fail "anonymous read tokens"
LDAPTLS_CACERT=$CA/ca.pem ldapsearch -x -LLL -H "$U1" -D "cn=web01,$HOSTS" -w web01-pw \
	-b "$TOKENS" >/dev/null 2>&1 && fail "a simple bind without TLS was accepted"
ok "anonymous reads nothing; no bind without TLS"

token_ldif() { # ID OWNER [EXTRA]
	printf 'dn: apitokenId=%s,%s\nchangetype: add\nobjectClass: apitoken\napitokenId: %s\ncn: t%s\napitokenSecretHash:: %s\napitokenOwner: %s\napitokenStatus: active\napitokenHost: web\n%s\n' \
		"$1" "$TOKENS" "$1" "$1" "$hash" "$2" "${3:-}"
}
ALICE="uid=alice,ou=people,$SUFFIX"
token_ldif ALICETOKEN01 alice 'apitokenService: sshd' | ldm "$U1" "$ALICE" alice-pw >/dev/null ||
	fail "alice could not add her own token"
token_ldif ALICETOKEN02 bob | ldm "$U1" "$ALICE" alice-pw >/dev/null 2>&1 &&
	fail "alice added a token owned by bob"
token_ldif ALICETOKEN03 alice 'apitokenServiceUser: TRUE' | ldm "$U1" "$ALICE" alice-pw >/dev/null 2>&1 &&
	fail "alice added a service-user token"
token_ldif ALICETOKEN04 alice 'apitokenUidNumber: 60601' | ldm "$U1" "$ALICE" alice-pw >/dev/null 2>&1 &&
	fail "alice chose a uid"
token_ldif ALICETOKEN05 alice 'apitokenService: sudo' | ldm "$U1" "$ALICE" alice-pw >/dev/null 2>&1 &&
	fail "alice added a sudo token"
printf 'dn: apitokenId=BOBTOKEN0001,%s\nchangetype: modify\nreplace: apitokenStatus\napitokenStatus: revoked\n' "$TOKENS" |
	ldm "$U1" "$ALICE" alice-pw >/dev/null 2>&1 && fail "alice revoked bob's token"
printf 'dn: apitokenId=ALICETOKEN01,%s\nchangetype: modify\nreplace: apitokenOwner\napitokenOwner: bob\n' "$TOKENS" |
	ldm "$U1" "$ALICE" alice-pw >/dev/null 2>&1 && fail "alice gave her token to bob"
printf 'dn: apitokenId=ALICETOKEN01,%s\nchangetype: modify\nreplace: apitokenStatus\napitokenStatus: revoked\n' "$TOKENS" |
	ldm "$U1" "$ALICE" alice-pw >/dev/null || fail "alice could not revoke her own token"
got=$(ids "$U1" "$ALICE" alice-pw)
[ "$got" = "ALICETOKEN01 " ] || fail "alice reads: $got"
ok "self-service adds, reads and revokes only its own tokens; no service user, uid or sudo"

# A write on provider 2 reaches provider 1.
token_ldif MIRRORTOKEN1 ci | ldm "$U2" "$ADMIN" "$ADMIN_PW" >/dev/null || fail "add on provider 2"
i=0
until ids "$U1" "$ADMIN" "$ADMIN_PW" | grep -q MIRRORTOKEN1; do
	i=$((i + 1)); [ $i -lt 100 ] || fail "provider 1 did not get provider 2's write"
	sleep 0.1
done
ok "writes on either provider reach the other"
