#!/bin/sh
# SPDX-License-Identifier: ISC
# The token lifecycle as root sees it, against a private store: update
# without a new secret, id or service user, with revision and audit line.
# (What ordinary users may do with these commands is in setuid.sh.)
. "${srcdir:-.}/tests/e2e/lib.sh"
command -v jq >/dev/null || skip "no jq (apt-get install jq)"

vfy() { vrequest "$2" "${3:-$SERVICE}" "${4:-192.0.2.9}" "$1" | ask_ok env APITOKEN_CONFIG="$CONF" "$APITOKEN" --store "$STORE" verify; }
day() { echo $(( ($(date -d "$1" +%s) + 86399) / 86400 )); }

U=${TAG}p
add_user "$U"

# --- update ----------------------------------------------------------
expect 0 at create laptop --user "$U" --service "$SERVICE" --permission a:read \
	--allow-from 192.0.2.0/24 --expires 10d --json
TOK=$(printf '%s' "$OUT" | jq -r .token)
ID=$(printf '%s' "$OUT" | jq -r .id)
expect 0 at update laptop --expires 30d --permission a:read --permission a:write \
	--allow-from 192.0.2.0/25 --allow-from 2001:db8::/32 --description "renewed" --json
json ".id == \"$ID\" and .revision == 2 and .updated.by == \"root\" and (has(\"token\") | not)"
json '.permissions == ["a:read","a:write"] and .allowed_addresses == ["192.0.2.0/25","2001:db8::/32"]'
json '.description == "renewed" and .status == "active"'
[ "$(printf '%s' "$OUT" | jq -r .expires_at | cut -c1-10)" = "$(date -u -d '+30 days' +%F)" ] ||
	fail "update --expires 30d: $(printf '%s' "$OUT" | jq -r .expires_at)"
vfy "$TOK" "$U" > /dev/null || fail "the secret changed with update"
vfy "$TOK" "$U" "$SERVICE" 192.0.2.200 > /dev/null && fail "narrowed address still accepted"
ok "update changes expiry, lists and description; same id and secret; revision 2"

expect 0 at update "$ID" --no-allow-from --no-permission --json
json '.allowed_addresses == [] and .permissions == [] and .revision == 3'
vfy "$TOK" "$U" "$SERVICE" 198.51.100.7 > /dev/null || fail "--no-allow-from: still limited"
expect 0 at update "$ID" --no-service --json
json '.services == []'
vfy "$TOK" "$U" "$SERVICE" > /dev/null || fail "--no-service: the default services do not apply"
expect 0 at update "$ID" --service sshd --json
vfy "$TOK" "$U" "$SERVICE" > /dev/null && fail "update --service sshd: $SERVICE still allowed"
ok "update --no-* empties lists (default services, any address)"

expect 0 at update "$ID" --service sshd
grep -q unchanged "$WORK/stderr" || fail "a no-op update is not reported as unchanged"
expect 0 at show "$ID" --json
json '.revision == 5'
ok "a no-op update changes nothing, not even the revision"

expect 2 at update "$ID"
expect 2 at update "$ID" --service x --no-service
expect 2 at update "$ID" --service ''
expect 2 at update "$ID" --allow-from 10.0.0.1/8
expect 2 at update "$ID" --expires yesterday
expect 2 at update "$ID" --bogus
grep -q -- "--bogus" "$WORK/stderr" || fail "the bad option is not named"
printf 'default_services = %s\nfail_delay = 0\nmax_lifetime = 30d\n' "$SERVICE" > "$WORK/max.conf"
expect 1 env APITOKEN_CONFIG="$WORK/max.conf" "$APITOKEN" --store "$STORE" update "$ID" --expires never
expect 1 env APITOKEN_CONFIG="$WORK/max.conf" "$APITOKEN" --store "$STORE" update "$ID" --expires 60d
ok "update refuses nothing-to-do, contradictions, bad values, beyond max_lifetime"

S=${TAG}s
expect 0 at create "$S" --expires 5d --json
STOK=$(printf '%s' "$OUT" | jq -r .token)
SUID=$(printf '%s' "$OUT" | jq -r .uid)
expect 0 at update "$S" --expires 40d --json
json ".uid == $SUID and .service_user == true"
[ "$(getent shadow "$S" | cut -d: -f8)" = "$(day "$(printf '%s' "$OUT" | jq -r .expires_at)")" ] ||
	fail "the service user's account expiry did not follow"
[ "$(getent passwd "$S" | cut -d: -f3)" = "$SUID" ] || fail "the service user changed"
vfy "$STOK" "$S" > /dev/null || fail "service token after update"
ok "update moves a service user's account expiry, keeps the account"

expect 0 at revoke "$S"
expect 1 at update "$S" --expires 1d
ok "a revoked token is not updated"

# --- list filters and report (on a store of their own) ----------------
RS=$WORK/report-store
rat() { APITOKEN_CONFIG=$CONF "$APITOKEN" --store "$RS" "$@"; }
expect 0 rat report
printf '%s' "$OUT" | grep -q '^APITOKEN OK - 0 of 0 active' || fail "report of an empty store: $OUT"
expect 0 rat create soon --user "$U" --expires 2d
expect 0 rat create month --user "$U" --expires 10d
expect 0 rat create forever --user "$U" --expires never
expect 0 rat create fine --user "$U" --expires 60d
expect 0 rat list --expiring 14d --json
json 'map(.name) | sort == ["month","soon"]'
expect 0 rat list --expiring 5d
[ "$(printf '%s\n' "$OUT" | wc -l)" -eq 2 ] && printf '%s' "$OUT" | grep -q ' soon ' ||
	fail "list --expiring 5d: $OUT"
expect 0 rat list --never-expires --json
json 'map(.name) == ["forever"]'
expect 0 rat list --unused 1d --json
json 'length == 0'
expect 2 rat list --expiring soon
ok "list --expiring, --never-expires, --unused select live tokens"

expect 2 rat report
printf '%s' "$OUT" | grep -q '^APITOKEN CRITICAL - 2 of 4 active tokens expire within 14d (1 within 3d): soon .* (2d|1d)' ||
	printf '%s' "$OUT" | grep -Eq '^APITOKEN CRITICAL - 2 of 4 active tokens expire within 14d \(1 within 3d\): soon [0-9A-Z]{12} \((1|2)d\)' ||
	fail "nagios line: $OUT"
printf '%s' "$OUT" | grep -q '| active=4 .*never_expire=1$' || fail "perfdata: $OUT"
expect 1 rat report --critical 1d
expect 0 rat report --warning 1d --critical 1d
expect 3 rat report --critical 20d
expect 3 rat report --format xml
expect 0 rat report --json
json '.state == "CRITICAL" and .code == 2 and .tokens.active == 4 and .expiring == 2 and .never_expire == 1'
json '.alerts | map(.name) | sort == ["month","soon"]'
expect 0 rat report --format prometheus --output "$WORK/apitoken.prom"
[ -z "$OUT" ] || fail "report --output also printed: $OUT"
grep -q '^apitoken_tokens{state="active"} 4$' "$WORK/apitoken.prom" || fail "prometheus: $(cat "$WORK/apitoken.prom")"
grep -q '^apitoken_report_state 2$' "$WORK/apitoken.prom" || fail "prometheus state"
[ "$(grep -c '^apitoken_token_expiry_timestamp_seconds{id="[0-9A-Z]*",name="[a-z]*",user="'"$U"'"} [0-9]*$' "$WORK/apitoken.prom")" -eq 3 ] ||
	fail "prometheus per-token expiry: $(cat "$WORK/apitoken.prom")"
[ "$(stat -c %a "$WORK/apitoken.prom")" = 644 ] || fail "textfile not readable by the collector"
ls "$WORK" | grep -q 'apitoken.prom.' && fail "a temporary file was left"
if command -v promtool >/dev/null; then
	promtool check metrics < "$WORK/apitoken.prom" || fail "promtool"
fi
ok "report: Nagios line and exit codes, JSON, Prometheus textfile written atomically"

# Time-dependent checks pin the clock (APITOKEN_TEST_NOW, test builds only).
NOW=$(date +%s)
later() {  # days command...: run at NOW + days
	d=$1
	shift
	APITOKEN_TEST_NOW=$((NOW + d * 86400)) "$@"
}
if ! clock_pinned; then
	echo "lifecycle as root: update checked; the rest needs --enable-test-hooks (a pinned clock)"
	exit 0
fi

# --- unused, by the clock ---------------------------------------------
expect 0 later 100 rat list --unused 90d --json
json 'map(.name) | sort == ["forever"]'
expect 1 later 100 rat report --unused 90d --warning 1d --critical 1d
printf '%s' "$OUT" | grep -q '1 unused for 90d: forever' || fail "report --unused: $OUT"
ok "list --unused and report --unused go by last use, else creation"

# --- prune -----------------------------------------------------------
expect 0 at create gone --user "$U" --json
GONE=$(printf '%s' "$OUT" | jq -r .id)
expect 0 at revoke "$GONE"
P=${TAG}x
expect 0 at create "$P" --expires 1d --json
PID=$(printf '%s' "$OUT" | jq -r .id)
PUID=$(printf '%s' "$OUT" | jq -r .uid)
expect 0 at create kept --user "$U" --expires never --json
KEPT=$(printf '%s' "$OUT" | jq -r .id)
expect 0 at create paused --user "$U" --expires 60d --json
PAUSED=$(printf '%s' "$OUT" | jq -r .id)
expect 0 at suspend "$PAUSED"
expect 0 later 20 at prune
grep -q "nothing to prune" "$WORK/stderr" || fail "prune within 30 days: $OUT"
expect 0 later 40 at prune --dry-run --json
json "map(.id) | (index(\"$GONE\") != null and index(\"$PID\") != null)"
json "map(.id) | (index(\"$KEPT\") == null and index(\"$PAUSED\") == null)"
json 'map(.pruned) | all | not'
getent passwd "$P" > /dev/null || fail "prune --dry-run removed a service user"
expect 0 later 40 at prune --older-than 60d
grep -q "nothing to prune" "$WORK/stderr" || fail "prune --older-than 60d: $OUT"
expect 0 later 40 at prune --json
json "length >= 2 and (map(.pruned) | all)"
json "map(select(.id == \"$GONE\"))[0].reason == \"revoked\""
json "map(select(.id == \"$PID\"))[0].reason == \"expired\""
getent passwd "$P" > /dev/null && fail "prune left the expired token's service user"
expect 0 at list --all --json
json "map(select(.id == \"$GONE\" or .id == \"$PID\")) | map(.status) == [\"deleted\",\"deleted\"]"
json "map(select(.id == \"$KEPT\" or .id == \"$PAUSED\")) | length == 2"
expect 0 later 40 at prune
grep -q "nothing to prune" "$WORK/stderr" || fail "prune twice: $OUT"
expect 0 at create "${TAG}y" --json
[ "$(printf '%s' "$OUT" | jq -r .uid)" != "$PUID" ] || fail "a pruned service user's uid was reused"
expect 2 at prune --older-than soon
expect 2 at prune extra
ok "prune removes tokens revoked or expired over 30 days ago and their service users; tombstones stay"

echo "lifecycle as root: all checks passed"
