#!/bin/sh
# SPDX-License-Identifier: ISC
# The rough edges a new administrator hit (issue 11), as root against a
# private store: --json on every command, the unlock of a token that is not
# locked, unknown options named in the error, ...
. "${srcdir:-.}/tests/e2e/lib.sh"
command -v jq >/dev/null || skip "no jq (apt-get install jq)"

vfy() { vrequest "$2" "${3:-$SERVICE}" "${4:-192.0.2.9}" "$1" | ask_ok env APITOKEN_CONFIG="${VCONF:-$CONF}" "$APITOKEN" --store "$STORE" verify; }

U=${TAG}p
add_user "$U"

# --- every command takes --json ---------------------------------------
expect 0 at check --json
json '.consistent == true and .findings == []'
expect 0 at create laptop --user "$U" --json
TOK=$(printf '%s' "$OUT" | jq -r .token)
ID=$(printf '%s' "$OUT" | jq -r .id)
expect 0 at check --json
json '.consistent == true and .findings == []'
expect 0 at check --repair --json
json '.consistent == true'
# a locked-out token, unlocked with --json
printf 'default_services = %s\nfail_delay = 0\nlockout_attempts = 2\n' "$SERVICE" > "$WORK/lock.conf"
# (after a rotate, the previous secret is a well-formed wrong one)
WRONG=$TOK
expect 0 at rotate "$ID"
TOK=$OUT
VCONF=$WORK/lock.conf
vfy "$WRONG" "$U" > /dev/null
vfy "$WRONG" "$U" > /dev/null
vfy "$TOK" "$U" > /dev/null && fail "the right secret got through a lockout"
expect 0 at show "$ID" --json
json '.locked_out_until != null'
expect 0 at unlock "$ID" --json
json ".id == \"$ID\" and .locked_out_until == null"
vfy "$TOK" "$U" > /dev/null || fail "still locked out after unlock --json"
for cmd in create list show suspend activate revoke delete rotate update prune report unlock check; do
	at "$cmd" --help | grep -q -- '--json' || fail "apitoken $cmd --help does not offer --json"
done
ok "check and unlock take --json; every command's synopsis offers it"

# --- unlock of a token that is not locked says so ----------------------
expect 0 at unlock "$ID"
grep -q "was not locked out" "$WORK/stderr" || fail "unlock of an unlocked token: $(cat "$WORK/stderr")"
ok "unlock of a token that is not locked says so"

# --- an unknown option is named ------------------------------------------
for cmd in "create x --user $U" "suspend $ID" "rotate $ID" "unlock $ID" "check" "list" "update $ID"; do
	# shellcheck disable=SC2086
	expect 2 at $cmd --bogus
	grep -q -- "'--bogus'" "$WORK/stderr" || fail "apitoken $cmd --bogus: $(cat "$WORK/stderr")"
done
ok "an unknown option is named in the error"

# --- usage: what is counted, and kept until the record goes --------------
printf 'default_services = %s\nfail_delay = 0\nusage_write_interval = 0s\n' "$SERVICE" > "$WORK/count.conf"
VCONF=$WORK/count.conf
expect 0 at create counted --user "$U" --json
CTOK=$(printf '%s' "$OUT" | jq -r .token)
CID=$(printf '%s' "$OUT" | jq -r .id)
for i in 1 2 3 4; do vfy "$CTOK" "$U" > /dev/null || fail "login $i"; done
expect 0 at show "$CID" --json
json '.recorded_uses == 4 and .last_used_at != null and (has("use_count") | not)'
VCONF=$CONF
for i in 1 2 3; do vfy "$CTOK" "$U" > /dev/null || fail "throttled login $i"; done
expect 0 at show "$CID" --json
json '.recorded_uses == 4'
ok "recorded_uses counts each recorded login: all with usage_write_interval = 0s, none within the interval"

expect 0 at delete "$CID"
expect 0 at show "$CID" --json
json '.status == "deleted" and .last_used_at != null and .recorded_uses == 4'
json '.available_actions | to_entries | map(.value) | any | not'
expect 0 at show "$CID"
printf '%s' "$OUT" | grep -q '^last used: *[0-9]' || fail "show of a deleted token: last used lost: $OUT"
expect 0 at list --all --json
json "map(select(.id == \"$CID\"))[0] | .status == \"deleted\" and .last_used_at != null"
expect 0 at list --user "$U" --all --json
json "map(.id) | index(\"$CID\") != null"
expect 0 at list --user "$U" --json
json "map(.id) | index(\"$CID\") == null"
expect 1 at show counted
expect 1 at delete "$CID"
ok "a deleted token: shown by id, in every list --all, with its last use; no action on it"

# --- list: 32-byte names keep the columns; an unknown user is an error ---
LONG=n234567890123456789012345678901x
expect 0 at create "$LONG" --user "$U"
expect 0 at list
printf '%s\n' "$OUT" | awk -v want="$(printf '%s\n' "$OUT" | head -1 | awk '{ print index($0, "STATUS") }')" '
	NR > 1 && !match($0, / (active|suspended|revoked|deleted|expired|pending) /) { bad = 1 }
	NR > 1 && RSTART + 1 != want { bad = 1 }
	END { exit bad }' || fail "list columns out of line: $OUT"
expect 1 at list --user zzapt-no-such-account
grep -q "no account" "$WORK/stderr" || fail "list --user of no account: $(cat "$WORK/stderr")"
ok "list keeps its columns with 32-byte names; list --user of no account fails"

# --- show: effective services, the old secret's grace -------------------
expect 0 at create plain --user "$U" --expires 30d --json
PID=$(printf '%s' "$OUT" | jq -r .id)
expect 0 at show "$PID" --json
json ".services == [] and .effective_services == [\"$SERVICE\"] and .old_secret_valid_until == null"
expect 0 at show "$PID"
printf '%s' "$OUT" | grep -q "^services: *$SERVICE (default_services)$" || fail "show: effective services: $OUT"
expect 0 at rotate "$PID" --grace 2h
expect 0 at show "$PID" --json
json '.old_secret_valid_until != null'
[ "$(printf '%s' "$OUT" | jq -r .old_secret_valid_until | xargs -I@ date -d @ +%s)" -gt $(( $(date +%s) + 7000 )) ] ||
	fail "old secret's grace: $OUT"
expect 0 at show "$PID"
printf '%s' "$OUT" | grep -q "^old secret valid: *until .* (rotate --grace)$" || fail "show: grace: $OUT"
expect 1 at rotate "$PID" --grace 40d
expect 0 at rotate "$PID"
expect 0 at show "$PID" --json
json '.old_secret_valid_until == null'
ok "show: effective services, the old secret's grace; a grace past the expiry refused"

# --- revoke --token -: leak response ------------------------------------
L=${TAG}l
expect 0 at create "$L" --description "leaky ci" --json
LTOK=$(printf '%s' "$OUT" | jq -r .token)
LID=$(printf '%s' "$OUT" | jq -r .id)
# the rule shipped for scanners matches it, and the manual shows that regex
RE=$(sed -n "s/^regex = '''\(.*\)'''$/\1/p" "${srcdir:-.}/doc/gitleaks.toml")
printf 'x %s y\n' "$LTOK" | grep -Pq "$RE" || fail "the gitleaks regex misses a token: $RE"
grep -qF "$(printf '%s' "$RE" | sed 's/\\/\\e/g')" "${srcdir:-.}/man/apitoken.8" || fail "the manual's regex is not the gitleaks rule's"
# the manual's checksum check, run: it accepts the token and rejects a typo
sed -n '/^import zlib$/,/^\.Ed$/p' "${srcdir:-.}/man/apitoken.8" | sed '$d' > "$WORK/check.py"
printf 'import sys\nsys.exit(0 if apitoken_ok(sys.argv[1]) else 1)\n' >> "$WORK/check.py"
python3 "$WORK/check.py" "$LTOK" || fail "the manual's checksum check rejects a token"
LTYPO=$(printf '%s' "$LTOK" | sed 's/\(.\{20\}\)./\1x/')
[ "$LTYPO" = "$LTOK" ] && LTYPO=$(printf '%s' "$LTOK" | sed 's/\(.\{20\}\)./\1y/')
python3 "$WORK/check.py" "$LTYPO" && fail "the manual's checksum check accepts a typo"
printf '%s\n' "$LTYPO" | at revoke --token - 2>"$WORK/stderr"
[ $? -eq 2 ] || fail "a false positive was not refused"
# a real id with a secret that is not its own (the one before a rotate)
expect 0 at rotate "$LID"
OLD=$LTOK
LTOK=$OUT
printf '%s\n' "$OLD" | at revoke --token - 2>"$WORK/stderr"
[ $? -eq 1 ] || fail "an old secret revoked"
grep -q "nothing revoked" "$WORK/stderr" || fail "old secret: $(cat "$WORK/stderr")"
expect 0 at show "$LID" --json
json '.status == "active"'
printf '  %s\n\n' "$LTOK" | at revoke --token - 2>"$WORK/stderr" || fail "revoke --token -: $(cat "$WORK/stderr")"
grep -q "leaked token $LID '$L' of user $L, a service user (created .* by root) is revoked" "$WORK/stderr" ||
	fail "revoke --token - does not say whose: $(cat "$WORK/stderr")"
vfy "$LTOK" "$L" > /dev/null && fail "a revoked leaked token still verifies"
getent shadow "$L" | cut -d: -f2 | grep -q '^!' || fail "the leaked token's service user is not locked"
printf '%s\n' "$LTOK" | at revoke --token - 2>"$WORK/stderr" || fail "revoke --token - twice"
grep -q "revoked already" "$WORK/stderr" || fail "twice: $(cat "$WORK/stderr")"
# with --json; a secret within its rotate --grace counts
expect 0 at create g2 --user "$U" --json
GTOK=$(printf '%s' "$OUT" | jq -r .token)
expect 0 at rotate g2 --grace 1h
OUT=$(printf '%s\n' "$GTOK" | at revoke --token - --json 2>"$WORK/stderr") || fail "a grace secret: $(cat "$WORK/stderr")"
json '.status == "revoked" and .name == "g2"'
expect 2 at revoke --token "$GTOK"
expect 2 at revoke --token - g2
expect 2 at suspend --token - g2
printf 'nothing here\n' | at revoke --token - 2>"$WORK/stderr"
[ $? -eq 2 ] || fail "no token on stdin"
ok "revoke --token -: checksum, id and hash checked; says whose it was; the scanner rule and the manual's check"

echo "edges as root: all checks passed"
