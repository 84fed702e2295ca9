#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Compiles (does not link or run) the SPROUT_CUDA-only sources of the backend
# against this machine's CPU LibTorch headers and the CUDA toolkit's
# nccl.h / cuda_runtime.h, so the NCCL path keeps compiling where no GPU and
# no CUDA LibTorch exist. The CUDA LibTorch build generates
# c10/cuda/impl/cuda_cmake_macros.h; a stub stands in for it here.
set -euo pipefail
cuda=${CUDA_HOME:-/usr/local/cuda}
if [ ! -f "$cuda/include/nccl.h" ] || [ ! -f "$cuda/include/cuda_runtime.h" ]; then
  echo "check-cuda-compile: no nccl.h/cuda_runtime.h under $cuda; nothing to check" >&2
  exit 77  # ctest's SKIP_RETURN_CODE (tests/backend/CMakeLists.txt)
fi
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/c10/cuda/impl"
echo '#define C10_CUDA_BUILD_SHARED_LIBS' > "$tmp/c10/cuda/impl/cuda_cmake_macros.h"
flags=(-std=c++20 -O0 -Wall -Wextra -Werror -DSPROUT_CUDA=1 -DUSE_C10D_GLOO
       -DSPROUT_SOURCE_DIR="\"$root\"" -DSPROUT_BINARY_DIR="\"$tmp\""
       -I"$root/backend/include" -I"$root/backend/src" -I"$root/planner/include" -I"$root/tests" -I"$tmp"
       -isystem "$cuda/include" -isystem /usr/include/torch/csrc/api/include)
for f in backend/src/nccl_communicator.cc backend/src/make_communicator.cc tests/backend/distributed_test.cc; do
  c++ "${flags[@]}" -c "$root/$f" -o "$tmp/out.o"
  echo "check-cuda-compile: $f compiles with SPROUT_CUDA"
done
