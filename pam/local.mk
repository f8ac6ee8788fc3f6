# pam/: pam_apitoken.so, thin PAM glue over common/.  Only the pam_sm_*
# entry points are exported.  -z nodelete keeps the module, and the store
# handle it caches, loaded after pam_end: a long-lived process then pays
# for loading and opening once, not per login.
securelibdir = $(securedir)
securelib_LTLIBRARIES = pam/pam_apitoken.la
pam_pam_apitoken_la_SOURCES = pam/pam_apitoken.c pam/helper_client.c pam/helper_client.h
pam_pam_apitoken_la_CFLAGS = $(AM_CFLAGS) $(LMDB_CFLAGS) $(PAM_CFLAGS)
pam_pam_apitoken_la_LDFLAGS = -module -avoid-version -shared -no-undefined \
	-Wl,--version-script=$(srcdir)/pam/pam_apitoken.map -Wl,-z,nodelete \
	-Wl,-z,relro
pam_pam_apitoken_la_LIBADD = common/libcommon.la $(PAM_LIBS)
EXTRA_DIST += pam/pam_apitoken.map pam/examples

# libpam loads pam_apitoken.so; the libtool archive is of no use there.
INSTALL_EXEC_HOOKS += install-pam-module
UNINSTALL_HOOKS += uninstall-pam-module
install-pam-module:
	rm -f $(DESTDIR)$(securedir)/pam_apitoken.la
uninstall-pam-module:
	rm -f $(DESTDIR)$(securedir)/pam_apitoken.so
