// SPDX-License-Identifier: GPL-3.0-or-later
// Time units, defined once. Durations are seconds everywhere inside sprout;
// reports convert to hours and days with these.
#pragma once

namespace sprout::planner {

inline constexpr double kSecondsPerHour = 3600;
inline constexpr double kSecondsPerDay = 24 * kSecondsPerHour;

}  // namespace sprout::planner
