// SPDX-License-Identifier: GPL-3.0-or-later
// The planner's UTC timestamps (sprout/planner/utc_time.h), under the names
// the simulator uses.
#pragma once

#include "sprout/planner/base/utc_time.h"

namespace sprout::simulator {

using planner::format_utc_timestamp;
using planner::parse_utc_timestamp;
using planner::ParsedTimestamp;
using planner::TimestampProblem;
using planner::UnixSeconds;

}  // namespace sprout::simulator
