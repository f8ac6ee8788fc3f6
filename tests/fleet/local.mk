# SPDX-License-Identifier: ISC
# Fleet mode against real slapd providers on 127.0.0.1 (tests/fleet/lib.sh).
# Every one but systemd.sh runs in sanitizer builds too, the daemon under
# ASan+UBSan: there the logins are root's verify mode (fleet_login in
# lib.sh; users.sh has its own), as pamtester cannot load a
# sanitizer-built module.
TESTS += tests/fleet/schema.sh tests/fleet/sync.sh tests/fleet/mirror.sh \
	tests/fleet/restore.sh tests/fleet/unit.sh tests/fleet/users.sh \
	tests/fleet/admin.sh tests/fleet/kill.sh
# The shipped unit under systemd's sandbox: not for a sanitizer build of
# the daemon (its seccomp filter refuses what LeakSanitizer does at exit).
if !SANITIZERS
TESTS += tests/fleet/systemd.sh
endif
EXTRA_DIST += tests/fleet/lib.sh tests/fleet/schema.sh tests/fleet/sync.sh \
	tests/fleet/mirror.sh tests/fleet/restore.sh \
	tests/fleet/unit.sh tests/fleet/users.sh tests/fleet/admin.sh \
	tests/fleet/kill.sh tests/fleet/systemd.sh
