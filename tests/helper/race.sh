#!/bin/sh
# SPDX-License-Identifier: ISC
# Logins racing the helper.  While one loop runs apitoken to suspend,
# activate and rotate a token and to create and revoke others, three loops
# ask for the login decision the PAM module makes (apitoken verify runs the
# same verify_token).  No wrong answer is allowed: a steady token is always
# accepted; a token revoked before the start, never; a flapping token's
# first secret, never once a rotate has finished before the attempt began.
# No helper run may fail, and afterwards check finds nothing to repair.
# RACE_SECONDS sets the length (default 4).
. "${srcdir:-.}/tests/e2e/lib.sh"

U=${TAG}r
add_user "$U"
at create steady --user "$U" --expires never > "$WORK/steady" 2>/dev/null || fail "create steady"
at create gone --user "$U" > "$WORK/gone" 2>/dev/null || fail "create gone"
at revoke gone > /dev/null 2>&1 || fail "revoke gone"
at create flap --user "$U" > "$WORK/flap.first" 2>/dev/null || fail "create flap"

# verify FILE: the decision for the token in FILE, as root
vfy() {
	vrequest "$U" "$SERVICE" "" "$(cat "$1")" |
		ask_ok env APITOKEN_CONFIG="$CONF" "$APITOKEN" --store "$STORE" verify > /dev/null 2>&1
}
# Loops stop at the stop file, or when the work directory is gone.
running() { [ -d "$WORK" ] && [ ! -e "$WORK/stop" ]; }
wrong() { echo "$*" >> "$WORK/wrong"; }
w() { at "$@" > "$WORK/w.out" 2>> "$WORK/w.err" || wrong "writer: apitoken $* failed"; }

reader() {
	n=0
	while running; do
		vfy "$WORK/steady" || wrong "reader $1: the steady token was refused"
		vfy "$WORK/gone" && wrong "reader $1: a token revoked before the start was accepted"
		[ -e "$WORK/rotated" ] && rotated=yes || rotated=no
		vfy "$WORK/flap.first" && [ $rotated = yes ] &&
			wrong "reader $1: a secret replaced by rotate was accepted"
		n=$((n + 1))
	done
	echo "$n" > "$WORK/reads.$1"
}

writer() {
	i=0
	while running; do
		w suspend flap
		w activate flap
		w rotate flap
		: > "$WORK/rotated"
		w create "extra$i" --user "$U"
		w revoke "extra$i"
		i=$((i + 1))
	done
	echo "$i" > "$WORK/writes"
}

EXTRA_CLEANUP=': > "$WORK/stop"; wait'
for r in 1 2 3; do
	reader "$r" &
done
writer &
sleep "${RACE_SECONDS:-4}"
: > "$WORK/stop"
wait

[ -s "$WORK/wrong" ] && fail "$(sort "$WORK/wrong" | uniq -c | head -5)"
reads=$(cat "$WORK"/reads.* | awk '{ s += $1 } END { print s }')
writes=$(cat "$WORK/writes")
[ "$reads" -gt 0 ] && [ "$writes" -gt 0 ] || fail "nothing raced: $reads reads, $writes writer rounds"
pass_msg "$reads rounds of logins against $writes writer rounds: no wrong answer"
at check > /dev/null 2>&1 || fail "check after the race: $(at check 2>&1)"
at show flap > /dev/null 2>&1 || fail "the flapping token is gone"
pass_msg "the store is consistent after the race"
