#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Installs every Debian package sprout's build, demo and tests need.
# Idempotent: packages already installed are skipped; `apt-get update` runs at
# most once (only when something is missing).
set -euo pipefail

PACKAGES=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config git
  # source checks run by ctest (SourceRules.format)
  clang-format
  # planner / simulator / cli
  libyaml-cpp-dev nlohmann-json3-dev libcli11-dev libfmt-dev
  libboost-graph-dev libfccp-dev libeigen3-dev   # Boost.Graph (iteration DAG, search), CSV parser (carbon traces), Eigen (loss fits)
  # install and package (cmake/SproutPackaging.cmake): man pages, cpack -G DEB with Depends
  # computed by dpkg-shlibdeps (cpack finds the binaries with `file`)
  help2man dpkg-dev file
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  # backend: LibTorch (CPU) + Gloo for c10d, zlib (gzip/dictzip corpora), a fast BLAS. Without
  # libopenblas0-pthread libtorch calls the reference BLAS (~17x slower here).
  libtorch-dev libgloo-dev libopenblas0-pthread zlib1g-dev
  # backend: oneDNN's headers for the fp32 CPU linear layers (the libdnnl
  # LibTorch already links; backend/src/kernels/linear.h)
  libdnnl-dev
  # backend: SentencePiece tokenizers (`sprout-train prepare --tokenizer sentencepiece`)
  libsentencepiece-dev
  # PyTorch peer for the trainer speed benchmark (same libtorch underneath)
  python3-torch python3-numpy
  # gui
  # (Qt6Charts needs Qt6OpenGL, whose CMake package is in libqt6opengl6-dev)
  qt6-base-dev qt6-charts-dev libqt6svg6-dev libqt6opengl6-dev libgl-dev xvfb xauth
  # default training corpus (public-domain English text, nothing downloaded)
  dict-gcide fortunes
  # local Slurm cluster for the integration tests
  slurm-wlm munge
  # schema check of exported Kubernetes manifests in tests (typed models of
  # the Kubernetes API from the official Python client)
  python3-yaml python3-kubernetes
)

# `--fuzz` (make fuzz): clang and its libFuzzer / sanitizer runtimes, needed
# only by the fuzz build (docs/reliability.md "Fuzzing").
if [ "${1:-}" = "--fuzz" ]; then
  PACKAGES+=(clang-14 libclang-rt-14-dev)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${#missing[@]} missing packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
