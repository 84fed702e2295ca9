// SPDX-License-Identifier: GPL-3.0-or-later
#include "run/device_choice.h"

#include <fmt/format.h>
#include <sched.h>
#include <torch/cuda.h>

#include <algorithm>
#include <thread>

#include "comm/make_communicator.h"
#include "sprout/planner/base/input_error.h"

namespace sprout::backend {

int visible_cuda_devices() { return torch::cuda::is_available() ? static_cast<int>(torch::cuda::device_count()) : 0; }

torch::Device resolve_device(const DeviceRequest& request, const Rendezvous& rendezvous, int cuda_devices) {
  const std::string& requested = request.device;
  const planner::SourceLocation& where = request.where;
  if (requested == "cuda" && cuda_devices == 0) {
    throw planner::InputError(where, request.field, "cuda requested but no CUDA device/libtorch is available");
  }
  // One GPU per local rank (cuda:local_rank): more ranks on this node than
  // GPUs cannot run on CUDA (NCCL refuses two ranks on one GPU).
  const bool enough_gpus = rendezvous.local_world_size <= cuda_devices;
  if (requested == "cuda" && !enough_gpus) {
    throw planner::InputError(where, request.field,
                              fmt::format("cuda: {} ranks on this node need {} GPUs, it has {}",
                                          rendezvous.local_world_size, rendezvous.local_world_size, cuda_devices));
  }
  const bool cuda = requested == "cuda" || (requested == "auto" && cuda_devices > 0 && enough_gpus);
  const torch::Device device = cuda ? torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(rendezvous.local_rank))
                                    : torch::Device(torch::kCPU);
  if (rendezvous.world_size > 1 && !collectives_available(device)) {
    throw planner::InputError(where, request.field,
                              device.str() +
                                  ": this build has no collectives for it (NCCL needs SPROUT_CUDA); "
                                  "use --device cpu");
  }
  return device;
}

int usable_cores() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) return std::max(1, CPU_COUNT(&set));
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

int choose_thread_count(int requested, long long plan_threads, int local_world_size, int cores) {
  if (requested > 0) return requested;
  if (plan_threads > 0) return static_cast<int>(plan_threads);
  return std::max(1, cores / std::max(1, local_world_size));
}

}  // namespace sprout::backend
