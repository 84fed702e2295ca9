#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Compiles (syntax and types only: no object files, no linking) every source
# that includes LibTorch against another LibTorch's headers than the one this
# machine builds with: e.g. the PyTorch 2.x (CUDA) headers that
# scripts/gpu-check.sh packs on a GPU machine (SPROUT_EXPORT_HEADERS=1), so
# the 2.x API guards (TORCH_VERSION_MAJOR) and the SPROUT_CUDA sources keep
# compiling where neither that LibTorch nor a GPU exists.
#
#   scripts/check-libtorch-compile.sh TORCH_ROOT [NCCL_INCLUDE [SOURCE...]]
#
# TORCH_ROOT holds include/ (as site-packages/torch does; /usr for Debian's);
# NCCL_INCLUDE holds nccl.h (default: /usr/local/cuda/include). The CUDA
# runtime headers come from /usr/local/cuda. SPROUT_EXTRA_INCLUDE=DIR is
# searched first (scripts/check-cuda-compile.sh puts a stub there);
# SPROUT_WERROR=1 makes a warning fail the source too.
set -euo pipefail
if [ $# -lt 1 ] || [ ! -d "$1/include/torch" ]; then
  echo "usage: $0 TORCH_ROOT [NCCL_INCLUDE]  (TORCH_ROOT/include/torch must exist)" >&2
  exit 2
fi
torch_root=$(cd "$1" && pwd)
nccl_include=${2:-/usr/local/cuda/include}
cuda=${CUDA_HOME:-/usr/local/cuda}
root=$(cd "$(dirname "$0")/.." && pwd)
flags=(-std=c++20 -fsyntax-only -Wall -Wextra -Wno-error=deprecated-declarations -DSPROUT_CUDA=1 -DUSE_C10D_GLOO -DFMT_HEADER_ONLY=1
       -DSPROUT_SOURCE_DIR="\"$root\"" -DSPROUT_BINARY_DIR="\"/tmp\"" -D_GLIBCXX_USE_CXX11_ABI=1)
[ -n "${SPROUT_EXTRA_INCLUDE:-}" ] && flags+=(-I"$SPROUT_EXTRA_INCLUDE")
[ "${SPROUT_WERROR:-0}" = 1 ] && flags+=(-Werror)
flags+=(-I"$root/backend/include" -I"$root/backend/src" -I"$root/planner/include" -I"$root/simulator/include"
        -I"$root/tests" -I"$root/tests/backend" -I"$root/cli")
# /usr/include is the compiler's own: naming it again would reorder the
# system search (libstdc++'s #include_next needs its place).
[ "$torch_root" != /usr ] && flags+=(-isystem "$torch_root/include")
flags+=(-isystem "$torch_root/include/torch/csrc/api/include" -isystem "$nccl_include" -isystem "$cuda/include")
if [ $# -gt 2 ]; then
  sources=("${@:3}")
else
  mapfile -t sources < <(cd "$root" && grep -l -E '#include [<"](torch|ATen|c10)/|sprout/backend/' \
    backend/src/*/*.cc backend/tools/*.cc tests/backend/*.cc cli/*.cc)
fi
err=$(mktemp)
trap 'rm -f "$err"' EXIT
# SPROUT_ONE_TRANSLATION_UNIT=1: first all sources as one translation unit
# (LibTorch's headers parsed once: scripts/check-cuda-compile.sh's 5 sources
# 74 s one by one, 21 s together); only when that fails or warns, each source
# alone, to name the ones at fault (a clash between two sources' internal
# names fails the first pass only). Not for the whole tree: its ~100 sources
# clash.
if [ "${SPROUT_ONE_TRANSLATION_UNIT:-0}" = 1 ]; then
  # One file including them all, read from standard input.
  if printf '#include "%s"\n' "${sources[@]/#/$root/}" | c++ "${flags[@]}" -x c++ - 2>"$err" && [ ! -s "$err" ]; then
    echo "check-libtorch-compile: ${#sources[@]} sources against $torch_root (one translation unit), 0 failed"
    exit 0
  fi
fi
failed=0
for f in "${sources[@]}"; do
  if ! c++ "${flags[@]}" "$root/$f" 2>"$err"; then
    failed=$((failed + 1))
    echo "check-libtorch-compile: $f FAILS:"
    grep -E "error" "$err" | head -20
  elif [ -s "$err" ]; then
    echo "check-libtorch-compile: $f compiles, with warnings:"
    grep -E "warning" "$err" | head -10
  fi
done
echo "check-libtorch-compile: ${#sources[@]} sources against $torch_root, $failed failed"
[ "$failed" = 0 ]
