// SPDX-License-Identifier: GPL-3.0-or-later
// The communicators of one stage layout, split from the world communicator
// (stage_layout.h for who is in which): tensor-parallel (the collectives
// inside every layer), pipeline (activations and gradients between
// neighbouring stages), data-parallel (gradient averaging, ZeRO-1) and the
// embedding group of the first and last pipeline rank (tied embeddings).
#pragma once

#include <memory>

#include "comm/communicator.h"
#include "parallel/stage_layout.h"

namespace sprout::backend {

struct ProcessGroups {
  Communicator* world = nullptr;
  std::unique_ptr<Communicator> tensor;
  std::unique_ptr<Communicator> pipeline;
  std::unique_ptr<Communicator> data;
  std::unique_ptr<Communicator> embedding;  // null unless this rank is a first or last pipeline rank and pp > 1
};

// Collective over `world`: every rank calls it with the same layout. The
// groups depend on tp, pp and dp only; build them once per StageLayout::
// group_key (the names in the rendezvous store must not repeat).
ProcessGroups make_process_groups(Communicator& world, const StageLayout& layout);

}  // namespace sprout::backend
