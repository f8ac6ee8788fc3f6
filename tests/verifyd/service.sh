#!/bin/sh
# SPDX-License-Identifier: ISC
# apitoken-verifyd on a private socket: the verifier policy, answers for
# callers the kernel names (SO_PEERCRED), fail_delay per client, and
# hostile clients (idle, 1 MiB, half a request, 1000 at once) that must
# neither stop it answering others nor get a wrong token accepted.
. "${srcdir:-.}/tests/e2e/lib.sh"

[ -x "$VERIFYD" ] || fail "not built: $VERIFYD"
# Unprivileged callers run a copy: the build tree may be behind a 0700 home.
cp "$top_builddir/tests/verifyd/vclient" "$WORK/vclient" || fail "copy vclient"
chmod 755 "$WORK/vclient"
SOCK=$WORK/verify.sock
U=${TAG}u   # owns the token
V=${TAG}v   # a verifier for $SERVICE
W=${TAG}w   # nobody in particular
G=${TAG}g   # a group of verifiers for "imap"
for u in $U $V $W; do add_user "$u"; done
groupadd "$G" || fail "groupadd"
EXTRA_CLEANUP='[ -f "$WORK/verifyd.pid" ] && kill "$(cat "$WORK/verifyd.pid")" 2>/dev/null; groupdel "$G" 2>/dev/null'
usermod -a -G "$G" "$W" || fail "usermod"
cat > "$CONF" <<EOC
default_services = $SERVICE
fail_delay = 1s
lockout_attempts = 0
verifier = $V: $SERVICE
verifier = @$G: imap
EOC

# After a rotate the first secret is a well-formed wrong one.
WRONG=$(at create api --user "$U" --service "$SERVICE" --service imap) || fail "create"
TOK=$(at rotate api) || fail "rotate"
SUS=$(at create sus --user "$U") || fail "create"
at suspend sus >/dev/null || fail "suspend"

"$VERIFYD" --foreground --socket "$SOCK" --store "$STORE" --config "$CONF" \
	2> "$WORK/verifyd.log" &
echo $! > "$WORK/verifyd.pid"
i=0
while [ ! -S "$SOCK" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
[ -S "$SOCK" ] || fail "the service did not start: $(cat "$WORK/verifyd.log")"

# as USER: ask USER2 SERVICE PASSWORD -> the answer line
ask() {
	printf '%s\n' "$4" | setpriv --reuid="$1" --regid="$(id -g "$1")" --init-groups \
		"$WORK/vclient" "$SOCK" ask "$2" "$3" 192.0.2.7
}
verdict() { printf '%s\n' "$1" | cut -f2-3; }

[ "$(verdict "$(ask "$U" "$U" "$SERVICE" "$TOK")")" = "ok	accepted" ] ||
	fail "own token refused"
[ "$(verdict "$(ask "$V" "$U" "$SERVICE" "$TOK")")" = "ok	accepted" ] ||
	fail "a verifier's check refused"
[ "$(verdict "$(ask "$V" "$U" imap "$TOK")")" = "denied	verifier-service" ] ||
	fail "a verifier claimed a service not its own"
[ "$(verdict "$(ask "$W" "$U" imap "$TOK")")" = "ok	accepted" ] ||
	fail "a verifier by group refused"
[ "$(verdict "$(ask "$W" "$U" "$SERVICE" "$TOK")")" = "denied	verifier-service" ] ||
	fail "a group verifier claimed a service not its own"
[ "$(verdict "$(ask "$V" "$U" "$SERVICE" "$WRONG")")" = "denied	wrong-secret" ] ||
	fail "a wrong token was not refused"
[ "$(verdict "$(ask "$V" "$U" "$SERVICE" "$SUS")")" = "denied	suspended" ] ||
	fail "a suspended token was not refused as such"
pass_msg "verifier policy: own tokens, named verifiers and groups, their services only"

# Not in the policy: refused and logged with the caller's uid.
at revoke sus >/dev/null
groupdel "$G" 2>/dev/null; G=
[ "$(verdict "$(ask "$W" "$U" imap "$TOK")")" = "denied	not-verifier" ] ||
	fail "a caller outside the policy was answered"
grep -q "user $U service imap rhost 192.0.2.7, asked by uid $(id -u "$W"): caller may verify only its own tokens" \
	"$WORK/verifyd.log" || fail "the refusal was not logged: $(tail -3 "$WORK/verifyd.log")"
pass_msg "a caller outside the policy is refused and logged with its uid"

# fail_delay waits per client: the owner's wrong token waits 1 s, while a
# good request on another connection is answered at once.
T=$(printf '%s\n%s\n' "$TOK" "$WRONG" | setpriv --reuid="$U" --regid="$(id -g "$U")" \
	--init-groups "$WORK/vclient" "$SOCK" race "$U" "$SERVICE") || fail "race"
set -- $T
[ "$1" -ge 900 ] || fail "a refusal was not delayed ($1 ms)"
[ "$2" -le 300 ] || fail "a good request waited for another client's delay ($2 ms)"
pass_msg "fail_delay: the refused client waited $1 ms, the other $2 ms"

printf '%s\n%s\n' "$TOK" "$WRONG" | "$WORK/vclient" "$SOCK" hostile "$U" "$SERVICE" ||
	fail "hostile clients: $(tail -5 "$WORK/verifyd.log")"
kill -0 "$(cat "$WORK/verifyd.pid")" || fail "the service died"
[ "$(verdict "$(ask "$U" "$U" "$SERVICE" "$TOK")")" = "ok	accepted" ] ||
	fail "no answer after the hostile clients"
pass_msg "1000 idle clients, 1 MiB, half requests: others answered, nothing wrong accepted"

kill "$(cat "$WORK/verifyd.pid")"
wait "$(cat "$WORK/verifyd.pid")" 2>/dev/null
rm -f "$WORK/verifyd.pid"
[ ! -e "$SOCK" ] || fail "the socket was left behind"

# Under systemd stderr is the journal, which has every line from syslog
# already: then nothing is copied to stderr (JOURNAL_STREAM names the
# device and inode of the stderr systemd gave).
: > "$WORK/journal"
JOURNAL_STREAM=$(stat -c '%d:%i' "$WORK/journal") "$VERIFYD" --foreground \
	--socket "$SOCK" --store "$STORE" --config "$CONF" 2>> "$WORK/journal" &
echo $! > "$WORK/verifyd.pid"
i=0
while [ ! -S "$SOCK" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
[ "$(verdict "$(ask "$U" "$U" "$SERVICE" "$TOK")")" = "ok	accepted" ] ||
	fail "no answer with stderr as the journal: $(cat "$WORK/journal")"
kill "$(cat "$WORK/verifyd.pid")"
wait "$(cat "$WORK/verifyd.pid")" 2>/dev/null
rm -f "$WORK/verifyd.pid"
[ ! -s "$WORK/journal" ] || fail "lines copied to the journal twice: $(head -3 "$WORK/journal")"
grep -q "token .* for user $U service $SERVICE rhost 192.0.2.7, asked by uid $(id -u "$U"): accepted" \
	"$WORK/verifyd.log" || fail "a decision was not logged to stderr: $(tail -3 "$WORK/verifyd.log")"
pass_msg "each decision logged once: stderr copies only when stderr is not the journal"
echo "verify service: all checks passed"
