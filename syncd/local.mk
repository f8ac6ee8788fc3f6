# SPDX-License-Identifier: ISC
# syncd/: apitoken-syncd, the fleet replica (RFC 4533 over libldap) into
# the local store.  A program of its own; never linked into the module.
# common/fleet_entry.c, the reading of a token entry it shares with
# apitoken-fleet, is compiled in here, never into libcommon: the PAM module
# links that and must not load libldap.
if FLEET
sbin_PROGRAMS += apitoken-syncd
apitoken_syncd_SOURCES = syncd/syncd.h syncd/main.c syncd/sync.c \
	syncd/apply.c syncd/users.c \
	common/fleet_entry.c common/fleet_entry.h
apitoken_syncd_CFLAGS = $(AM_CFLAGS) $(HARDEN_CFLAGS) $(LMDB_CFLAGS) \
	$(LDAP_CFLAGS) $(SODIUM_CFLAGS)
apitoken_syncd_LDFLAGS = $(HARDEN_LDFLAGS)
apitoken_syncd_LDADD = common/libdaemon.la common/libcommon.la \
	$(LDAP_LIBS) $(SODIUM_LIBS)
# systemd: sandboxed, and not started until fleet_providers is set
# (unit_subst: verifyd/local.mk).
systemdsystemunit_DATA += syncd/apitoken-syncd.service
endif
EXTRA_DIST += syncd/apitoken-syncd.service.in
CLEANFILES += syncd/apitoken-syncd.service
syncd/apitoken-syncd.service: $(srcdir)/syncd/apitoken-syncd.service.in Makefile
	$(AM_V_GEN)$(unit_subst) $(srcdir)/syncd/apitoken-syncd.service.in > $@
