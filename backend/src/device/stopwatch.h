// SPDX-License-Identifier: GPL-3.0-or-later
// The monotonic clock every timing in the backend uses (step phases,
// pipeline ops, hardware probes): wall-clock jumps never show up as time.
#pragma once

#include <chrono>

namespace sprout::backend {

using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

}  // namespace sprout::backend
