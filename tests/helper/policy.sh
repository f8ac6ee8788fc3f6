#!/bin/sh
# SPDX-License-Identifier: ISC
# What self-service may set, and what text a token may hold: root's limits
# stay root's; a grace period within max_lifetime.  Run as root against a throwaway store; the
# self-service parts run the test build of apitoken setuid, as an
# unprivileged user, as tests/helper/setuid.sh does (its comment says why
# the test build, and why from a copy the users can reach).
. "${srcdir:-.}/tests/e2e/lib.sh"
command -v jq >/dev/null || skip "no jq (apt-get install jq)"
command -v setpriv >/dev/null || skip "no setpriv (util-linux)"
command -v python3 >/dev/null || skip "no python3 (drives the password prompt)"


# expect STATUS COMMAND...: run, check the exit status and that a refusal
# is one line; stdout in $OUT, stderr in $WORK/stderr.
expect() {
	want=$1
	shift
	OUT=$("$@" 2>"$WORK/stderr")
	got=$?
	[ "$got" -eq "$want" ] || fail "exit $got, not $want: $* ($(cat "$WORK/stderr"))"
	[ "$want" -eq 0 ] || [ "$(wc -l < "$WORK/stderr")" -eq 1 ] ||
		fail "not one line of error: $(cat "$WORK/stderr")"
}
said() { grep -q -- "$1" "$WORK/stderr" || fail "refusal does not say '$1': $(cat "$WORK/stderr")"; }

# The setuid set-up of setuid.sh: the test build's compiled-in store (the
# Makefile never runs this test and setuid.sh at once), its PAM service
# "apitoken", a copy users can reach, and user A with a password.
BUILT_STORE=$(cd "$top_builddir" && pwd)/tests/helper/test-store
PAMDIR=$BUILT_STORE.pam.d
rm -rf "$BUILT_STORE" "$PAMDIR"
trap 'rm -rf "$BUILT_STORE" "$PAMDIR"; cleanup' EXIT
mkdir "$PAMDIR"
sed "s|^@include |@include $PAMDIR/|" "$srcdir/pam/pam.d/apitoken" > "$PAMDIR/apitoken"
echo 'auth required pam_unix.so' > "$PAMDIR/common-auth"
echo 'account required pam_unix.so' > "$PAMDIR/common-account"
mkdir "$WORK/bin"
chmod 755 "$WORK/bin"
cp "$TEST_APITOKEN" "$WORK/bin/apitoken"
chmod 4755 "$WORK/bin/apitoken"
A=${TAG}a
add_user "$A"
PW_A="pw-$A-$$"
echo "$A:$PW_A" | chpasswd || fail "chpasswd"
root() { APITOKEN_CONFIG=$CONF "$TEST_APITOKEN" --store "$BUILT_STORE" "$@"; }
# as USER ARGS...: the setuid copy as USER, no terminal
as() {
	who=$1
	shift
	(cd / && setsid -w setpriv --reuid="$who" --regid="$(id -g "$who")" \
		--init-groups "$WORK/bin/apitoken" "$@")
}
# pw USER PASSWORD ARGS...: the same from a terminal that answers any
# password prompt with PASSWORD (whether or not one comes)
pw() {
	who=$1 answer=$2
	shift 2
	(cd / && python3 "$srcdir/tests/helper/tty.py" "$WORK/tty" "$answer" \
		setpriv --reuid="$who" --regid="$(id -g "$who")" --init-groups \
		"$WORK/bin/apitoken" "$@")
}

# Root's limits stay root's: an owner cannot activate what root suspended,
# nor push back an expiry root set, by rotate or update, even with their
# password; what the owner set themselves they may undo.
expect 0 root create given --user "$A" --expires 1h
expect 0 root show given --json
printf '%s' "$OUT" | jq -e '.limits_set_by_uid == 0 and .status_set_by_uid == 0' >/dev/null ||
	fail "who set the limits is not shown: $OUT"
expect 1 pw "$A" "$PW_A" rotate given --expires 90d
said "only root may extend"
expect 1 pw "$A" "$PW_A" rotate given --expires never
expect 1 as "$A" update given --expires 90d
expect 0 pw "$A" "$PW_A" rotate given --expires 30m
expect 1 pw "$A" "$PW_A" rotate given --expires 50m
[ "$(root show given --json | jq -r .limits_set_by_uid)" -eq 0 ] ||
	fail "an owner's narrowing took root's limits over"
expect 0 root suspend given
expect 1 pw "$A" "$PW_A" activate given
said "only root may activate"
expect 1 as "$A" activate given
said "only root may activate"
[ "$(root show given --json | jq -r .status)" = suspended ] || fail "a root suspension was lifted"
pass_msg "owners cannot activate what root suspended, nor extend what root set"
expect 0 pw "$A" "$PW_A" create own --user "$A" --expires 1d
AUID=$(id -u "$A")
expect 0 root show own --json
printf '%s' "$OUT" | jq -e ".limits_set_by_uid == $AUID and .status_set_by_uid == $AUID" >/dev/null ||
	fail "an owner's token is not marked as theirs: $OUT"
expect 0 as "$A" suspend own
expect 0 pw "$A" "$PW_A" activate own
expect 0 pw "$A" "$PW_A" rotate own --expires 7d
expect 0 root update own --expires 2d
expect 1 pw "$A" "$PW_A" rotate own --expires 7d
said "only root may extend"
pass_msg "an owner undoes their own suspension and limits, not root's later ones"

# rotate --grace: never past the token's expiry, never past max_lifetime
# (a token made before max_lifetime was set may have no expiry at all)
expect 0 at create forever --user root --expires never
echo 'max_lifetime = 30d' >> "$CONF"
expect 1 at rotate forever --grace 40d
said max_lifetime
expect 0 at rotate forever --grace 29d
expect 0 at create short --user root --expires 2d
expect 1 at rotate short --grace 3d
pass_msg "rotate --grace: within max_lifetime and the token's expiry"
