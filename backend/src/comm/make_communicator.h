// SPDX-License-Identifier: GPL-3.0-or-later
// Connects the ranks of a run: one process gets SingleProcessCommunicator;
// several meet at rank 0's TCP store (MASTER_ADDR:MASTER_PORT) and talk over
// c10d's ProcessGroupGloo on the CPU, or NCCL when they train on CUDA (the
// SPROUT_CUDA build). The rendezvous fails with CollectiveError when not all
// ranks arrive within `rendezvous_timeout`, every collective after
// `collective_timeout`: a dead peer never hangs the others.
#pragma once

#include <torch/types.h>

#include <chrono>
#include <memory>

#include "comm/communicator.h"
#include "sprout/backend/rendezvous.h"

namespace sprout::backend {

std::unique_ptr<Communicator> make_communicator(const Rendezvous& rendezvous, torch::Device device,
                                                std::chrono::milliseconds collective_timeout,
                                                std::chrono::milliseconds rendezvous_timeout);

// Whether this build can run collectives on `device` (Gloo: CPU always; NCCL:
// CUDA in the SPROUT_CUDA build).
bool collectives_available(torch::Device device);

}  // namespace sprout::backend
