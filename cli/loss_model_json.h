// SPDX-License-Identifier: GPL-3.0-or-later
// A loss model (and how it was fitted) as JSON, for search and fit-loss.
#pragma once

#include <nlohmann/json.hpp>

#include "sprout/planner/loss/loss_model.h"

namespace sprout::cli {

nlohmann::json loss_model_json(const planner::LossModel& model);

}  // namespace sprout::cli
