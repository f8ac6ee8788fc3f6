#!/bin/sh
# SPDX-License-Identifier: ISC
# A provider restored from a backup older than the host's cookie (slapcat
# before token X was added, slapadd into a fresh provider after): the
# persisting apitoken-syncd, reconnecting with its cookie, is refused it
# or asked to refresh, and reloads in full (its log says so); X, which
# the directory no longer has, is dropped from the host, the other tokens
# stay, and the host holds exactly the directory's tokens.
[ "${WITH_FLEET:-yes}" = no ] && { echo "SKIP: configured --without-fleet"; exit 77; }
. "$srcdir/tests/fleet/lib.sh"
. "$srcdir/tests/e2e/lib.sh"
fleet_host_init
EXTRA_CLEANUP='[ -n "${SPID:-}" ] && kill -KILL "$SPID" 2>/dev/null; fleet_cleanup'

CA=$FW/ca
make_ca "$CA"
P1=$(free_port)
U1=ldap://127.0.0.1:$P1/
HOSTS="ou=hosts,$SUFFIX"
# One provider; its mirror peer is a port nobody listens on.
PEER=$(free_port)
provider_config 1 "$PEER" "$CA"
load_base 1 <<EOL
dn: cn=web01,$HOSTS
objectClass: apitokenHostAccount
cn: web01
apitokenHostGroup: web
userPassword: $(slappasswd -s web01-pw)
EOL
start_provider 1 "$P1"

USER1=${TAG}r
add_user "$USER1"
write_service
A=$(mint 1 "$USER1")
B=$(mint 2 "$USER1")
X=$(mint 3 "$USER1")
{ token_ldif "$A" ci-a "$USER1" web; token_ldif "$B" ci-b "$USER1" web01; } |
	ldm "$U1" "$ADMIN" "$ADMIN_PW" >/dev/null || fail "ldapmodify add A, B"

printf 'web01-pw\n' > "$WORK/bind.pw"
chmod 600 "$WORK/bind.pw"
cat >> "$CONF" <<EOC
fleet_providers = $U1
fleet_base = ou=tokens,$SUFFIX
fleet_bind_dn = cn=web01,$HOSTS
fleet_bind_password_file = $WORK/bind.pw
fleet_ca_file = $CA/ca.pem
fleet_host = web01
fleet_host_groups = web
EOC
LOG=$WORK/syncd.log
"$SYNCD" --config "$CONF" --store "$STORE" 2> "$LOG" &
SPID=$!
# until_ok LIMIT_MS WHAT COMMAND...: COMMAND succeeds within LIMIT_MS.
until_ok() {
	limit=$1 what=$2
	shift 2
	t0=$(date +%s%N)
	until "$@"; do
		[ $(( ($(date +%s%N) - t0) / 1000000 )) -lt "$limit" ] ||
			{ cat "$LOG"; fail "$what: not within $limit ms"; }
		sleep 0.02
	done
}
refused() { ! fleet_login "$@"; }
logged() { [ "$(grep -c "$1" "$LOG")" -ge "${2:-1}" ]; }
until_ok 5000 "the first refresh" logged "refresh applied"
until_ok 2000 "token A arrives" fleet_login "$USER1" "$A"

# The backup, then X, which only the lost directory will have had.
slapcat -F "$FW/p1/slapd.d" -b "$SUFFIX" -l "$FW/backup.ldif" 2>"$FW/slapcat.log" ||
	{ cat "$FW/slapcat.log"; fail "slapcat"; }
token_ldif "$X" ci-x "$USER1" web | ldm "$U1" "$ADMIN" "$ADMIN_PW" >/dev/null || fail "ldapmodify add X"
until_ok 2000 "token X arrives" fleet_login "$USER1" "$X"
ok "A, B and X replicated; the backup has A and B only"

# The provider lost, restored from the backup into a fresh directory.
stop_provider 1
until_ok 5000 "syncd notices the provider gone" logged "$U1: connection"
provider_config 1 "$PEER" "$CA"
slapadd -F "$FW/p1/slapd.d" -b "$SUFFIX" -w -q -l "$FW/backup.ldif" > "$FW/slapadd-restore.log" 2>&1 ||
	{ cat "$FW/slapadd-restore.log"; fail "slapadd the backup"; }
start_provider 1 "$P1"
until_ok 70000 "syncd reconnects to the restored provider" logged "$U1: connected" 2
until_ok 5000 "the reload is applied" logged "refresh applied" 2
logged "$U1: resuming" || { cat "$LOG"; fail "syncd did not first try its cookie"; }
logged "refused the cookie\|older than this host's cookie" || { cat "$LOG"; fail "the log does not say why"; }
logged "$U1: full reload$" || { cat "$LOG"; fail "the log does not say full reload"; }
sed -n '/resuming/,$p' "$LOG" | tail -n +2 | sed 's/^/  /'
grep -q "fleet token $(tok_id "$X") removed" "$LOG" || { cat "$LOG"; fail "the log does not name X as removed"; }
refused "$USER1" "$X" || fail "X, which the restored directory lacks, still logs in"
fleet_login "$USER1" "$A" || fail "token A was dropped by the reload"
fleet_login "$USER1" "$B" || fail "token B was dropped by the reload"
want=$(dir_ids "$U1")
[ "$(store_ids)" = "$want" ] || { cat "$LOG"; fail "the host holds $(store_ids | tr '\n' ' '), the directory $want"; }
ok "a provider restored from an older backup: syncd reloads in full, X is dropped, A and B stay"
stop_syncd "$SPID" "$LOG"
SPID=
