// SPDX-License-Identifier: GPL-3.0-or-later
// When a stage has no `parallel:` the planner enumerates every layout that
// divides the GPU count and fits memory, and ranks them by iteration time.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "sprout/planner/model/hardware_profile.h"
#include "sprout/planner/model/memory_model.h"
#include "sprout/planner/model/throughput_model.h"

namespace sprout::planner {

struct LayoutCandidate {
  ParallelLayout layout;
  IterationEstimate estimate;
  MemoryBreakdown memory;
};

struct LayoutSearchOptions {
  int max_tp = 0;  // 0: the profile's GPUs per node
  int max_micro_batch = 16;
  int max_interleave = 4;
  std::optional<Recompute> recompute;  // fixed, or searched when absent
  bool allow_cross_node_tp = false;
  // Whose memory decides what fits: Megatron-LM's, or sprout-train's
  // (memory_footprint_of).
  ActivationFootprint memory_footprint = ActivationFootprint::kMegatronFp16;
};

struct LayoutSearchResult {
  std::vector<LayoutCandidate> ranked;  // fastest first, all of them fit
  long long evaluated = 0;              // layouts whose time was estimated
  long long rejected_memory = 0;        // of those, how many did not fit
  std::string tightest_reason;          // why the best-looking rejected one failed
};

// Memory per GPU of the workload under its layout, with `micro_batches` per
// iteration; a stage that starts with an MSG width ramp holds the masks'
// activations during it (width_ramp_activation_bytes).
MemoryBreakdown workload_memory(const StageWorkload& work, int micro_batches, const HardwareProfile& hw,
                                ActivationFootprint footprint);

LayoutSearchResult search_layouts(const StageWorkload& work_without_layout, int gpus, const HardwareProfile& hw,
                                  const LayoutSearchOptions& options = {});

}  // namespace sprout::planner
