// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/planner/plan/plan.h"

namespace sprout::planner {

const char* to_string(PowerModel p) { return p == PowerModel::kTdp ? "tdp" : "typical"; }

}  // namespace sprout::planner
