# SPDX-License-Identifier: ISC
# ldap/: the directory side of fleet mode (doc/fleet.md): the schema in both
# forms, an example provider (mirror mode) and the top of the tree.  The
# fleet tests build their providers from exactly these files.
ldapdir = $(datadir)/pam-apitoken/ldap
dist_ldap_DATA = ldap/apitoken.schema ldap/apitoken.ldif ldap/provider.ldif \
	ldap/base.ldif
