# verifyd/: apitoken-verifyd, the verify service for callers that are not
# root.  A program of its own over common/; never linked into the module.
sbin_PROGRAMS += apitoken-verifyd
apitoken_verifyd_SOURCES = verifyd/verifyd.h verifyd/main.c verifyd/loop.c
apitoken_verifyd_CFLAGS = $(AM_CFLAGS) $(HARDEN_CFLAGS) $(LMDB_CFLAGS)
apitoken_verifyd_LDFLAGS = $(HARDEN_LDFLAGS)
apitoken_verifyd_LDADD = common/libdaemon.la common/libcommon.la

# systemd: socket activation, and the service sandboxed to what it needs.
systemdsystemunit_DATA += verifyd/apitoken-verifyd.socket \
	verifyd/apitoken-verifyd.service
EXTRA_DIST += verifyd/apitoken-verifyd.socket.in \
	verifyd/apitoken-verifyd.service.in
CLEANFILES += verifyd/apitoken-verifyd.socket verifyd/apitoken-verifyd.service
unit_subst = $(MKDIR_P) $(@D) && sed -e 's|@sbindir[@]|$(sbindir)|g' \
	-e 's|@storedir[@]|$(storedir)|g' \
	-e 's|@sysconfdir[@]|$(sysconfdir)|g' \
	-e 's|@verifysocket[@]|$(verifysocket)|g'
verifyd/apitoken-verifyd.socket: $(srcdir)/verifyd/apitoken-verifyd.socket.in Makefile
	$(AM_V_GEN)$(unit_subst) $(srcdir)/verifyd/apitoken-verifyd.socket.in > $@
verifyd/apitoken-verifyd.service: $(srcdir)/verifyd/apitoken-verifyd.service.in Makefile
	$(AM_V_GEN)$(unit_subst) $(srcdir)/verifyd/apitoken-verifyd.service.in > $@
