// SPDX-License-Identifier: GPL-3.0-or-later
// The order in which one pipeline rank runs its forward and backward passes
// (Megatron-LM's 1F1B and interleaved 1F1B schedules). The simulator's
// iteration DAG models this order and sprout-train executes it, so a measured
// pipeline bubble can be compared with the predicted one.
#pragma once

#include <vector>

namespace sprout::planner {

struct PipelineOp {
  bool forward = true;
  int chunk = 0;        // model chunk on this rank, 0..v-1
  int micro_batch = 0;  // 0..m-1
};

// 1F1B (v = 1): p - rank - 1 warm-up forwards, then alternate one forward and
// one backward, then drain the backwards (Narayanan et al. 2021, fig. 4).
// Interleaved (v > 1): micro-batches go through the chunks in groups of p;
// the warm-up is 2 (p - rank - 1) + (v - 1) p forwards (Megatron-core
// forward_backward_pipelining_with_interleaving, get_schedule_table).
std::vector<PipelineOp> pipeline_order(int rank, int stages, int chunks, int micro_batches);

}  // namespace sprout::planner
