# SPDX-License-Identifier: GPL-3.0-or-later
# bash completion for sprout and sprout-train, installed as
# share/bash-completion/completions/sprout and .../sprout-train; or
# `source cli/completion/sprout.bash`. Subcommands, options and option values
# ({a,b,c} in the help) come from the program's own --help, so they cannot
# drift from it; each help text is read once per shell.

declare -gA _sprout_help_cache

# _sprout_help PROGRAM [SUBCOMMAND]: PROGRAM [SUBCOMMAND] --help, cached.
_sprout_help() {
  local key="$*"
  if [[ -z ${_sprout_help_cache[$key]+set} ]]; then
    _sprout_help_cache[$key]=$("$@" --help 2>/dev/null)
  fi
  printf '%s\n' "${_sprout_help_cache[$key]}"
}

# CLI11 lists subcommands under a "SUBCOMMANDS:" heading.
_sprout_subcommands() {
  _sprout_help "$1" | awk 'tolower($0) ~ /^subcommands:/ {on = 1; next} on && NF == 0 {on = 0} on {print $1}'
}

_sprout_options() {
  _sprout_help "$@" | grep -oE '(^|[ ,])--?[A-Za-z0-9][A-Za-z0-9-]*' | sed 's/^[ ,]//' | sort -u
}

# The choices of an option, from its help line ("--format TEXT:{table,json,csv}").
_sprout_choices() {
  local option=$1
  shift
  _sprout_help "$@" | grep -E "(^|[ ,])${option}( |=|$)" | grep -oE '\{[^}]*\}' | head -n 1 | tr -d '{}' | tr ',' ' '
}

_sprout() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
  local program=${COMP_WORDS[0]} sub="" subs i
  subs=$(_sprout_subcommands "$program")
  for ((i = 1; i < COMP_CWORD; i++)); do
    if [[ $'\n'$subs$'\n' == *$'\n'${COMP_WORDS[i]}$'\n'* ]]; then
      sub=${COMP_WORDS[i]}
      break
    fi
  done
  local -a context=("$program")
  [[ -n $sub ]] && context+=("$sub")
  if [[ $prev == -* ]]; then
    local choices
    choices=$(_sprout_choices "$prev" "${context[@]}")
    if [[ -n $choices ]]; then
      mapfile -t COMPREPLY < <(compgen -W "$choices" -- "$cur")
      return
    fi
  fi
  if [[ $cur == -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$(_sprout_options "${context[@]}")" -- "$cur")
  elif [[ -z $sub && -n $subs ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$subs" -- "$cur")
  else
    mapfile -t COMPREPLY < <(compgen -f -- "$cur")  # plans, run directories, logs
  fi
}

complete -o filenames -o bashdefault -F _sprout sprout sprout-train
