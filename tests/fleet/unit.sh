#!/bin/sh
# SPDX-License-Identifier: ISC
# The shipped apitoken-syncd.service passes systemd-analyze verify (with
# the built program in place of the installed one), and its sandbox
# exposure is printed (systemd-analyze security).
[ "${WITH_FLEET:-yes}" = no ] && { echo "SKIP: configured --without-fleet"; exit 77; }
command -v systemd-analyze >/dev/null || { echo "SKIP: no systemd-analyze (apt-get install systemd)"; exit 77; }
: "${srcdir:=.}" "${top_builddir:=.}"
SYNCD=$(cd "$top_builddir" && pwd)/apitoken-syncd
[ -x "$SYNCD" ] || { echo "FAIL: apitoken-syncd not built"; exit 1; }
W=$(mktemp -d "${TMPDIR:-/tmp}/apitoken-unit.XXXXXX")
trap 'rm -rf "$W"' EXIT
mkdir -p "$W/store"
# The name systemd goes by; the program and paths of this build.
sed -e "s|@sbindir@/apitoken-syncd|$SYNCD|" -e "s|@storedir@|$W/store|" -e "s|@sysconfdir@|/etc|" \
	"$srcdir/syncd/apitoken-syncd.service.in" > "$W/apitoken-syncd.service"
grep -q "@[a-z]*@" "$W/apitoken-syncd.service" && { echo "FAIL: a placeholder left: $(grep "@[a-z]*@" "$W/apitoken-syncd.service")"; exit 1; }
out=$(cd "$W" && SYSTEMD_LOG_LEVEL=notice systemd-analyze verify --man=no ./apitoken-syncd.service 2>&1)
[ -z "$out" ] || { echo "$out"; echo "FAIL: systemd-analyze verify"; exit 1; }
echo "ok: systemd-analyze verify apitoken-syncd.service"
for k in NoNewPrivileges=yes ProtectSystem=strict ProtectHome=yes PrivateTmp=yes \
	'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX' SystemCallFilter=@system-service \
	CapabilityBoundingSet= Restart=on-failure ExecCondition=; do
	grep -q "^$k" "$W/apitoken-syncd.service" || { echo "FAIL: the unit lacks $k"; exit 1; }
done
grep -q '^PrivateNetwork' "$W/apitoken-syncd.service" && { echo "FAIL: PrivateNetwork would cut off the providers"; exit 1; }
score=$(cd "$W" && systemd-analyze security --offline=yes ./apitoken-syncd.service 2>/dev/null | tail -1)
echo "ok: sandbox: ${score:-systemd-analyze security --offline not available}"
