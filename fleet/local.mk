# SPDX-License-Identifier: ISC
# fleet/: apitoken-fleet, the admin side of fleet mode: tokens written to
# the directory with the caller's own identity.  Not setuid; apitoken
# --fleet execs it after dropping every privilege, so libldap is never
# loaded into the setuid helper.
# common/fleet_entry.c, the reading of a token entry it shares with
# apitoken-syncd, is compiled in here, never into libcommon: the PAM module
# links that and must not load libldap.  Records are shown as apitoken
# shows them (common/record_show.c: formatting only, nothing privileged).
if FLEET
sbin_PROGRAMS += apitoken-fleet
apitoken_fleet_SOURCES = fleet/fleet.h fleet/main.c fleet/conn.c \
	fleet/entry.c fleet/uids.c fleet/ops.c \
	common/fleet_entry.c common/fleet_entry.h \
	common/record_show.c common/record_show.h
apitoken_fleet_CFLAGS = $(AM_CFLAGS) $(HARDEN_CFLAGS) $(LDAP_CFLAGS) \
	$(SODIUM_CFLAGS) $(JANSSON_CFLAGS)
apitoken_fleet_LDFLAGS = $(HARDEN_LDFLAGS)
apitoken_fleet_LDADD = common/libtokengen.la $(LDAP_LIBS) $(SODIUM_LIBS) \
	$(JANSSON_LIBS)
endif
