#!/bin/sh
# SPDX-License-Identifier: ISC
# Cyrus saslauthd -a pam (the road of Postfix SMTP AUTH), as root, asked
# with testsaslauthd: a good token is accepted; wrong, suspended, revoked,
# other user's and other service's tokens are not.  saslauthd passes no
# client address (PAM_RHOST), so a token with --allow-from fails closed.
. "${srcdir:-.}/tests/e2e/lib.sh"
SASLAUTHD=/usr/sbin/saslauthd
TESTSASL=/usr/sbin/testsaslauthd
[ -x "$SASLAUTHD" ] || skip "no saslauthd (apt-get install sasl2-bin)"
[ -x "$TESTSASL" ] || skip "no testsaslauthd (apt-get install sasl2-bin)"

U=${TAG}u
O=${TAG}o
add_user "$U"
add_user "$O"
write_service

state_tokens "$U" "$O"

MUX=$WORK/sasl
mkdir "$MUX" || fail "mkdir"
EXTRA_CLEANUP='[ -f "$WORK/saslauthd.pid" ] && kill "$(cat "$WORK/saslauthd.pid")" 2>/dev/null'
# -d: in the foreground; -n 0: one process, answering in turn.  In a
# session of its own: on SIGTERM it signals its whole process group, which
# would otherwise be make's.
setsid "$SASLAUTHD" -a pam -m "$MUX" -n 0 -d 2> "$WORK/saslauthd.log" &
echo $! > "$WORK/saslauthd.pid"
i=0
while [ ! -S "$MUX/mux" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
[ -S "$MUX/mux" ] || fail "saslauthd did not start: $(cat "$WORK/saslauthd.log")"

ask() { "$TESTSASL" -f "$MUX/mux" -s "$SERVICE" -u "$1" -p "$2" >/dev/null 2>&1; }
yes_() { ask "$2" "$3" || fail "$1: refused ($(tail -2 "$WORK/saslauthd.log"))"; }
no_() { ask "$2" "$3" && fail "$1: accepted"; true; }
yes_ "a good token" "$U" "$TOK"
no_ "a wrong token" "$U" "$WRONG"
no_ "a suspended token" "$U" "$SUS"
no_ "a revoked token" "$U" "$REV"
no_ "a token given with another user's name" "$O" "$TOK"
no_ "another user's token" "$U" "$THEIRS"
no_ "a token for another service" "$U" "$SSHD"
pass_msg "saslauthd -a pam: a good token accepted; wrong, suspended, revoked, other user's, other service's refused"
no_ "an --allow-from token without a client address" "$U" "$LOCAL"
pass_msg "saslauthd passes no client address: an --allow-from token fails closed"
echo "saslauthd: all checks passed"
