// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/planner/base/format_units.h"

#include <fmt/format.h>

#include <cmath>

#include "sprout/planner/base/units.h"

namespace sprout::planner {

std::string human_count(double v) {
  const double a = std::fabs(v);
  if (a >= 1e12) return fmt::format("{:.2f}T", v / 1e12);
  if (a >= 1e9) return fmt::format("{:.1f}B", v / 1e9);
  if (a >= 1e6) return fmt::format("{:.1f}M", v / 1e6);
  if (a >= 1e3) return fmt::format("{:.1f}K", v / 1e3);
  return fmt::format("{:.0f}", v);
}

std::string human_number(double v, int decimals) {
  std::string s = fmt::format("{:.{}f}", std::fabs(v), decimals);
  size_t dot = s.find('.');
  size_t int_end = dot == std::string::npos ? s.size() : dot;
  std::string grouped;
  for (size_t i = 0; i < int_end; ++i) {
    if (i && (int_end - i) % 3 == 0) grouped += ',';
    grouped += s[i];
  }
  grouped += s.substr(int_end);
  return (v < 0 ? "-" : "") + grouped;
}

std::string percent(double f, int decimals) { return fmt::format("{:.{}f}%", 100 * f, decimals); }

std::string human_duration(double s) {
  if (s >= kSecondsPerDay) return fmt::format("{:.2f} d", s / kSecondsPerDay);
  if (s >= kSecondsPerHour) return fmt::format("{:.1f} h", s / kSecondsPerHour);
  if (s >= 60) return fmt::format("{:.1f} min", s / 60);
  return fmt::format("{:.1f} s", s);
}

std::string human_energy_kwh(double kwh) {
  if (kwh >= 1000) return fmt::format("{:.1f} MWh", kwh / 1000);
  if (kwh >= 1) return fmt::format("{:.2f} kWh", kwh);
  return fmt::format("{:.1f} Wh", kwh * 1000);
}

std::string human_mass_kg(double kg) {
  if (kg >= 1000) return fmt::format("{:.1f} t", kg / 1000);
  if (kg >= 1) return fmt::format("{:.2f} kg", kg);
  return fmt::format("{:.1f} g", kg * 1000);
}

std::string human_usd(double usd) {
  if (usd >= 100) return "$" + human_number(usd);
  if (usd >= 0.01) return fmt::format("${:.2f}", usd);
  return fmt::format("${:.2g}", usd);
}

std::string human_hours(double h) {
  if (h >= 100) return human_number(h);
  if (h >= 0.1) return fmt::format("{:.1f}", h);
  return fmt::format("{:.2g}", h);
}

std::string clock_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const long long s = std::llround(seconds);
  const auto hour = static_cast<long long>(kSecondsPerHour);
  if (s >= hour) return fmt::format("{}h{:02d}m", s / hour, (s % hour) / 60);
  if (s >= 60) return fmt::format("{}m{:02d}s", s / 60, s % 60);
  return fmt::format("{}s", s);
}

}  // namespace sprout::planner
