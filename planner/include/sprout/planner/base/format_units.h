// SPDX-License-Identifier: GPL-3.0-or-later
// Numbers for people, with units chosen to fit (used by the CLI tables, the
// GUI and generated files' headers).
#pragma once

#include <string>

namespace sprout::planner {

std::string human_count(double value);                     // 1.65e10 -> "16.5B", 3.2e6 -> "3.2M"
std::string human_number(double value, int decimals = 0);  // 99256.3 -> "99,256"
std::string percent(double fraction, int decimals = 1);    // 0.519 -> "51.9%"
std::string human_duration(double seconds);
// A countdown for progress lines: "42s", "3m05s", "1h02m"; "?" when unknown (negative or not finite).
std::string clock_duration(double seconds);  // "21.54 d", "3.2 h", "12.5 min", "42.0 s"
std::string human_energy_kwh(double kwh);    // "41.9 MWh", "12.30 kWh", "250.0 Wh"
std::string human_mass_kg(double kg);        // "24.4 t", "3.20 kg", "12.0 g"
std::string human_usd(double usd);           // "$95,201", "$12.34", "$0.0021"
std::string human_hours(double hours);       // "95,201", "12.3", "0.0042"

}  // namespace sprout::planner
