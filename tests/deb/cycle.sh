#!/bin/sh
# SPDX-License-Identifier: ISC
# The Debian packages on a machine, as an administrator meets them: installed
# with apt-get, the profile enabled with pam-auth-update, a token login
# through the common stacks (as root and through the setuid program), the
# packaged apitoken-verifyd units under a systemd of the test's own
# (tests/sdns.sh) answering a caller that is not root, revoke refused, an
# administrator's dpkg-statoverride kept across a reinstall, then remove
# (store and service user stay) and purge (store goes, the service user
# stays, locked).  The machine's PAM configuration is as before at the
# end, compared byte for byte.
#
# usage: tests/deb/cycle.sh DIR   (DIR holds apitoken_*.deb, libpam-apitoken_*.deb)
# Run as root, on a machine (or chroot) where pam-apitoken is not installed:
# it refuses to run where a store or an installed copy exists.
set -eu

fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }
. "$(dirname "$0")/../sdns.sh"

[ $# -eq 1 ] || { echo "usage: $0 DIR" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || fail "needs root (installs packages)"
debs=$(cd "$1" && pwd)
set -- "$debs"/apitoken_*.deb
[ -f "$1" ] || fail "no apitoken_*.deb in $debs"
pkg_tool=$1
set -- "$debs"/libpam-apitoken_*.deb
[ -f "$1" ] || fail "no libpam-apitoken_*.deb in $debs"
pkg_module=$1

store=/var/lib/apitoken
for f in $store /usr/sbin/apitoken /usr/share/pam-configs/apitoken \
	/lib/*/security/pam_apitoken.so /usr/lib/*/security/pam_apitoken.so; do
	[ ! -e "$f" ] || fail "$f exists: this test installs and purges pam-apitoken, run it where it is not installed"
done
for p in apitoken libpam-apitoken; do
	! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q installed ||
		fail "package $p is installed already"
done
if dpkg-statoverride --list /usr/sbin/apitoken >/dev/null; then
	fail "a dpkg-statoverride for /usr/sbin/apitoken exists already"
fi

TAG=zzapt$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
svc=$TAG
kept=${TAG}k
saved=$(mktemp -d "${TMPDIR:-/tmp}/apitoken-deb.XXXXXX")
cp -p /etc/pam.d/common-* "$saved/"
mkdir "$saved/varlibpam"
cp -p /var/lib/pam/* "$saved/varlibpam/" 2>/dev/null || true
export DEBIAN_FRONTEND=noninteractive

cleanup() {
	rc=$?
	set +e
	sdns_stop
	dpkg-statoverride --remove /usr/sbin/apitoken >/dev/null 2>&1
	if dpkg-query -W -f='${Status}' apitoken libpam-apitoken 2>/dev/null | grep -q installed; then
		apt-get purge -y -qq apitoken libpam-apitoken >/dev/null 2>&1
	fi
	rm -f "/etc/pam.d/$svc"
	for u in $(getent passwd | cut -d: -f1 | grep "^$TAG"); do
		pkill -KILL -u "$u" 2>/dev/null
		userdel "$u" 2>/dev/null
		getent group "$u" >/dev/null && groupdel "$u" 2>/dev/null
	done
	# Only ours: the checks above refused to start where a store existed.
	rm -rf "$store"
	for f in "$saved"/common-*; do
		cmp -s "$f" "/etc/pam.d/${f##*/}" || cp -p "$f" /etc/pam.d/
	done
	cp -p "$saved"/varlibpam/* /var/lib/pam/ 2>/dev/null
	rm -rf "$saved"
	exit $rc
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# pamtester SERVICE USER OPS...: the token on stdin, as the password
login() {
	printf '%s\n' "$TOKEN" | pamtester "$@" >/dev/null 2>&1
}

echo "== install"
apt-get install -y -qq --no-install-recommends "$pkg_tool" "$pkg_module" >/dev/null ||
	fail "apt-get install"
[ "$(stat -c '%a %U %G' /usr/sbin/apitoken)" = "4755 root root" ] ||
	fail "/usr/sbin/apitoken is $(stat -c '%a %U %G' /usr/sbin/apitoken), not 4755 root root"
[ "$(readlink -f /usr/bin/apitoken)" = /usr/sbin/apitoken ] || fail "/usr/bin/apitoken"
[ "$(stat -c '%a %U' $store)" = "700 root" ] || fail "$store is $(stat -c '%a %U' $store)"
module=$(dpkg -L libpam-apitoken | grep '/security/pam_apitoken\.so$') || fail "no module"
unix=$(dpkg -L libpam-modules | grep '/security/pam_unix\.so$')
[ "${module%/*}" = "${unix%/*}" ] || fail "the module is in ${module%/*}, libpam's are in ${unix%/*}"
[ -f /usr/share/pam-configs/apitoken ] || fail "no pam-auth-update profile"
for f in apitoken.8 apitoken.conf.5; do
	[ -n "$(find /usr/share/man -name "$f*")" ] || fail "no manual page $f"
done
[ -n "$(find /usr/share/man -name 'pam_apitoken.8*')" ] || fail "no pam_apitoken(8)"
[ -f /usr/share/bash-completion/completions/apitoken ] || fail "no bash completion"
[ -d /usr/share/doc/apitoken/examples ] || fail "no examples"
! grep -q pam_apitoken /etc/pam.d/common-auth ||
	fail "the profile is on after installation (Default: no)"
ok "installed: setuid helper, module, profile (off), manuals, completion, examples, $store 0700"

echo "== pam-auth-update --enable apitoken"
pam-auth-update --enable apitoken
grep -q 'pam_apitoken\.so' /etc/pam.d/common-auth || fail "not in common-auth"
grep -q 'pam_apitoken\.so' /etc/pam.d/common-account || fail "not in common-account"
first=$(grep -E '^auth' /etc/pam.d/common-auth | grep -n -E 'pam_(apitoken|unix)\.so' |
	head -1 | grep -c pam_apitoken) || true
[ "$first" = 1 ] || fail "pam_apitoken is not in front of pam_unix in common-auth"
grep -h -E 'pam_(apitoken|unix)\.so' /etc/pam.d/common-auth /etc/pam.d/common-account |
	sed 's/^/  /'
ok "profile enabled: in front of pam_unix in common-auth, in common-account"

echo "== quick start against the installed package"
cat > "/etc/pam.d/$svc" <<EOS
@include common-auth
@include common-account
EOS
TOKEN=$(apitoken create "$svc" --service "$svc" --expires 1h) || fail "apitoken create"
getent passwd "$svc" | grep -q ":apitoken " || fail "no service user $svc"
apitoken list | grep -q "$svc" || fail "apitoken list does not show $svc"
login "$svc" "$svc" authenticate acct_mgmt || fail "token login as root"
ok "a token login through common-auth and common-account"
# A caller that is not root (a screen locker of the account itself): the
# module asks the setuid program, which reads the store for it.
printf '%s\n' "$TOKEN" | setpriv --reuid="$(id -u "$svc")" --regid="$(id -g "$svc")" \
	--clear-groups pamtester "$svc" "$svc" authenticate >/dev/null 2>&1 ||
	fail "token login by $svc itself, through the setuid apitoken"
ok "a token login by a caller that is not root, through the setuid apitoken"

echo "== the packaged verify service, under systemd"
# The units as installed, in a systemd of the test's own (tests/sdns.sh).
# A token with a use limit needs a root verifier: the setuid program
# refuses it, so a caller that is not root gets it accepted only from
# apitoken-verifyd, which counts it (usage in /var/lib/apitoken, through
# the unit's ReadWritePaths).
if why=$(sdns_unusable); then
	echo "not run: $why"
else
	mkdir -p "$saved/stage/units"
	cp /lib/systemd/system/apitoken-verifyd.socket /lib/systemd/system/apitoken-verifyd.service \
		"$saved/stage/units/" || fail "no apitoken-verifyd units in /lib/systemd/system"
	once=$(apitoken create "${svc}1" --user "$svc" --service "$svc" --uses 1 --expires 1h) ||
		fail "apitoken create --uses 1"
	sdns_boot "$saved" "$saved/stage"
	sdns systemctl start apitoken-verifyd.socket || fail "apitoken-verifyd.socket did not start"
	as_svc() {
		printf '%s\n' "$once" | sdns setpriv --reuid="$(id -u "$svc")" --regid="$(id -g "$svc")" \
			--clear-groups pamtester "$svc" "$svc" authenticate >/dev/null 2>&1
	}
	as_svc || fail "a --uses 1 token refused to $svc through apitoken-verifyd: $(sdns journalctl --no-pager -o cat | tail -3)"
	! as_svc || fail "a --uses 1 token accepted twice"
	[ "$(sdns journalctl --no-pager -o cat -u apitoken-verifyd.service |
		grep -c "service $svc rhost -, asked by uid $(id -u "$svc"): ")" = 2 ] ||
		fail "not two decisions of apitoken-verifyd in the journal: $(sdns journalctl --no-pager -o cat | tail -5)"
	sdns_stop
	ok "apitoken-verifyd.socket as installed: a --uses 1 token counted once for a caller that is not root"
fi
saved_token=$TOKEN
TOKEN=not-a-token-password
! login "$svc" "$svc" authenticate || fail "a plain password logged in"
TOKEN=$saved_token
apitoken revoke "$svc" >/dev/null || fail "apitoken revoke"
! login "$svc" "$svc" authenticate || fail "the revoked token still logs in"
ok "revoked token refused"
# A service user whose token is live and never expires: purge must lock it.
apitoken create "$kept" --expires never >/dev/null || fail "apitoken create $kept"
[ -z "$(getent shadow "$kept" | cut -d: -f8)" ] || fail "$kept has an expiry already"

echo "== dpkg-statoverride is kept"
dpkg-statoverride --update --add root root 0755 /usr/sbin/apitoken
apt-get install -y -qq --reinstall "$pkg_tool" >/dev/null || fail "reinstall"
[ "$(stat -c '%a' /usr/sbin/apitoken)" = 755 ] ||
	fail "the reinstall reset an administrator's statoverride ($(stat -c '%a' /usr/sbin/apitoken))"
dpkg-statoverride --remove /usr/sbin/apitoken
ok "a reinstall leaves the administrator's mode 0755"

echo "== apt-get remove"
apt-get remove -y -qq apitoken libpam-apitoken >/dev/null || fail "apt-get remove"
! grep -q pam_apitoken /etc/pam.d/common-auth /etc/pam.d/common-account ||
	fail "pam_apitoken still in the common stacks after remove"
for f in /usr/sbin/apitoken /usr/bin/apitoken "$module" /usr/share/pam-configs/apitoken; do
	[ ! -e "$f" ] || fail "$f left after remove"
done
[ -f $store/tokens.mdb ] || fail "remove deleted the store"
getent passwd "$kept" >/dev/null || fail "remove deleted the service user"
[ -z "$(getent shadow "$kept" | cut -d: -f8)" ] || fail "remove expired $kept"
ok "removed: profile out of the stacks, files gone, store and service users kept"

echo "== apt-get purge"
out=$(apt-get purge -y -qq apitoken libpam-apitoken 2>&1) || fail "apt-get purge: $out"
[ ! -e $store ] || fail "purge left $store"
getent passwd "$kept" >/dev/null || fail "purge deleted the service user"
passwd -S "$kept" | grep -q "^$kept L " || fail "purge left $kept unlocked: $(passwd -S "$kept")"
[ "$(getent shadow "$kept" | cut -d: -f8)" = 1 ] || fail "purge left $kept unexpired"
printf '%s\n' "$out" | grep -q "kept, locked and expired:.* $kept" ||
	fail "purge did not name $kept: $out"
for p in apitoken libpam-apitoken; do
	! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q installed || fail "$p still installed"
done
ok "purged: store gone, service user $kept kept, locked and expired"

for f in "$saved"/common-*; do
	cmp -s "$f" "/etc/pam.d/${f##*/}" || fail "/etc/pam.d/${f##*/} differs from before the test"
done
ok "/etc/pam.d/common-* as before"
echo "== the package cycle passed"
