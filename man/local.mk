# SPDX-License-Identifier: ISC
# man/: the manual pages, installed by make install and linted by make check.
dist_man_MANS = man/pam_apitoken.8 man/apitoken.8 man/apitoken.conf.5 \
	man/apitoken-verifyd.8 man/apitoken-authd.8 man/apitoken-syncd.8 man/apitoken-fleet.8
TESTS += tests/man.sh tests/completion.sh
EXTRA_DIST += tests/man.sh tests/completion.sh
