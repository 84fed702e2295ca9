// SPDX-License-Identifier: GPL-3.0-or-later
// The loss-model file (LOSSMODEL.yaml) written by `sprout fit-loss` and read by
// `sprout search --loss-model`. Format in docs/search.md; read strictly
// (unknown keys, missing coefficients and out-of-range values are InputErrors).
#pragma once

#include <string>

#include "sprout/planner/base/input_error.h"
#include "sprout/planner/loss/loss_model.h"

namespace sprout::planner {

LossModel load_loss_model(const std::string& path);
LossModel load_loss_model_from_string(const std::string& yaml, const std::string& name);

// YAML that load_loss_model reads back to the same numbers.
std::string loss_model_to_yaml(const LossModel& model);

// Atomic (write_file_atomically).
void write_loss_model(const std::string& path, const LossModel& model);

}  // namespace sprout::planner
