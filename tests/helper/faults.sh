#!/bin/sh
# SPDX-License-Identifier: ISC
# Faults under the helper: a full disk and damaged stores.  A write that
# cannot be made fails with one line and changes nothing; what was there
# keeps working; a damaged store is refused, never overwritten.
. "${srcdir:-.}/tests/e2e/lib.sh"

U=${TAG}f
add_user "$U"


# A full disk: a small tmpfs under the store.
DISK=$WORK/disk
mkdir "$DISK"
mount -t tmpfs -o size=256k,mode=0700 apitoken-test "$DISK" 2>/dev/null ||
	skip "cannot mount a tmpfs here (needs root and mount rights)"
EXTRA_CLEANUP='umount "$DISK" 2>/dev/null'
S=$DISK/store
printf 'default_services = sshd\nfail_delay = 0\n' > "$WORK/disk.conf"
# A fault in LMDB's maps is survived by jumping out of LMDB mid-call, which
# strands what that call had allocated: no leak report for these runs in a
# sanitizer build (cli.sh checks the helper's ordinary paths for leaks).
dat() { ASAN_OPTIONS=detect_leaks=0 APITOKEN_CONFIG=$WORK/disk.conf "$APITOKEN" --store "$S" "$@"; }
FIRST=$(dat create first --user "$U" 2>/dev/null) || fail "first create on an empty disk"
i=0
while [ $i -lt 2000 ]; do
	dat create "t$i" --user "$U" --description "$(head -c 200 /dev/zero | tr '\0' x)" \
		>/dev/null 2>"$WORK/err" || break
	i=$((i + 1))
done
[ $i -lt 2000 ] || fail "the disk never filled"
[ "$(wc -l < "$WORK/err")" -eq 1 ] || fail "more than one line: $(cat "$WORK/err")"
grep -qi 'space\|full' "$WORK/err" || fail "the error does not say the disk is full: $(cat "$WORK/err")"
pass_msg "create on a full disk: one line ($(cat "$WORK/err" | cut -c1-80)...) after $i tokens"
vrequest "$U" sshd "" "$FIRST" | ask_ok dat verify >/dev/null ||
	fail "an existing token stopped working on a full disk"
dat list >/dev/null || fail "the store is unreadable on a full disk"
dat check >/dev/null || fail "the store is inconsistent after a full disk"
pass_msg "on a full disk existing tokens work and the store stays consistent"

# Damaged stores: refused with the reason, and left as they are.
D=$WORK/damaged
mkdir -m 700 "$D"
printf 'default_services = sshd\nfail_delay = 0\n' > "$WORK/d.conf"
dmg() { APITOKEN_CONFIG=$WORK/d.conf "$APITOKEN" --store "$D/s" "$@"; }
dmg create one --user "$U" >/dev/null 2>&1 || fail "create"
cp "$D/s/tokens.mdb" "$D/good.mdb"
for damage in truncate zero garbage; do
	cp "$D/good.mdb" "$D/s/tokens.mdb"
	case $damage in
	truncate) truncate -s 8192 "$D/s/tokens.mdb"; why=truncated ;;
	zero) : > "$D/s/tokens.mdb"; why=empty ;;
	garbage) head -c 65536 /dev/urandom > "$D/s/tokens.mdb"; why='damaged\|LMDB' ;;
	esac
	before=$(md5sum < "$D/s/tokens.mdb")
	dmg create two --user "$U" >/dev/null 2>"$WORK/err" && fail "$damage: create wrote to a damaged store"
	grep -q "$why" "$WORK/err" || fail "$damage: the error does not say why: $(cat "$WORK/err")"
	[ "$(wc -l < "$WORK/err")" -eq 1 ] || fail "$damage: more than one line"
	[ "$(md5sum < "$D/s/tokens.mdb")" = "$before" ] || fail "$damage: the damaged store was changed"
	dmg list >/dev/null 2>&1 && fail "$damage: list read a damaged store"
	pass_msg "$damage store: refused with one line, left untouched"
done

# A store made unsafe by its modes is refused as sshd's StrictModes would.
cp "$D/good.mdb" "$D/s/tokens.mdb"
chmod 0777 "$D/s"
dmg list >/dev/null 2>"$WORK/err" && fail "a world-writable store was used"
grep -q "bad modes" "$WORK/err" || fail "no reason for refusing the modes"
chmod 0700 "$D/s"
chmod 0666 "$WORK/d.conf"
dmg list >/dev/null 2>"$WORK/err" && fail "a world-writable configuration was used"
chmod 0644 "$WORK/d.conf"
dmg list >/dev/null || fail "the store is not usable again"
pass_msg "unsafe modes on the store and the configuration are refused"
echo "faults: all checks passed"
