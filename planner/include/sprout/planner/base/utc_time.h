// SPDX-License-Identifier: GPL-3.0-or-later
// UTC timestamps as seconds since the Unix epoch, read from and written as
// ISO 8601 ("2023-06-01T00:00:00Z"). Carbon traces, --start/--deadline and
// the trainer's telemetry use them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sprout::planner {

using UnixSeconds = std::int64_t;

enum class TimestampProblem { kNone, kMalformed, kNotUtc };

struct ParsedTimestamp {
  UnixSeconds seconds = 0;
  double fraction_s = 0;  // ".123" -> 0.123
  TimestampProblem problem = TimestampProblem::kNone;
};

// Accepts "YYYY-MM-DD", "YYYY-MM-DD HH:MM[:SS[.fff]]" and the same with 'T',
// followed by nothing, "Z", "+00:00" or "+0000" (UTC). Any other offset is
// kNotUtc; anything unreadable (or an impossible date) is kMalformed.
ParsedTimestamp parse_utc_timestamp(std::string_view text);

std::string format_utc_timestamp(UnixSeconds seconds);  // "2023-06-01T00:00:00Z"

}  // namespace sprout::planner
