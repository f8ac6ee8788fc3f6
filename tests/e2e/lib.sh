# SPDX-License-Identifier: ISC
# Shared by the end-to-end tests: finding the built programs, a private
# work directory, test accounts and clean-up on every exit path.
# Names start with "zzapt" and a random number, so they cannot clash with
# real accounts; everything made is removed by cleanup, also on failure.

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
pass_msg() { echo "ok: $*"; }
ok() { pass_msg "$*"; }

[ "$(id -u)" -eq 0 ] || skip "needs root (creates accounts and a PAM service)"

: "${top_builddir:=.}"
MODULE=$(cd "$top_builddir" && pwd)/pam/.libs/pam_apitoken.so
APITOKEN=$(cd "$top_builddir" && pwd)/apitoken
# The same program built for the tests (crash points, a throwaway store
# compiled in): see tests/helper/local.mk.
TEST_APITOKEN=$(cd "$top_builddir" && pwd)/tests/helper/apitoken
VERIFYD=$(cd "$top_builddir" && pwd)/apitoken-verifyd
AUTHD=$(cd "$top_builddir" && pwd)/apitoken-authd
[ -f "$MODULE" ] || fail "module not built: $MODULE (run the tests through make check)"
[ -x "$APITOKEN" ] || fail "helper not built: $APITOKEN (run the tests through make check)"
[ -x "$TEST_APITOKEN" ] || fail "test helper not built: $TEST_APITOKEN (run the tests through make check)"

TAG=zzapt$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
WORK=$(mktemp -d "${TMPDIR:-/tmp}/apitoken-e2e.XXXXXX")
chmod 755 "$WORK"
STORE=$WORK/store
CONF=$WORK/apitoken.conf
SERVICE=apitoken-e2e-$TAG
CREATED_USERS=""

cleanup() {
	# a test's own undo steps (unmounting, say) come first
	[ -n "${EXTRA_CLEANUP:-}" ] && eval "$EXTRA_CLEANUP"
	[ -f "$WORK/sshd.pid" ] && kill "$(cat "$WORK/sshd.pid")" 2>/dev/null
	rm -f "/etc/pam.d/$SERVICE"
	for u in $CREATED_USERS $(getent passwd | cut -d: -f1 | grep "^$TAG"); do
		pkill -KILL -u "$u" 2>/dev/null
		userdel "$u" 2>/dev/null
		getent group "$u" >/dev/null && groupdel "$u" 2>/dev/null
	done
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# apitoken against the private store and config, as root.
at() { APITOKEN_CONFIG=$CONF "$APITOKEN" --store "$STORE" "$@"; }

# A plain local account (not ours) for personal tokens.
add_user() {
	useradd -M -d /nonexistent -s /bin/sh "$1" || fail "useradd $1"
	CREATED_USERS="$CREATED_USERS $1"
}

# The PAM service used by the test programs: the module in front, nothing
# else can authenticate.
write_service() {
	cat > "/etc/pam.d/$SERVICE" <<EOS
auth     [success=done ignore=ignore default=die] $MODULE store=$STORE config=$CONF
auth     requisite  pam_deny.so
account  [success=ok ignore=ignore default=bad] $MODULE store=$STORE config=$CONF
account  required   pam_permit.so
session  required   pam_permit.so
EOS
}

cat > "$CONF" <<EOC
default_services = $SERVICE
fail_delay = 0
lockout_attempts = 0
EOC
chmod 644 "$CONF"

# su_stacks SUDOER [MODULE-ARG...]: PAM stacks for su, su-l, sudo and
# sudo-i with the module in front (store, config and the args), and a
# sudoers rule that lets SUDOER run anything as root, all in $WORK, where
# in_ns mounts them over the machine's inside a private mount namespace:
# the machine's files are never written, and no other process sees them.
su_stacks() {
	_sudoer=$1
	shift
	for _svc in su su-l sudo sudo-i; do
		cat > "$WORK/pam.$_svc" <<EOS
auth     [success=done ignore=ignore default=die] $MODULE store=$STORE config=$CONF $*
auth     requisite  pam_deny.so
account  [success=ok ignore=ignore default=bad] $MODULE store=$STORE config=$CONF $*
account  required   pam_permit.so
session  required   pam_permit.so
password required   pam_deny.so
EOS
	done
	cat > "$WORK/sudoers" <<EOS
Defaults !lecture, timestamp_timeout=0, passwd_tries=1
$_sudoer ALL=(root) ALL
EOS
	chmod 440 "$WORK/sudoers"
}

# in_ns USER PASSWORD COMMAND...: COMMAND as USER with su_stacks' files
# mounted, PASSWORD on stdin (su and sudo -S read it there); its exit
# status, its output in $WORK/out
in_ns() {
	who=$1 pw=$2
	shift 2
	unshare -m sh -c '
		mount --make-rprivate / &&
		for s in su su-l sudo sudo-i; do
			mount --bind "$0/pam.$s" "/etc/pam.d/$s" || exit 99
		done &&
		mount --bind "$0/sudoers" /etc/sudoers || exit 99
		cd / && exec "$@"' "$WORK" \
		setpriv --reuid="$who" --regid="$(id -g "$who")" --init-groups "$@" \
		>"$WORK/out" 2>&1 <<EOI
$pw
EOI
}

# The verify protocol (common/verify_proto.h) from the shell.  A request:
#   vrequest USER SERVICE RHOST PASSWORD | ask_ok COMMAND...
# ask_ok prints the answer line and is true when its verdict is "ok".
vrequest() { printf 'apitoken-verify-2\0%s\0%s\0%s\0\0%s\0' "$1" "$2" "$3" "$4"; }
ask_ok() {
	_line=$("$@")
	printf '%s\n' "$_line"
	[ "$(printf '%s\n' "$_line" | cut -f2)" = ok ]
}

# expect STATUS COMMAND...: run it; its stdout in $OUT, its stderr in
# $WORK/stderr; fail unless it exits STATUS.
expect() {
	want=$1
	shift
	OUT=$("$@" 2>"$WORK/stderr")
	got=$?
	[ "$got" -eq "$want" ] || fail "exit $got, not $want: $* ($(cat "$WORK/stderr"))"
}
# json FILTER: $OUT satisfies the jq filter.
json() { printf '%s' "$OUT" | jq -e "$1" >/dev/null || fail "JSON lacks $1: $OUT"; }

# The HTTP servers' tests (nginx, Apache) ask $URL with basic auth.
http_code() {  # USER PASSWORD -> the HTTP status
	curl -s -o /dev/null -w '%{http_code}' -u "$1:$2" "$URL"
}
expect_http() {  # STATUS USER PASSWORD WHAT
	got=$(http_code "$2" "$3")
	[ "$got" = "$1" ] || fail "$4: HTTP $got, not $1 ($(tail -2 "$WORK/verifyd.log"))"
}
# expect_http_states SERVER: state_tokens' tokens for $U (and $O) against
# $URL: 200 for the good one, 401 for every other; --allow-from sees the
# client address the server passes.
expect_http_states() {
	expect_http 200 "$U" "$TOK" "a good token"
	expect_http 401 "$U" "$WRONG" "a wrong token"
	expect_http 401 "$U" "$SUS" "a suspended token"
	expect_http 401 "$U" "$REV" "a revoked token"
	expect_http 401 "$O" "$TOK" "a token given with another user's name"
	expect_http 401 "$U" "$THEIRS" "another user's token"
	expect_http 401 "$U" "$SSHD" "a token for another service"
	expect_http 401 "$U" "not-a-token" "a plain password"
	pass_msg "$1 as www-data: a good token 200; wrong, suspended, revoked, other user's, other service's 401"
	expect_http 200 "$U" "$LOCAL" "a token allowed from 127.0.0.1"
	expect_http 401 "$U" "$FAR" "a token allowed only from 192.0.2.0/24"
	pass_msg "$1 passes the client address: --allow-from honoured"
}

# state_tokens USER OTHER: the tokens every server's test tries, of USER
# for $SERVICE unless named: TOK (good), WRONG (its secret before a
# rotate), SUS (suspended), REV (revoked), THEIRS (OTHER's), SSHD (for
# another service), LOCAL and FAR (--allow-from 127.0.0.1, 192.0.2.0/24).
state_tokens() {
	TOK=$(at create api --user "$1") || fail "create"
	WRONG=$TOK
	TOK=$(at rotate api) || fail "rotate"
	SUS=$(at create sus --user "$1") && at suspend sus >/dev/null || fail "suspended token"
	REV=$(at create rev --user "$1") && at revoke rev >/dev/null || fail "revoked token"
	THEIRS=$(at create theirs --user "$2") || fail "other user's token"
	SSHD=$(at create sshd --user "$1" --service sshd) || fail "other service's token"
	LOCAL=$(at create local --user "$1" --allow-from 127.0.0.1/32) || fail "allow-from token"
	FAR=$(at create far --user "$1" --allow-from 192.0.2.0/24) || fail "allow-from token"
}

# start_verifyd: apitoken-verifyd on $SOCK for $STORE and $CONF, in the
# foreground of a background job; its pid in $WORK/verifyd.pid, its log
# in $WORK/verifyd.log.  Waits for the socket (5 s at most).
start_verifyd() {
	rm -f "$SOCK"
	"$VERIFYD" --foreground --socket "$SOCK" --store "$STORE" --config "$CONF" \
		2>> "$WORK/verifyd.log" &
	echo $! > "$WORK/verifyd.pid"
	_i=0
	while [ ! -S "$SOCK" ] && [ $_i -lt 50 ]; do sleep 0.1; _i=$((_i + 1)); done
	[ -S "$SOCK" ] || fail "the verify service did not start: $(cat "$WORK/verifyd.log")"
}

# clock_pinned: true when this build honours APITOKEN_TEST_NOW (configured
# with --enable-test-hooks, as CI is); checks of time passing need it.
clock_pinned() {
	mkdir -p "$WORK/clock-probe"
	_out=$(APITOKEN_TEST_NOW=4102444800 "$APITOKEN" --store "$WORK/clock-probe" \
		create probe --user root --expires 1d --json 2>/dev/null)
	rm -rf "$WORK/clock-probe"
	case $(printf '%s' "$_out" | jq -r .expires_at 2>/dev/null) in
	2100-*) return 0 ;;
	*) return 1 ;;
	esac
}
