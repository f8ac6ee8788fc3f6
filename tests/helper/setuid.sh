#!/bin/sh
# SPDX-License-Identifier: ISC
# apitoken installed setuid root, run by ordinary users: self-service works,
# and every attempt at another account's tokens, at service users, at
# another store or configuration, or with oversized or garbage arguments is
# refused with one line and exit 1 or 2, leaving the store unchanged.
#
# Self-service changes that mint or widen a token ask for the user's own
# password on the terminal (the PAM service "apitoken"): a wrong one, or no
# terminal, is refused; root is never asked.
#
# A setuid run reads the store compiled into the program, so this runs the
# test build of apitoken (tests/helper/local.mk), whose compiled-in store
# is a throwaway inside the build tree: it never touches a real store, in
# any configuration.  The same holds for the directory it reads the PAM
# service "apitoken" from.  The copy it runs lives in a directory the users
# can reach, since the build tree may be in a 0700 home.
. "${srcdir:-.}/tests/e2e/lib.sh"
command -v setpriv >/dev/null || skip "no setpriv (util-linux)"
command -v python3 >/dev/null || skip "no python3 (drives the password prompt)"
[ "${HAVE_PAM_CONFDIR:-yes}" = yes ] ||
	skip "libpam lacks pam_start_confdir, so the test build reads /etc/pam.d/apitoken"

BUILT_STORE=$(cd "$top_builddir" && pwd)/tests/helper/test-store
PAMDIR=$BUILT_STORE.pam.d
rm -rf "$BUILT_STORE" "$PAMDIR"
trap 'rm -rf "$BUILT_STORE" "$PAMDIR"; cleanup' EXIT

# The shipped service, its includes made absolute: the libpam of Debian 12
# resolves a relative @include in /etc/pam.d even for a private directory.
mkdir "$PAMDIR"
sed "s|^@include |@include $PAMDIR/|" "$srcdir/pam/pam.d/apitoken" > "$PAMDIR/apitoken"
echo 'auth required pam_unix.so' > "$PAMDIR/common-auth"
echo 'account required pam_unix.so' > "$PAMDIR/common-account"

SUID=$WORK/bin
mkdir "$SUID"
chmod 755 "$SUID"
cp "$TEST_APITOKEN" "$SUID/apitoken"
chown root:root "$SUID/apitoken"
chmod 4755 "$SUID/apitoken"

A=${TAG}a
B=${TAG}b
add_user "$A"
add_user "$B"
PW_A="pw-$A-$$"
echo "$A:$PW_A" | chpasswd || fail "chpasswd"
# as USER ARGS...: the setuid program, run by USER, from a neutral directory,
# with no controlling terminal (whatever runs make check)
as() {
	who=$1
	shift
	(cd / && setsid -w setpriv --reuid="$who" --regid="$(id -g "$who")" \
		--init-groups "$SUID/apitoken" "$@")
}
expect() {  # status user args...
	want=$1
	shift
	OUT=$(as "$@" 2>"$WORK/stderr")
	got=$?
	[ "$got" -eq "$want" ] || fail "exit $got, not $want: $* ($(cat "$WORK/stderr"))"
	[ "$want" -eq 0 ] || [ "$(wc -l < "$WORK/stderr")" -eq 1 ] ||
		fail "not one line of error: $(cat "$WORK/stderr")"
}
# asked STATUS PASSWORD USER ARGS...: as expect, from a terminal whose
# password prompts get PASSWORD ("-": end of input); fails unless asked.
asked() {
	want=$1 pw=$2 who=$3
	shift 3
	OUT=$(cd / && python3 "$srcdir/tests/helper/tty.py" "$WORK/tty" "$pw" \
		setpriv --reuid="$who" --regid="$(id -g "$who")" --init-groups \
		"$SUID/apitoken" "$@" 2>"$WORK/stderr")
	got=$?
	[ "$got" -eq "$want" ] || fail "exit $got, not $want: $* ($(cat "$WORK/stderr"))"
	grep -q 'assword:' "$WORK/tty" || fail "no password asked: $*"
	[ "$want" -eq 0 ] || [ "$(wc -l < "$WORK/stderr")" -eq 1 ] ||
		fail "not one line of error: $(cat "$WORK/stderr")"
}
root() { APITOKEN_CONFIG=$CONF "$TEST_APITOKEN" --store "$BUILT_STORE" "$@"; }

# root makes a token for B and a service user
root create theirs --user "$B" >/dev/null 2>"$WORK/stderr" || fail "root create: $(cat "$WORK/stderr")"
BID=$(root list --json | jq -r '.[0].id')
root create "${TAG}svc" >/dev/null 2>"$WORK/stderr" || fail "root create service user: $(cat "$WORK/stderr")"

# self-service: minting and widening ask for the password, first of all
expect 1 "$A" create mine --user "$A"
grep -q 'terminal' "$WORK/stderr" || fail "no-terminal refusal unclear: $(cat "$WORK/stderr")"
asked 1 wrong "$A" create mine --user "$A"
grep -q 'authentication failed' "$WORK/stderr" || fail "wrong password: $(cat "$WORK/stderr")"
asked 1 - "$A" create mine --user "$A"
[ "$(root list --user "$A" --json | jq length)" -eq 0 ] || fail "a refused create left a token"
pass_msg "self-service create: no terminal, a wrong password, no answer: refused"
asked 0 "$PW_A" "$A" create mine --user "$A"
TOK=$OUT
[ "$(printf '%s' "$TOK" | grep -c '^apitok_')" -eq 1 ] || fail "create printed '$TOK'"
expect 0 "$A" list --json
printf '%s' "$OUT" | jq -e "length == 1 and .[0].user == \"$A\"" >/dev/null ||
	fail "a user sees other tokens: $OUT"
expect 0 "$A" show mine
expect 0 "$A" suspend mine
expect 1 "$A" activate mine
asked 1 wrong "$A" activate mine
asked 0 "$PW_A" "$A" activate mine
expect 1 "$A" rotate mine
asked 1 wrong "$A" rotate mine
asked 0 "$PW_A" "$A" rotate mine
ok_msg="self-service: create, activate and rotate with the password; list, show, suspend without"
pass_msg "$ok_msg"
# root is never asked, with a terminal or without
(cd / && python3 "$srcdir/tests/helper/tty.py" "$WORK/tty" - env APITOKEN_CONFIG="$CONF" \
	"$SUID/apitoken" --store "$BUILT_STORE" create byroot --user "$A" >/dev/null 2>&1) ||
	fail "root create from a terminal"
! grep -q 'assword' "$WORK/tty" || fail "root was asked for a password"
root rotate byroot </dev/null >/dev/null 2>&1 || fail "root rotate without a terminal"
root delete byroot >/dev/null 2>&1 || fail "root delete"
pass_msg "root is not asked"

# root's self_service_services (default sshd) bounds what a user's own
# token may name; sudo, su, login and "*" never by default
for svc in sudo su su-l login '*' "$SERVICE"; do
	expect 1 "$A" create "s$(echo "$svc" | tr -dc a-z)x" --user "$A" --service "$svc"
	grep -q self_service_services "$WORK/stderr" ||
		fail "refusal of --service $svc does not name the setting: $(cat "$WORK/stderr")"
done
root show mine --json | jq -e '.services == ["sshd"]' >/dev/null ||
	fail "a self-service token did not get default_services written into it"
pass_msg "self-service tokens: only self_service_services (sshd by default)"
# ... and with the shipped sudo stack such a token does not open sudo
# (pam_wrapper gives pamtester a private service directory in which the
# service is really called "sudo"; pamtester cannot load sanitizer builds)
WRAP=$(ls /usr/lib/*/libpam_wrapper.so 2>/dev/null | head -1)
# A's own token, rotated (with A's password): $OUT for the verify checks below.
OWN=$(root show mine --json | jq -r .id)
asked 0 "$PW_A" "$A" rotate "$OWN"
if ldd "$MODULE" | grep -q libasan; then
	echo "note: sudo stack not tried: pamtester cannot load a sanitizer build"
elif [ -z "$WRAP" ] || ! command -v pamtester >/dev/null; then
	fail "pamtester and libpam-wrapper are needed (scripts/deps)"
else
	mkdir "$WORK/sudo.d"
	sed "s|pam_apitoken.so|$MODULE store=$BUILT_STORE config=$CONF|" \
		"$srcdir/pam/examples/sudo-token" > "$WORK/sudo.d/sudo"
	sudo_with() {
		printf '%s\n' "$1" | LD_PRELOAD=$WRAP PAM_WRAPPER=1 \
			PAM_WRAPPER_SERVICE_DIR="$WORK/sudo.d" pamtester sudo "$A" authenticate \
			>/dev/null 2>&1
	}
	sudo_with "$OUT" && fail "a self-service token opened sudo"
	RS=$(root create rootsudo --user "$A" --service sudo 2>/dev/null) || fail "root create sudo token"
	sudo_with "$RS" || fail "root's sudo token did not open sudo (the harness proves nothing)"
	root delete rootsudo >/dev/null 2>&1
	pass_msg "with the shipped sudo stack a self-service token does not open sudo; root's does"
fi
vrequest "$A" sshd "" "$OUT" | ask_ok as "$A" verify >/dev/null 2>&1 ||
	fail "verify of an own token"
vrequest "$B" sshd "" "$TOK" | ask_ok as "$A" verify >"$WORK/vline" 2>&1 &&
	fail "verify on behalf of another user"
grep -q "	denied	not-verifier	" "$WORK/vline" ||
	fail "refusal of another user's token: $(cat "$WORK/vline")"
# A request is exact: five fields, each ended by its NUL, nothing after.
vrequest "$A" sshd "" "$OUT" | head -c -1 | ask_ok as "$A" verify >/dev/null 2>&1 &&
	fail "verify of a request without its last NUL"
{ vrequest "$A" sshd "" "$OUT"; printf 'trailing bytes'; } | ask_ok as "$A" verify >/dev/null 2>&1 &&
	fail "verify of a request with bytes after it"
vrequest "$A" sshd "" "${OUT}X" | ask_ok as "$A" verify >/dev/null 2>&1 &&
	fail "verify of a token with a byte appended"
pass_msg "verify mode: own tokens only"

# update: a user narrows their own token, never widens it (nothing in the
# record says whether root set the current limits)
expect 0 "$A" update mine --expires 1d --allow-from 192.0.2.0/24 --json
expect 1 "$A" update mine --expires 30d
expect 1 "$A" update mine --expires never
expect 1 "$A" update mine --no-allow-from
expect 1 "$A" update mine --allow-from 198.51.100.0/24
expect 0 "$A" update mine --allow-from 192.0.2.0/25
expect 1 "$A" update mine --permission extra
expect 1 "$A" update mine --service sudo
expect 0 "$A" update mine --service sshd --description "narrowed"
pass_msg "self-service update: narrowing only"

BEFORE=$(root list --all --json | jq -S 'map(del(.last_used_at, .last_used_from, .recorded_uses))')
expect 1 "$A" create svc2
expect 1 "$A" create x --user "$B"
expect 1 "$A" list --user "$B"
expect 1 "$A" show "$BID"
expect 1 "$A" show theirs
expect 1 "$A" revoke "$BID"
expect 1 "$A" delete theirs
expect 1 "$A" suspend "${TAG}svc"
expect 1 "$A" rotate "${TAG}svc"
expect 1 "$A" update theirs --description x
expect 1 "$A" update "${TAG}svc" --expires 1d
expect 1 "$A" check --repair
expect 1 "$A" unlock mine
expect 1 "$A" --store "$WORK" list
OUT=$(cd / && APITOKEN_STORE=$WORK setpriv --reuid="$A" --regid="$(id -g "$A")" --init-groups \
	"$SUID/apitoken" list 2>&1) && fail "APITOKEN_STORE honoured for a user"
OUT=$(cd / && APITOKEN_CONFIG=$WORK/x setpriv --reuid="$A" --regid="$(id -g "$A")" --init-groups \
	"$SUID/apitoken" list 2>&1) && fail "APITOKEN_CONFIG honoured for a user"
pass_msg "another account's tokens, service users, other stores and configs: refused"

LONG=$(head -c 10000 /dev/zero | tr '\0' a)
expect 2 "$A" create "$LONG" --user "$A"
expect 2 "$A" create ok --user "$A" --description "$LONG"
expect 2 "$A" create ok --user "$A" --description "$(printf 'bell\a')"
expect 2 "$A" create ok --user "$A" --description "$(printf 'bad \377 utf8')"
expect 2 "$A" create "$(printf 'n\001')" --user "$A"
expect 2 "$A" create ok --user "$A" --permission "$LONG"
expect 2 "$A" show "$LONG"
expect 2 "$A" frobnicate
pass_msg "oversized, control-character and non-UTF-8 arguments refused"

AFTER=$(root list --all --json | jq -S 'map(del(.last_used_at, .last_used_from, .recorded_uses))')
# A's own token is the only one A changed
[ "$(printf '%s' "$BEFORE" | jq -c "map(select(.user != \"$A\"))")" = \
  "$(printf '%s' "$AFTER" | jq -c "map(select(.user != \"$A\"))")" ] ||
	fail "refused commands changed the store"
pass_msg "the store is unchanged by every refused command"

# a hostile environment changes nothing: the result is the same list
OUT=$(cd / && env -i PATH=/nonexistent IFS=x LD_PRELOAD=/nonexistent.so LANG=../../x TZ=../x \
	"$(command -v setpriv)" --reuid="$A" --regid="$(id -g "$A")" --init-groups "$SUID/apitoken" list --json) ||
	fail "hostile environment broke the helper"
printf '%s' "$OUT" | jq -e "length == 1" >/dev/null || fail "hostile environment changed the answer"
# closed standard descriptors are reopened on /dev/null, not reused
(cd / && setpriv --reuid="$A" --regid="$(id -g "$A")" --init-groups \
	"$SUID/apitoken" list >/dev/null 2>&- <&-) || fail "closed fds broke the helper"
pass_msg "hostile environment and closed fds 0-2 are harmless"

# A caller's limits are not ours: with 5 descriptors the token store opens
# but the usage store did not, and the lockout was silently off.  The soft
# limit is raised to the hard one; a hard limit too low refuses the run.
# A user's verify counts no failures (locks.sh), so root's verify, with
# the same default configuration and from the same source address, makes
# the lockout that A's must see.
LW=$(root create lim --user "$A" --service sshd 2>/dev/null) || fail "root create lim"
root rotate lim >/dev/null 2>&1 || fail "root rotate lim"
limited() {  # HARD SOFT: A verifies the first, now wrong, secret of lim
	vrequest "$A" sshd 192.0.2.44 "$LW" | (ulimit -S -n "$2" && ulimit -H -n "$1" && cd / &&
		exec setsid -w setpriv --reuid="$A" --regid="$(id -g "$A")" --init-groups \
		"$SUID/apitoken" verify) 2>"$WORK/stderr"
}
for i in 1 2 3 4 5; do
	vrequest "$A" sshd 192.0.2.44 "$LW" | (cd / && "$SUID/apitoken" verify) >/dev/null
done
limited 1024 5 | grep -q "	denied	locked-out	" ||
	fail "a low RLIMIT_NOFILE switched the lockout off: $(limited 1024 5; cat "$WORK/stderr")"
limited 10 10 && fail "verify ran under a hard RLIMIT_NOFILE of 10"
grep -q RLIMIT_NOFILE "$WORK/stderr" || fail "the refusal does not name the limit: $(cat "$WORK/stderr")"
root delete lim >/dev/null 2>&1
pass_msg "a caller's low RLIMIT_NOFILE: the soft limit is raised, a low hard limit refused"
# rotate --self: a service user's CI job renews its own token, for the
# lifetime root granted and no more, with no wider scope; nobody else may
R=${TAG}r
root create "$R" --expires 10d --service sshd --permission deploy:read --json > "$WORK/r.json" 2>"$WORK/stderr" ||
	fail "root create for rotate --self: $(cat "$WORK/stderr")"
RID=$(jq -r .id "$WORK/r.json")
ROLD=$(jq -r .token "$WORK/r.json")
expect 0 "$R" rotate --self --json
printf '%s' "$OUT" | jq -e ".id == \"$RID\" and .services == [\"sshd\"] and .permissions == [\"deploy:read\"]" >/dev/null ||
	fail "rotate --self widened or moved the token: $OUT"
RNEW=$(printf '%s' "$OUT" | jq -r .token)
EXP=$(printf '%s' "$OUT" | jq -r .expires_at | xargs -I@ date -d @ +%s)
[ "$EXP" -le $(( $(date +%s) + 10 * 86400 + 5 )) ] && [ "$EXP" -ge $(( $(date +%s) + 10 * 86400 - 60 )) ] ||
	fail "rotate --self: expiry not what root granted: $OUT"
vrequest "$R" sshd "" "$RNEW" | ask_ok "$SUID/apitoken" verify >/dev/null || fail "the self-rotated secret"
vrequest "$R" sshd "" "$ROLD" | ask_ok "$SUID/apitoken" verify >/dev/null && fail "the secret before rotate --self"
expect 2 "$R" rotate --self "$RID"
expect 2 "$R" rotate --self --expires 1y
expect 1 "$A" rotate --self
expect 1 "$B" rotate --self
root suspend "$RID" >/dev/null 2>&1
expect 1 "$R" rotate --self
root activate "$RID" >/dev/null 2>&1
root update "$RID" --expires never >/dev/null 2>&1
expect 0 "$R" rotate --self --json
printf '%s' "$OUT" | jq -e '.expires_at == null' >/dev/null || fail "rotate --self gave an expiry root had not"
root rotate --self >/dev/null 2>&1
[ $? -eq 2 ] || fail "root's rotate --self"
root delete "$RID" >/dev/null 2>&1
pass_msg "rotate --self: a service user renews its own token for what root granted, no wider; nobody else may"
echo "setuid surface: all checks passed"
