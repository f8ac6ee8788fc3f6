#!/bin/sh
# SPDX-License-Identifier: ISC
# The bash completion offers apitoken's commands and each command's options.
[ -r /usr/share/bash-completion/bash_completion ] ||
	{ echo "SKIP: no bash-completion (apt-get install bash-completion)"; exit 77; }
command -v bash >/dev/null || { echo "SKIP: no bash"; exit 77; }
# It offers exactly the commands that apitoken --help lists.
listed=$("${top_builddir:-.}/apitoken" --help | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p' | grep -vx apitoken | tr '\n' ' ')
offered=$(sed -n 's/^[[:space:]]*local commands="\(.*\)"$/\1/p' "${srcdir:-.}/helper/completion/apitoken")
[ "$listed" = "$offered " ] || { echo "FAIL: completion offers \"$offered\", apitoken --help lists \"$listed\""; exit 1; }
conf=$(mktemp "${TMPDIR:-/tmp}/zzapt-completion.XXXXXX")
trap 'rm -f "$conf"' EXIT
_apitoken_conf=$conf bash -c '
. /usr/share/bash-completion/bash_completion
. "${srcdir:-.}/helper/completion/apitoken"
comp() {
	COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}; COMPREPLY=()
	_apitoken apitoken "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
	echo "${COMPREPLY[*]}"
}
check() { got=$(comp "$@"); [ "$got" = "$want" ] || { echo "FAIL: $* -> \"$got\", want \"$want\""; exit 1; }; }
want=create; check apitoken cr
want="--expires"; check apitoken create ci --exp
want="--grace"; check apitoken rotate ci --gr
want="--user"; check apitoken revoke ci --us
want="--self"; check apitoken rotate --se
want="update"; check apitoken upd
want="--older-than"; check apitoken prune --ol
want="--expiring"; check apitoken list --exp
want="--never-expires"; check apitoken list --nev
want="prometheus"; check apitoken report --format pro
want="--critical"; check apitoken report --cr
want="90d"; check apitoken prune --older-than 9
want="--no-service"; check apitoken update ci --no-s
want="--no-allow-from"; check apitoken update ci --no-a
want="--repair"; check apitoken check --re
want="forget-user"; check apitoken forg
want="--json"; check apitoken forget-user zzapt --js
want="--dry-run"; check apitoken notify --dr
want="--fleet"; check apitoken create ci --fl
want="--service-user"; check apitoken create ci --fleet --service-
want="--host"; check apitoken create ci --fleet --ho
want="--ldif"; check apitoken create ci --fleet --ld
want="--json"; check apitoken check --js
want="--all"; check apitoken --store /x list --al
want="never"; check apitoken create ci --expires nev
want="--uses"; check apitoken create ci --uses
want="1 3 10"; check apitoken create ci --uses ""
want="--token"; check apitoken revoke --to
want="-"; check apitoken revoke --token ""
# A user is offered what they may use, and the services root lets them name.
_apitoken_is_root() { false; }
printf "self_service_services = sshd, zzapt-ci\n" > "$_apitoken_conf"
want="create list show suspend activate revoke delete rotate update --help --version"; check apitoken ""
want=""; check apitoken ch
want=""; check apitoken --st
want=""; check apitoken un
want="sshd zzapt-ci"; check apitoken create ci --service ""
want="zzapt-ci"; check apitoken create ci --service zz
: > "$_apitoken_conf"
want="sshd"; check apitoken create ci --service ""
_apitoken_is_root() { true; }
case " $(comp apitoken create ci --service "") " in
*" common-auth "*) echo "FAIL: --service offers common-auth, which is no service"; exit 1 ;;
esac
echo "completion: all checks passed"
'
