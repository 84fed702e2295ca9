#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# scripts/check-install.sh BUILD_DIR
# The Debian package as a user gets it (ctest Install.DebPackage, label
# `install`): `cpack -G DEB` in BUILD_DIR (reusing the build: cpack only
# installs what is built), `dpkg -x` into a scratch root outside the build
# and source trees, then the installed programs run from another directory:
# --version of each, `sprout plan` of a plan copied there (its hardware and
# region profiles come from ROOT/usr/share/sprout), `sprout validate` (its
# published numbers too), the same through XDG_DATA_DIRS for a relocated
# binary, the man pages, the bash completion, and sprout-train's SentencePiece
# module (installed in /usr/lib/sprout and the one it loads).
set -euo pipefail
build=$(cd "$1" && pwd)
source_dir=$(cat "$build/sprout-source-dir")
scratch=$(mktemp -d /tmp/sprout-install.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
fail() { echo "check-install: $*" >&2; exit 1; }

(cd "$build" && cpack -G DEB -B "$scratch/pkg" > "$scratch/cpack.log" 2>&1) || { cat "$scratch/cpack.log"; fail "cpack failed"; }
deb=$(ls "$scratch"/pkg/sprout_*.deb)
echo "package: $(basename "$deb") ($(du -h "$deb" | cut -f1))"
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
for lib in libc6 libstdc++6 libyaml-cpp libfmt; do
  grep -q "$lib" <<< "$depends" || fail "Depends lacks $lib"
done
[ "$(dpkg-deb -f "$deb" Package)" = sprout ] || fail "package name is not sprout"

root=$scratch/root
dpkg -x "$deb" "$root"
for f in usr/bin/sprout usr/share/sprout/plans/flm-101b.yaml usr/share/sprout/profiles/hardware/a800.yaml \
  usr/share/sprout/plans/validation/published.yaml usr/share/man/man1/sprout.1.gz \
  usr/share/bash-completion/completions/sprout; do
  [ -e "$root/$f" ] || fail "missing /$f in the package"
done
# Nothing points back to the source tree: the data is found at run time.
if grep -a -q "$source_dir/profiles" "$root/usr/bin/sprout"; then fail "sprout has the source path compiled in"; fi

# Run elsewhere, without the variables that would point at data.
unset SPROUT_DATA_DIR SPROUT_PROFILES_DIR
export XDG_DATA_DIRS=/nonexistent
export QT_QPA_PLATFORM=offscreen
elsewhere=$scratch/elsewhere
mkdir -p "$elsewhere"
cd "$elsewhere"
for program in sprout sprout-train sprout-gui; do
  [ -x "$root/usr/bin/$program" ] || continue
  version=$("$root/usr/bin/$program" --version)
  grep -Eq "^$program [0-9]+\.[0-9]+\.[0-9]+ \(commit [^)]+\)$" <<< "$version" || fail "$program --version: '$version'"
  echo "$version"
  [ -e "$root/usr/share/man/man1/$program.1.gz" ] || fail "no man page for $program"
done
cp "$root/usr/share/sprout/plans/flm-101b.yaml" plan.yaml
"$root/usr/bin/sprout" plan plan.yaml > plan.txt || { cat plan.txt; fail "sprout plan failed"; }
for text in "FLM-101B growth schedule" "a800 x 192 GPUs" "region cn-north" "+depth 101B"; do
  grep -qF "$text" plan.txt || { cat plan.txt; fail "sprout plan: no '$text'"; }
done
"$root/usr/bin/sprout" validate --format json > validate.json || fail "sprout validate failed"
grep -q '"korthikanti' validate.json || fail "sprout validate: no rows"

# A relocated binary finds the data through XDG_DATA_DIRS.
mkdir -p "$scratch/moved/bin"
cp "$root/usr/bin/sprout" "$scratch/moved/bin/"
XDG_DATA_DIRS="$root/usr/share" "$scratch/moved/bin/sprout" plan plan.yaml > /dev/null || fail "XDG_DATA_DIRS not searched"
if "$scratch/moved/bin/sprout" plan plan.yaml > /dev/null 2> missing.txt; then fail "found profiles without any data directory"; fi
grep -q "no hardware profile named 'a800'" missing.txt || { cat missing.txt; fail "unclear error without data"; }

# sprout-train's SentencePiece module: installed, and the one the installed
# sprout-train loads (LD_DEBUG names every file the dynamic loader opens).
# Not in a sanitizer build: ASan's runtime refuses the module's RTLD_DEEPBIND
# dlopen (google/sanitizers issue 611; docs/reliability.md "Sanitizers").
if [ -x "$root/usr/bin/sprout-train" ] && ldd "$root/usr/bin/sprout-train" | grep -q libasan; then
  echo "sentencepiece module: not loaded (AddressSanitizer build)"
elif [ -x "$root/usr/bin/sprout-train" ]; then
  module=$root/usr/lib/sprout/libsprout_sentencepiece.so
  [ -e "$module" ] || fail "missing /usr/lib/sprout/libsprout_sentencepiece.so in the package"
  grep -q libsentencepiece <<< "$depends" || fail "Depends lacks libsentencepiece (the module's library)"
  for i in $(seq 1 400); do echo "the model grows from a small one and its loss falls as new heads learn words"; done > spm.txt
  LD_DEBUG=files "$root/usr/bin/sprout-train" prepare --input spm.txt --out spm --tokenizer sentencepiece --vocab 64 \
    > spm.log 2>&1 || { tail -20 spm.log; fail "sprout-train prepare --tokenizer sentencepiece failed"; }
  grep -q "file=$module \[0\];  dynamically loaded" spm.log || {
    grep libsprout_sentencepiece spm.log; fail "sprout-train did not load the installed SentencePiece module"; }
  [ -e spm/tokenizer.json ] || fail "prepare --tokenizer sentencepiece wrote no tokenizer.json"
  echo "sentencepiece module: $module"
fi

# `sprout profile`'s LibTorch half: installed, the one the installed sprout
# loads when it measures (stopped after it is seen: a profile takes minutes),
# and not loaded by any other command.
if [ -x "$root/usr/bin/sprout-train" ]; then
  module=$root/usr/lib/sprout/libsprout_profile_probe.so
  [ -e "$module" ] || fail "missing /usr/lib/sprout/libsprout_profile_probe.so in the package"
  LD_DEBUG=files timeout 10 "$root/usr/bin/sprout" profile --quick --out "$scratch/probe.yaml" > probe.log 2>&1 || true
  grep -q "file=$module \[0\];  dynamically loaded" probe.log || {
    grep -i -E "libsprout_profile_probe|error" probe.log; fail "sprout profile did not load the installed probe module"; }
  if ldd "$root/usr/bin/sprout" | grep -q libtorch; then fail "sprout links LibTorch (only its profile module may)"; fi
  echo "profile probe module: $module"
fi

# Bash completion: registered, and completes subcommands and options from --help.
"$source_dir/scripts/check-completion.sh" "$root/usr/share/bash-completion/completions/sprout" "$root/usr/bin/sprout"
echo "check-install: ok"
