# SPDX-License-Identifier: ISC
# tests/helper/: see Makefile.am.  Filled in by its owner.
