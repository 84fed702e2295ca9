// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/planner/plan/cluster.h"

namespace sprout::planner {

const char* to_string(PowerModel p) { return EnumNames<PowerModel>::name(p); }

}  // namespace sprout::planner
