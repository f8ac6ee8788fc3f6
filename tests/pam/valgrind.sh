#!/bin/sh
# SPDX-License-Identifier: ISC
# The PAM integration suite under valgrind memcheck: no invalid access, no
# use of uninitialised memory, no definite leak.  ("Possibly lost" blocks
# are the store handle the module keeps for the process's lifetime.)
command -v valgrind >/dev/null || { echo "SKIP: no valgrind (apt-get install valgrind)"; exit 77; }
CK_FORK=no exec valgrind -q --error-exitcode=99 --leak-check=full \
	--errors-for-leak-kinds=definite --show-leak-kinds=definite \
	"${top_builddir:-.}/tests/pam/pamtest"
