# tests/pam/: see Makefile.am.  Filled in by its owner.
