// SPDX-License-Identifier: GPL-3.0-or-later
#include "run/run_provenance.h"

#include <torch/cuda.h>
#include <torch/version.h>

#include <fstream>
#include <string>

#include "sprout/planner/base/version.h"
#ifdef SPROUT_CUDA
#include <cuda_runtime_api.h>
#endif

namespace sprout::backend {
namespace {

// "model name" of the first processor in /proc/cpuinfo (x86; "cpu" elsewhere).
std::string cpu_model_name() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) != 0) continue;
    const size_t colon = line.find(':');
    if (colon == std::string::npos) break;
    const size_t start = line.find_first_not_of(" \t", colon + 1);
    return start == std::string::npos ? "cpu" : line.substr(start);
  }
  return "cpu";
}

std::string cuda_device_name(int index) {
#ifdef SPROUT_CUDA
  cudaDeviceProp properties{};
  if (cudaGetDeviceProperties(&properties, index) == cudaSuccess) return properties.name;
#endif
  return "cuda:" + std::to_string(index);
}

}  // namespace

planner::RunProvenance run_provenance(const torch::Device& device, int rank_count) {
  planner::RunProvenance p;
  p.sprout_version = planner::sprout_version();
  p.sprout_commit = planner::sprout_commit();
  p.libtorch_version = TORCH_VERSION;
  if (device.is_cuda()) {
    const int count = static_cast<int>(torch::cuda::device_count());
    for (int i = 0; i < count; ++i) p.devices.push_back(cuda_device_name(i));
  } else {
    p.devices.push_back(cpu_model_name());
  }
  p.rank_count = rank_count;
  return p;
}

}  // namespace sprout::backend
