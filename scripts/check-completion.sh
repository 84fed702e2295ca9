#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# scripts/check-completion.sh COMPLETION_FILE SPROUT
# The bash completion (cli/completion/sprout.bash) registers for sprout and
# sprout-train and completes subcommands, options and option values from
# SPROUT's own --help. Run by ctest (Completion.Bash) and scripts/check-install.sh.
set -euo pipefail
completion=$1 sprout=$2
exec bash -c '
set -u
source "$1"
sprout=$2
complete -p sprout | grep -q _sprout || { echo "check-completion: sprout not registered" >&2; exit 1; }
complete -p sprout-train | grep -q _sprout || { echo "check-completion: sprout-train not registered" >&2; exit 1; }
expect() {  # expect WORD WORDS...: completing the last of WORDS offers WORD
  local want=$1; shift
  COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); COMPREPLY=()
  _sprout
  [[ " ${COMPREPLY[*]} " == *" $want "* ]] || { echo "check-completion: \"$*\" does not offer $want (${COMPREPLY[*]})" >&2; exit 1; }
}
expect export "$sprout" ex
expect compare "$sprout" c
expect --target "$sprout" export --tar
expect --megatron-log "$sprout" compare plan.yaml --mega
expect megatron "$sprout" export --target ""
expect json "$sprout" plan --format j
echo "check-completion: ok"
' check-completion "$completion" "$sprout"
