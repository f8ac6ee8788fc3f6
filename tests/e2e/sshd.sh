#!/bin/sh
# SPDX-License-Identifier: ISC
# End to end through real OpenSSH: sshd on loopback with UsePAM and
# password authentication, the built module in its PAM stack, and the real
# ssh client typing tokens as passwords.  sshd names its PAM service after
# the program, so a copy called $SERVICE reads /etc/pam.d/$SERVICE: the
# machine's own /etc/pam.d/sshd and sshd are never touched.
. "${srcdir:-.}/tests/e2e/lib.sh"

SSHD=/usr/sbin/sshd
[ -x "$SSHD" ] || skip "no $SSHD (apt-get install openssh-server)"
command -v ssh >/dev/null || skip "no ssh client (apt-get install openssh-client)"

write_service
cp "$SSHD" "$WORK/$SERVICE"
ssh-keygen -q -t ed25519 -N '' -f "$WORK/hostkey" || fail "ssh-keygen"
PORT=$((20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 20000))
cat > "$WORK/sshd_config" <<EOC
Port $PORT
ListenAddress 127.0.0.1
ListenAddress ::1
HostKey $WORK/hostkey
UsePAM yes
PasswordAuthentication yes
KbdInteractiveAuthentication no
PubkeyAuthentication no
AuthorizedKeysFile none
PermitRootLogin no
PidFile $WORK/sshd.pid
LogLevel VERBOSE
EOC
mkdir -p /run/sshd
"$WORK/$SERVICE" -t -f "$WORK/sshd_config" || fail "sshd rejected its test configuration"
"$WORK/$SERVICE" -f "$WORK/sshd_config" -E "$WORK/sshd.log" || fail "sshd did not start"
for i in 1 2 3 4 5 6 7 8 9 10; do
	[ -s "$WORK/sshd.pid" ] && break
	sleep 0.2
done
[ -s "$WORK/sshd.pid" ] || fail "sshd did not write its pid file"

# ssh_as USER ADDR TOKEN: run `id -un` remotely; the token is typed by an
# askpass program reading a 0600 file, never put on a command line.
printf '#!/bin/sh\ncat "%s/password"\n' "$WORK" > "$WORK/askpass"
chmod 700 "$WORK/askpass"
ssh_as() {
	( umask 077; printf '%s\n' "$3" > "$WORK/password" )
	SSH_ASKPASS="$WORK/askpass" SSH_ASKPASS_REQUIRE=force DISPLAY=none \
	timeout 30 ssh -n -p "$PORT" -o StrictHostKeyChecking=no \
		-o UserKnownHostsFile=/dev/null -o PubkeyAuthentication=no \
		-o PreferredAuthentications=password -o NumberOfPasswordPrompts=1 \
		-o ConnectTimeout=10 -o LogLevel=ERROR "$1@$2" 'id -un' 2>>"$WORK/ssh.err"
}

expect_login() {  # user addr token what
	out=$(ssh_as "$1" "$2" "$3") || fail "$4: login refused; sshd log:
$(tail -5 "$WORK/sshd.log")"
	[ "$out" = "$1" ] || fail "$4: command ran as '$out', not $1"
	pass_msg "$4"
}

expect_refused() {  # user addr token what
	if out=$(ssh_as "$1" "$2" "$3"); then
		fail "$4: login accepted (ran as '$out')"
	fi
	pass_msg "$4"
}

SVC=${TAG}svc
TOK=$(at create "$SVC" --description "e2e service user") || fail "create service token"
expect_login "$SVC" 127.0.0.1 "$TOK" "service token logs in as its service user"
expect_login "$SVC" ::1 "$TOK" "service token over IPv6"
grep -i "chdir" "$WORK/ssh.err" && fail "a service user's login complains about its home"
pass_msg "a service user's login starts in a home that exists"

# a one-character typo, a truncated token, a plain wrong password
TYPO=$(printf '%s' "$TOK" | sed 's/\(.\{30\}\)./\1x/')
[ "$TYPO" = "$TOK" ] && TYPO=$(printf '%s' "$TOK" | sed 's/\(.\{30\}\)./\1y/')
expect_refused "$SVC" 127.0.0.1 "$TYPO" "mistyped token"
expect_refused "$SVC" 127.0.0.1 "$(printf '%s' "$TOK" | cut -c1-40)" "truncated token"
expect_refused "$SVC" 127.0.0.1 "not-a-token" "plain password (no other module may accept it)"

# personal tokens: the owner logs in; nobody else can use it
ALICE=${TAG}a
BOB=${TAG}b
add_user "$ALICE"
add_user "$BOB"
ATOK=$(at create laptop --user "$ALICE") || fail "create personal token"
expect_login "$ALICE" 127.0.0.1 "$ATOK" "personal token logs its owner in"
expect_refused "$BOB" 127.0.0.1 "$ATOK" "token of another user"
expect_refused "$SVC" 127.0.0.1 "$ATOK" "personal token for the service user"

# suspended, then active again
at suspend laptop >/dev/null || fail "suspend"
expect_refused "$ALICE" 127.0.0.1 "$ATOK" "suspended token"
at activate laptop >/dev/null || fail "activate"
expect_login "$ALICE" 127.0.0.1 "$ATOK" "re-activated token"

# source addresses: only 10.0.0.0/8 and 2001:db8::/32 may use this one
RTOK=$(at create ranged --user "$ALICE" --allow-from 10.0.0.0/8 --allow-from 2001:db8::/32) ||
	fail "create ranged token"
expect_refused "$ALICE" 127.0.0.1 "$RTOK" "token from a disallowed IPv4 source"
expect_refused "$ALICE" ::1 "$RTOK" "token from a disallowed IPv6 source"
LTOK=$(at create local --user "$ALICE" --allow-from 127.0.0.0/8) || fail "create loopback token"
expect_login "$ALICE" 127.0.0.1 "$LTOK" "token from an allowed source"

# a token for another service only
STOK=$(at create other-svc --user "$ALICE" --service sudo) || fail "create sudo-only token"
expect_refused "$ALICE" 127.0.0.1 "$STOK" "token not valid for this service"

# expiry
# Long enough for a login on a loaded machine; then wait out what is left.
made=$(date +%s)
ETOK=$(at create shortlived --user "$ALICE" --expires 10s) || fail "create short-lived token"
expect_login "$ALICE" 127.0.0.1 "$ETOK" "token before its expiry"
left=$((made + 11 - $(date +%s)))
[ "$left" -gt 0 ] && sleep "$left"
expect_refused "$ALICE" 127.0.0.1 "$ETOK" "expired token"

# revocation works on the very next connection, and locks the service user
at revoke "$SVC" >/dev/null || fail "revoke"
expect_refused "$SVC" 127.0.0.1 "$TOK" "revoked token, next connection"
getent shadow "$SVC" | cut -d: -f2 | grep -q '^!' || fail "revoked service user not locked"
pass_msg "revoked service user is locked"

# the logs never saw a secret
for t in "$TOK" "$ATOK" "$RTOK" "$LTOK" "$STOK" "$ETOK"; do
	secret=$(printf '%s' "$t" | cut -d_ -f3)
	grep -q -- "$secret" "$WORK/sshd.log" && fail "a secret reached the sshd log"
done
pass_msg "no secret in the sshd log"
echo "sshd end-to-end: all checks passed"
