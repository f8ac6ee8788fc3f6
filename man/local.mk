# man/: see Makefile.am.  Owned by the man work; filled in by it.
