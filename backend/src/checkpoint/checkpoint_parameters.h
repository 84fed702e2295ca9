// SPDX-License-Identifier: GPL-3.0-or-later
// A complete checkpoint's model parameters, read one at a time (export and
// init_from): its files are indexed record by record, and a parameter that a
// tensor-parallel layout saved in slices is assembled from just its slices,
// so the whole model is never in memory at once.
#pragma once

#include <torch/types.h>

#include <map>
#include <string>

#include "checkpoint/tensor_archive.h"
#include "model/parameter_layout.h"
#include "sprout/planner/model/model_shape.h"

namespace sprout::backend {

class CheckpointParameters {
 public:
  // `dir` is one complete checkpoint (checkpoint_problem(dir) == ""). Throws
  // planner::InputError naming it when the model is inside an MSG growth
  // ramp (its masks are not part of the parameters).
  explicit CheckpointParameters(const std::string& dir);

  const planner::ModelShape& shape() const { return shape_; }

  // Parameter `name` (gpt_parameter_specs' names) as a contiguous fp32 CPU tensor of its storage shape.
  torch::Tensor get(const std::string& name) const;

 private:
  planner::ModelShape shape_;
  std::map<std::string, ArchiveRecord> records_;
  std::map<std::string, ParameterSpec> specs_;
};

// The checkpoint directory `path` names: itself when it is one complete
// checkpoint, or a run directory's newest complete one. Throws
// planner::InputError (field `field`) when there is none.
std::string resolve_checkpoint_dir(const std::string& path, const std::string& field);

}  // namespace sprout::backend
