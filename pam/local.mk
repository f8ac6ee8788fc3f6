# pam/: see Makefile.am.  Owned by the pam work; filled in by it.
