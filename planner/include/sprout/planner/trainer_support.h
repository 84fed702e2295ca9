// SPDX-License-Identifier: GPL-3.0-or-later
// What sprout-train can execute. `sprout export` refuses a plan the trainer
// cannot run, and sprout-train refuses it at start, with the same message:
// never silently change a layout.
#pragma once

#include <optional>
#include <string>

#include "sprout/planner/plan.h"

namespace sprout::planner {

// The first stage layout the trainer cannot run, as
// "stage '51B': tp=4 ... (reason)", or nothing.
std::optional<std::string> trainer_cannot_run(const Plan& plan);

}  // namespace sprout::planner
