#!/bin/sh
# SPDX-License-Identifier: ISC
# The units of apitoken-verifyd, apitoken-authd and apitoken notify, from
# the source tree, under Debian's real systemd, booted by this test in
# namespaces of its own with no other units (tests/sdns.sh).  Only the
# programs' paths, verifyd's --store and --config, authd's
# --verify-socket and notify's store and configuration differ from what
# `make install` puts in place; every sandbox setting is the unit's own
# (tests/deb/cycle.sh runs the packaged verifyd units as they are).
# Checked:
# - the sockets come up as the units say, and nothing runs before the
#   first client (socket activation);
# - a user's PAM login (pamtester, not root) is accepted through the
#   socket-activated verifyd, a wrong token refused, and a --uses 1 token
#   counted once then refused as spent: the usage write works under
#   ProtectSystem=strict;
# - verifyd runs sandboxed: no capabilities, no_new_privs, a seccomp
#   filter, a read-only / and a network namespace of its own;
# - each decision is in the journal once, with the caller's uid;
# - apitoken-authd as its DynamicUser, named by the verifier policy
#   (nss-systemd), answers 204 for a good token and 401 for a wrong one;
# - apitoken-notify.timer is scheduled, and apitoken-notify.service mails
#   a notice once (to a sendmail that keeps what it is given) and marks
#   the store.
. "${srcdir:-.}/tests/e2e/lib.sh"
. "${srcdir:-.}/tests/sdns.sh"
why=$(sdns_unusable) && skip "$why"
for p in pamtester setpriv curl; do
	command -v $p >/dev/null || skip "no $p"
done
grep -Eq '^passwd:.*[[:space:]]systemd([[:space:]]|$)' /etc/nsswitch.conf ||
	skip "nss-systemd is not in /etc/nsswitch.conf's passwd line (apt-get install libnss-systemd)"
getent passwd apitoken-authd >/dev/null &&
	skip "an account apitoken-authd exists; the unit's DynamicUser would be that account"
[ -x "$VERIFYD" ] || fail "not built: $VERIFYD"
[ -x "$AUTHD" ] || fail "not built: $AUTHD"
getent group www-data >/dev/null || fail "no group www-data"

U=${TAG}u   # owns the tokens
V=${TAG}v   # a verifier for $SERVICE; logs in as U with pamtester
add_user "$U"
add_user "$V"
usermod -a -G www-data "$V" || fail "usermod"
# Inside, the programs and settings live in the namespaces' /run, in R;
# the store on a tmpfs over /srv, which ProtectSystem=strict makes
# read-only (not /run), so that the unit's ReadWritePaths= is what lets
# verifyd write usage.
R=/run/zzapt
D=/srv/zzapt/store
VSOCK=/run/apitoken/verify.sock
ASOCK=/run/apitoken/authd.sock
cat > "$CONF" <<EOC
default_services = $SERVICE
fail_delay = 0
lockout_attempts = 0
verifier = $V: $SERVICE
verifier = apitoken-authd: nginx
notify_days = 1
sendmail = $R/sendmail
EOC
TOK=$(at create api --user "$U") || fail "create"
WRONG=$TOK
TOK=$(at rotate api) || fail "rotate"
ONCE=$(at create once --user "$U" --uses 1) || fail "create --uses 1"
WEB=$(at create web --user "$U" --service nginx) || fail "create --service nginx"
SOON=$(at create soon --user "$U" --expires 12h) || fail "create --expires 12h"
SOON_ID=$(printf '%s' "$SOON" | cut -c8-19)

S=$WORK/stage
mkdir -p "$S/units" "$S/bin" || fail "mkdir"
cp "$VERIFYD" "$AUTHD" "$APITOKEN" "$S/bin/" && cp "$MODULE" "$S/pam_apitoken.so" &&
	mkdir -p "$S/srv/zzapt" && cp -a "$STORE" "$S/srv/zzapt/store" && cp "$CONF" "$S/apitoken.conf" || fail "stage"
src=${srcdir:-.}
sed -e "s|^ExecStart=@sbindir@/apitoken-verifyd --foreground\$|& --store $D --config $R/apitoken.conf|" \
	-e "s|@sbindir@|$R/bin|" -e "s|@storedir@|$D|" \
	"$src/verifyd/apitoken-verifyd.service.in" > "$S/units/apitoken-verifyd.service"
sed -e "s|@verifysocket@|$VSOCK|" "$src/verifyd/apitoken-verifyd.socket.in" \
	> "$S/units/apitoken-verifyd.socket"
sed -e "s|^ExecStart=@sbindir@/apitoken-authd --foreground\$|& --verify-socket $VSOCK|" \
	-e "s|@sbindir@|$R/bin|" "$src/authd/apitoken-authd.service.in" > "$S/units/apitoken-authd.service"
cp "$src/authd/apitoken-authd.socket.in" "$S/units/apitoken-authd.socket"
sed -e "s|^ExecStart=@sbindir@/apitoken notify\$|ExecStart=/usr/bin/env APITOKEN_CONFIG=$R/apitoken.conf $R/bin/apitoken --store $D notify|" \
	"$src/helper/apitoken-notify.service.in" > "$S/units/apitoken-notify.service"
cp "$src/helper/apitoken-notify.timer" "$S/units/"
# A sendmail that keeps what it is given, where ProtectSystem=full lets it.
mkdir -p "$S/srv/zzapt/mail"
cat > "$S/sendmail" <<EOS
#!/bin/sh
n=\$(ls /srv/zzapt/mail | wc -l)
printf '%s\n' "\$@" > /srv/zzapt/mail/\$n.argv
cat > /srv/zzapt/mail/\$n.msg
EOS
chmod 755 "$S/sendmail"
for u in "$S"/units/apitoken-*.s*; do
	grep -q '@[a-z]*@' "$u" && fail "a placeholder left in $u: $(grep '@[a-z]*@' "$u")"
	grep -q "$R/" "$u" || grep -q '^ListenStream=/run/apitoken/' "$u" ||
		fail "$u: no path of this test's"
done
grep -q "^ExecStart=/usr/bin/env APITOKEN_CONFIG=" "$S/units/apitoken-notify.service" &&
	grep -q "^ExecStart=$R/bin/apitoken-verifyd --foreground --store" "$S/units/apitoken-verifyd.service" &&
	grep -q "^ExecStart=$R/bin/apitoken-authd --foreground --verify-socket" "$S/units/apitoken-authd.service" ||
	fail "the units' ExecStart lines changed; this test needs updating"
cat > "/etc/pam.d/$SERVICE" <<EOS
auth     [success=done ignore=ignore default=die] $R/pam_apitoken.so store=$D config=$R/apitoken.conf socket=$VSOCK
auth     requisite  pam_deny.so
account  [success=ok ignore=ignore default=bad] $R/pam_apitoken.so store=$D config=$R/apitoken.conf socket=$VSOCK
account  required   pam_permit.so
EOS

EXTRA_CLEANUP=sdns_stop
sdns_boot "$WORK" "$S"
pass_msg "systemd $(sdns systemctl --version | head -1 | cut -d' ' -f2) is PID 1 of the test's namespaces"

sdns systemctl start apitoken-verifyd.socket apitoken-authd.socket ||
	fail "starting the sockets: $(sdns systemctl --no-pager status apitoken-verifyd.socket apitoken-authd.socket 2>&1 | tail -20)"
[ "$(sdns stat -c '%a %U:%G' "$VSOCK")" = "666 root:root" ] ||
	fail "verifyd's socket is $(sdns stat -c '%a %U:%G' "$VSOCK")"
[ "$(sdns stat -c '%a %U:%G' "$ASOCK")" = "660 root:www-data" ] ||
	fail "authd's socket is $(sdns stat -c '%a %U:%G' "$ASOCK")"
for s in apitoken-verifyd apitoken-authd; do
	[ "$(sdns systemctl is-active $s.service)" = inactive ] || fail "$s runs before any client"
done
pass_msg "the sockets are up as the units say (0666; 0660 root:www-data); no daemon runs yet"

# login TOKEN: V's pamtester logs in as U, asking verifyd; its status.
login() {
	printf '%s\n' "$1" | sdns setpriv --reuid="$V" --regid="$(id -g "$V")" --init-groups \
		pamtester "$SERVICE" "$U" authenticate acct_mgmt >"$WORK/out" 2>&1
}
journal() { sdns journalctl --no-pager -o cat -u apitoken-verifyd.service 2>&1; }
login "$TOK" || fail "a good token refused: $(cat "$WORK/out"); $(journal | tail -5)"
[ "$(sdns systemctl is-active apitoken-verifyd.service)" = active ] ||
	fail "apitoken-verifyd is not active after the first client"
login "$WRONG" && fail "a wrong token accepted"
login "$ONCE" || fail "a --uses 1 token refused the first time: $(journal | tail -3)"
login "$ONCE" && fail "a --uses 1 token accepted twice: usage not written under the sandbox"
journal | grep -q "for user $U service $SERVICE rhost -, asked by uid $(id -u "$V"): all of its uses are spent" ||
	fail "the second use is not refused as spent: $(journal | tail -3)"
pass_msg "through socket-activated verifyd: good token accepted, wrong one refused, a --uses 1 token counted once"

VP=$(sdns systemctl show -p MainPID --value apitoken-verifyd.service)
[ -n "$VP" ] && [ "$VP" != 0 ] || fail "no MainPID for apitoken-verifyd"
st=$(sdns cat "/proc/$VP/status") || fail "cannot read verifyd's status"
for want in 'CapEff:	0000000000000000' 'CapBnd:	0000000000000000' 'NoNewPrivs:	1' 'Seccomp:	2'; do
	printf '%s\n' "$st" | grep -qx "$want" || fail "verifyd's status lacks \"$want\": $(printf '%s\n' "$st" | grep -E '^(Cap|NoNew|Seccomp)')"
done
sdns awk '$5 == "/" { print $6 }' "/proc/$VP/mountinfo" | grep -q '^ro' ||
	fail "verifyd's / is not read-only"
[ "$(sdns readlink "/proc/$VP/ns/net")" != "$(sdns readlink /proc/1/ns/net)" ] ||
	fail "verifyd shares systemd's network namespace"
pass_msg "verifyd runs with no capabilities, no_new_privs, a seccomp filter, / read-only, a network of its own"

# One line per decision: syslog and stderr both reach journald, and
# verifyd writes only to syslog when stderr is the journal.
n=$(journal | grep -c "for user $U service $SERVICE rhost -, asked by uid $(id -u "$V")")
[ "$n" -eq 4 ] || fail "$n journal lines for 4 decisions: $(journal)"
pass_msg "each decision is in the journal once, with the caller's uid"

# authd's DynamicUser, named in the verifier policy, resolves through
# nss-systemd in verifyd's sandbox.
web() {
	sdns setpriv --reuid="$V" --regid="$(id -g "$V")" --init-groups \
		curl -s -o /dev/null -w '%{http_code}' --unix-socket "$ASOCK" -u "$U:$1" http://localhost/
}
[ "$(web "$WEB")" = 204 ] ||
	fail "authd: a good token not 204: $(sdns journalctl --no-pager -o cat -u apitoken-authd.service | tail -3); $(journal | tail -2)"
[ "$(web "$TOK")" = 401 ] || fail "authd: a token for another service not 401"
[ "$(web "x$WEB")" = 401 ] || fail "authd: a malformed token not 401"
AP=$(sdns systemctl show -p MainPID --value apitoken-authd.service)
au=$(sdns ps -o uid= -p "$AP" | tr -d ' ')
[ "$au" -ge 61184 ] && [ "$au" -le 65519 ] || fail "authd runs as uid $au, not a dynamic user"
journal | grep -q "service nginx rhost -, asked by uid $au: accepted" ||
	fail "verifyd did not log authd's question: $(journal | tail -3)"
pass_msg "apitoken-authd as dynamic user $au: a good token 204, others 401"

# The daily notices: the timer is scheduled, and the oneshot mails the
# token about to expire once and marks it in the store.
sdns systemctl start apitoken-notify.timer || fail "apitoken-notify.timer did not start"
sdns systemctl list-timers --no-pager apitoken-notify.timer | grep -q apitoken-notify.service ||
	fail "apitoken-notify.timer schedules nothing: $(sdns systemctl list-timers --no-pager --all)"
sdns systemctl start apitoken-notify.service ||
	fail "apitoken-notify.service: $(sdns journalctl --no-pager -o cat -u apitoken-notify.service | tail -5)"
[ "$(sdns ls /srv/zzapt/mail | wc -l)" = 2 ] ||
	fail "not one mail: $(sdns ls /srv/zzapt/mail); $(sdns journalctl --no-pager -o cat -u apitoken-notify.service | tail -5)"
sdns grep -qx "$U" /srv/zzapt/mail/0.argv || fail "the notice is not to $U: $(sdns cat /srv/zzapt/mail/0.argv)"
sdns grep -q "$SOON_ID" /srv/zzapt/mail/0.msg || fail "the notice does not name $SOON_ID"
sdns systemctl start apitoken-notify.service || fail "apitoken-notify.service, again"
[ "$(sdns ls /srv/zzapt/mail | wc -l)" = 2 ] || fail "the notice was sent twice: the store was not marked"
pass_msg "apitoken-notify.timer scheduled; the service mails $U once about $SOON_ID and marks the store"

sdns systemctl stop apitoken-authd.service apitoken-authd.socket apitoken-verifyd.service apitoken-verifyd.socket ||
	fail "stopping the units"
echo "systemd units: all checks passed"
