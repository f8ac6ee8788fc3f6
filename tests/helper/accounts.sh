#!/bin/sh
# SPDX-License-Identifier: ISC
# The accounts behind tokens, as root against a private store:
#   - revoke and delete end every process of a service user, also one that
#     keeps forking (a new pid every few milliseconds), before the account
#     is locked or removed.
# Accounts are named zzapt<random>...; all are removed on exit, also on
# failure.
. "${srcdir:-.}/tests/e2e/lib.sh"
command -v jq >/dev/null || skip "no jq (apt-get install jq)"
command -v setpriv >/dev/null || skip "no setpriv (util-linux)"
command -v perl >/dev/null || skip "no perl (runs the fork-hopping process)"

ok() { pass_msg "$*"; }
expect() {
	want=$1
	shift
	OUT=$("$@" 2>"$WORK/stderr")
	got=$?
	[ "$got" -eq "$want" ] || fail "exit $got, not $want: $* ($(cat "$WORK/stderr"))"
}
export APITOKEN_CONFIG=$CONF

# Processes that never keep their pid: each generation forks the next and
# exits, a new pid every two milliseconds or so, so that a /proc scan
# (pkill) finds pids that are gone by the time it signals them.  Six of
# them, all of which one pass would have to catch.
cat > "$WORK/hop" <<'EOS'
for (1 .. 5) { fork or last; }
for (;;) { select(undef, undef, undef, 0.002); fork and exit 0; }
EOS
# On failure the hoppers outlive the test unless ended as pkill cannot.
HOP_UIDS=""
reap() {
	for u in $HOP_UIDS; do
		setpriv --reuid="$u" --regid="$u" --clear-groups sh -c \
			'for i in $(seq 3000); do kill -9 -1 2>/dev/null; done'
	done
}
EXTRA_CLEANUP=reap
# hop USER: start the hoppers as USER, wait until they run
hop() {
	HOP_UIDS="$HOP_UIDS $(id -u "$1")"
	setpriv --reuid="$1" --regid="$(id -g "$1")" --clear-groups \
		perl "$WORK/hop" </dev/null >/dev/null 2>&1 &
	n=0
	until [ "$(pgrep -U "$1" | wc -l)" -ge 6 ]; do
		n=$((n + 1))
		[ $n -lt 100 ] || fail "the hopper of $1 did not start"
		sleep 0.05
	done
}
# none_left USER: no process of USER, a second after the command returned
# (a survivor would still be hopping then)
none_left() {
	sleep 1
	left=$(ps -o stat= -U "$1" | grep -vc "^Z")
	[ "$left" -eq 0 ] || fail "$left process(es) of $1 survived $2"
}

S=${TAG}s
expect 0 at create "$S" --json
SUID=$(printf '%s' "$OUT" | jq -r .uid)
hop "$S"
expect 0 at revoke "$S"
none_left "$SUID" revoke
[ "$(getent shadow "$S" | cut -d: -f8)" = 1 ] || fail "revoked service user not expired"
hop "$S"
expect 0 at delete "$S"
none_left "$SUID" delete
getent passwd "$S" >/dev/null && fail "service user not deleted"
ok "revoke and delete end a fork-hopping process of the service user"

D=${TAG}d
expect 0 at create "$D" --json
DUID=$(printf '%s' "$OUT" | jq -r .uid)
hop "$D"
expect 0 at delete "$D"
none_left "$DUID" delete
getent passwd "$D" >/dev/null && fail "service user not deleted"
ok "delete of an active token ends its service user's processes and removes it"
