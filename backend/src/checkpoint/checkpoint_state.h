// SPDX-License-Identifier: GPL-3.0-or-later
// A checkpoint's state.json: everything a resume needs besides the tensors
// (the counters, the saved model's shape and init settings, the Adam step, an
// MSG growth ramp in progress). Read and checked field by field, so a state
// that is not one sprout-train wrote is an InputError naming the file and
// `state.<field>`, never a library's exception (tests/fuzz/fuzz_run_state.cc).
// No tensors, so no LibTorch: the fuzz build compiles this file alone.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "checkpoint/run_counters.h"
#include "sprout/planner/model/model_shape.h"

namespace sprout::backend {

struct CheckpointState {
  // An MSG growth ramp in progress (model/growth.h GrowthRamp; `to` is `shape`).
  struct Ramp {
    planner::ModelShape from;
    long long grow_steps = 0;
    long long steps_done = 0;
    std::vector<bool> new_layer;  // per layer of `shape`
  };

  RunCounters counters;
  planner::ModelShape shape;  // of the saved model
  double init_std = 0;
  double dropout = 0;
  long long adam_step = 0;
  std::optional<Ramp> ramp;
};

nlohmann::json checkpoint_state_to_json(const CheckpointState& state);

// The state in `text`, the contents of file `path`. Throws planner::InputError
// (`path:line:col: state.<field>: reason`) for text that is not JSON, for
// another state format version and for any missing or out-of-range field.
CheckpointState parse_checkpoint_state(std::string_view text, const std::string& path);

}  // namespace sprout::backend
