#!/bin/sh
# SPDX-License-Identifier: ISC
# The accounts behind tokens, as root against a private store:
#   - revoke and delete end every process of a service user, also one that
#     keeps forking (a new pid every few milliseconds), before the account
#     is locked or removed.
#   - a service user may not make a token for itself; the account step
#     (and the verify) refuse a token whose account, any account, has
#     expired or has its password locked, also when that happens between
#     authentication and the account step.
#   - a service user's gid is its uid, from the range that is never
#     reused, and goes with it.
#   - a token never outlives its account: once the account is deleted and
#     made again with the same name and uid (or its password changed), the
#     old token is refused at auth and at the account step, and rotate,
#     update and activate refuse it; apitoken check finds such tokens and
#     --repair tombstones them; with USERDEL_CMD set to the forget-user
#     hook (in a mount namespace of its own: /etc/login.defs is shared)
#     userdel tombstones them itself.  Our own changes to a service user
#     (revoke's lock and expiry, rotate's and update's expiry) leave its
#     last-change day alone, so its rotated token still works.
# Accounts are named zzapt<random>...; all are removed on exit, also on
# failure.
. "${srcdir:-.}/tests/e2e/lib.sh"
command -v jq >/dev/null || skip "no jq (apt-get install jq)"
command -v setpriv >/dev/null || skip "no setpriv (util-linux)"
command -v perl >/dev/null || skip "no perl (runs the fork-hopping process)"
command -v pamtester >/dev/null || skip "no pamtester (apt-get install pamtester)"

export APITOKEN_CONFIG=$CONF

# Processes that never keep their pid: each generation forks the next and
# exits, a new pid every two milliseconds or so, so that a /proc scan
# (pkill) finds pids that are gone by the time it signals them.  Six
# lineages, all of which one pass would have to catch.  Each lineage
# touches its own file in the directory it is given at every hop: a scan
# of /proc races the hops as pkill does, the files do not.
cat > "$WORK/hop" <<'EOS'
my $dir = shift;
my $i = 0;
for my $n (1 .. 5) { if (!fork) { $i = $n; last } }
open(my $f, ">", "$dir/$i") or die "$dir/$i: $!\n";
close($f);
for (;;) {
	select(undef, undef, undef, 0.002);
	fork and exit 0;
	utime(undef, undef, "$dir/$i");
}
EOS
# Each generation that exits is reaped by a subreaper of root's (which the
# user's kill(-1) cannot reach), not left to pid 1: some machines' pid 1
# reaps slowly, and thousands of zombies then slow the whole host (every
# /proc scan) and make userdel see processes.  It ends with the last hopper.
cat > "$WORK/reaper" <<'EOS'
require "sys/syscall.ph";
my ($uid, $gid, $script, $dir) = @ARGV;
# 36: PR_SET_CHILD_SUBREAPER
syscall(&SYS_prctl, 36, 1, 0, 0, 0) == 0 or die "prctl: $!\n";
my $pid = fork() // die "fork: $!\n";
if ($pid == 0) {
	exec("setpriv", "--reuid=$uid", "--regid=$gid", "--clear-groups",
	    "perl", $script, $dir) or die "exec: $!\n";
}
1 while wait() != -1;
EOS
# On failure the hoppers outlive the test unless ended again and again
# (by their command line: after a delete their uid may be another test's).
reap() {
	n=0
	while pgrep -f "$WORK/hop" >/dev/null && [ $n -lt 500 ]; do
		pkill -KILL -f "$WORK/hop"
		n=$((n + 1))
	done
}
EXTRA_CLEANUP=reap
# hop USER: start the hoppers as USER, wait until all six lineages run
HOPS=0
hop() {
	HOPS=$((HOPS + 1))
	BEAT=$WORK/beat.$HOPS
	mkdir "$BEAT" && chown "$1" "$BEAT" || fail "mkdir $BEAT"
	perl "$WORK/reaper" "$1" "$(id -g "$1")" "$WORK/hop" "$BEAT" </dev/null >/dev/null 2>&1 &
	n=0
	until [ "$(find "$BEAT" -type f | wc -l)" -eq 6 ]; do
		n=$((n + 1))
		[ $n -lt 200 ] || fail "the hopper of $1 did not start"
		sleep 0.05
	done
}
# none_left WHAT: no hopper of the last hop is alive after WHAT returned:
# none touches its file in the second after the first half second (a
# survivor touches it every few milliseconds)
none_left() {
	sleep 0.5
	touch "$WORK/mark"
	sleep 1
	left=$(find "$BEAT" -type f -newer "$WORK/mark" | wc -l)
	[ "$left" -eq 0 ] || fail "$left lineage(s) of hoppers survived $1"
}

S=${TAG}s
expect 0 at create "$S"
hop "$S"
expect 0 at revoke "$S"
none_left revoke
[ "$(getent shadow "$S" | cut -d: -f8)" = 1 ] || fail "revoked service user not expired"
hop "$S"
expect 0 at delete "$S"
none_left delete
getent passwd "$S" >/dev/null && fail "service user not deleted"
ok "revoke and delete end a fork-hopping process of the service user"

D=${TAG}d
expect 0 at create "$D"
hop "$D"
expect 0 at delete "$D"
none_left delete
getent passwd "$D" >/dev/null && fail "service user not deleted"
ok "delete of an active token ends its service user's processes and removes it"

# A service user asks the setuid helper for a token of its own.  The copy
# lives where the user can reach it (the tree may be in a 0700 home).
mkdir "$WORK/bin"
cp "$TEST_APITOKEN" "$WORK/bin/apitoken"
chmod 4755 "$WORK/bin/apitoken"
M=${TAG}m
expect 0 at create "$M"
OUT=$(cd / && env -u APITOKEN_CONFIG setsid -w setpriv --reuid="$M" --regid="$(id -g "$M")" --clear-groups \
	"$WORK/bin/apitoken" create mine --user "$M" 2>&1 </dev/null)
got=$?
[ "$got" -eq 1 ] || fail "a service user's own token: exit $got ($OUT)"
[ "$(printf '%s\n' "$OUT" | wc -l)" -eq 1 ] || fail "not one line: $OUT"
printf '%s' "$OUT" | grep -q "service user" || fail "refusal does not say why: $OUT"
expect 0 at delete "$M"
ok "a service user may not make a token for itself"

# An ordinary account with a password, and a token root made for it.
P=${TAG}p
add_user "$P"
echo "$P:pw-$P-$$" | chpasswd || fail "chpasswd"
expect 0 at create t --user "$P"
PTOK=$OUT
# stack [ACTION]: the module's auth, then ACTION run as root (pam_exec),
# then the module's account step
stack() {
	{
		echo "auth [success=ok ignore=ignore default=die] $MODULE store=$STORE config=$CONF"
		[ -n "${1:-}" ] && echo "auth optional pam_exec.so quiet $1"
		echo "auth requisite pam_permit.so"
		echo "account [success=ok ignore=ignore default=bad] $MODULE store=$STORE config=$CONF"
		echo "account required pam_permit.so"
	} > "/etc/pam.d/$SERVICE"
}
# login: auth and account through pamtester; its output in $OUT
login() { OUT=$(printf '%s\n' "$PTOK" | pamtester "$SERVICE" "$P" authenticate acct_mgmt 2>&1); }
vfy() { vrequest "$P" "$SERVICE" 127.0.0.1 "$PTOK" | ask_ok "$APITOKEN" --store "$STORE" verify; }
# pamtester cannot load a sanitizer-built module (ASan must come first in a
# program): there root's verify mode, the same decision in a sanitizer-built
# program, stands in for the login, and the pam_exec steps between auth and
# the account step are not tried.
SAN=no
ldd "$MODULE" | grep -q libasan && SAN=yes
[ $SAN = yes ] && login() { OUT=$(vfy 2>&1); }
stack
login || fail "the token of an open account: $OUT"
vfy >/dev/null || fail "verify of an open account's token"
usermod --lock -- "$P"
login && fail "the token of a locked account logs in"
vfy | grep -q "account-locked" || fail "verify does not say the account is locked"
usermod --unlock -- "$P"
login || fail "unlocked again, the token is refused: $OUT"
chage --expiredate 1 -- "$P"
login && fail "the token of an expired account logs in"
vfy | grep -q "account-expired" || fail "verify does not say the account expired"
chage --expiredate -1 -- "$P"
ok "a token of a locked or expired ordinary account is refused"

for change in "/usr/sbin/usermod --lock -- $P" "/usr/bin/chage --expiredate 1 -- $P"; do
	[ $SAN = yes ] && { echo "note: not tried in a sanitizer build: $change between auth and account"; continue; }
	stack "$change"
	login && fail "locked between auth and account ($change), still let in"
	printf '%s' "$OUT" | grep -q "successfully authenticated" ||
		fail "refused before the account step ($change): $OUT"
	usermod --unlock -- "$P"
	chage --expiredate -1 -- "$P"
done
stack
login || fail "the token no longer works: $OUT"
ok "the account step refuses a token whose account was locked or expired after auth"

# gids: the uid, for the group too; never handed out again
G=${TAG}g
expect 0 at create "$G" --json
GUID=$(printf '%s' "$OUT" | jq -r .uid)
[ "$(id -g "$G")" = "$GUID" ] || fail "gid $(id -g "$G") is not the uid $GUID"
[ "$(getent group "$G" | cut -d: -f3)" = "$GUID" ] || fail "group $G does not have gid $GUID"
expect 0 at delete "$G"
getent group "$G" >/dev/null && fail "delete left the group $G"
expect 0 at create "$G" --json
NUID=$(printf '%s' "$OUT" | jq -r .uid)
[ "$NUID" != "$GUID" ] || fail "uid $GUID handed out again"
[ "$(id -g "$G")" = "$NUID" ] || fail "gid $(id -g "$G") is not the new uid $NUID"
expect 0 at delete "$G"
ok "a service user's gid is its uid, never reused"

# A token never outlives its account.  A real account was made before its
# token, often long before: its shadow last-change day is set back to say
# so, since a re-created account (useradd), like a password change, gets
# today's, and a token made on that same day cannot tell the two apart
# (the userdel hook and apitoken check below cover that day).
R=${TAG}r
add_user "$R"
RUID=$(id -u "$R")
chage --lastday 2024-01-01 -- "$R"
expect 0 at create t --user "$R" --json
RTOK=$(printf '%s' "$OUT" | jq -r .token)
RID=$(printf '%s' "$OUT" | jq -r .id)
[ "$(printf '%s' "$OUT" | jq -r .account_since)" = 2024-01-01 ] ||
	fail "account_since not recorded: $(printf '%s' "$OUT" | jq -c .account_since)"
login_as() {
	if [ $SAN = yes ]; then
		OUT=$(vrequest "$1" "$SERVICE" 127.0.0.1 "$2" | ask_ok "$APITOKEN" --store "$STORE" verify 2>&1)
	else
		OUT=$(printf '%s\n' "$2" | pamtester "$SERVICE" "$1" authenticate acct_mgmt 2>&1)
	fi
}
vfy_as() { vrequest "$1" "$SERVICE" 127.0.0.1 "$2" | ask_ok "$APITOKEN" --store "$STORE" verify; }
# recreate USER UID: userdel, then useradd with the same name and uid
recreate() {
	userdel -- "$1" || fail "userdel $1"
	useradd -M -d /nonexistent -s /bin/sh -u "$2" -- "$1" || fail "useradd -u $2 $1"
	[ "$(id -u "$1")" = "$2" ] || fail "$1 did not get uid $2 back"
}
stack
login_as "$R" "$RTOK" || fail "the token of $R before the account changed: $OUT"
recreate "$R" "$RUID"
login_as "$R" "$RTOK" && fail "the old token logs in to the re-created account $R"
vfy_as "$R" "$RTOK" | grep -q "account-changed" || fail "verify does not say the account changed"
# ... also when that happens between authentication and the account step
chage --lastday 2024-01-01 -- "$R"
expect 0 at create t2 --user "$R" --json
RTOK2=$(printf '%s' "$OUT" | jq -r .token)
login_as "$R" "$RTOK2" || fail "the second token of $R: $OUT"
if [ $SAN = yes ]; then
	# pamtester cannot load this build: re-created outside a login, so that
	# what follows finds the account as the other branch leaves it
	echo "note: not tried in a sanitizer build: the account re-created between auth and account"
	recreate "$R" "$RUID"
else
	cat > "$WORK/recreate" <<EOS
#!/bin/sh
/usr/sbin/userdel -- $R && /usr/sbin/useradd -M -d /nonexistent -s /bin/sh -u $RUID -- $R
EOS
	chmod 755 "$WORK/recreate"
	stack "$WORK/recreate"
	login_as "$R" "$RTOK2" && fail "re-created between auth and account, still let in"
	printf '%s' "$OUT" | grep -q "successfully authenticated" ||
		fail "refused before the account step: $OUT"
	[ "$(id -u "$R")" = "$RUID" ] || fail "$R was not re-created with uid $RUID"
	stack
fi
ok "a re-created account (same name, same uid) does not inherit the old account's token, at auth or at the account step"

expect 0 at show "$RID" --json
[ "$(printf '%s' "$OUT" | jq -r .account_changed)" = true ] || fail "show --json: account_changed is not true"
[ "$(printf '%s' "$OUT" | jq -r .available_actions.rotate)" = false ] || fail "show --json offers rotate"
expect 0 at show "$RID"
printf '%s' "$OUT" | grep -q "orphaned: *the account changed" || fail "show does not say the account changed: $OUT"
expect 0 at list --user "$R"
printf '%s' "$OUT" | grep "$RID" | grep -q orphaned || fail "list does not mark it orphaned: $OUT"
expect 1 at rotate "$RID"
grep -q "can never log in again" "$WORK/stderr" || fail "rotate's refusal does not say why: $(cat "$WORK/stderr")"
expect 1 at update "$RID" --expires 1d
expect 0 at suspend "$RID"
expect 1 at activate "$RID"
ok "rotate, update and activate refuse a token whose account changed"

# check finds it, and a token whose account is gone, and --repair
# tombstones both.
G2=${TAG}v
add_user "$G2"
expect 0 at create t --user "$G2" --json
GID2=$(printf '%s' "$OUT" | jq -r .id)
userdel -- "$G2"
expect 1 at check
printf '%s\n' "$OUT" | grep "$RID" | grep -q "account changed" || fail "check does not find $RID: $OUT"
printf '%s\n' "$OUT" | grep "$GID2" | grep -q "no longer exists" || fail "check does not find $GID2: $OUT"
expect 1 at check --json
[ "$(printf '%s' "$OUT" | jq -r .consistent)" = false ] || fail "check --json says consistent"
expect 0 at check --repair
for id in "$RID" "$GID2"; do
	expect 0 at show "$id" --json
	[ "$(printf '%s' "$OUT" | jq -r .status)" = deleted ] || fail "check --repair left $id $(printf '%s' "$OUT" | jq -r .status)"
done
expect 0 at check
ok "check finds tokens of vanished and re-created accounts, and --repair tombstones them"

# A password change ends the account's personal tokens (in shadow it is
# the same evidence as a re-created account).
W=${TAG}w
add_user "$W"
chage --lastday 2024-01-01 -- "$W"
expect 0 at create t --user "$W" --json
WTOK=$(printf '%s' "$OUT" | jq -r .token)
login_as "$W" "$WTOK" || fail "the token of $W before the password change: $OUT"
echo "$W:pw-$W-$$" | chpasswd || fail "chpasswd"
login_as "$W" "$WTOK" && fail "the token survives a password change"
vfy_as "$W" "$WTOK" | grep -q "account-changed" || fail "verify does not say the account changed"
ok "a password change ends the account's personal tokens"
# its dead token is check's finding, and --repair's to tombstone
expect 1 at check
expect 0 at check --repair

# What we do to a service user leaves its last-change day alone: the
# commands revoke, rotate and update run, on an account whose day is set
# back (so that a change to today would show) ...
X=${TAG}x
add_user "$X"
chage --lastday 2024-01-01 -- "$X"
/usr/bin/chage --expiredate 2030-01-01 -- "$X"
/usr/sbin/usermod --lock --expiredate 1 -- "$X"
[ "$(getent shadow "$X" | cut -d: -f3)" = 19723 ] ||
	fail "chage -E or usermod -L -e moved the last-change day: $(getent shadow "$X")"
# ... and a service token, rotated and updated, still logs in.
V=${TAG}z
expect 0 at create "$V" --expires 30d --json
VTOK=$(printf '%s' "$OUT" | jq -r .token)
[ "$(printf '%s' "$OUT" | jq -r .account_since)" != null ] || fail "a service token without account_since"
DAY=$(getent shadow "$V" | cut -d: -f3)
expect 0 at rotate "$V" --expires 20d --json
VTOK=$(printf '%s' "$OUT" | jq -r .token)
expect 0 at update "$V" --expires 10d
expect 0 at suspend "$V"
expect 0 at activate "$V"
[ "$(getent shadow "$V" | cut -d: -f3)" = "$DAY" ] || fail "the service user's last-change day moved"
login_as "$V" "$VTOK" || fail "a rotated and updated service token is refused: $OUT"
expect 0 at revoke "$V"
[ "$(getent shadow "$V" | cut -d: -f3)" = "$DAY" ] || fail "revoke moved the service user's last-change day"
expect 0 at delete "$V"
ok "revoke, rotate and update leave a service user's last-change day alone; its rotated token works"

# The userdel hook: userdel runs USERDEL_CMD before the account goes.  The
# hook as built, pointed at this build's apitoken (the store comes through
# userdel's environment).
sed "s|^exec .*/apitoken |exec $APITOKEN |" "$top_builddir/helper/forget-user" > "$WORK/forget-user" &&
	chmod 755 "$WORK/forget-user" || fail "copy the forget-user hook"
grep -q "exec $APITOKEN forget-user" "$WORK/forget-user" || fail "the hook does not run apitoken forget-user"
{ grep -v '^[[:space:]]*USERDEL_CMD' /etc/login.defs; echo "USERDEL_CMD $WORK/forget-user"; } > "$WORK/login.defs"
# Last, since it needs a mount namespace: in a chroot or a container
# without one, everything above has run and only this is skipped.
unshare --mount --propagation private true 2>/dev/null ||
	skip "unshare --mount does not work here (needed to give userdel its own login.defs); the rest passed"

# A lookup that fails is not an account that is gone: check reports the
# token and --repair leaves it alone.  The failure: in a mount namespace
# of its own, a passwd whose line for the account is longer than any
# lookup buffer (getpwnam_r says ERANGE, as NSS says EAGAIN or EIO for a
# directory that does not answer).  The line is last, so that no lookup
# of another account passes it.
E=${TAG}e
add_user "$E"
expect 0 at create t --user "$E" --json
EID=$(printf '%s' "$OUT" | jq -r .id)
{ grep -v "^$E:" /etc/passwd
  printf '%s:x:%s:%s:%s:/nonexistent:/bin/sh\n' "$E" "$(id -u "$E")" "$(id -g "$E")" \
	"$(head -c 20000 /dev/zero | tr '\0' x)"; } > "$WORK/passwd.long"
chmod 644 "$WORK/passwd.long"
OUT=$(APITOKEN_CONFIG=$CONF unshare --mount --propagation private sh -c \
	'mount --bind "$1" /etc/passwd && shift && exec "$@"' - "$WORK/passwd.long" \
	"$APITOKEN" --store "$STORE" check --repair 2>&1)
[ $? -eq 1 ] || fail "check --repair with a failing lookup did not exit 1: $OUT"
printf '%s\n' "$OUT" | grep "^$EID " | grep -q "could not be looked up" ||
	fail "check does not report the failed lookup: $OUT"
printf '%s\n' "$OUT" | grep -q "^$EID: repaired" && fail "check --repair tombstoned a token for a failed lookup: $OUT"
expect 0 at show "$EID" --json
[ "$(printf '%s' "$OUT" | jq -r .status)" = active ] || fail "the token is $(printf '%s' "$OUT" | jq -r .status) after a failed lookup"
expect 0 at check
ok "a failed account lookup is reported by check, and --repair leaves the token alone"
expect 0 at create t --user "$R" --json
HID=$(printf '%s' "$OUT" | jq -r .id)
expect 0 at create u --user "$R" --json
HID2=$(printf '%s' "$OUT" | jq -r .id)
APITOKEN_STORE=$STORE unshare --mount --propagation private sh -c \
	'mount --bind "$1" /etc/login.defs && userdel -- "$2"' - "$WORK/login.defs" "$R" ||
	fail "userdel with the hook"
for id in "$HID" "$HID2"; do
	expect 0 at show "$id" --json
	[ "$(printf '%s' "$OUT" | jq -r .status)" = deleted ] || fail "userdel's hook left $id $(printf '%s' "$OUT" | jq -r .status)"
done
expect 0 at check
# deluser.local's arguments (USER UID GID HOME), after the account went:
# only the tokens of that uid
useradd -M -d /nonexistent -s /bin/sh -u "$RUID" -- "$R" || fail "useradd $R"
expect 0 at create t --user "$R" --json
HID3=$(printf '%s' "$OUT" | jq -r .id)
userdel -- "$R"
OUT=$(APITOKEN_STORE=$STORE "$WORK/forget-user" "$R" $((RUID + 1)) 100 /nonexistent 2>&1) || fail "the hook, another uid: $OUT"
[ -z "$OUT" ] || fail "the hook forgot tokens of another uid: $OUT"
OUT=$(APITOKEN_STORE=$STORE "$WORK/forget-user" "$R" "$RUID" 100 /nonexistent 2>&1) || fail "the hook: $OUT"
printf '%s' "$OUT" | grep -q "^$HID3 t ($R): deleted" || fail "the hook did not report $HID3: $OUT"
expect 0 at forget-user "$R" --json
[ "$(printf '%s' "$OUT" | jq length)" = 0 ] || fail "forget-user again found tokens: $OUT"
ok "userdel with USERDEL_CMD (and deluser.local's arguments) tombstones the account's tokens"
