// SPDX-License-Identifier: GPL-3.0-or-later
// Communicator over c10d's ProcessGroupGloo (CPU tensors). Debian's libtorch
// 1.13 ships it; the translation unit needs USE_C10D_GLOO (libgloo-dev).
#pragma once

#include <torch/csrc/distributed/c10d/Store.hpp>

#include <chrono>
#include <memory>

#include "comm/communicator.h"
#include "sprout/backend/rendezvous.h"

namespace sprout::backend {

std::unique_ptr<Communicator> make_gloo_communicator(const Rendezvous& r, const c10::intrusive_ptr<c10d::Store>& store,
                                                     std::chrono::milliseconds timeout);

}  // namespace sprout::backend
