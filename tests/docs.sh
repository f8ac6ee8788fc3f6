#!/bin/sh
# SPDX-License-Identifier: ISC
# What the README, SECURITY.md and the example PAM stacks promise a new
# administrator (issue 11): no pointer outside the tree, the configuration
# file named, a real report channel, Debian's stock lines kept.
fail() { echo "FAIL: $*"; exit 1; }
top=${srcdir:-.}
grep -q 'DESIGN\.md' "$top/README.md" && fail "README points at DESIGN.md, which is not in the tree"
grep -q '/etc/security/apitoken\.conf' "$top/README.md" || fail "README does not name /etc/security/apitoken.conf"
grep -q 'benchmark table below' "$top/README.md" && fail "the benchmark table is above, not below"
grep -q 'make uninstall' "$top/README.md" || fail "README has no make uninstall"
grep -q "privately via the repository's Security" "$top/SECURITY.md" || fail "SECURITY.md has no report channel"
grep -qi 'e-mail' "$top/SECURITY.md" && fail "SECURITY.md still asks for an e-mail with no address"
for f in sshd-token-or-password sshd-token-only; do
	for m in pam_nologin pam_loginuid pam_limits pam_env; do
		grep -q "^[a-z]* *required *$m.so" "$top/pam/examples/$f" || fail "$f drops $m"
	done
done
for m in pam_nologin pam_loginuid pam_limits pam_env; do
	grep -q "$m.so" "$top/pam/examples/login-token" || fail "login-token drops $m"
done
grep -q 'pam_limits.so' "$top/pam/examples/sudo-token" || fail "sudo-token drops pam_limits"
# the sudo example's command must make a personal token: without --user
# it would create a service user, which only root may, and is no use here
grep 'apitoken create' "$top/pam/examples/sudo-token" | grep -q -- '--user' ||
	fail "sudo-token tells to create a service user"
# scripts/quickstart (never run here: it installs into /usr): quiet
# build steps, the refused login shown, the demo in a store of its own
q=$top/scripts/quickstart
grep -Eq '^(make -s install|"\$top/configure".*|\[ -x configure \] \|\| autoreconf -fi >/dev/null)$' "$q" &&
	fail "quickstart runs a build step unquieted"
grep -q 'pamtester.*authenticate 2>/dev/null' "$q" && fail "quickstart hides the refused login"
grep -q 'pam_apitoken.so store=\$demo' "$q" || fail "quickstart's demo uses the real store"
echo "docs: all checks passed"
