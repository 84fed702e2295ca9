// SPDX-License-Identifier: GPL-3.0-or-later
// Communicator over NCCL (ncclAllReduce, ncclBroadcast on CUDA tensors, on
// LibTorch's current stream). Built only with SPROUT_CUDA (a CUDA LibTorch and
// NCCL under /usr/local/cuda); Debian's CPU-only libtorch never compiles it.
#pragma once

#ifdef SPROUT_CUDA

#include <torch/csrc/distributed/c10d/Store.hpp>

#include <chrono>
#include <memory>

#include "comm/communicator.h"
#include "sprout/backend/rendezvous.h"

namespace sprout::backend {

// The NCCL unique id travels through `store`; rank r uses CUDA device
// `device_index` (its local rank).
std::unique_ptr<Communicator> make_nccl_communicator(const Rendezvous& r, const c10::intrusive_ptr<c10d::Store>& store,
                                                     int device_index, std::chrono::milliseconds timeout);

}  // namespace sprout::backend

#endif  // SPROUT_CUDA
