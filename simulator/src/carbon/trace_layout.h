// SPDX-License-Identifier: GPL-3.0-or-later
// Which carbon-intensity CSV a file is, from its header (docs/simulator.md
// "Carbon traces", sources in docs/references.md "Energy and carbon"):
//   - Electricity Maps hourly exports: `Datetime (UTC)` and `Carbon intensity
//     gCO₂eq/kWh (direct)` / `(Life cycle)`; older exports spell them
//     `Carbon Intensity gCO₂eq/kWh (direct)` / `(LCA)`; hand-made files write
//     "2" for the subscript. Other columns are ignored.
//   - WattTime historical MOER (`point_time`, `value` in lbs CO2/MWh, every
//     5 minutes), as the WattTime SDK's get_historical_csv writes it.
#pragma once

#include <string>

#include "sprout/simulator/carbon/carbon_trace.h"

namespace sprout::simulator {

enum class TraceFormat { kElectricityMaps, kWattTimeMoer };

struct TraceLayout {
  TraceFormat format = TraceFormat::kElectricityMaps;
  std::string time_column;   // as spelt in the file
  std::string value_column;  // as spelt in the file
  std::string value_field;   // the column's name in error messages
};

// Throws planner::InputError at the header line: a known layout missing the
// asked-for column names that column; an unknown one names every column found.
TraceLayout detect_trace_layout(const std::string& csv_text, const std::string& name, TraceColumn column);

}  // namespace sprout::simulator
