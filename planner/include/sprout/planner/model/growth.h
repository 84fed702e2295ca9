// SPDX-License-Identifier: GPL-3.0-or-later
// Stage-to-stage growth (MSG operators, Yao et al. arXiv 2305.02869): what
// grew, whether the plan's `grow:` says the same, and what a transition costs.
#pragma once

#include <optional>
#include <string>

#include "sprout/planner/model/hardware_profile.h"
#include "sprout/planner/model/model_shape.h"

namespace sprout::planner {

struct GrowthKind {
  bool width = false;  // hidden, ffn_hidden, heads or kv_heads grew
  bool depth = false;  // layers grew
  bool any() const { return width || depth; }
};

// What changed from `from` to `to`, or an error text when `to` cannot be
// reached by growth (something shrank; vocab, seq_len, activation, position
// embedding, norm or heads per KV group changed; the head size changed under
// rotary/xPos).
struct GrowthCheck {
  GrowthKind kind;
  std::optional<std::string> problem;
  std::string problem_field;  // the stage key the problem is about
};
GrowthCheck infer_growth(const ModelShape& from, const ModelShape& to);

// Under rotary/xPos a change of the head size hidden/heads: their rotation
// frequencies (and xPos's scales) depend on it, so no MSG copy of the old
// weights keeps the old function (docs/formulas.md "Growth"); heads must be
// added instead. The reason (for the `hidden` key), or nullopt.
// infer_growth calls it, so the plan loader (`sprout plan`, export, the GUI)
// refuses such a growth; sprout-train and grow_gpt check it again
// (require_trainable_growth) for plans built in code.
std::optional<std::string> head_size_growth_problem(const ModelShape& from, const ModelShape& to);

std::string describe(const GrowthKind& kind);  // "width", "depth", "width+depth", "none"

// Seconds a growth transition stops training. The old model is always saved
// first (a restart point). When the parallel layout changes between the
// stages (FLM-101B went TP2 PP1 -> TP4 PP2 -> TP4 PP4), the job must also be
// relaunched: the grown model is written, re-read under the new layout and
// the job restarts (`relaunch`). Growing in place, as sprout-train does when
// the layout stays, costs only the save. The MSG mask ramp itself is ordinary
// training and is counted in the stage.
double growth_transition_seconds(const ModelShape& from, const ModelShape& to, int gpus, const HardwareProfile& hw,
                                 bool relaunch = true);

// Bytes of a full checkpoint (bf16 weights + fp32 master + Adam m, v = 14 B/param).
double checkpoint_bytes(const ModelShape& shape);

// Seconds to write (or read back) one full checkpoint of `shape` from `gpus`
// GPUs: every node writes its shard at the profile's per-node bandwidth.
double checkpoint_write_seconds(const ModelShape& shape, int gpus, const HardwareProfile& hw);

}  // namespace sprout::planner
