#!/bin/sh
# SPDX-License-Identifier: ISC
# The bash completion offers apitoken's commands and each command's options.
[ -r /usr/share/bash-completion/bash_completion ] ||
	{ echo "SKIP: no bash-completion (apt-get install bash-completion)"; exit 77; }
command -v bash >/dev/null || { echo "SKIP: no bash"; exit 77; }
# It offers exactly the commands that apitoken --help lists.
listed=$("${top_builddir:-.}/apitoken" --help | sed -n 's/^  \([a-z][a-z]*\) .*/\1/p' | grep -vx apitoken | tr '\n' ' ')
offered=$(sed -n 's/^[[:space:]]*local commands="\(.*\)"$/\1/p' "${srcdir:-.}/helper/completion/apitoken")
[ "$listed" = "$offered " ] || { echo "FAIL: completion offers \"$offered\", apitoken --help lists \"$listed\""; exit 1; }
exec bash -c '
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
want="--json"; check apitoken check --js
want="--all"; check apitoken --store /x list --al
want="never"; check apitoken create ci --expires nev
echo "completion: all checks passed"
'
