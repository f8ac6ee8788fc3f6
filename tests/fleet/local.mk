# SPDX-License-Identifier: ISC
# Fleet mode against real slapd providers on 127.0.0.1 (tests/fleet/lib.sh).
TESTS += tests/fleet/schema.sh tests/fleet/sync.sh
EXTRA_DIST += tests/fleet/lib.sh tests/fleet/schema.sh tests/fleet/sync.sh
