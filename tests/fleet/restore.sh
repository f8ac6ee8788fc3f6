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

fleet_directory

host_user r
A=$(mint 1 "$USER1")
B=$(mint 2 "$USER1")
X=$(mint 3 "$USER1")
add_token "$A" ci-a web
add_token "$B" ci-b web01

host_conf "$CONF" web01
syncd_start
until_ms 5000 "the first refresh" logged "refresh applied"
until_ms 2000 "token A arrives" fleet_login "$USER1" "$A"

# The backup, then X, which only the lost directory will have had.
slapcat -F "$FW/p1/slapd.d" -b "$SUFFIX" -l "$FW/backup.ldif" 2>"$FW/slapcat.log" ||
	{ cat "$FW/slapcat.log"; fail "slapcat"; }
add_token "$X" ci-x web
until_ms 2000 "token X arrives" fleet_login "$USER1" "$X"
ok "A, B and X replicated; the backup has A and B only"

# The provider lost, restored from the backup into a fresh directory.
stop_provider 1
until_ms 5000 "syncd notices the provider gone" logged "$U1: connection"
provider_config 1 "$P2" "$CA"
slapadd -F "$FW/p1/slapd.d" -b "$SUFFIX" -w -q -l "$FW/backup.ldif" > "$FW/slapadd-restore.log" 2>&1 ||
	{ cat "$FW/slapadd-restore.log"; fail "slapadd the backup"; }
start_provider 1 "$P1"
until_ms 70000 "syncd reconnects to the restored provider" logged "$U1: connected" 2
until_ms 5000 "the reload is applied" logged "refresh applied" 2
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
