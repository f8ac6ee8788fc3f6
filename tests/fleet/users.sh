#!/bin/sh
# SPDX-License-Identifier: ISC
# Fleet service users (apitoken-syncd and check --repair --fleet-users)
# against a real slapd provider on 127.0.0.1 (tests/fleet/lib.sh):
#   - a service-user token entry with apitokenUidNumber N: after syncd
#     --once the account exists with uid N, marked ours, and the token logs
#     in; a daemon SIGKILLed between its commit and the accounts leaves the
#     record without an account, and the next run creates it;
#   - a second host (its own store and PAM service) logs in as the same
#     uid; a true second host, its own /etc in a mount namespace, makes
#     the account itself with the same uid;
#   - an account of the same name with another uid, and one holding the
#     uid under another name, are refused and logged in one line, left
#     alone, and the token does not log in;
#   - the account expires with the token, as the directory moves it;
#   - a revoke in the directory locks the account and ends a process
#     running as it, and an active status afterwards does not open it
#     again; a delete removes the account; a personal fleet token's
#     revoke touches no account.
# Accounts are named zzapt<random>... and removed on every exit path.
[ "${WITH_FLEET:-yes}" = no ] && { echo "SKIP: configured --without-fleet"; exit 77; }
. "$srcdir/tests/fleet/lib.sh"
. "$srcdir/tests/e2e/lib.sh"
command -v jq >/dev/null || skip "no jq (apt-get install jq)"
command -v perl >/dev/null || skip "no perl (runs a process as the service user)"
command -v setpriv >/dev/null || skip "no setpriv (util-linux)"
SERVICE2=$SERVICE-2
STORE2=$WORK/store2
CONF2=$WORK/apitoken2.conf
TEST_CLEANUP='rm -f "/etc/pam.d/$SERVICE2"'

fleet_host_init
SAN=$FLEET_SAN
# fleet_login for a host given: its PAM service, store and configuration
login_at() { # SERVICE STORE CONF USER TOKEN
	if [ $SAN = yes ]; then
		vrequest "$4" "$1" 127.0.0.1 "$5" |
			APITOKEN_CONFIG=$3 "$APITOKEN" --store "$2" verify 2>/dev/null | cut -f2 | grep -qx ok
	else
		printf '%s\n' "$5" | pamtester "$1" "$4" authenticate acct_mgmt >/dev/null 2>&1
	fi
}

host_ldif web02 > "$FW/web02.ldif"
fleet_directory "$FW/web02.ldif"

# free_uid FROM: the first uid from FROM that no account or group has
free_uid() {
	_u=$1
	while getent passwd "$_u" >/dev/null || getent group "$_u" >/dev/null; do
		_u=$((_u + 1))
	done
	echo "$_u"
}
S=${TAG}u
N=$(free_uid $((60900 + $$ % 90)))
M=${TAG}m
add_user "$M"
write_service

# A second host: its own store, configuration and PAM service.
cp "$CONF" "$CONF2"
host_conf "$CONF2" web02
host_conf "$CONF" web01
sed -e "s|store=$STORE |store=$STORE2 |" -e "s|config=$CONF\$|config=$CONF2|" \
	"/etc/pam.d/$SERVICE" > "/etc/pam.d/$SERVICE2"
grep -q "store=$STORE2 config=$CONF2" "/etc/pam.d/$SERVICE2" || fail "the second host's PAM service"
# syncd, and syncd2 for the second host, with the built helper: they
# make the service users' accounts.
syncd() { "$SYNCD" --config "$CONF" --store "$STORE" --helper "$APITOKEN" "$@"; }
syncd2() { "$SYNCD" --config "$CONF2" --store "$STORE2" --helper "$APITOKEN" "$@"; }

add_entry() { # TOKEN NAME OWNER [UID]: a service user's when UID is given
	{
		printf 'dn: apitokenId=%s,%s\nchangetype: add\nobjectClass: apitoken\napitokenId: %s\ncn: %s\napitokenSecretHash:: %s\napitokenOwner: %s\napitokenStatus: active\napitokenService: %s\napitokenService: %s\napitokenHost: web\n' \
			"$(tok_id "$1")" "$TOKENS" "$(tok_id "$1")" "$2" "$(tok_hash "$1")" "$3" "$SERVICE" "$SERVICE2"
		[ -n "${4:-}" ] && printf 'apitokenServiceUser: TRUE\napitokenUidNumber: %s\n' "$4"
	} | ldm "$U1" "$ADMIN" "$ADMIN_PW" >/dev/null || fail "ldapmodify add $2"
}
set_status() { # TOKEN STATUS
	printf 'dn: apitokenId=%s,%s\nchangetype: modify\nreplace: apitokenStatus\napitokenStatus: %s\n' \
		"$(tok_id "$1")" "$TOKENS" "$2" | ldm "$U1" "$ADMIN" "$ADMIN_PW" >/dev/null ||
		fail "ldapmodify $2"
}
del_entry() {
	printf 'dn: apitokenId=%s,%s\nchangetype: delete\n' "$(tok_id "$1")" "$TOKENS" |
		ldm "$U1" "$ADMIN" "$ADMIN_PW" >/dev/null || fail "ldapmodify delete"
}
# A host that is really another: /etc of its own (a copy from before any
# fleet account existed), so that its passwd files start without S.
# A useradd of a test running beside this one holds shadow-utils' lock
# files, which vanish mid-copy (cp: cannot stat '/etc/gshadow.lock'):
# the copy is tried again, and the locks it caught are removed, as they
# are the real /etc's and would lock the copy's files.
ETC2=$WORK/etc2
n=0
until rm -rf "$ETC2" && cp -a /etc "$ETC2" 2> "$WORK/cp.err"; do
	n=$((n + 1)); [ $n -lt 5 ] || { cat "$WORK/cp.err"; fail "copy /etc"; }
	sleep 0.2
done
rm -f "$ETC2"/*.lock "$ETC2/.pwd.lock"
getent passwd "$S" >/dev/null && fail "$S exists before the test made it"

T=$(mint 1 "$M")
TID=$(tok_id "$T")
add_entry "$T" ci-svc "$S" "$N"
PT=$(mint 2 "$M")
add_entry "$PT" ci-personal "$M"

# Killed between the commit and the accounts: a helper that SIGKILLs the
# daemon that runs it.
printf '#!/bin/sh\nkill -KILL $PPID\nsleep 5\n' > "$WORK/killer"
chmod 755 "$WORK/killer"
"$SYNCD" --config "$CONF" --store "$STORE" --helper "$WORK/killer" --once 2> "$WORK/crash.log"
got=$?
[ $got -eq 137 ] || { cat "$WORK/crash.log"; fail "syncd was not killed at the accounts step (exit $got)"; }
expect 0 at show "$TID" --json
json '.status == "active" and .origin == "fleet"'
getent passwd "$S" >/dev/null && fail "the account was made although the daemon was killed before"
login_at "$SERVICE" "$STORE" "$CONF" "$S" "$T" && fail "the token logs in without its account"
expect 1 at check --fleet-users
printf '%s' "$OUT" | grep -q "$TID.*no account here yet" || fail "check does not find the missing account: $OUT"
syncd --once 2> "$WORK/once.log" || { cat "$WORK/once.log"; fail "syncd --once after the crash"; }
[ "$(getent passwd "$S" | cut -d: -f3,4,5)" = "$N:$N:apitoken $TID" ] ||
	fail "the next run did not make $S with uid $N: $(getent passwd "$S"); $(cat "$WORK/once.log")"
grep -q "apitoken check: $TID: repaired" "$WORK/once.log" || fail "the daemon did not log the repair: $(cat "$WORK/once.log")"
login_at "$SERVICE" "$STORE" "$CONF" "$S" "$T" || fail "the service-user fleet token does not log in"
expect 0 at check
ok "SIGKILL between the commit and the accounts: the next syncd --once makes $S with the central uid $N; the token logs in as it"

syncd2 --once 2> "$WORK/once2.log" || { cat "$WORK/once2.log"; fail "syncd --once on the second host"; }
[ "$(id -u "$S")" = "$N" ] || fail "the second host changed the uid of $S"
login_at "$SERVICE2" "$STORE2" "$CONF2" "$S" "$T" || fail "the token does not log in on the second host"
ok "a second host (its own store and PAM service) logs in as the same uid $N"

# The account expires with the token, also when the directory moves it.
printf 'dn: apitokenId=%s,%s\nchangetype: modify\nreplace: apitokenNotAfter\napitokenNotAfter: 20991231120000Z\n' \
	"$TID" "$TOKENS" | ldm "$U1" "$ADMIN" "$ADMIN_PW" >/dev/null || fail "ldapmodify apitokenNotAfter"
syncd --once 2> "$WORK/expiry.log" || { cat "$WORK/expiry.log"; fail "syncd --once (expiry)"; }
# 2099-12-31T12:00Z rounded up to a day: 2100-01-01, day 47482
[ "$(getent shadow "$S" | cut -d: -f8)" = 47482 ] ||
	fail "the account does not expire with the token: $(getent shadow "$S" | cut -d: -f1,8); $(cat "$WORK/expiry.log")"
login_at "$SERVICE" "$STORE" "$CONF" "$S" "$T" || fail "the token does not log in after its expiry moved"
ok "the account's expiry follows the token's in the directory"

NS=no
if unshare --mount --propagation private true 2>/dev/null; then
	NS=yes
	STORE3=$WORK/store3
	CONF3=$WORK/apitoken3.conf
	host_conf "$CONF3" web02
	sed -e "s|store=$STORE |store=$STORE3 |" -e "s|config=$CONF\$|config=$CONF3|" \
		"/etc/pam.d/$SERVICE" > "$ETC2/pam.d/$SERVICE"
	cat > "$WORK/host3.sh" <<'EOS'
# Another host: its own /etc, then syncd --once and a login there.
mount --bind "$ETC2" /etc || exit 1
"$SYNCD" --config "$CONF3" --store "$STORE3" --helper "$APITOKEN" --once 2> "$WORK/once3.log" || exit 2
getent passwd "$S" | cut -d: -f3,5 > "$WORK/host3.passwd"
if [ "$SAN" = yes ]; then
	printf 'apitoken-verify-2\0%s\0%s\0%s\0\0%s\0' "$S" "$SERVICE" 127.0.0.1 "$T" |
		APITOKEN_CONFIG=$CONF3 "$APITOKEN" --store "$STORE3" verify | cut -f2 | grep -qx ok || exit 3
else
	printf '%s\n' "$T" | pamtester "$SERVICE" "$S" authenticate acct_mgmt >/dev/null 2>&1 || exit 3
fi
EOS
	ETC2=$ETC2 SYNCD=$SYNCD CONF3=$CONF3 STORE3=$STORE3 APITOKEN=$APITOKEN WORK=$WORK \
		S=$S SAN=$SAN SERVICE=$SERVICE T=$T \
		unshare --mount --propagation private sh "$WORK/host3.sh"
	got=$?
	[ $got -eq 0 ] || fail "the host with its own /etc (step $got): $(cat "$WORK/once3.log" 2>/dev/null)"
	[ "$(cat "$WORK/host3.passwd")" = "$N:apitoken $TID" ] || fail "the other host made $(cat "$WORK/host3.passwd")"
	grep -q "^$S:" "$ETC2/passwd" || fail "the other host's account is not in its own passwd"
	ok "a host with its own /etc (mount namespace) makes $S itself, with the same uid $N, and the token logs in there"
fi

# Collisions: the name with another uid, and the uid under another name.
C=${TAG}c
add_user "$C"
CUID=$(id -u "$C")
NC=$(free_uid $((N + 1)))
TC=$(mint 3 "$M")
add_entry "$TC" ci-clash "$C" "$NC"
K=${TAG}k
TK=$(mint 4 "$M")
add_entry "$TK" ci-uid "$K" "$CUID"
syncd --once 2> "$WORK/clash.log" || { cat "$WORK/clash.log"; fail "syncd --once (collisions)"; }
[ "$(grep -c "$(tok_id "$TC").*has the fleet service user's name: refused" "$WORK/clash.log")" -eq 1 ] ||
	fail "the name collision is not logged in one line: $(cat "$WORK/clash.log")"
[ "$(grep -c "$(tok_id "$TK").*has the fleet service user's uid: refused" "$WORK/clash.log")" -eq 1 ] ||
	fail "the uid collision is not logged in one line: $(cat "$WORK/clash.log")"
[ "$(getent passwd "$C" | cut -d: -f3,5)" = "$CUID:" ] || fail "the colliding account $C was changed: $(getent passwd "$C")"
getent passwd "$NC" >/dev/null && fail "uid $NC was made although its name is taken"
getent passwd "$K" >/dev/null && fail "$K was made with a uid another account has"
login_at "$SERVICE" "$STORE" "$CONF" "$C" "$TC" && fail "a token whose name collides logs in"
login_at "$SERVICE" "$STORE" "$CONF" "$K" "$TK" && fail "a token whose uid collides logs in"
expect 1 at check --repair --fleet-users
ok "a fleet service user whose name or uid another account has is refused, logged in one line, and does not log in"
del_entry "$TC"
del_entry "$TK"
syncd --once 2>/dev/null || fail "syncd --once (collisions deleted)"
[ "$(getent passwd "$C" | cut -d: -f3)" = "$CUID" ] || fail "a deleted colliding token removed $C"
expect 0 at check

# A process running as the service user, reaped by a subreaper of root's
# (userdel and the lock wait for zombies to go).
cat > "$WORK/reaper" <<'EOS'
require "sys/syscall.ph";
my ($uid, $pidfile) = @ARGV;
# 36: PR_SET_CHILD_SUBREAPER
syscall(&SYS_prctl, 36, 1, 0, 0, 0) == 0 or die "prctl: $!\n";
my $pid = fork() // die "fork: $!\n";
if ($pid == 0) {
	exec("setpriv", "--reuid=$uid", "--regid=$uid", "--clear-groups", "sleep", "300") or die "exec: $!\n";
}
open(my $f, ">", $pidfile) or die "$pidfile: $!\n";
print $f "$pid\n";
close($f);
1 while wait() != -1;
EOS
perl "$WORK/reaper" "$N" "$WORK/sleep.pid" </dev/null >/dev/null 2>&1 &
n=0
until [ -s "$WORK/sleep.pid" ] && [ "$(stat -c %u "/proc/$(cat "$WORK/sleep.pid")" 2>/dev/null)" = "$N" ]; do
	n=$((n + 1)); [ $n -lt 100 ] || fail "no process as $S"
	sleep 0.05
done
SLEEP=$(cat "$WORK/sleep.pid")
set_status "$PT" revoked
set_status "$T" revoked
syncd --once 2> "$WORK/revoke.log" || { cat "$WORK/revoke.log"; fail "syncd --once (revoke)"; }
kill -0 "$SLEEP" 2>/dev/null && fail "a process of $S survived the revoke"
[ "$(getent shadow "$S" | cut -d: -f8)" = 1 ] || fail "revoked, $S is not expired: $(getent shadow "$S" | cut -d: -f1,8)"
getent shadow "$S" | cut -d: -f2 | grep -q '^!' || fail "revoked, $S is not locked"
[ "$(getent shadow "$M" | cut -d: -f8)" = "" ] || fail "a personal fleet token's revoke changed $M: $(getent shadow "$M" | cut -d: -f1,8)"
login_at "$SERVICE" "$STORE" "$CONF" "$S" "$T" && fail "a revoked token logs in"
expect 0 at check
syncd2 --once 2>/dev/null || fail "syncd --once on the second host (revoke)"
login_at "$SERVICE2" "$STORE2" "$CONF2" "$S" "$T" && fail "a revoked token logs in on the second host"
ok "a revoke in the directory locks and expires $S and ends its process; a personal token's revoke touches no account"

# A revoke is final: active again in the directory, the account stays locked.
set_status "$T" active
syncd --once 2> "$WORK/again.log" || { cat "$WORK/again.log"; fail "syncd --once (active again)"; }
grep -q "$TID.*locked by a revoke, which is final" "$WORK/again.log" || fail "not reported: $(cat "$WORK/again.log")"
[ "$(getent shadow "$S" | cut -d: -f8)" = 1 ] || fail "a revoked account was opened again"
login_at "$SERVICE" "$STORE" "$CONF" "$S" "$T" && fail "a revoked service user logs in again"
expect 1 at check --fleet-users
ok "a revoked fleet service user stays locked when the directory makes its token active again"

del_entry "$T"
syncd --once 2> "$WORK/delete.log" || { cat "$WORK/delete.log"; fail "syncd --once (delete)"; }
getent passwd "$S" >/dev/null && fail "a delete in the directory left $S"
getent group "$S" >/dev/null && fail "a delete in the directory left the group $S"
expect 0 at check
ok "a delete in the directory removes $S, as a local delete does"
[ $NS = yes ] || skip "unshare --mount does not work here (needed for a host with its own /etc); the rest passed"
