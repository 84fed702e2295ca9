// SPDX-License-Identifier: GPL-3.0-or-later
// Keeping the ranks of a run in step when something goes wrong on one of
// them: input checks whose failure every rank learns of (so all exit 2, none
// waits for a peer that has left), and a check that all replicas hold the
// same model and counters after start, resume and growth.
#pragma once

#include <torch/types.h>

#include <functional>
#include <string>
#include <vector>

#include "comm/communicator.h"

namespace sprout::backend {

// Runs `work` here, then tells every rank whether it failed anywhere (one
// all-reduce, so `work` itself must not call collectives). A rank whose
// `work` threw rethrows it; the others throw planner::InputError when a
// failed rank's error was bad input (exit 2), else std::runtime_error.
void run_on_every_rank(Communicator& comm, const std::function<void()>& work);

// Throws std::runtime_error on every rank unless every rank's `counters` and
// `parameters` (a model's, in its parameter order) are bit-for-bit those of rank 0 (an order-independent integer
// checksum of the parameters' bits, so thread counts do not matter).
void check_replicas_agree(Communicator& comm, const std::vector<double>& counters,
                          const std::vector<torch::Tensor>& parameters, const std::string& when);

}  // namespace sprout::backend
