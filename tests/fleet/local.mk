# SPDX-License-Identifier: ISC
# Fleet mode against real slapd providers on 127.0.0.1 (tests/fleet/lib.sh).
TESTS += tests/fleet/schema.sh tests/fleet/mirror.sh tests/fleet/restore.sh \
	tests/fleet/unit.sh tests/fleet/users.sh
# sync.sh logs in through pamtester, which cannot load a sanitizer-built
# module (see tests/local.mk); users.sh asks the helper's verify mode there.
if !SANITIZERS
TESTS += tests/fleet/sync.sh
endif
EXTRA_DIST += tests/fleet/lib.sh tests/fleet/schema.sh tests/fleet/sync.sh \
	tests/fleet/mirror.sh tests/fleet/restore.sh \
	tests/fleet/unit.sh tests/fleet/users.sh
