#!/bin/sh
# SPDX-License-Identifier: ISC
# apitoken-syncd against a real slapd provider (the shipped schema and
# ACLs, tests/fleet/lib.sh) on 127.0.0.1: a token entry added with
# ldapmodify logs in through the module on a "host" (its own store and PAM
# service); a revoke in the directory is refused there within 2 s (the
# time is printed); a revoke made while the daemon was down is applied
# when it comes back; the replica cannot be changed locally; a provider
# certificate from another CA is refused; fleet_staleness = strict refuses
# fleet tokens of a stale replica and only those.
[ "${WITH_FLEET:-yes}" = no ] && { echo "SKIP: configured --without-fleet"; exit 77; }
. "$srcdir/tests/fleet/lib.sh"
. "$srcdir/tests/e2e/lib.sh"
fleet_host_init

make_ca "$FW/other"
fleet_directory

host_user f
set_status() { # TOKEN STATUS
	status_ldif "$1" "$2" | ldm "$U1" "$ADMIN" "$ADMIN_PW" >/dev/null || fail "ldapmodify $2"
}
login() { fleet_login "$USER1" "$1"; }

host_conf "$CONF" web01

T1=$(mint 1 "$USER1")
T2=$(mint 2 "$USER1")
T3=$(mint 3 "$USER1")
add_token "$T1" ci-one web
add_token "$T2" ci-two web01
add_token "$T3" ci-db db
syncd --once 2> "$WORK/once.log" || { cat "$WORK/once.log"; fail "syncd --once"; }
login "$T1" || fail "a fleet token for group web does not log in on web01"
login "$T2" || fail "a fleet token for host web01 does not log in"
login "$T3" && fail "a token for group db logs in on web01"
at show "$(tok_id "$T3")" >/dev/null 2>&1 && fail "a token for group db was replicated to web01"
ok "ldapmodify add -> syncd --once -> login through the module; other groups' tokens never arrive"

out=$(at revoke "$(tok_id "$T1")" 2>&1) && fail "a fleet token was revoked locally"
echo "$out" | grep -q "fleet token.*$TOKENS" || fail "local revoke refused without naming the fleet: $out"
[ "$(echo "$out" | wc -l)" -eq 1 ] || fail "refusal is not one line: $out"
login "$T1" || fail "the refused revoke changed the replica"
at show "$(tok_id "$T1")" --json | jq -e '.origin == "fleet" and .hosts == ["web"] and
	([.available_actions[]] | any | not)' >/dev/null || fail "show --json: not a fleet token, or actions offered"
ok "a fleet token cannot be changed locally: $out"

# The daemon, persisting: a revoke in the directory is refused here soon.
syncd_start
until_ms 5000 "syncd connects" logged connected
sleep 0.3
t0=$(date +%s%N)
set_status "$T1" revoked
until ! login "$T1"; do
	[ $(( $(date +%s%N) - t0 )) -lt 2000000000 ] || fail "revoked in the directory, still accepted after 2 s"
done
echo "revoke in the directory -> refused on web01: $(( ($(date +%s%N) - t0) / 1000000 )) ms"
login "$T2" || fail "the other token stopped working"
ok "revoke reaches the host within 2 s"

stop_syncd "$SPID" "$LOG"
SPID=
set_status "$T2" revoked
login "$T2" || { cat "$LOG"; at show "$(tok_id "$T2")"; fail "revoked while the daemon was down, and the host knew it"; }
syncd --once 2> "$WORK/once2.log" || { cat "$WORK/once2.log"; fail "syncd --once (resume)"; }
grep -q resuming "$WORK/once2.log" || fail "syncd did not resume from its cookie"
login "$T2" && fail "a revoke made while syncd was down was not applied"
ok "a revoke made while syncd was down is applied when it comes back (from the cookie)"

# An entry deleted from the directory leaves the replica too.
T4=$(mint 4 "$USER1")
add_token "$T4" ci-four web
syncd --once 2> "$WORK/add.log" || { cat "$WORK/add.log"; fail "syncd --once (add)"; }
login "$T4" || fail "a new token does not log in"
printf 'dn: apitokenId=%s,%s\nchangetype: delete\n' "$(tok_id "$T4")" "$TOKENS" |
	ldm "$U1" "$ADMIN" "$ADMIN_PW" >/dev/null || fail "ldapmodify delete"
syncd --once 2>/dev/null || fail "syncd --once (delete)"
login "$T4" && fail "a token deleted in the directory still logs in"
ok "a delete in the directory removes the token (by entryUUID)"
T5=$(mint 5 "$USER1")
add_token "$T5" ci-five web
syncd --once 2>/dev/null || fail "syncd --once (T5)"

# Another CA: the provider is refused, the store left alone.
sed -i "s|^fleet_ca_file = .*|fleet_ca_file = $FW/other/ca.pem|" "$CONF"
set_status "$T1" active
syncd --once 2> "$WORK/other.log" && fail "a provider certificate from another CA was accepted"
grep -qi 'StartTLS' "$WORK/other.log" || { cat "$WORK/other.log"; fail "no TLS error for the other CA"; }
login "$T1" && fail "the store changed through a provider of another CA"
ok "a provider certificate signed by another CA is refused"

# fleet_staleness = strict: no contact for fleet_stale_after refuses fleet
# tokens, local ones still log in.
L1=$(at create local1 --user "$USER1" --service "$SERVICE" 2>/dev/null) || fail "create a local token"
printf 'fleet_staleness = strict\nfleet_stale_after = 1h\n' >> "$CONF"
login "$T5" || fail "strict, fresh replica: the fleet token was refused"
sed -i 's|^fleet_stale_after = .*|fleet_stale_after = 1s|' "$CONF"
sleep 2
login "$T5" && fail "strict, stale replica: the fleet token was accepted"
login "$L1" || fail "strict, stale replica: a local token was refused"
sed -i 's|^fleet_staleness = .*|fleet_staleness = best_effort|' "$CONF"
login "$T5" || fail "best_effort, stale replica: the fleet token was refused"
ok "strict staleness refuses fleet tokens of a stale replica, local tokens still log in; best_effort keeps the last view"

# list and show say which tokens are fleet tokens, and when the replica
# last heard from a provider.
expect 0 at list
echo "$OUT" | head -1 | grep -q 'ORIGIN$' || fail "list has no ORIGIN column: $OUT"
echo "$OUT" | grep "^$(tok_id "$T5") " | grep -q ' fleet$' || fail "list does not mark a fleet token: $OUT"
echo "$OUT" | grep "^$(tok_id "$L1") " | grep -q ' local$' || fail "list does not mark a local token: $OUT"
echo "$OUT" | tail -1 | grep -Eq '^fleet replica: last contact [0-9T:-]+Z \([0-9]+[smhd] ago\)$' ||
	fail "list does not say when the replica last heard from a provider: $OUT"
echo "$OUT" | tail -1
expect 0 at list --json
json "[.[] | select(.origin == \"fleet\") | .fleet_last_contact | strings] | length > 0"
json "[.[] | select(.origin == \"local\") | .fleet_last_contact] | all(. == null)"
expect 0 at show "$(tok_id "$T5")"
echo "$OUT" | grep -q '^origin: *fleet' || fail "show does not say fleet: $OUT"
echo "$OUT" | grep -Eq '^fleet replica: *last contact .* ago\)$' || fail "show lacks the last contact: $OUT"
expect 0 at show "$(tok_id "$T5")" --json
json '.origin == "fleet" and (.fleet_last_contact | test("^[0-9]{4}-"))'
expect 0 at show local1 --json
json '.origin == "local" and .fleet_last_contact == null'
ok "list and show mark fleet tokens and say when the replica last heard from a provider"
