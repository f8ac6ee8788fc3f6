#!/bin/sh
# SPDX-License-Identifier: ISC
# apitoken-syncd killed mid-batch: while 2000 token entries arrive from one
# ldapadd, the persisting daemon is SIGKILLed at random moments and
# restarted, and the test build's crash point (a batch received, nothing
# of it written) aborts a --once; after each, apitoken check finds the
# store consistent, and after one more --once the host's ids are the
# directory's exactly, with no duplicates: every batch went in whole with
# its cookie, or not at all.
[ "${WITH_FLEET:-yes}" = no ] && { echo "SKIP: configured --without-fleet"; exit 77; }
. "$srcdir/tests/fleet/lib.sh"
. "$srcdir/tests/e2e/lib.sh"
fleet_host_init
TEST_CLEANUP='[ -n "${APID:-}" ] && kill -KILL "$APID" 2>/dev/null'

fleet_directory
host_user k
host_conf "$CONF" web01
consistent() {
	expect 0 at check
	dups=$(store_ids | cut -d' ' -f1 | uniq -d)
	[ -z "$dups" ] || fail "$1: duplicate ids on the host: $dups"
}

# 2000 entries, every third for group db (never to arrive here).
N=${FLEET_KILL_ENTRIES:-2000}
hash=$(head -c 32 /dev/urandom | base64 -w0)
i=0
while [ $i -lt $N ]; do
	id=$(printf 'K%011d' $i)
	h=web
	[ $((i % 3)) -eq 2 ] && h=db
	printf 'dn: apitokenId=%s,ou=tokens,%s\nchangetype: add\nobjectClass: apitoken\napitokenId: %s\ncn: k%s\napitokenSecretHash:: %s\napitokenOwner: %s\napitokenStatus: active\napitokenHost: %s\n\n' \
		"$id" "$SUFFIX" "$id" "$i" "$hash" "$USER1" "$h"
	i=$((i + 1))
done > "$WORK/many.ldif"

syncd --once 2>"$WORK/once0.log" || { cat "$WORK/once0.log"; fail "the first --once"; }
ldm "$U1" "$ADMIN" "$ADMIN_PW" -f "$WORK/many.ldif" >/dev/null 2>"$WORK/ldapadd.log" &
APID=$!
kills=0
while kill -0 "$APID" 2>/dev/null || [ $kills -lt 5 ]; do
	"$SYNCD" --config "$CONF" --store "$STORE" 2>>"$WORK/syncd.log" &
	SPID=$!
	sleep "0.$(od -An -N1 -tu1 /dev/urandom | awk '{printf "%02d", $1 % 40 + 5}')"
	kill -KILL "$SPID" 2>/dev/null
	wait "$SPID" 2>/dev/null
	SPID=
	kills=$((kills + 1))
	consistent "after SIGKILL $kills"
	printf '%s ' "$(store_ids | wc -l)"
done
echo "(fleet tokens on the host after each of $kills SIGKILLs)"
wait "$APID" || { cat "$WORK/ldapadd.log"; fail "ldapadd"; }
APID=

# The crash point: the batch arrived, nothing written; then the same again.
echo "dn: apitokenId=K00000000000,ou=tokens,$SUFFIX
changetype: modify
replace: apitokenStatus
apitokenStatus: revoked
" | ldm "$U1" "$ADMIN" "$ADMIN_PW" >/dev/null || fail "revoke one"
# The crash point exists in --enable-test-hooks builds only (CI's).
if grep -q '^#define APITOKEN_TEST_HOOKS' "${top_builddir:-.}/config.h"; then
	before=$(store_ids | md5sum)
	APITOKEN_SYNCD_CRASH_BEFORE_COMMIT=1 syncd --once 2>"$WORK/crash.log" &&
		fail "the crash point did not crash"
	[ "$(store_ids | md5sum)" = "$before" ] || fail "a crash before the commit changed the store"
	consistent "after the crash point"
else
	echo "no test hooks in this build: the crash point before a commit is left out"
fi

syncd --once 2>"$WORK/last.log" || { cat "$WORK/last.log"; fail "--once after the kills"; }
consistent "after --once"
want=$(dir_ids "$U1" "(|(apitokenHost=web)(apitokenHost=web01)(apitokenHost=\\2a))")
got=$(store_ids)
[ "$got" = "$want" ] || fail "the host holds $(echo "$got" | wc -l) tokens, the directory $(echo "$want" | wc -l); first difference: $(printf '%s\n' "$got" > "$WORK/got"; printf '%s\n' "$want" > "$WORK/want"; diff "$WORK/got" "$WORK/want" | sed -n 2p)"
echo "$got" | grep -q '^K00000000000 revoked$' || fail "the revoke after the crash was not applied"
ok "$kills SIGKILLs during a 2000-entry ldapadd and the crash point: check clean each time, then the host holds exactly the directory's $(echo "$want" | wc -l) tokens"
