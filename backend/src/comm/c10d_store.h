// SPDX-License-Identifier: GPL-3.0-or-later
// The rendezvous store of a run: c10d's TCPStore served by rank 0 on
// MASTER_ADDR:MASTER_PORT. Gloo connects its full mesh through it and NCCL
// exchanges its unique id through it.
#pragma once

#include <torch/csrc/distributed/c10d/Store.hpp>

#include <chrono>
#include <exception>
#include <string>

#include "sprout/backend/rendezvous.h"

namespace sprout::backend {

// Connects to (rank 0: serves) the store and returns once every rank has
// arrived; throws CollectiveError when they are not all there within
// `rendezvous_timeout`. The store's later operations (the Gloo mesh, the
// NCCL id) time out after `collective_timeout`.
c10::intrusive_ptr<c10d::Store> connect_store(const Rendezvous& r, std::chrono::milliseconds rendezvous_timeout,
                                              std::chrono::milliseconds collective_timeout);

// The first line of an exception's message (c10::Error without its C++
// backtrace), for one-line failure reports.
std::string one_line_cause(const std::exception& e);

// "all_reduce failed on rank 1/2 (gloo): CAUSE; a peer rank died or did not
// answer within 30 s (training.collective_timeout_s)"
std::string collective_failure(const std::string& op, int rank, int world_size, const std::string& backend,
                               const std::string& cause, std::chrono::milliseconds timeout);

}  // namespace sprout::backend
