// SPDX-License-Identifier: GPL-3.0-or-later
// How one stage is spread over GPUs (Megatron-LM terms).
#pragma once

#include <optional>
#include <string>

#include "sprout/planner/model/model_shape.h"

namespace sprout::planner {

enum class AttentionKernel { kStandard, kFlash };
template <>
struct EnumNameTable<AttentionKernel> {
  static constexpr EnumName<AttentionKernel> entries[] = {{AttentionKernel::kStandard, "standard"},
                                                          {AttentionKernel::kFlash, "flash"}};
};

struct ParallelLayout {
  int tp = 1;           // tensor parallel ranks (inside a node)
  int pp = 1;           // pipeline stages
  int dp = 1;           // data parallel replicas
  int micro_batch = 1;  // sequences per micro-batch
  int interleave = 1;   // virtual pipeline chunks per stage (v); 1 = plain 1F1B
  bool sequence_parallel = false;
  bool distributed_optimizer = false;  // ZeRO-1: optimizer states sharded over DP
  Recompute recompute = Recompute::kNone;

  int gpus() const { return tp * pp * dp; }
};

// What is wrong with a layout for a model on a GPU count, or nothing.
// Checks: tp divides heads and kv_heads, pp <= layers and divides them
// (into pp * interleave chunks), tp*pp*dp == gpus, micro-batch >= 1.
std::optional<std::string> layout_problem(const ParallelLayout& layout, const ModelShape& shape, int gpus);

std::string describe(const ParallelLayout& layout);  // "TP4 PP2 DP24 mb1 v1 sp selective"

const char* to_string(AttentionKernel k);

}  // namespace sprout::planner
