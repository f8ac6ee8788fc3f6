#!/bin/sh
# SPDX-License-Identifier: ISC
# Service variants with the real programs: Debian's `su -` runs the PAM
# service su-l and `sudo -i` runs sudo-i, and a token made --service su or
# --service sudo works for them (common/verify.h), while a token for
# another program does not.
#
# The stacks and the sudoers rule are the test's own (su_stacks, in_ns).
. "${srcdir:-.}/tests/e2e/lib.sh"
for p in su sudo unshare setpriv; do
	command -v $p >/dev/null || skip "no $p"
done
unshare -m true 2>/dev/null || skip "cannot make a mount namespace here"

A=${TAG}a   # owns the tokens, is the sudoer
B=${TAG}b   # runs su - A
add_user "$A"
add_user "$B"
EXTRA_CLEANUP='rm -f "/run/sudo/ts/$A"'
su_stacks "$A"

SU=$(at create su --user "$A" --service su) || fail "create su token"
SUDO=$(at create sudo --user "$A" --service sudo) || fail "create sudo token"
SSHD=$(at create other --user "$A" --service sshd) || fail "create sshd token"
SUL=$(at create sul --user "$A" --service su-l) || fail "create su-l token"

su_l() { in_ns "$B" "$1" su - "$A" -c 'echo in-$USER'; }
su_plain() { in_ns "$B" "$1" su "$A" -c 'echo in-$USER'; }
sudo_i() { in_ns "$A" "$1" sudo -S -i -u root sh -c 'echo in-$USER'; }

su_l "$SU" || fail "su - refused a --service su token: $(cat "$WORK/out")"
grep -q "in-$A" "$WORK/out" || fail "su - ran nothing: $(cat "$WORK/out")"
su_plain "$SU" || fail "su refused a --service su token: $(cat "$WORK/out")"
su_l "$SSHD" && fail "su - accepted a --service sshd token"
su_l "$SUDO" && fail "su - accepted a --service sudo token"
su_l "$SUL" || fail "su - refused a --service su-l token"
su_plain "$SUL" && fail "su accepted a --service su-l token"
pass_msg "su - (PAM service su-l): tokens for su and su-l work, others do not; su-l does not open su"

sudo_i "$SUDO" || fail "sudo -i refused a --service sudo token: $(cat "$WORK/out")"
grep -q "in-root" "$WORK/out" || fail "sudo -i ran nothing: $(cat "$WORK/out")"
sudo_i "$SU" && fail "sudo -i accepted a --service su token"
sudo_i "$SSHD" && fail "sudo -i accepted a --service sshd token"
pass_msg "sudo -i (PAM service sudo-i): a token for sudo works, others do not"
echo "service variants: all checks passed"
