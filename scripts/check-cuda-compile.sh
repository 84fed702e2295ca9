#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Type-checks (does not link or run) the SPROUT_CUDA-only sources of the backend
# (NCCL collectives, the memory meter, the GPU names of a run's provenance)
# against this machine's CPU LibTorch headers and the CUDA toolkit's
# nccl.h / cuda_runtime.h, so the NCCL path keeps compiling where no GPU and
# no CUDA LibTorch exist. The CUDA LibTorch build generates
# c10/cuda/impl/cuda_cmake_macros.h; a stub stands in for it here. The
# compile itself is scripts/check-libtorch-compile.sh's, warnings as errors,
# the sources as one translation unit.
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
SPROUT_EXTRA_INCLUDE="$tmp" SPROUT_WERROR=1 SPROUT_ONE_TRANSLATION_UNIT=1 "$root/scripts/check-libtorch-compile.sh" /usr "$cuda/include" \
  backend/src/comm/nccl_communicator.cc backend/src/comm/make_communicator.cc backend/src/device/memory_meter.cc \
  backend/src/run/run_provenance.cc \
  tests/backend/distributed_test.cc
