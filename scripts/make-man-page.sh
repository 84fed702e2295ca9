#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# scripts/make-man-page.sh HELP2MAN PROGRAM OUT.1
# A man page from PROGRAM's --help and --version (help2man); for a program
# with subcommands (sprout) every subcommand's --help becomes a section.
# Writes OUT.1 and OUT.1.gz (installed: Debian's policy 12.3 wants man pages
# gzip-compressed, and cpack does not compress them).
# Run by the build (cmake/SproutPackaging.cmake, target `man`).
set -euo pipefail
help2man=$1 program=$2 out=$3
name=$(basename "$program")
export QT_QPA_PLATFORM=offscreen  # sprout-gui parses its options after QApplication
mkdir -p "$(dirname "$out")"
include=$(mktemp)
trap 'rm -f "$include"' EXIT
# CLI11 lists subcommands under "SUBCOMMANDS:" (sprout) or "Subcommands:".
subcommands=$("$program" --help | awk 'tolower($0) ~ /^subcommands:/ {on=1; next} on && NF==0 {on=0} on {print $1}')
if [ -n "$subcommands" ]; then
  echo "[SUBCOMMANDS]" >> "$include"
  for sub in $subcommands; do
    printf '.SS "%s %s"\n.nf\n' "$name" "$sub" >> "$include"
    # The usage line names the program as run (a build path): the page names it as installed.
    "$program" "$sub" --help | sed -e "s|$program|$name|g" -e 's/\\/\\e/g' -e 's/^\./\\\&./' >> "$include"
    printf '.fi\n' >> "$include"
  done
fi
printf '[SEE ALSO]\nsprout(1), sprout-train(1), sprout-gui(1); docs/ in the sprout source tree.\n' >> "$include"
# NAME: the description at the top of --help ("sprout: plan, simulate, ...").
# (Qt's parser starts with a Usage: line; the description follows.)
description=$("$program" --help | grep -v -m 1 -E '^(Usage:|$)' | sed -e 's/^[a-z-]*: *//')
"$help2man" --no-info --no-discard-stderr --name="$description" --include="$include" --output="$out" "$program"
gzip -9 -n -f -k "$out"
