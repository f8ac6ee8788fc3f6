#!/bin/sh
# SPDX-License-Identifier: ISC
# What self-service may set, and what text a token may hold: a grace period
# within max_lifetime.  Run as root against a throwaway store; the
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
