#!/bin/sh
# SPDX-License-Identifier: ISC
# apitoken-syncd.service from the source tree under Debian's real systemd
# (tests/sdns.sh, sharing the machine's network to reach the provider on
# 127.0.0.1), with its sandbox and capability set as shipped; only the
# paths differ.  Checked:
# - with fleet_providers set it starts, and runs with the unit's seven
#   capabilities bounded, no_new_privs and a seccomp filter;
# - a service-user token entry in the directory becomes an account with
#   its uid (useradd through `apitoken check --repair --fleet-users`, in
#   the sandbox) and logs in;
# - a revoke in the directory locks and expires the account and ends a
#   process running as it (the child that becomes the service user);
# - without fleet_providers the unit does not start (ExecCondition).
[ "${WITH_FLEET:-yes}" = no ] && { echo "SKIP: configured --without-fleet"; exit 77; }
. "$srcdir/tests/fleet/lib.sh"
. "$srcdir/tests/e2e/lib.sh"
. "$srcdir/tests/sdns.sh"
why=$(sdns_unusable) && skip "$why"
command -v pamtester >/dev/null || skip "no pamtester (apt-get install pamtester)"
SYNCD=$(cd "$top_builddir" && pwd)/apitoken-syncd
[ -x "$SYNCD" ] || fail "apitoken-syncd not built: $SYNCD"
TEST_CLEANUP=sdns_stop

fleet_directory
R=/run/zzapt
D=/srv/zzapt/store
S=${TAG}s
N=60950
while getent passwd "$N" >/dev/null || getent group "$N" >/dev/null; do N=$((N + 1)); done
M=${TAG}m
add_user "$M"
host_conf "$CONF" web01
T=$(mint 1 "$M")
TID=$(tok_id "$T")
token_ldif "$T" ci-svc "$S" web "$N" | ldm "$U1" "$ADMIN" "$ADMIN_PW" >/dev/null ||
	fail "ldapmodify add"

# What syncd reads, in the stage: PrivateTmp hides the work directory.
ST=$WORK/stage
mkdir -p "$ST/units" "$ST/bin" "$ST/srv/zzapt/store" || fail "mkdir"
chmod 700 "$ST/srv/zzapt/store"
cp "$SYNCD" "$APITOKEN" "$ST/bin/" && cp "$MODULE" "$ST/pam_apitoken.so" &&
	cp "$CA/ca.pem" "$ST/ca.pem" && cp -p "$CONF.pw" "$ST/apitoken.conf.pw" || fail "stage"
sed -e "s|^fleet_bind_password_file = .*|fleet_bind_password_file = $R/apitoken.conf.pw|" \
	-e "s|^fleet_ca_file = .*|fleet_ca_file = $R/ca.pem|" "$CONF" > "$ST/apitoken.conf"
sed -e "s|^ExecStart=@sbindir@/apitoken-syncd\$|ExecStart=$R/bin/apitoken-syncd --config $R/apitoken.conf --store $D --helper $R/bin/apitoken|" \
	-e "s|@sysconfdir@/security/apitoken.conf|$R/apitoken.conf|" -e "s|@storedir@|$D|" \
	"$srcdir/syncd/apitoken-syncd.service.in" > "$ST/units/apitoken-syncd.service"
grep -q '@[a-z]*@' "$ST/units/apitoken-syncd.service" && fail "a placeholder left: $(grep '@[a-z]*@' "$ST/units/apitoken-syncd.service")"
grep -q "^ExecStart=$R/bin/apitoken-syncd --config" "$ST/units/apitoken-syncd.service" ||
	fail "the unit's ExecStart line changed; this test needs updating"
cat > "/etc/pam.d/$SERVICE" <<EOS
auth     [success=done ignore=ignore default=die] $R/pam_apitoken.so store=$D config=$R/apitoken.conf
auth     requisite  pam_deny.so
account  [success=ok ignore=ignore default=bad] $R/pam_apitoken.so store=$D config=$R/apitoken.conf
account  required   pam_permit.so
EOS
login() { printf '%s\n' "$T" | sdns pamtester "$SERVICE" "$S" authenticate acct_mgmt >/dev/null 2>&1; }
journal() { sdns journalctl --no-pager -o cat -u apitoken-syncd.service 2>&1; }

SDNS_NET=host sdns_boot "$WORK" "$ST"
sdns systemctl start apitoken-syncd.service || fail "apitoken-syncd.service: $(journal | tail -5)"
i=0
until [ "$(getent passwd "$S" | cut -d: -f3)" = "$N" ] || [ $i -ge 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
[ "$(getent passwd "$S" | cut -d: -f3,5)" = "$N:apitoken $TID" ] ||
	fail "no account $S with uid $N: $(getent passwd "$S"); $(journal | tail -5)"
login || fail "the service user's fleet token does not log in: $(journal | tail -3)"
ok "under systemd, syncd made $S (uid $N) for the directory's entry; its token logs in"

P=$(sdns systemctl show -p MainPID --value apitoken-syncd.service)
st=$(sdns cat "/proc/$P/status") || fail "cannot read syncd's status"
# CAP_CHOWN 0, DAC_OVERRIDE 1, FOWNER 3, KILL 5, SETGID 6, SETUID 7, AUDIT_WRITE 29
for want in 'CapBnd:	00000000200000eb' 'NoNewPrivs:	1' 'Seccomp:	2'; do
	printf '%s\n' "$st" | grep -qx "$want" ||
		fail "syncd's status lacks \"$want\": $(printf '%s\n' "$st" | grep -E '^(Cap|NoNew|Seccomp)')"
done
ok "syncd runs with the unit's seven capabilities bounded, no_new_privs, a seccomp filter"

# A process of the service user, inside (the PID namespace the child
# that ends them sees).
sdns setpriv --reuid="$N" --regid="$N" --clear-groups sleep 600 </dev/null >/dev/null 2>&1 &
i=0
until pgrep -u "$N" -x sleep >/dev/null || [ $i -ge 50 ]; do sleep 0.1; i=$((i + 1)); done
pgrep -u "$N" -x sleep >/dev/null || fail "no process as $S"
status_ldif "$T" revoked | ldm "$U1" "$ADMIN" "$ADMIN_PW" >/dev/null || fail "ldapmodify revoke"
i=0
until getent shadow "$S" | cut -d: -f2 | grep -q '^!' || [ $i -ge 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
getent shadow "$S" | cut -d: -f2 | grep -q '^!' || fail "revoked, $S is not locked: $(journal | tail -5)"
[ "$(getent shadow "$S" | cut -d: -f8)" = 1 ] || fail "revoked, $S is not expired"
i=0
while pgrep -u "$N" -x sleep >/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
pgrep -u "$N" -x sleep >/dev/null && fail "a process of $S survived the revoke: $(journal | tail -5)"
login && fail "a revoked token logs in"
ok "a revoke in the directory locks and expires $S and ends its process, from the sandbox"

sdns systemctl stop apitoken-syncd.service || fail "stop"
sdns sed -i '/^fleet_providers/d' "$R/apitoken.conf" || fail "edit the staged configuration"
sdns systemctl start apitoken-syncd.service || fail "start without fleet_providers"
# systemd says in the journal why it did not run.
journal | grep -q "Skipped due to 'exec-condition'" &&
	[ "$(sdns systemctl is-active apitoken-syncd.service)" = inactive ] ||
	fail "without fleet_providers the unit ran: $(journal | tail -3)"
ok "without fleet_providers the unit does not start (ExecCondition)"
echo "syncd under systemd: all checks passed"
