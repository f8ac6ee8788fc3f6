#!/bin/sh
# SPDX-License-Identifier: ISC
# The rough edges a new administrator hit (issue 11), as root against a
# private store: --json on every command, the unlock of a token that is not
# locked, unknown options named in the error, ...
. "${srcdir:-.}/tests/e2e/lib.sh"
command -v jq >/dev/null || skip "no jq (apt-get install jq)"

ok() { pass_msg "$*"; }
expect() {  # status command...: stdout in $OUT
	want=$1
	shift
	OUT=$("$@" 2>"$WORK/stderr")
	got=$?
	[ "$got" -eq "$want" ] || fail "exit $got, not $want: $* ($(cat "$WORK/stderr"))"
}
json() { printf '%s' "$OUT" | jq -e "$1" >/dev/null || fail "JSON lacks $1: $OUT"; }
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

echo "edges as root: all checks passed"
