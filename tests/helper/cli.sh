#!/bin/sh
# SPDX-License-Identifier: ISC
# apitoken as root against a private store: every command and option, plain
# and --json (parsed with jq), service users created, locked, expired and
# deleted (and never an account we did not create), and a SIGKILL at every
# step of create, revoke and delete, each found by check and fixed by
# check --repair.  Accounts are named zzapt<random>...; all are removed on
# exit, also on failure.
. "${srcdir:-.}/tests/e2e/lib.sh"
command -v jq >/dev/null || skip "no jq (apt-get install jq)"

# expect STATUS COMMAND...: run, check the exit status, keep stdout in $OUT.

U=${TAG}p
add_user "$U"

# create, plain: the token alone on stdout, one notice on stderr
expect 0 at create laptop --user "$U" --permission deploy:read --permission deploy:write \
	--service sshd --service sudo --allow-from 192.0.2.0/24 --description "my laptop"
TOK=$OUT
printf '%s' "$TOK" | grep -Eq '^apitok_[0-9A-Z]{12}_[0-9A-Za-z]{38}$' || fail "stdout is not one token: $TOK"
[ "$(wc -l < "$WORK/stderr")" -eq 1 ] || fail "more than one notice line"
grep -q "only time" "$WORK/stderr" || fail "no notice on stderr"
ID=$(printf '%s' "$TOK" | cut -d_ -f2)
ok "create prints the token alone"

expect 0 at show laptop --json
json ".id == \"$ID\" and .name == \"laptop\" and .user == \"$U\" and .service_user == false"
json '.permissions == ["deploy:read","deploy:write"] and .services == ["sshd","sudo"]'
json '.allowed_addresses == ["192.0.2.0/24"] and .status == "active" and .expired == false'
json '.revision == 1 and .created.by == "root" and .description == "my laptop" and (has("token") | not)'
json '.available_actions == {"activate":false,"suspend":true,"revoke":true,"delete":true,"rotate":true}'
json '.expires_at | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T")'
expect 0 at show "$ID"
printf '%s' "$OUT" | grep -q "^status: *active" || fail "show by id"
ok "show, by name and by id, plain and --json"

expect 0 at create ci --user "$U" --expires never --json
json '.token | startswith("apitok_")'
json '.expires_at == null and .status == "active"'
CI=$(printf '%s' "$OUT" | jq -r .token)
expect 0 at list --json
json "length == 2 and (map(.user) | unique == [\"$U\"])"
expect 0 at list --user "$U"
[ "$(printf '%s\n' "$OUT" | wc -l)" -eq 3 ] || fail "list: header and two rows expected"
printf '%s' "$OUT" | head -1 | grep -q '^ID  *NAME  *USER  *STATUS  *EXPIRES  *LAST USED' || fail "list header"
ok "list, plain and --json"

# state changes and the transitions that are refused
expect 0 at suspend laptop --json
json '.status == "suspended" and .revision == 2 and .available_actions.activate == true'
expect 1 at suspend laptop
expect 0 at activate laptop
expect 1 at activate laptop
ok "suspend and activate, and refusals of no-op changes"

# the verify mode sees the same states
vfy() { vrequest "$2" "${3:-sshd}" "${4:-192.0.2.9}" "$1" | ask_ok "$APITOKEN" --store "$STORE" verify; }
APITOKEN_CONFIG=$CONF
export APITOKEN_CONFIG
vfy "$TOK" "$U" sshd 192.0.2.9 > "$WORK/line" || fail "verify of a good token"
grep -q "^apitoken-verify-2	ok	accepted	$ID	laptop	deploy:read,deploy:write	" "$WORK/line" || fail "verify answer: $(cat "$WORK/line")"
vfy "$TOK" "$U" sshd 198.51.100.1 > /dev/null && fail "verify from a disallowed address"
vfy "$TOK" nobody > /dev/null && fail "verify for another user"
ok "verify mode"

# rotate keeps the id; the old secret lives on only through --grace
expect 0 at rotate laptop --grace 1h --json
json ".id == \"$ID\" and (.token | startswith(\"apitok_$ID\")) and .revision == 4"
NEW=$(printf '%s' "$OUT" | jq -r .token)
[ "$NEW" != "$TOK" ] || fail "rotate gave the same token"
vfy "$NEW" "$U" > /dev/null || fail "new secret after rotate"
vfy "$TOK" "$U" > /dev/null || fail "old secret during the grace period"
expect 0 at rotate laptop
NEWER=$OUT
vfy "$NEW" "$U" > /dev/null && fail "superseded secret still works"
vfy "$NEWER" "$U" > /dev/null || fail "rotated secret"
ok "rotate, with and without --grace"

# lockout: wrong secrets lock the token, even the right one is then
# refused, and only root's unlock lifts it
printf 'default_services = sshd\nfail_delay = 0\nlockout_attempts = 2\n' > "$WORK/lock.conf"
# (after a rotate, the previous secret is a well-formed wrong one)
expect 0 at rotate laptop
RIGHT=$OUT
lvfy() { vrequest "$U" sshd 192.0.2.9 "$1" | ask_ok env APITOKEN_CONFIG="$WORK/lock.conf" "$APITOKEN" --store "$STORE" verify; }
lvfy "$NEWER" > /dev/null && fail "a wrong secret verified"
lvfy "$NEWER" > /dev/null
lvfy "$RIGHT" > /dev/null && fail "the right secret got through a lockout"
expect 0 at unlock laptop
lvfy "$RIGHT" > /dev/null || fail "still locked out after unlock"
ok "lockout after wrong secrets, lifted by unlock"

# names: ambiguous ones must be given as ids
V=${TAG}q
add_user "$V"
expect 0 at create laptop --user "$V"
expect 1 at show laptop
grep -q "names 2 tokens" "$WORK/stderr" || fail "ambiguous name not explained"
expect 0 at show "$ID"
ok "an ambiguous name is refused with the ids"

# expiry rules
expect 2 at create past --user "$U" --expires 2020-01-01
expect 2 at create typo --user "$U" --expires 30x
printf 'default_services = %s\nfail_delay = 0\nmax_lifetime = 30d\ndefault_lifetime = 7d\n' "$SERVICE" > "$WORK/max.conf"
expect 1 env APITOKEN_CONFIG="$WORK/max.conf" "$APITOKEN" --store "$STORE" create forever --user "$U" --expires never
expect 1 env APITOKEN_CONFIG="$WORK/max.conf" "$APITOKEN" --store "$STORE" create long --user "$U" --expires 60d
expect 0 env APITOKEN_CONFIG="$WORK/max.conf" "$APITOKEN" --store "$STORE" create short --user "$U" --json
json '.expires_at != null'
# a maximum alone caps the built-in default (90d) instead of refusing every token
printf 'default_services = %s\nfail_delay = 0\nmax_lifetime = 30d\n' "$SERVICE" > "$WORK/maxonly.conf"
expect 0 env APITOKEN_CONFIG="$WORK/maxonly.conf" "$APITOKEN" --store "$STORE" create capped --user "$U" --json
[ "$(printf '%s' "$OUT" | jq -r .expires_at | xargs -I@ date -d @ +%s)" -le $(( $(date +%s) + 30 * 86400 + 5 )) ] ||
	fail "the default was not capped by max_lifetime: $OUT"
expect 0 at delete capped
ok "expiry: past, malformed, beyond the maximum refused; default applied"

# usage errors are exit 2 with one line
expect 2 at frobnicate
expect 2 at create
expect 2 at create "Bad Name" --user "$U"
expect 2 at create ok --user "$U" --allow-from 10.0.0.1/8
expect 2 at create ok --user "$U" --bogus
expect 2 at create ok --user "$U" --description "$(printf 'line\nbreak')"
expect 1 at create ok --user zzapt-no-such-account
expect 0 at --help
expect 0 at --version
ok "usage errors"

# service users: created, locked, expiring with the token, revoked, deleted
S=${TAG}s
expect 0 at create "$S" --json --expires 30d --description "ci deploys"
json ".service_user == true and .user == \"$S\" and .uid >= 60600 and .uid <= 61099"
STOK=$(printf '%s' "$OUT" | jq -r .token)
SUID=$(printf '%s' "$OUT" | jq -r .uid)
CREATED_EXP=$(printf '%s' "$OUT" | jq -r .expires_at)
ENT=$(getent passwd "$S") || fail "service user not created"
[ "$(echo "$ENT" | cut -d: -f3)" = "$SUID" ] || fail "uid differs from the record"
[ "$(echo "$ENT" | cut -d: -f7)" = /bin/sh ] || fail "shell not from the config"
echo "$ENT" | cut -d: -f5 | grep -q "^apitoken " || fail "no GECOS marker"
getent shadow "$S" | cut -d: -f2 | grep -q '^!' || fail "password not locked"
# The account expires on the day the token does, rounded up to whole days.
expiry_day() { echo $(( ($(date -d "$(printf '%s' "$OUT" | jq -r .expires_at)" +%s) + 86399) / 86400 )); }
[ "$(getent shadow "$S" | cut -d: -f8)" = "$(expiry_day)" ] || fail "account expiry not the token's"
vfy "$STOK" "$S" "$SERVICE" > /dev/null || fail "service token does not verify"
expect 1 at create "$S"
expect 1 at create root
ok "service user created with locked password, uid from the range, expiry"
chage --expiredate 2099-01-01 -- "$S"
expect 0 at rotate "$S" --json
STOK=$(printf '%s' "$OUT" | jq -r .token)
[ "$(getent shadow "$S" | cut -d: -f8)" = "$(expiry_day)" ] || fail "rotate did not move the account expiry"
ok "rotate moves the service user's expiry with the token's"
json ".expires_at == \"$CREATED_EXP\""
expect 0 at rotate "$S" --expires 10d --json
STOK=$(printf '%s' "$OUT" | jq -r .token)
json ".expires_at != \"$CREATED_EXP\""
[ "$(getent shadow "$S" | cut -d: -f8)" = "$(expiry_day)" ] || fail "rotate --expires did not move the account expiry"
expect 1 at rotate "$S" --grace 520w
grep -q 'ends after the token expires' "$WORK/stderr" || fail "grace beyond the expiry: $(cat "$WORK/stderr")"
expect 2 at rotate "$S" --expires 30x
expect 0 at create brief --user "$U" --expires 1s
sleep 2
expect 1 at rotate brief
grep -q 'expired' "$WORK/stderr" || fail "rotate of an expired token: $(cat "$WORK/stderr")"
expect 0 at delete brief
ok "rotate keeps the expiry, --expires moves it and the account's; expired tokens and a grace past the expiry refused"
expect 0 at revoke "$S"
[ "$(getent shadow "$S" | cut -d: -f8)" = 1 ] || fail "revoked service user not expired"
vfy "$STOK" "$S" "$SERVICE" > /dev/null && fail "revoked token verifies"
expect 0 at delete "$S"
getent passwd "$S" > /dev/null && fail "service user not deleted"
expect 0 at list --all --json
json "map(select(.name == \"$S\")) | .[0].status == \"deleted\""
ok "revoke locks and expires, delete removes the account and keeps a tombstone"
expect 0 at delete ci
getent passwd "$U" > /dev/null || fail "deleting a personal token removed its owner's account"
ok "an account we did not create is never removed"

# a SIGKILL at every step; check finds it, check --repair fixes it.  The
# crash points exist only in the test build of the program, built in
# every configuration.
for step in create:after-pending create:after-useradd; do
	N=${TAG}k$(echo "$step" | tr -cd 'a-z' | cut -c12-16)
	APITOKEN_TEST_CRASH=$step "$TEST_APITOKEN" --store "$STORE" create "$N" >"$WORK/out" 2>/dev/null
	[ $? -eq 137 ] || fail "$step: no crash"
	[ -s "$WORK/out" ] && fail "$step: a token was printed before the end"
	expect 1 at check
	grep -q "create interrupted" "$WORK/stderr" || printf '%s' "$OUT" | grep -q "create interrupted" || fail "$step: check did not name it"
	expect 0 at check --repair
	expect 0 at check
	getent passwd "$N" > /dev/null && fail "$step: orphan account left after repair"
	ok "killed at $step: reported and rolled back"
done
for step in revoke:after-record delete:after-pending delete:after-userdel; do
	N=${TAG}m$(echo "$step" | tr -cd 'a-z' | cut -c1-6)
	expect 0 at create "$N"
	T=$OUT
	action=${step%%:*}
	APITOKEN_TEST_CRASH=$step "$TEST_APITOKEN" --store "$STORE" "$action" "$N" >/dev/null 2>&1
	[ $? -eq 137 ] || fail "$step: no crash"
	vfy "$T" "$N" "$SERVICE" > /dev/null && fail "$step: the token still works"
	expect 1 at check
	expect 0 at check --repair
	expect 0 at check
	if [ "$action" = revoke ]; then
		[ "$(getent shadow "$N" | cut -d: -f8)" = 1 ] || fail "$step: account not locked by repair"
	else
		getent passwd "$N" > /dev/null && fail "$step: account left after repair"
	fi
	ok "killed at $step: token unusable throughout, repaired"
done
# rotate killed after its commit: the old secret is void, nothing needs
# repair, and rotating again gives a working token
N=${TAG}r
expect 0 at create "$N"
T=$OUT
APITOKEN_TEST_CRASH=rotate:after-record "$TEST_APITOKEN" --store "$STORE" rotate "$N" >"$WORK/out" 2>/dev/null
[ $? -eq 137 ] || fail "rotate: no crash"
[ -s "$WORK/out" ] && fail "rotate: a token was printed before the end"
vfy "$T" "$N" "$SERVICE" > /dev/null && fail "rotate: the old secret still works"
expect 0 at check
expect 0 at rotate "$N"
vfy "$OUT" "$N" "$SERVICE" > /dev/null || fail "rotate: rotating again did not give a working token"
ok "killed at rotate:after-record: old secret void, store consistent, rotate again works"
echo "apitoken as root: all checks passed"
