#!/bin/sh
# SPDX-License-Identifier: ISC
# Tokens with a use limit (create --uses N, issue 11), as root against a
# private store:
#   - twenty logins at once, through root's verify mode and through the
#     real module with pamtester, accept exactly N in all; the next is
#     refused as spent, show says revoked with none left;
#   - check --repair and prune make the revoke real in the record, with a
#     service user's account locked;
#   - a use that cannot be counted (usage writer busy, usage store lost)
#     refuses that token as unavailable, and no other.
# (Counting under stoppable verifiers and in many processes at once is
# tests/test_verify.c's use_limit_*.)
. "${srcdir:-.}/tests/e2e/lib.sh"
command -v jq >/dev/null || skip "no jq (apt-get install jq)"
command -v pamtester >/dev/null || skip "no pamtester (apt-get install pamtester)"

# vfy TOKEN USER: root's verify mode; the answer line on stdout
vfy() { vrequest "$2" "$SERVICE" 192.0.2.9 "$1" | ask_ok env APITOKEN_CONFIG="$CONF" "$APITOKEN" --store "$STORE" verify; }
# login TOKEN USER: auth and account through the module, as sshd does them
login() { printf '%s\n' "$1" | pamtester "$SERVICE" "$2" authenticate acct_mgmt >/dev/null 2>&1; }
# pamtester cannot load a sanitizer-built module (ASan must come first in a
# program): there root's verify mode, the same decision and the same usage
# write in a sanitizer-built program, stands in for the login.
SAN=no
ldd "$MODULE" | grep -q libasan && SAN=yes
[ $SAN = yes ] && login() { vfy "$1" "$2" >/dev/null; }
USAGEHOLD=$(cd "$top_builddir" && pwd)/tests/helper/usagehold

U=${TAG}u
add_user "$U"
write_service

# --- the option ---------------------------------------------------------
for n in 0 -1 1x '' 100001 99999999999; do
	expect 2 at create bad --user "$U" --uses "$n"
	grep -q -- "--uses" "$WORK/stderr" || fail "--uses '$n': the option is not named"
done
at show bad >/dev/null 2>&1 && fail "a refused --uses made a token"
ok "--uses takes 1 to 100000 only"

# --- N logins at once, N accepted (root's verify mode) ------------------
# burst MODE TOKEN USER: 20 logins at once; the number accepted in $OK
burst() {
	i=0
	while [ $i -lt 20 ]; do
		if [ "$1" = verify ]; then
			vfy "$2" "$3" > "$WORK/burst.$i" 2>&1 &
		else
			(login "$2" "$3" && echo ok > "$WORK/burst.$i" ||
				echo refused > "$WORK/burst.$i") &
		fi
		i=$((i + 1))
	done
	wait
	OK=$(cat "$WORK"/burst.* | grep -Ec "^ok$|	ok	")
	cat "$WORK"/burst.* > "$WORK/burst"
	rm -f "$WORK"/burst.*
}
# drain MODE TOKEN USER: logins one at a time until one is refused; the
# number accepted in $MORE
drain() {
	MORE=0
	while [ $MORE -le 3 ]; do
		if [ "$1" = verify ]; then
			vfy "$2" "$3" > "$WORK/last" || break
		else
			login "$2" "$3" || break
		fi
		MORE=$((MORE + 1))
	done
}
expect 0 at create three --user "$U" --service "$SERVICE" --uses 3 --json
json '.max_uses == 3 and .uses_left == 3 and .status == "active" and .status_reason == null'
TOK=$(printf '%s' "$OUT" | jq -r .token)
ID=$(printf '%s' "$OUT" | jq -r .id)
burst verify "$TOK" "$U"
# a refusal says spent, or that the use could not be counted (the usage
# writer was busy past its bound): nothing else
grep -v "	ok	" "$WORK/burst" | grep -Ev "	(denied	uses-spent|unavail	uses-uncounted)	" &&
	fail "a concurrent login was refused for another reason"
[ "$OK" -le 3 ] || fail "$OK of 20 concurrent logins accepted with --uses 3"
expect 0 at show "$ID" --json
json ".uses_left == $((3 - OK))"
drain verify "$TOK" "$U"
[ $((OK + MORE)) -eq 3 ] || fail "$OK at once and $MORE after: not 3 in all"
grep -q "	denied	uses-spent	" "$WORK/last" || fail "the 4th login: $(cat "$WORK/last")"
ok "20 verify-mode logins at once: $OK accepted, $MORE after, 3 in all; then 'uses-spent'"

expect 0 at show "$ID" --json
json '.uses_left == 0 and .max_uses == 3 and .status == "revoked" and .status_reason == "uses_spent"'
json '.available_actions.rotate == false and .available_actions.suspend == false and .available_actions.revoke == true'
expect 0 at show "$ID"
printf '%s' "$OUT" | grep -q "^status: *revoked (all of its uses are spent)" || fail "show: $OUT"
printf '%s' "$OUT" | grep -q "^uses: *0 of 3 left" || fail "show: $OUT"
expect 0 at list --json
printf '%s' "$OUT" | jq -e ".[] | select(.id == \"$ID\") | .status == \"revoked\" and .uses_left == 0" >/dev/null ||
	fail "list --json: $OUT"
expect 1 at rotate "$ID"
grep -q "spent" "$WORK/stderr" || fail "rotate of a spent token: $(cat "$WORK/stderr")"
expect 1 at suspend "$ID"
ok "a spent token shows as revoked, with none left, and neither rotates nor suspends"
# report counts it revoked, not active; notify sends it no expiry notice
OUT=$(at report --json 2>"$WORK/stderr")
printf '%s' "$OUT" | jq -e '.tokens.revoked == 1 and .tokens.active == 0' >/dev/null ||
	fail "report of a spent token: $OUT"
printf 'notify_days = 100\n' >> "$CONF"
expect 0 at notify --dry-run --json
printf '%s' "$OUT" | jq -e "map(select(.id == \"$ID\")) | length == 0" >/dev/null ||
	fail "notify would warn of a spent token: $OUT"
sed -i '/^notify_days = 100$/d' "$CONF"
ok "report counts a spent token revoked, notify leaves it alone"

expect 1 at check
printf '%s' "$OUT" | grep -q "$ID.*uses are spent" || fail "check: $OUT"
expect 0 at check --repair --json
json ".findings[0].id == \"$ID\" and .findings[0].repaired == true"
expect 0 at show "$ID" --json
json '.status == "revoked" and .status_reason == "uses_spent" and .revision == 2'
expect 0 at check
ok "check reports the spent token; --repair revokes it in the record"

# --- the same through the module (pamtester), auth and account -----------
expect 0 at create three-pam --user "$U" --service "$SERVICE" --uses 3 --json
TOK=$(printf '%s' "$OUT" | jq -r .token)
ID=$(printf '%s' "$OUT" | jq -r .id)
burst pam "$TOK" "$U"
[ "$OK" -le 3 ] || fail "$OK of 20 concurrent module logins accepted with --uses 3"
drain pam "$TOK" "$U"
[ $((OK + MORE)) -eq 3 ] || fail "module: $OK at once and $MORE after: not 3 in all"
expect 0 at show "$ID" --json
json '.uses_left == 0 and .status == "revoked"'
vfy "$TOK" "$U" | grep -q "	denied	uses-spent	" || fail "the spent token is not refused as spent"
[ $SAN = yes ] && echo "note: a sanitizer build: root's verify mode stood in for pamtester"
ok "20 module logins at once (auth and account): $OK accepted, $MORE after, 3 in all"

# --- what cannot be counted refuses that token only ----------------------
expect 0 at create five --user "$U" --service "$SERVICE" --uses 5 --json
TOK=$(printf '%s' "$OUT" | jq -r .token)
ID=$(printf '%s' "$OUT" | jq -r .id)
PLAIN=$(at create plain --user "$U" --service "$SERVICE" 2>/dev/null) || fail "create plain"
"$USAGEHOLD" "$STORE" "$ID" > "$WORK/hold" &
HOLD=$!
EXTRA_CLEANUP="kill -KILL $HOLD 2>/dev/null"
i=0
until grep -q held "$WORK/hold" || [ $i -ge 50 ]; do sleep 0.1; i=$((i + 1)); done
grep -q held "$WORK/hold" || fail "the usage writer did not start"
vfy "$TOK" "$U" | grep -q "	unavail	uses-uncounted	" || fail "busy usage writer: not refused as uncounted"
vfy "$PLAIN" "$U" >/dev/null || fail "a token without a limit refused while the usage writer is busy"
kill -KILL $HOLD
wait $HOLD 2>/dev/null
EXTRA_CLEANUP=""
vfy "$TOK" "$U" >/dev/null || fail "the writer gone, the token is still refused"
expect 0 at show "$ID" --json
json '.uses_left == 4'
# usage.mdb lost (deleted, say, or restored from an older backup): made
# afresh, it is younger than the token, whose count is not started again
rm -f "$STORE/usage.mdb" "$STORE/usage.mdb-lock"
vfy "$TOK" "$U" | grep -q "	unavail	uses-uncounted	" || fail "lost usage: not refused as uncounted"
vfy "$PLAIN" "$U" >/dev/null || fail "a token without a limit refused after the usage store was lost"
ok "a busy usage writer or a lost usage store refuse the limited token, as unavailable, and no other"

# --- a single-use service user -------------------------------------------
S=${TAG}s
expect 0 at create "$S" --service "$SERVICE" --uses 1 --json
json '.service_user == true and .max_uses == 1'
STOK=$(printf '%s' "$OUT" | jq -r .token)
login "$STOK" "$S" || fail "the single-use token's one login"
login "$STOK" "$S" && fail "the single-use token logged in twice"
vfy "$STOK" "$S" | grep -q "	denied	uses-spent	" || fail "the second use is not refused as spent"
expect 0 at show "$S" --json
json '.status == "revoked" and .uses_left == 0'
expect 0 at prune --json
grep -q "revoked 1 token whose uses are all spent" "$WORK/stderr" ||
	fail "prune does not say it revoked a spent token: $(cat "$WORK/stderr")"
expect 0 at show "$S" --json
json '.status == "revoked" and .revision == 2'
[ "$(getent shadow "$S" | cut -d: -f2 | cut -c1)" = "!" ] || fail "prune did not lock $S"
[ "$(getent shadow "$S" | cut -d: -f8)" = 1 ] || fail "prune did not expire $S"
ok "a single-use service user: one login, then prune revokes it and locks the account"
