// SPDX-License-Identifier: GPL-3.0-or-later
#include "comm/make_communicator.h"

#include "comm/c10d_store.h"
#include "comm/gloo_communicator.h"
#include "comm/nccl_communicator.h"

namespace sprout::backend {

bool collectives_available(torch::Device device) {
#ifdef SPROUT_CUDA
  return device.is_cpu() || device.is_cuda();
#else
  return device.is_cpu();
#endif
}

std::unique_ptr<Communicator> make_communicator(const Rendezvous& r, torch::Device device,
                                                std::chrono::milliseconds timeout,
                                                std::chrono::milliseconds rendezvous_timeout) {
  if (r.world_size == 1) return std::make_unique<SingleProcessCommunicator>();
  auto store = connect_store(r, rendezvous_timeout, timeout);
#ifdef SPROUT_CUDA
  if (device.is_cuda()) return make_nccl_communicator(r, store, device.has_index() ? device.index() : 0, timeout);
#endif
  if (!device.is_cpu()) {
    throw CollectiveError("this build has no collectives for " + device.str() +
                          " (NCCL needs the SPROUT_CUDA build); train on the CPU or rebuild");
  }
  return make_gloo_communicator(r, store, timeout);
}

}  // namespace sprout::backend
