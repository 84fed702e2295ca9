#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The checks that need an NVIDIA GPU, on a machine with PyTorch (CUDA) installed:
# builds sprout's trainer against PyTorch's bundled LibTorch 2.x (CUDA + NCCL)
# instead of Debian's CPU-only 1.13, runs the GPU tests, trains the tiny growth
# plan on the GPU and measures the GPU with `sprout profile`.
#
#   scripts/gpu-check.sh [OUT_DIR]          (default build-gpu/gpu-check)
#
# Environment:
#   SPROUT_DEPS_DEBS=DIR  Debian .debs of the build dependencies (yaml-cpp, fmt,
#                         CLI11, nlohmann-json, Boost, Eigen, GoogleTest...) to
#                         unpack into a private prefix, for a machine that has
#                         PyTorch but not those packages (and no network).
#                         On a Debian 12 machine: mkdir debs && cd debs &&
#                         apt-get download libyaml-cpp-dev libyaml-cpp0.7
#                         nlohmann-json3-dev libfmt-dev libfmt9 libcli11-dev
#                         libboost1.74-dev libeigen3-dev libgtest-dev
#                         libgmock-dev libfccp-dev libgloo-dev zlib1g-dev
#                         zlib1g (libgloo-dev: PyTorch's wheels carry no Gloo
#                         headers, which c10d's ProcessGroupGloo.hpp needs).
#   SPROUT_DATA=DIR       token shards for the training check (default: run
#                         `sprout-train prepare`, which needs Debian's fortunes).
#   SPROUT_GPU_CHECK_STEPS="build tests train profile compare cpu-tests"   which steps to run;
#                         add "matrix" for plans/cpu-matrix/ predicted vs trained on the
#                         GPU (scripts/cpu-prediction-matrix.py, one round, its own quick profile).
#   SPROUT_BUILD_TYPE=RelWithDebInfo  for backtraces (default Release).
#   SPROUT_EXPORT_HEADERS=1  also pack LibTorch's headers into OUT_DIR, so a
#                         machine without this LibTorch can compile against it.
# Every step's output goes to OUT_DIR/gpu-check.log; the summary to stdout.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=$(mkdir -p "${1:-$root/build-gpu/gpu-check}" && cd "${1:-$root/build-gpu/gpu-check}" && pwd)
build="$root/build-gpu"
log="$out/gpu-check.log"
steps=${SPROUT_GPU_CHECK_STEPS:-build tests train profile compare cpu-tests}
: >"$log"
started=$(date +%s)

say() { echo "gpu-check [$(( $(date +%s) - started )) s] $*" | tee -a "$log"; }
# run_step NAME TIMEOUT_S CMD...: runs CMD with its output in the log, says how it ended.
run_step() {
  local name=$1 limit=$2; shift 2
  local t0=$(date +%s) rc
  echo "===== $name: $*" >>"$log"
  timeout --kill-after=10 "$limit" "$@" >>"$log" 2>&1
  rc=$?
  say "$name: rc $rc in $(( $(date +%s) - t0 )) s"
  return $rc
}
wants() { [[ " $steps " == *" $1 "* ]]; }

python=${PYTHON:-python3}
if ! torch_info=$("$python" -c 'import torch; print(torch.__version__, torch.version.cuda, torch.cuda.is_available())' 2>>"$log"); then
  say "no PyTorch for $python: this script builds against PyTorch's LibTorch"; exit 2
fi
torch_cmake=$("$python" -c 'import torch; print(torch.utils.cmake_prefix_path)')
site_packages=$("$python" -c 'import torch, os; print(os.path.dirname(os.path.dirname(torch.__file__)))')
nccl_root=$("$python" -c 'import nvidia.nccl, os; print(os.path.dirname(nvidia.nccl.__file__) if nvidia.nccl.__file__ else list(nvidia.nccl.__path__)[0])' 2>/dev/null || echo /usr/local/cuda)
say "torch $torch_info; cmake prefix $torch_cmake; NCCL from $nccl_root"
{ nvidia-smi -L; c++ --version | head -1; cmake --version | head -1; grep PRETTY /etc/os-release; ldd --version | head -1; nproc; } >>"$log" 2>&1

if [ "${SPROUT_EXPORT_HEADERS:-0}" = 1 ]; then
  # Packed in the background while the build runs: headers only, xz, in
  # pieces small enough to copy around.
  ( tar -C "$site_packages" -cf - torch/include torch/share/cmake torch/version.py \
      -C "$nccl_root" include | xz -T0 -6 | split -b 15M - "$out/libtorch-headers.tar.xz." ) &
  export_pid=$!
fi

prefix_path="$torch_cmake"
if [ -n "${SPROUT_DEPS_DEBS:-}" ]; then
  deps="$build/deps"
  mkdir -p "$deps"
  for deb in "$SPROUT_DEPS_DEBS"/*.deb; do
    # zlib only where the system lacks it: two libz.so.1 in one process is asking for trouble.
    case $(basename "$deb") in zlib1g*) [ -f /usr/include/zlib.h ] && continue ;; esac
    dpkg-deb -x "$deb" "$deps"
  done
  # Debian's -dev symlinks may be absolute (/lib/...): point them into the
  # prefix (once: a second run finds them there already).
  find "$deps" -type l -lname '/*' | while read -r link; do
    target=$(readlink "$link")
    [[ "$target" == "$deps"/* ]] || ln -sfn "$deps$target" "$link"
  done
  prefix_path="$prefix_path;$deps/usr"
  export LD_LIBRARY_PATH="$deps/usr/lib/x86_64-linux-gnu:$deps/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  say "unpacked $(ls "$SPROUT_DEPS_DEBS"/*.deb | wc -l) .debs into $deps"
fi

status=0
built=1
if wants build; then
  generator=(); command -v ninja >/dev/null && generator=(-G Ninja)
  # Each source alone (no unity build), as check-libtorch-compile.sh type-checks
  # them against LibTorch 2.x: the device's minutes are not spent on a first try
  # of another way to compile.
  run_step configure 300 cmake -S "$root" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE="${SPROUT_BUILD_TYPE:-Release}" \
    -DSPROUT_GUI=OFF -DSPROUT_BENCH=OFF -DSPROUT_WERROR=OFF -DSPROUT_UNITY_BUILD=OFF \
    -DSPROUT_NCCL_ROOT="$nccl_root" -DCMAKE_PREFIX_PATH="$prefix_path" || status=1
  if [ $status = 1 ]; then
    # LibTorch's CMake config looks for optional CUDA libraries (cuDNN,
    # cuSPARSELt, cuDSS, cuFile) that sprout never calls: try once more without.
    status=0
    run_step "configure without optional CUDA libraries" 300 cmake "$build" -DCAFFE2_USE_CUDNN=OFF \
      -DCAFFE2_USE_CUSPARSELT=OFF -DUSE_CUDSS=OFF -DUSE_CUFILE=OFF -DCUDAToolkit_ROOT=/usr/local/cuda || status=1
  fi
  say "$(grep -o 'sprout: backend=.*' "$log" | tail -1)"
  if [ $status = 0 ]; then
    # -k 0: every compile error in one pass, not just the first.
    run_step build 1200 cmake --build "$build" --target sprout-train sprout backend_tests backend_e2e_tests \
      -- -k 0 || status=1
    grep -E "error:|warning:" "$log" | sort | uniq -c | sort -rn | head -40 >"$out/diagnostics.txt"
  fi
  [ $status = 0 ] || built=0
fi

train="$build/backend/sprout-train"
sprout="$build/cli/sprout"
if [ $built = 1 ] && wants tests; then
  # The GPU tests (they skip without a GPU).
  run_step gpu-tests 300 "$build/tests/backend/backend_tests" --gtest_filter='Gpu*:Nccl*' || status=1
  (cd "$root" && run_step gpu-e2e-tests 300 "$build/tests/backend/backend_e2e_tests" --gtest_filter='*OnCuda*') || status=1
fi
if [ $built = 1 ] && wants train; then
  data=${SPROUT_DATA:-$build/data}
  [ -f "$data/train.bin" ] || run_step prepare 300 "$train" prepare --out "$data" || status=1
  for dtype in bf16 fp32; do
    run="$build/runs/tiny-$dtype"
    rm -rf "$run"
    (cd "$root" && run_step "train tiny-cpu.yaml on cuda $dtype" 600 "$train" --plan plans/tiny-cpu.yaml \
      --data "$data" --out "$run" --device cuda --dtype "$dtype" --quiet) || status=1
    [ -f "$run/summary.json" ] && cp "$run/summary.json" "$out/tiny-$dtype-summary.json"
  done
fi
if [ $built = 1 ] && wants profile; then
  # What cannot be measured here (power, network, price) comes from the
  # datasheet profile of the same GPU.
  case $(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1) in
    *H200*) base=h200 ;; *H100*) base=h100-sxm ;; *A800*) base=a800 ;; *A100*) base=a100-80 ;; *V100*) base=v100 ;;
    *) base=cpu-generic ;;
  esac
  base=${SPROUT_PROFILE_BASE:-profiles/hardware/$base.yaml}
  (cd "$root" && run_step "profile bf16 (base $base)" 600 "$sprout" profile --dtype bf16 --base "$base" \
    --out "$out/gpu-measured-bf16.yaml" --scratch "$build") || status=1
fi
if [ $built = 1 ] && wants compare; then
  # A plan sized for one GPU, trained, then held against the planner's
  # prediction: from the datasheet profile, and from the profile just measured.
  run="$build/runs/single-gpu"
  rm -rf "$run"
  (cd "$root" && run_step "train single-gpu.yaml" 600 "$train" --plan plans/single-gpu.yaml --data "${SPROUT_DATA:-$build/data}" \
    --out "$run" --quiet) || status=1
  [ -f "$run/summary.json" ] && cp "$run/summary.json" "$out/single-gpu-summary.json"
  [ -d "$run" ] && tar -C "$(dirname "$run")" --exclude=checkpoints -czf "$out/single-gpu-run.tgz" single-gpu
  (cd "$root" && run_step "compare (datasheet profile)" 120 "$sprout" compare plans/single-gpu.yaml "$run") || status=1
  if [ -f "$out/gpu-measured-bf16.yaml" ]; then
    (cd "$root" && run_step "compare (measured profile)" 120 "$sprout" compare plans/single-gpu.yaml "$run" \
      --hardware "$out/gpu-measured-bf16.yaml") || status=1
  fi
fi
if [ $built = 1 ] && wants matrix; then
  # The CPU matrix's eight plans of other kinds, each trained once on this GPU
  # against a quick profile of it, uncalibrated (docs/compare.md "Across plan kinds").
  (cd "$root" && run_step "cpu-matrix plans on the GPU" 900 "$python" scripts/cpu-prediction-matrix.py \
    --build "$build" --rounds 1 --work "$build/matrix" --markdown "$out/gpu-matrix.md") || status=1
fi
if [ $built = 1 ] && wants cpu-tests; then
  # The whole backend suite: the CPU paths (Gloo, checkpoints, growth)
  # against this LibTorch too.
  (cd "$root" && run_step backend-tests 600 "$build/tests/backend/backend_tests" --gtest_brief=1) || status=1
  (cd "$root" && run_step backend-e2e-tests 600 "$build/tests/backend/backend_e2e_tests" --gtest_brief=1) || status=1
fi
if [ -n "${export_pid:-}" ]; then wait "$export_pid"; say "headers: $(ls "$out"/libtorch-headers.tar.xz.* | wc -l) piece(s)"; fi
say "done, status $status (log: $log)"
exit $status
