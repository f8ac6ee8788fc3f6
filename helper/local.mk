# helper/: see Makefile.am.  Owned by the helper work; filled in by it.
