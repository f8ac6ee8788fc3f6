#!/bin/sh
# SPDX-License-Identifier: ISC
# Which locks a caller can touch (SECURITY.md): no process an unprivileged
# user can stop holds a lock that a login or root's commands wait on.
#
#   - A usage writer frozen inside its write (a cgroup freezer; SIGSTOP
#     where the machine has none) does not stall root-side logins: they
#     answer within 5 s, the bound the issue asks for (#16, item 2), and
#     apitoken-verifyd, which serves every daemon in one loop, does not
#     wait for it at all: su and sudo are root's usage writers that the
#     user who ran them can stop.
#   - The setuid helper's verify mode, run by a user, writes no usage at
#     all, and frozen at any point it stalls no login.
#   - A user who stops reading the helper's stderr (a full pipe; Ctrl-S is
#     the same) cannot make root's revoke wait: the helper has released
#     helper.lock before it writes a byte.  A holder that never lets go
#     makes root's writers give up after 10 s with one line naming its pid.
#
# The setuid runs read the store compiled into the test build of apitoken
# (tests/helper/local.mk), shared with setuid.sh, which make runs first.
. "${srcdir:-.}/tests/e2e/lib.sh"
command -v setpriv >/dev/null || skip "no setpriv (util-linux)"
command -v pamtester >/dev/null || skip "no pamtester (apt-get install pamtester)"
command -v timeout >/dev/null || skip "no timeout (coreutils)"
[ -x /usr/bin/python3 ] || skip "no /usr/bin/python3 (fills a pipe as a user)"
command -v flock >/dev/null || skip "no flock (util-linux)"

BUILT_STORE=$(cd "$top_builddir" && pwd)/tests/helper/test-store
USAGEHOLD=$(cd "$top_builddir" && pwd)/tests/helper/usagehold
[ -x "$USAGEHOLD" ] || fail "not built: $USAGEHOLD"
rm -rf "$BUILT_STORE"
STORE=$BUILT_STORE
SUID=$WORK/bin
mkdir "$SUID"
chmod 755 "$SUID"
cp "$TEST_APITOKEN" "$SUID/apitoken"
chown root:root "$SUID/apitoken"
chmod 4755 "$SUID/apitoken"

# A cgroup to freeze: cgroup v2's cgroup.freeze, else the v1 freezer, else
# SIGSTOP of each process put "in" it.
CG= KIND=sigstop
V2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
if [ -n "$V2" ] && mkdir "$V2/$TAG" 2>/dev/null; then
	if [ -f "$V2/$TAG/cgroup.freeze" ]; then CG=$V2/$TAG KIND=v2; else rmdir "$V2/$TAG"; fi
fi
if [ -z "$CG" ] && [ -d /sys/fs/cgroup/freezer ] &&
	mkdir "/sys/fs/cgroup/freezer/$TAG" 2>/dev/null; then
	CG=/sys/fs/cgroup/freezer/$TAG KIND=v1
fi
PIDS=""
SOCK=$WORK/verify.sock
EXTRA_CLEANUP='for p in $PIDS; do kill -KILL "$p" 2>/dev/null; done; thaw;
	[ -f "$WORK/verifyd.pid" ] && kill "$(cat "$WORK/verifyd.pid")" 2>/dev/null;
	[ -n "$CG" ] && { sleep 0.2; rmdir "$CG"; }; rm -rf "$BUILT_STORE"'
echo "freezing with: $KIND"
# in_cg COMMAND...: run COMMAND in the cgroup (in the background; its pid
# is added to PIDS by the caller from $!)
in_cg() {
	if [ "$KIND" = sigstop ]; then exec "$@"; else
		exec sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$CG" "$@"
	fi
}
# joined LIST: every process of PIDS is in the cgroup (LIST is its
# cgroup.procs or tasks), or gone.  A process started a moment ago may not
# have moved itself in yet: the empty cgroup reads as frozen, and then the
# process joins it and is frozen only after that.
joined() {
	for p in $PIDS; do
		grep -qx "$p" "$1" && continue
		kill -0 "$p" 2>/dev/null && ! grep -q '^State:.*Z' "/proc/$p/status" 2>/dev/null &&
			return 1
	done
	return 0
}
# A freeze waits up to 10 s for every task to join and stop; a cgroup whose
# last task exited meanwhile (a helper that finished first) has nothing to
# freeze, which is as good for the test, and so is a process gone before
# its SIGSTOP.
freeze() {
	case $KIND in
	v2) echo 1 > "$CG/cgroup.freeze"
	    i=0
	    until { joined "$CG/cgroup.procs" && grep -qx 'frozen 1' "$CG/cgroup.events"; } || [ $i -ge 100 ]; do
		sleep 0.1; i=$((i + 1))
	    done
	    joined "$CG/cgroup.procs" && grep -qx 'frozen 1' "$CG/cgroup.events" ;;
	v1) echo FROZEN > "$CG/freezer.state"
	    i=0
	    until { joined "$CG/tasks" && grep -qx FROZEN "$CG/freezer.state"; } || [ $i -ge 100 ]; do
		sleep 0.1; i=$((i + 1))
	    done
	    joined "$CG/tasks" && grep -qx FROZEN "$CG/freezer.state" ;;
	*) for p in $PIDS; do kill -STOP "$p" 2>/dev/null || ! kill -0 "$p" 2>/dev/null || return 1; done ;;
	esac
}
thaw() {
	case $KIND in
	v2) echo 0 > "$CG/cgroup.freeze" ;;
	v1) echo THAWED > "$CG/freezer.state" ;;
	*) for p in $PIDS; do kill -CONT "$p" 2>/dev/null; done ;;
	esac
}

U=${TAG}u
add_user "$U"
cat > "$CONF" <<EOC
default_services = $SERVICE
fail_delay = 0
lockout_attempts = 5
EOC
write_service
WRONG=$(at create api --user "$U" --service "$SERVICE") || fail "create"
TOK=$(at rotate api) || fail "rotate"
ID=$(at show api --json | jq -r .id)

# login PASSWORD: a root-side login (pamtester as root); its status, 124
# when it did not answer within the bound
login() {
	printf '%s\n' "$1" | timeout 5 pamtester "$SERVICE" "$U" authenticate >/dev/null 2>&1
}
# pamtester cannot load a sanitizer-built module (ASan must come first in a
# program): there root's verify mode, the same decision and the same usage
# write in a sanitizer-built program, stands in for the root-side login.
if ldd "$MODULE" | grep -q libasan; then
	login() {
		vrequest "$U" "$SERVICE" 192.0.2.9 "$1" | timeout 5 env APITOKEN_CONFIG="$CONF" \
			"$APITOKEN" --store "$STORE" verify > "$WORK/answer" 2>/dev/null
		rc=$?
		[ $rc -ne 124 ] || return 124
		[ "$(cut -f2 "$WORK/answer")" = ok ]
	}
fi
answers() {  # want password what
	login "$2"
	got=$?
	[ "$got" -ne 124 ] || fail "$3: no answer within 5 s"
	[ "$got" -eq "$1" ] || fail "$3: status $got, not $1"
}

# 1. A usage writer frozen inside its write (root's, as a login would be).
: > "$WORK/hold"
in_cg "$USAGEHOLD" "$STORE" "$ID" > "$WORK/hold" &
PIDS="$PIDS $!"
i=0
until grep -q held "$WORK/hold" || [ $i -ge 50 ]; do sleep 0.1; i=$((i + 1)); done
grep -q held "$WORK/hold" || fail "the usage writer did not start"
freeze || fail "cannot freeze the usage writer ($KIND)"
answers 1 "$WRONG" "a wrong token (refused uncounted) while a usage writer is frozen"
answers 0 "$TOK" "the token (records its first use) while a usage writer is frozen"
# 250 wrong tokens at once, then the right one, through the verify
# service: each wrong one is answered unavailable (uncounted), and the
# right one comes back at once, not after 250 waits of 20 ms (5 s).
start_verifyd
FLOOD=$(printf '%s\n%s\n' "$TOK" "$WRONG" |
	"$top_builddir/tests/verifyd/vclient" "$SOCK" flood "$U" "$SERVICE" 250) ||
	fail "vclient flood: $FLOOD"
set -- $FLOOD
[ "${2:-}" = 250 ] || fail "the verify service answered ${2:-no} of 250 uncounted wrong tokens unavailable"
[ "${1:--1}" -ge 0 ] || fail "the verify service refused the token while a usage writer is frozen"
[ "$1" -lt 2000 ] || fail "the verify service took $1 ms for the token after 250 wrong ones: it waits for the frozen writer"
kill "$(cat "$WORK/verifyd.pid")" && rm -f "$WORK/verifyd.pid"
FLOOD_MS=$1
for p in $PIDS; do kill -KILL "$p" 2>/dev/null; done
thaw
wait
PIDS=""
pass_msg "a frozen usage writer stalls no login (verify service: the token after 250 wrong ones in $FLOOD_MS ms)"

# 2. The setuid helper's verify mode, for a user, only reads the store.
as() {
	who=$1
	shift
	(cd / && setsid -w setpriv --reuid="$who" --regid="$(id -g "$who")" \
		--init-groups "$SUID/apitoken" "$@")
}
USES=$(at show api --json | jq .use_count)
ANSWER=$(vrequest "$U" "$SERVICE" 192.0.2.9 "$TOK" | as "$U" verify) ||
	fail "the user's verify failed: $ANSWER"
[ "$(printf '%s\n' "$ANSWER" | cut -f2)" = ok ] || fail "the user's own token refused: $ANSWER"
at show api --json | jq -e ".use_count == $USES" >/dev/null ||
	fail "a user's verify wrote usage: $(at show api --json | jq -c '{use_count, last_used_from}')"
pass_msg "a user's verify helper writes no usage"

# 3. The same helper frozen wherever it happens to be, twenty times over:
# no login waits for it.  (It wrote usage under LMDB's writer mutex; and
# frozen while it opened the store first, holding LMDB's exclusive lock on
# the lock file, it stalled every login's open, until it took no locks.)
n=0
while [ $n -lt 20 ]; do
	vrequest "$U" "$SERVICE" 192.0.2.9 "$TOK" > "$WORK/req"
	in_cg setpriv --reuid="$U" --regid="$(id -g "$U")" --init-groups \
		"$SUID/apitoken" verify < "$WORK/req" > /dev/null 2>&1 &
	PIDS="$!"
	sleep "0.00$((n % 10))"
	freeze || fail "cannot freeze the helper ($KIND)"
	answers 0 "$TOK" "a login while a user's verify helper is frozen (round $n)"
	thaw
	wait
	n=$((n + 1))
done
PIDS=""
pass_msg "a user's frozen verify helper stalls no login"

# 4. A user's suspend whose stderr is a full pipe: root's revoke of another
# of the user's tokens goes through at once.  It is started in cgroups
# the user owns (v2's and v1's freezer, where mounted), as systemd
# delegates user@UID.service's subtree, where the user could freeze it at
# any point: it has left them before it did anything (helper/cgroup.c).
at create other --user "$U" --service "$SERVICE" >/dev/null 2>&1 || fail "create other"
# one in each hierarchy that can freeze: cgroup v2's, v1's freezer
OWN=
if [ "$KIND" = v2 ]; then
	mkdir "$V2/${TAG}own" &&
		chown "$U" "$V2/${TAG}own" "$V2/${TAG}own/cgroup.procs" "$V2/${TAG}own/cgroup.freeze" ||
		fail "a cgroup v2 for $U"
	OWN=$V2/${TAG}own
fi
F1=$(awk '$3 == "cgroup" && $4 ~ /(^|,)freezer(,|$)/ { print $2; exit }' /proc/mounts)
if [ -n "$F1" ]; then
	mkdir "$F1/${TAG}own" &&
		chown "$U" "$F1/${TAG}own" "$F1/${TAG}own/cgroup.procs" "$F1/${TAG}own/tasks" \
			"$F1/${TAG}own/freezer.state" ||
		fail "a v1 freezer cgroup for $U"
	OWN="$OWN $F1/${TAG}own"
fi
# rm_nest: remove section 4b's nest of cgroups, deepest first (its path is
# longer than PATH_MAX, so step by step)
NEST= DEPTH=17
LEAF=$(printf '%0250d' 0 | tr 0 d)
# (bash: dash's cd makes the whole path, and fails past PATH_MAX)
rm_nest() {
	[ -n "$NEST" ] || return 0
	bash -c 'cd "$1" 2>/dev/null || exit 0
		n=0
		while [ $n -lt "$2" ] && cd "$3" 2>/dev/null; do n=$((n + 1)); done
		while [ $n -gt 0 ]; do cd .. && rmdir "$3"; n=$((n - 1)); done' \
		sh "$NEST" "$DEPTH" "$LEAF"
}
EXTRA_CLEANUP="$EXTRA_CLEANUP"'; rm_nest; for d in $OWN; do rmdir "$d" 2>/dev/null; done'
mkfifo "$WORK/fifo"
exec 7<>"$WORK/fifo"   # a reader that never reads, so writes block, not fail
chmod 666 "$WORK/fifo"
# blocked_helper ARGS...: the user's helper with ARGS, its stderr on the
# full fifo, started in each cgroup of $JOIN, a list of directories each
# cd'd to from the one before (joined by writing 0 to its cgroup.procs
# from inside it); its pid in PIDS
blocked_helper() {
	(exec bash -c 'for d in $1; do cd "$d" && echo 0 > cgroup.procs || exit 1; done &&
	cd / && shift && exec "$@"' sh "$JOIN" setpriv --reuid="$U" --regid="$(id -g "$U")" --init-groups /usr/bin/python3 -c '
import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_NONBLOCK)
for chunk in (4096, 1):
    try:
        while True:
            os.write(fd, b"x" * chunk)
    except BlockingIOError:
        pass
os.set_blocking(fd, True)
os.dup2(fd, 2)
os.execv(sys.argv[2], sys.argv[2:])
' "$WORK/fifo" "$SUID/apitoken" "$@") </dev/null >/dev/null &
	PIDS="$!"
}
JOIN=$OWN
blocked_helper suspend api
i=0
until at show api --json 2>/dev/null | jq -e '.status == "suspended"' >/dev/null || [ $i -ge 50 ]; do
	sleep 0.1; i=$((i + 1))
done
at show api --json | jq -e '.status == "suspended"' >/dev/null || fail "the user's suspend did not happen"
sleep 0.5
kill -0 "$PIDS" 2>/dev/null || fail "the user's helper is not blocked on its stderr"
! grep -q "/${TAG}own\$" "/proc/$PIDS/cgroup" ||
	fail "the user's helper stayed in a cgroup the user can freeze: $(cat "/proc/$PIDS/cgroup")"
# (KILL: the helper ignores SIGTERM, so that a user cannot stop it half way)
timeout -s KILL 20 "$APITOKEN" --store "$STORE" revoke other >/dev/null 2>"$WORK/stderr"
got=$?
[ "$got" -ne 137 ] || fail "root's revoke waited for a user's blocked helper"
[ "$got" -eq 0 ] || fail "root's revoke: exit $got: $(cat "$WORK/stderr")"
at show other --json | jq -e '.status == "revoked"' >/dev/null || fail "the revoke did not take effect"
kill -KILL $PIDS 2>/dev/null
wait
PIDS=""
pass_msg "a user's helper blocked on a full stderr holds no lock: root's revoke takes effect${OWN:+, and it left every cgroup the user owns}"

# 4b. The same from a cgroup v2 the user nested deeper than PATH_MAX (a
# path no buffer holds): the helper leaves it too, never reading the
# path's tail as a shorter one.
if [ "$KIND" = v2 ]; then
	NEST=$V2/${TAG}own
	(cd "$NEST" && exec setpriv --reuid="$U" --regid="$(id -g "$U")" --init-groups bash -c '
		n=0
		while [ $n -lt "$1" ]; do mkdir "$2" && cd "$2" || exit 1; n=$((n + 1)); done' \
		sh "$DEPTH" "$LEAF") || fail "the user's nest of cgroups"
	[ $(( ${#NEST} + DEPTH * (${#LEAF} + 1) )) -gt 4096 ] ||
		fail "the nest is not deeper than PATH_MAX"
	# joined by cd step by step: the whole path is too long for one call
	JOIN="$NEST $(for n in $(seq $DEPTH); do printf '%s ' "$LEAF"; done)"
	at create third --user "$U" --service "$SERVICE" >/dev/null 2>&1 || fail "create third"
	blocked_helper suspend third
	i=0
	until at show third --json 2>/dev/null | jq -e '.status == "suspended"' >/dev/null || [ $i -ge 50 ]; do
		sleep 0.1; i=$((i + 1))
	done
	at show third --json | jq -e '.status == "suspended"' >/dev/null ||
		fail "the user's suspend from the nest did not happen"
	sleep 0.5
	kill -0 "$PIDS" 2>/dev/null || fail "the user's helper is not blocked on its stderr"
	! grep -q "${TAG}own" "/proc/$PIDS/cgroup" ||
		fail "the user's helper stayed in the nest of cgroups"
	kill -KILL $PIDS 2>/dev/null
	wait
	PIDS=""
	pass_msg "a user's helper leaves a nest of cgroups deeper than PATH_MAX"
fi
exec 7<&-

# 5. A holder that never lets go (root's, stopped): root's writers give up
# after the bound, in one line naming the holder's pid.
sh -c 'exec 9<>"$1/helper.lock" && flock 9 && echo $$ > "$1/helper.lock" && exec sleep 60' \
	sh "$STORE" &
HOLDER=$!
PIDS="$HOLDER"
i=0
until [ "$(cat "$STORE/helper.lock" 2>/dev/null)" = "$HOLDER" ] || [ $i -ge 50 ]; do sleep 0.1; i=$((i + 1)); done
[ "$(cat "$STORE/helper.lock")" = "$HOLDER" ] || fail "the stand-in did not take helper.lock"
timeout -s KILL 30 "$APITOKEN" --store "$STORE" revoke api >/dev/null 2>"$WORK/stderr"
got=$?
[ "$got" -ne 137 ] || fail "root's revoke waited past the bound for a holder of helper.lock"
[ "$got" -eq 1 ] || fail "root's revoke with the lock held: exit $got"
[ "$(wc -l < "$WORK/stderr")" -eq 1 ] && grep -q "pid $HOLDER" "$WORK/stderr" ||
	fail "the refusal does not name the holder in one line: $(cat "$WORK/stderr")"
kill -KILL "$HOLDER"
wait
PIDS=""
at revoke api >/dev/null 2>&1 || fail "revoke once the holder is gone"
pass_msg "a holder of helper.lock: root's revoke gives up after 10 s naming its pid"
