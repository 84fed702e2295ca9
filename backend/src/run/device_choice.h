// SPDX-License-Identifier: GPL-3.0-or-later
// Where this rank trains and on how many threads, from the request
// (--device / training.device, --threads / training.threads) and the
// rank's place on its node (docs/backend.md "Model": GPU and libtorch
// versions).
#pragma once

#include <torch/types.h>

#include <string>

#include "sprout/backend/rendezvous.h"
#include "sprout/planner/base/input_error.h"

namespace sprout::backend {

// CUDA devices this process sees (0 without a CUDA libtorch).
int visible_cuda_devices();

// "cpu"; "cuda": cuda:local_rank, one GPU per local rank; "auto": CUDA when
// every local rank gets a GPU of its own, else the CPU. Throws
// planner::InputError (field `device`) for cuda without CUDA or with fewer
// GPUs than local ranks, and for several ranks on a device this build has
// no collectives for.
// `where`/`field`: where the request came from (the plan's training.device
// line, or --device), for the error.
struct DeviceRequest {
  std::string device;  // auto | cpu | cuda
  planner::SourceLocation where{"--device", 0, 0};
  std::string field = "device";
};
torch::Device resolve_device(const DeviceRequest& request, const Rendezvous& rendezvous,
                             int cuda_devices = visible_cuda_devices());

// Cores this process may run on (Slurm and containers restrict the set).
int usable_cores();

// Intra-op threads: --threads when given (> 0), else the plan's
// training.threads, else this node's usable cores shared by the ranks on it
// (LibTorch itself defaults to one thread on some machines).
int choose_thread_count(int requested, long long plan_threads, int local_world_size, int cores = usable_cores());

}  // namespace sprout::backend
