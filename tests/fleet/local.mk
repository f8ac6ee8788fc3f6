# SPDX-License-Identifier: ISC
# Fleet mode against real slapd providers on 127.0.0.1 (tests/fleet/lib.sh).
# Every one runs in sanitizer builds too, the daemon under ASan+UBSan:
# there the logins are root's verify mode (fleet_login in lib.sh; users.sh
# has its own), as pamtester cannot load a sanitizer-built module.
TESTS += tests/fleet/schema.sh tests/fleet/sync.sh tests/fleet/mirror.sh \
	tests/fleet/restore.sh tests/fleet/unit.sh tests/fleet/users.sh \
	tests/fleet/admin.sh tests/fleet/kill.sh
EXTRA_DIST += tests/fleet/lib.sh tests/fleet/schema.sh tests/fleet/sync.sh \
	tests/fleet/mirror.sh tests/fleet/restore.sh \
	tests/fleet/unit.sh tests/fleet/users.sh tests/fleet/admin.sh \
	tests/fleet/kill.sh
