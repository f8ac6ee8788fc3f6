#!/bin/sh
# SPDX-License-Identifier: ISC
# The shipped schema and provider configuration, on two real slapd
# providers in mirror mode: the ACLs refuse what they must (a host reading
# another group's token, a self-service user adding someone else's token,
# a service user or sudo), writes on either provider reach the other, and
# apitoken.ldif says what apitoken.schema says.
. "$srcdir/tests/fleet/lib.sh"

CA=$FW/ca
make_ca "$CA"
P1=$(free_port)
P2=$(free_port)
U1=ldap://127.0.0.1:$P1/
U2=ldap://127.0.0.1:$P2/

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
pw() { slappasswd -s "$1"; }
provider_config 1 "$P2" "$CA"
provider_config 2 "$P1" "$CA"
load_base 1 <<EOL
dn: cn=web01,ou=hosts,$SUFFIX
objectClass: apitokenHostAccount
cn: web01
apitokenHostGroup: web
userPassword: $(pw web01-pw)

dn: cn=db01,ou=hosts,$SUFFIX
objectClass: apitokenHostAccount
cn: db01
apitokenHostGroup: db
userPassword: $(pw db01-pw)

dn: uid=alice,ou=people,$SUFFIX
objectClass: person
objectClass: uidObject
cn: alice
sn: alice
uid: alice
userPassword: $(pw alice-pw)

dn: uid=bob,ou=people,$SUFFIX
objectClass: person
objectClass: uidObject
cn: bob
sn: bob
uid: bob
userPassword: $(pw bob-pw)

dn: apitokenId=WEBTOKEN0001,ou=tokens,$SUFFIX
objectClass: apitoken
apitokenId: WEBTOKEN0001
cn: ci-web
apitokenSecretHash:: $hash
apitokenOwner: ci
apitokenStatus: active
apitokenHost: web

dn: apitokenId=DBTOKEN00001,ou=tokens,$SUFFIX
objectClass: apitoken
apitokenId: DBTOKEN00001
cn: ci-db
apitokenSecretHash:: $hash
apitokenOwner: ci
apitokenStatus: active
apitokenHost: db

dn: apitokenId=ALLTOKEN0001,ou=tokens,$SUFFIX
objectClass: apitoken
apitokenId: ALLTOKEN0001
cn: ci-all
apitokenSecretHash:: $hash
apitokenOwner: ci
apitokenStatus: active
apitokenHost: *

dn: apitokenId=BOBTOKEN0001,ou=tokens,$SUFFIX
objectClass: apitoken
apitokenId: BOBTOKEN0001
cn: laptop
apitokenSecretHash:: $hash
apitokenOwner: bob
apitokenStatus: active
apitokenHost: web01
EOL
start_provider 1 "$P1"
start_provider 2 "$P2"

HOSTS="ou=hosts,$SUFFIX"
TOKENS="ou=tokens,$SUFFIX"
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
