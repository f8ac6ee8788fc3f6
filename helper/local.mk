# SPDX-License-Identifier: ISC
# helper/: the apitoken command, installed setuid root in sbindir (where
# the PAM module runs it for non-root callers) and linked from bindir.
sbin_PROGRAMS = apitoken
apitoken_SOURCES = helper/apitoken.h helper/main.c helper/select.c \
	helper/create.c helper/list.c helper/change.c helper/change.h helper/rotate.c helper/unlock.c helper/leak.c helper/check.c helper/forget.c helper/update.c helper/prune.c helper/hygiene.c helper/report.c helper/notify.c \
	helper/verify_mode.c helper/accounts.c helper/fleet_users.c helper/output.c \
	helper/reauth.c helper/policy.c helper/hold.c helper/fleet.c helper/cgroup.c \
	common/record_show.c common/record_show.h
apitoken_CFLAGS = $(AM_CFLAGS) $(HARDEN_CFLAGS) $(JANSSON_CFLAGS) $(LMDB_CFLAGS) \
	$(PAM_CFLAGS)
# Where the re-authentication service is read from: /etc/pam.d (NULL), or a
# test build's own directory (see configure --with-reauth-pam-dir).
if REAUTH_PAM_DIR
apitoken_CPPFLAGS = $(AM_CPPFLAGS) -DREAUTH_PAM_DIR='"$(reauthpamdir)"'
else
apitoken_CPPFLAGS = $(AM_CPPFLAGS)
endif
apitoken_LDFLAGS = $(HARDEN_LDFLAGS)
apitoken_LDADD = common/libtokengen.la $(JANSSON_LIBS) $(PAM_LIBS) $(SAN_HELPER_LIBS)

# The PAM service of that re-authentication, installed like chsh's.
pamddir = $(sysconfdir)/pam.d
pamd_DATA = pam/pam.d/apitoken
EXTRA_DIST += pam/pam.d/apitoken

# systemd: apitoken notify once a day (unit_subst: verifyd/local.mk).
dist_systemdsystemunit_DATA = helper/apitoken-notify.timer
systemdsystemunit_DATA += helper/apitoken-notify.service
EXTRA_DIST += helper/apitoken-notify.service.in
CLEANFILES += helper/apitoken-notify.service
helper/apitoken-notify.service: $(srcdir)/helper/apitoken-notify.service.in Makefile
	$(AM_V_GEN)$(unit_subst) $(srcdir)/helper/apitoken-notify.service.in > $@

# The userdel hook (USERDEL_CMD, deluser.local): apitoken forget-user.
pkglibexec_SCRIPTS = helper/forget-user
EXTRA_DIST += helper/forget-user.in
CLEANFILES += helper/forget-user
helper/forget-user: $(srcdir)/helper/forget-user.in Makefile
	$(AM_V_GEN)$(unit_subst) -e 's|@pkglibexecdir[@]|$(pkglibexecdir)|g' \
		$(srcdir)/helper/forget-user.in > $@ && chmod 755 $@

bashcompletiondir = $(datadir)/bash-completion/completions
dist_bashcompletion_DATA = helper/completion/apitoken

# setuid root when installed by root; a private install (make distcheck)
# gets an ordinary program and a notice.
INSTALL_EXEC_HOOKS += install-helper
UNINSTALL_HOOKS += uninstall-helper
install-helper:
	if [ "`id -u`" = 0 ]; then \
		chown root:root $(DESTDIR)$(sbindir)/apitoken && \
		chmod 4755 $(DESTDIR)$(sbindir)/apitoken; \
	else \
		echo "notice: not root, $(DESTDIR)$(sbindir)/apitoken is not setuid"; \
	fi
	$(MKDIR_P) $(DESTDIR)$(bindir)
	ln -sf $(sbindir)/apitoken $(DESTDIR)$(bindir)/apitoken
uninstall-helper:
	rm -f $(DESTDIR)$(bindir)/apitoken
