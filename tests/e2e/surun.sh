#!/bin/sh
# SPDX-License-Identifier: ISC
# su and sudo with the real programs, as the processes they are: root, yet
# run by a user whose real uid they keep, so that user can stop them at
# any point (SECURITY.md, "Which locks a caller can touch").
#
#   - Without a verify service they decide themselves, opening none of
#     LMDB's lock files and holding no lock (while su runs its command and
#     sudo its, each keeps its PAM state): a token with a use limit is then
#     refused, never counted from 0.  Stopped at twenty points of a login,
#     su never stalls root's login nor root's apitoken.
#   - With apitoken-verifyd they ask it as root, naming the user who ran
#     them (RUN_BY): that user's wrong guesses lock out that user alone,
#     and a use limit is counted.
. "${srcdir:-.}/tests/e2e/lib.sh"
for p in su sudo unshare setpriv pgrep pkill timeout pamtester; do
	command -v $p >/dev/null || skip "no $p"
done
unshare -m true 2>/dev/null || skip "cannot make a mount namespace here"

A=${TAG}a   # owns the tokens, is the sudoer
B=${TAG}b   # runs su A
add_user "$A"
add_user "$B"
SOCK=$WORK/verify.sock
EXTRA_CLEANUP='rm -f "/run/sudo/ts/$A"; pkill -KILL -U "$B"; pkill -KILL -U "$A";
	[ -f "$WORK/verifyd.pid" ] && kill "$(cat "$WORK/verifyd.pid")" 2>/dev/null'
su_stacks "$A" "socket=$SOCK"
write_service

SU=$(at create su --user "$A" --service su) || fail "create su token"
SUDO=$(at create sudo --user "$A" --service sudo) || fail "create sudo token"
ONCE=$(at create once --user "$A" --service su --uses 1) || fail "create --uses 1"
ROOTS=$(at create login --user "$A") || fail "create $SERVICE token"

# holds_no_lock PROG PID: PROG, running as PID, has none of LMDB's lock
# files open and no lock on any file (/proc/locks' pid field)
holds_no_lock() {
	ls -l "/proc/$2/fd" | grep -q 'mdb-lock' &&
		fail "$1 has LMDB's lock file open: $(ls -l "/proc/$2/fd" | grep mdb)"
	awk -v p="$2" '$5 == p { found = 1 } END { exit !found }' /proc/locks &&
		fail "$1 holds a lock: $(grep " $2 " /proc/locks)"
	return 0
}
# logged_in: the command started by in_ns in the background said "in-"
# (so su or sudo authenticated and waits for it); 5 s at most
logged_in() {
	_i=0
	while ! grep -q "in-" "$WORK/out" 2>/dev/null && [ $_i -lt 50 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	grep -q "in-" "$WORK/out" || fail "$1 did not log in: $(cat "$WORK/out")"
}
# with_command PROG USER PASSWORD COMMAND...: start PROG (su or sudo) as
# USER in the background to run COMMAND, which says "in-" and waits; once
# it has, PROG holds no lock; then both are ended
with_command() {
	_prog=$1 _user=$2 _pw=$3
	shift 3
	: > "$WORK/out"
	in_ns "$_user" "$_pw" "$_prog" "$@" &
	_job=$!
	logged_in "$_prog"
	_pid=$(pgrep -x -U "$_user" "$_prog" | head -1)
	[ -n "$_pid" ] || fail "no $_prog of $_user running: $(cat "$WORK/out")"
	holds_no_lock "$_prog" "$_pid"
	pkill -KILL -P "$_pid"
	kill -KILL "$_pid"
	wait "$_job"
}

with_command su "$B" "$SU" "$A" -c 'echo in-$USER; exec sleep 30'
with_command sudo "$A" "$SUDO" -S -u root sh -c 'echo in-$USER; exec sleep 30'
pass_msg "without a verify service, su and sudo log in holding none of LMDB's locks"
in_ns "$B" "$ONCE" su "$A" -c 'echo in-$USER' &&
	fail "su counted a use it could not count: $(cat "$WORK/out")"
pass_msg "without a verify service, su refuses a token with a use limit"

# su stopped wherever it has got to, with no other process having the
# store open (the first opener is the one LMDB makes wait for): root's
# login and root's list still answer
for i in $(seq 1 20); do
	in_ns "$B" "$SU" su "$A" -c true &
	_job=$!
	sleep "0.0$(printf '%02d' $((i * 4)))"
	pkill -STOP -U "$B"
	printf '%s\n' "$ROOTS" | timeout 5 pamtester "$SERVICE" "$A" authenticate \
		>/dev/null 2>&1 || fail "a root login stalled behind su stopped at round $i"
	timeout 5 "$APITOKEN" --store "$STORE" list >/dev/null 2>&1 ||
		fail "root's apitoken list stalled behind su stopped at round $i"
	pkill -KILL -U "$B"
	wait "$_job"
done
pass_msg "su stopped at 20 points of its login stalls no root login and no apitoken"

sed -i 's/^lockout_attempts = .*/lockout_attempts = 2/' "$CONF"
start_verifyd
with_command su "$B" "$SU" "$A" -c 'echo in-$USER; exec sleep 30'
grep -q "service su rhost -, asked by uid 0 run by uid $(id -u "$B"): accepted" \
	"$WORK/verifyd.log" || fail "verifyd did not log su's user: $(tail -2 "$WORK/verifyd.log")"
# its secret before a rotate: well formed, and wrong
WRONG=$SU
SU=$(at rotate su) || fail "rotate su"
for i in 1 2; do
	in_ns "$B" "$WRONG" su "$A" -c 'echo in-$USER' && fail "su took a wrong secret"
done
in_ns "$B" "$SU" su "$A" -c 'echo in-$USER' && fail "su of $B not locked out after 2 failures"
expect 0 at show su --json
json ".locked_out_sources | map(.source) == [\"uid $(id -u "$B")\"]"
with_command sudo "$A" "$SUDO" -S -u root sh -c 'echo in-$USER; exec sleep 30'
pass_msg "through verifyd su's failures are its user's: $B locked out, $A not"
in_ns "$B" "$ONCE" su "$A" -c 'echo in-$USER' || fail "su refused its one use: $(cat "$WORK/out")"
in_ns "$B" "$ONCE" su "$A" -c 'echo in-$USER' && fail "su took a spent token"
pass_msg "through verifyd su counts a use limit"
echo "su and sudo: all checks passed"
