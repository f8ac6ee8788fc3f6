#!/bin/sh
# SPDX-License-Identifier: ISC
# The manual pages are clean for mandoc's linter, warnings included.
command -v mandoc >/dev/null || { echo "SKIP: no mandoc (apt-get install mandoc)"; exit 77; }
status=0
for page in man/pam_apitoken.8 man/apitoken.8 man/apitoken.conf.5 man/apitoken-verifyd.8 man/apitoken-authd.8 man/apitoken-syncd.8 man/apitoken-fleet.8; do
	mandoc -T lint -W warning "${srcdir:-.}/$page" || status=1
done
[ $status -eq 0 ] && echo "manual pages: lint clean"
exit $status
