#!/bin/sh
# SPDX-License-Identifier: ISC
# apitoken notify: a notice at each notify_days threshold, once per expiry,
# to the token's user or a service user's creator, mailed through the
# configured sendmail (here a script that keeps what it was given); the
# clock is pinned (APITOKEN_TEST_NOW), so this runs the test build.
. "${srcdir:-.}/tests/e2e/lib.sh"
command -v jq >/dev/null || skip "no jq (apt-get install jq)"
clock_pinned || skip "the notices are checked at pinned times: configure --enable-test-hooks"

U=${TAG}u
add_user "$U"
MAIL=$WORK/mail
mkdir "$MAIL"
cat > "$WORK/sendmail" <<EOS
#!/bin/sh
n=\$(ls "$MAIL" | wc -l)
printf '%s\n' "\$@" > "$MAIL/\$n.argv"
cat > "$MAIL/\$n.msg"
EOS
chmod 755 "$WORK/sendmail"
printf 'notify_days = 1, 7\nsendmail = %s\n' "$WORK/sendmail" > "$CONF"

NOW=$(date +%s)
# at the pinned time NOW + seconds
tat() {
	s=$1
	shift
	APITOKEN_TEST_NOW=$((NOW + s)) APITOKEN_CONFIG=$CONF "$TEST_APITOKEN" --store "$STORE" "$@"
}
id_of() { tat 0 show "$1" --json | jq -r .id; }
mails() { ls "$MAIL" | grep -c '\.msg$'; }

tat 0 create soon --user "$U" --expires 3d >/dev/null || fail "create soon"
tat 0 create today --user "$U" --expires 12h >/dev/null || fail "create today"
tat 0 create later --user "$U" --expires 30d >/dev/null || fail "create later"
tat 0 create "${TAG}s" --expires 5d >/dev/null || fail "create a service user's token"
tat 0 create never --user "$U" --expires never >/dev/null || fail "create never"
SOON=$(id_of soon) TODAY=$(id_of today) SVC=$(id_of "${TAG}s")

OUT=$(tat 0 notify --dry-run --json) || fail "notify --dry-run"
[ "$(printf '%s' "$OUT" | jq length)" -eq 3 ] || fail "dry run: $OUT"
[ "$(mails)" -eq 0 ] || fail "a dry run mailed"

OUT=$(tat 0 notify --json) || fail "notify: $OUT"
printf '%s' "$OUT" | jq -e --arg s "$SOON" --arg t "$TODAY" --arg v "$SVC" --arg u "$U" '
	(map({(.id): [.threshold_days, .recipient, .mailed, .marked]}) | add) ==
	{($s): [7, $u, true, true], ($t): [1, $u, true, true], ($v): [7, "root", true, true]}' >/dev/null ||
	fail "notices: $OUT"
[ "$(mails)" -eq 3 ] || fail "$(mails) mails for 3 notices"
grep -lx -- "--" "$MAIL"/*.argv >/dev/null || fail "no -- before the recipient"
grep -l "^Subject: API token today ($TODAY) expires in 1 day$" "$MAIL"/*.msg >/dev/null ||
	fail "no 1-day subject: $(cat "$MAIL"/*.msg)"
grep -lx "root" "$MAIL"/*.argv >/dev/null || fail "the service user's creator was not mailed"
pass_msg "notices at the 7- and 1-day thresholds, to the owner or the creator"

OUT=$(tat 3600 notify --json 2>&1) || fail "second run: $OUT"
[ "$(printf '%s' "$OUT" | jq length)" -eq 0 ] || fail "noticed again: $OUT"
[ "$(mails)" -eq 3 ] || fail "a second run mailed again"
# 2.6 days on: "soon" is within a day now; the service user's token was
# noticed at 7 days and is not due again; "today" has expired.
OUT=$(tat 225000 notify --json) || fail "later run: $OUT"
printf '%s' "$OUT" | jq -e --arg s "$SOON" 'map([.id, .threshold_days]) == [[$s, 1]]' >/dev/null ||
	fail "later run: $OUT"
pass_msg "each threshold once per expiry; an expired token gets none"

# A new expiry starts its notices afresh.
tat 0 update soon --expires 6d >/dev/null || fail "update"
OUT=$(tat 0 notify --json) || fail "after update: $OUT"
printf '%s' "$OUT" | jq -e --arg s "$SOON" 'map([.id, .threshold_days]) == [[$s, 7]]' >/dev/null ||
	fail "after a new expiry: $OUT"

# No sendmail: the log line is the notice; a sendmail that fails is tried
# again next run, and the run says so.
printf 'notify_days = 40\nsendmail = %s\n' "$WORK/nonexistent" > "$CONF"
OUT=$(tat 0 notify --json) || fail "without sendmail: $OUT"
printf '%s' "$OUT" | jq -e 'length == 1 and .[0].mailed == false and .[0].marked == true and
	(.[0].not_mailed | startswith("no sendmail"))' >/dev/null || fail "without sendmail: $OUT"
tat 0 create far --user "$U" --expires 50d >/dev/null || fail "create far"
printf '#!/bin/sh\nexit 75\n' > "$WORK/sendmail"
printf 'notify_days = 60\nsendmail = %s\n' "$WORK/sendmail" > "$CONF"
OUT=$(tat 0 notify 2>&1) && fail "a failed sendmail went unreported: $OUT"
case $OUT in *"exit 75"*"sent again next run"*) ;; *) fail "failed sendmail: $OUT" ;; esac
printf '#!/bin/sh\ncat >/dev/null\n' > "$WORK/sendmail"
OUT=$(tat 0 notify --json) || fail "retry: $OUT"
[ "$(printf '%s' "$OUT" | jq 'map(select(.mailed)) | length')" -eq 1 ] || fail "not retried: $OUT"
pass_msg "without sendmail the log is the notice; a failed sendmail is retried"

printf 'notify_days = 0\n' > "$CONF"
tat 0 notify 2>&1 | grep -q "notify_days" || fail "notify_days = 0 accepted"
# A user runs a setuid copy: the build tree may be behind a 0700 home.
cp "$TEST_APITOKEN" "$WORK/apitoken-copy" && chmod 4755 "$WORK/apitoken-copy"
OUT=$(setpriv --reuid="$U" --regid="$(id -g "$U")" --init-groups "$WORK/apitoken-copy" notify 2>&1) &&
	fail "notify ran for a user"
case $OUT in *"notify is for root"*) ;; *) fail "user's notify: $OUT" ;; esac
pass_msg "bad thresholds refused; notify is root's"
