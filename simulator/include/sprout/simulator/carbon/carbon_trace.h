// SPDX-License-Identifier: GPL-3.0-or-later
// Hourly grid carbon intensity, read from CSV (docs/simulator.md "Carbon
// traces"; sources in docs/references.md "Energy and carbon"): Electricity
// Maps hourly exports, current (`Datetime (UTC)`, `Carbon intensity
// gCO₂eq/kWh (direct)`, `... (Life cycle)`) and older (`Carbon Intensity
// gCO₂eq/kWh (direct)`, `... (LCA)`; hand-made files may write "2" for "₂"),
// extra columns ignored; and WattTime historical MOER (`point_time`, `value`
// in lbs/MWh every 5 minutes: averaged per hour and converted to g/kWh).
// Lines starting with '#' are comments (the shipped synthetic traces say so
// in one).
#pragma once

#include <string>
#include <vector>

#include "sprout/planner/base/enum_names.h"
#include "sprout/planner/base/utc_time.h"

namespace sprout::simulator {

enum class TraceColumn { kDirect, kLifeCycle };  // direct emissions, or life-cycle (LCA)
const char* to_string(TraceColumn column);

}  // namespace sprout::simulator

namespace sprout::planner {
template <>
struct EnumNameTable<simulator::TraceColumn> {
  static constexpr EnumName<simulator::TraceColumn> entries[] = {{simulator::TraceColumn::kDirect, "direct"},
                                                                 {simulator::TraceColumn::kLifeCycle, "lca"}};
};
}  // namespace sprout::planner

namespace sprout::simulator {

// Traces are hourly: one value per hour, on the hour.
inline constexpr planner::UnixSeconds kTraceStepSeconds = 3600;

struct CarbonTrace {
  std::string source_file;
  TraceColumn column = TraceColumn::kDirect;
  planner::UnixSeconds start_unix_s = 0;  // first hour (UTC, on the hour)
  std::vector<double> g_co2e_per_kwh;     // one value per consecutive hour

  planner::UnixSeconds end_unix_s() const {
    return start_unix_s + kTraceStepSeconds * static_cast<planner::UnixSeconds>(hours());
  }
  long long hours() const { return static_cast<long long>(g_co2e_per_kwh.size()); }
  double mean_g_co2e_per_kwh() const;
};

// Throws planner::InputError (`file:line:col: field: reason`) for a missing
// file or column, a header of no known layout (naming the columns found),
// an unreadable or non-UTC timestamp, timestamps that are not
// hourly, go backwards, repeat or leave a gap, and empty, non-numeric or
// negative intensities. An empty trace is an error too.
CarbonTrace load_carbon_trace(const std::string& path, TraceColumn column = TraceColumn::kDirect);
CarbonTrace parse_carbon_trace(const std::string& csv_text, const std::string& name,
                               TraceColumn column = TraceColumn::kDirect);

}  // namespace sprout::simulator
