# authd/: apitoken-authd, the HTTP front of the verify service for nginx's
# auth_request.  A program of its own, unprivileged, over the verify
# protocol of common/; it never opens the store.
sbin_PROGRAMS += apitoken-authd
apitoken_authd_SOURCES = authd/authd.h authd/main.c authd/loop.c authd/http.c \
	authd/ask.c
apitoken_authd_CFLAGS = $(AM_CFLAGS) $(HARDEN_CFLAGS) $(SODIUM_CFLAGS) $(LMDB_CFLAGS)
apitoken_authd_LDFLAGS = $(HARDEN_LDFLAGS)
apitoken_authd_LDADD = common/libdaemon.la common/libcommon.la $(SODIUM_LIBS)

# systemd: socket activation (the socket of the web server's group), the
# service as a dynamic user, sandboxed to the UNIX sockets it needs.
systemdsystemunit_DATA += authd/apitoken-authd.socket authd/apitoken-authd.service
EXTRA_DIST += authd/apitoken-authd.socket.in authd/apitoken-authd.service.in
CLEANFILES += authd/apitoken-authd.socket authd/apitoken-authd.service
authd/apitoken-authd.socket: $(srcdir)/authd/apitoken-authd.socket.in Makefile
	$(AM_V_GEN)$(unit_subst) $(srcdir)/authd/apitoken-authd.socket.in > $@
authd/apitoken-authd.service: $(srcdir)/authd/apitoken-authd.service.in Makefile
	$(AM_V_GEN)$(unit_subst) $(srcdir)/authd/apitoken-authd.service.in > $@
