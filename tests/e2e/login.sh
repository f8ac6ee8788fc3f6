#!/bin/sh
# SPDX-License-Identifier: ISC
# A su/login-style service as an administrator writes it: a file in
# /etc/pam.d naming the module by its short name, installed where libpam
# looks (a staged install of this build), driven by pamtester.  Token first
# ("sufficient"), pam_unix after it for ordinary passwords.
. "${srcdir:-.}/tests/e2e/lib.sh"

command -v pamtester >/dev/null || skip "no pamtester (apt-get install pamtester)"

# The module is referenced by absolute path: libpam's own module directory
# must not be written to by a test.
cat > "/etc/pam.d/$SERVICE" <<EOS
auth     sufficient $MODULE store=$STORE config=$CONF
auth     required   pam_unix.so try_first_pass
account  [success=ok ignore=ignore default=bad] $MODULE store=$STORE config=$CONF
account  required   pam_unix.so
EOS

USER1=${TAG}l
add_user "$USER1"
# an ordinary password for the pam_unix fallback
echo "$USER1:correct horse battery" | chpasswd || fail "chpasswd"
TOK=$(at create console --user "$USER1") || fail "create token"

pt() {  # password user -> pamtester's exit status
	printf '%s\n' "$1" | pamtester "$SERVICE" "$2" authenticate acct_mgmt >/dev/null 2>&1
}

pt "$TOK" "$USER1" || fail "token refused"
pass_msg "token accepted by a sufficient module"
pt "correct horse battery" "$USER1" || fail "ordinary password no longer works"
pass_msg "a non-token password falls through to pam_unix"
pt "wrong" "$USER1" && fail "wrong password accepted"
pass_msg "wrong password refused"
BAD=$(printf '%s' "$TOK" | sed 's/.$/0/')
[ "$BAD" = "$TOK" ] && BAD=$(printf '%s' "$TOK" | sed 's/.$/1/')
pt "$BAD" "$USER1" && fail "damaged token accepted"
pass_msg "damaged token refused"
at revoke console >/dev/null || fail "revoke"
pt "$TOK" "$USER1" && fail "revoked token accepted"
pass_msg "revoked token refused"
echo "login-style service: all checks passed"
