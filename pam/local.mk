# SPDX-License-Identifier: ISC
# pam/: pam_apitoken.so, thin PAM glue over common/.  Only the pam_sm_*
# entry points are exported.  -z nodelete keeps the module, and the store
# handle it caches, loaded after pam_end: a long-lived process then pays
# for loading and opening once, not per login.
# "exec" in the name: installed with the programs, before install-exec-hook.
moduleexecdir = $(securedir)
moduleexec_LTLIBRARIES = pam/pam_apitoken.la
pam_pam_apitoken_la_SOURCES = pam/pam_apitoken.c pam/helper_client.c pam/helper_client.h \
	pam/verifyd_client.c pam/verifyd_client.h
pam_pam_apitoken_la_CFLAGS = $(AM_CFLAGS) $(LMDB_CFLAGS) $(PAM_CFLAGS)
pam_pam_apitoken_la_LDFLAGS = -module -avoid-version -shared -no-undefined \
	-Wl,--version-script=$(srcdir)/pam/pam_apitoken.map -Wl,-z,nodelete \
	-Wl,-z,relro
pam_pam_apitoken_la_LIBADD = common/libcommon.la $(PAM_LIBS)
EXTRA_DIST += pam/pam_apitoken.map

# Example PAM stacks and configuration, for administrators to copy.
exampledir = $(docdir)/examples
dist_example_DATA = pam/examples/sshd-token-or-password pam/examples/sshd-token-only \
	pam/examples/sudo-token pam/examples/login-token doc/apitoken.conf.example \
	doc/gitleaks.toml
# How to put nginx, Apache, Dovecot and saslauthd in front of tokens.
dist_doc_DATA = doc/daemons.md

# The pam-auth-update profile (Debian, Ubuntu): off until an administrator
# runs pam-auth-update --enable apitoken (debian/libpam-apitoken.README.Debian).
pamconfigsdir = $(datadir)/pam-configs
dist_pamconfigs_DATA = pam/pam-configs/apitoken

# libpam loads pam_apitoken.so; the libtool archive is of no use there.
INSTALL_EXEC_HOOKS += install-pam-module
UNINSTALL_HOOKS += uninstall-pam-module
install-pam-module:
	rm -f $(DESTDIR)$(securedir)/pam_apitoken.la
	$(MKDIR_P) $(DESTDIR)$(storedir)
	chmod 0700 $(DESTDIR)$(storedir)
uninstall-pam-module:
	rm -f $(DESTDIR)$(securedir)/pam_apitoken.so
