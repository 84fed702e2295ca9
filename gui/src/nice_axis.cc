// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/gui/nice_axis.h"

#include <QDateTime>
#include <QTimeZone>
#include <algorithm>
#include <cmath>
#include <utility>

namespace sprout::gui {
namespace {

// Floor and ceiling that forgive the last bits of a division (2.9999999999 is 3).
constexpr double kSlack = 1e-9;

// Decimals that tell ticks `step` apart: 0.5 -> 1, 0.05 -> 2, 20 -> 0.
int decimals_for(double step) {
  if (step >= 1) return 0;
  return std::clamp(static_cast<int>(-std::floor(std::log10(step) + kSlack)), 0, 12);
}

QString number(double value, int decimals, const QString& prefix, const QString& suffix) {
  const QString digits = QString::number(std::fabs(value), 'f', decimals);
  return (value < 0 ? "-" : "") + prefix + digits + suffix;
}

// K, M, B, T chosen by the label's own size, decimals by the step in that size.
QString si_label(double value, double step, const AxisUnit& unit) {
  static const std::pair<double, const char*> kSizes[] = {{1e12, "T"}, {1e9, "B"}, {1e6, "M"}, {1e3, "K"}};
  for (const auto& [size, letter] : kSizes) {
    if (std::fabs(value) >= size * (1 - kSlack)) {
      return number(value / size, decimals_for(step / size), unit.prefix, letter + unit.suffix);
    }
  }
  return number(value, decimals_for(step), unit.prefix, unit.suffix);
}

AxisUnit ladder_unit(std::vector<UnitStep> ladder, double per_value) {
  for (UnitStep& rung : ladder) rung.size /= per_value;
  return AxisUnit{.ladder = std::move(ladder)};
}

}  // namespace

std::vector<double> NiceScale::ticks() const {
  std::vector<double> out;
  const long long first = std::llround(lo / step), count = std::llround((hi - lo) / step);
  for (long long i = 0; i <= count; ++i) {
    const double t = static_cast<double>(first + i) * step;
    out.push_back(std::fabs(t) < step * kSlack ? 0.0 : t);
  }
  return out;
}

NiceScale nice_ticks(double min, double max, int max_ticks) {
  max_ticks = std::max(2, max_ticks);
  if (!std::isfinite(min) || !std::isfinite(max)) return {};
  if (min > max) std::swap(min, max);
  if (max == min) {
    // One value: a small window around it (or [0, 1] around nothing).
    const double half = min == 0 ? 0.5 : std::fabs(min) * 0.05;
    min = min == 0 ? 0 : min - half;
    max = max == 0 ? 1 : max + half;
  }
  const double rough = (max - min) / (max_ticks - 1);
  for (int exponent = static_cast<int>(std::floor(std::log10(rough))) - 1;; ++exponent) {
    for (const double mantissa : {1.0, 2.0, 5.0}) {
      const double step = mantissa * std::pow(10.0, exponent);
      const double lo = std::floor(min / step + kSlack) * step, hi = std::ceil(max / step - kSlack) * step;
      if (std::llround((hi - lo) / step) + 1 <= max_ticks) return {lo, hi, step};
    }
  }
}

AxisUnit plain_unit(const QString& suffix) { return AxisUnit{.suffix = suffix}; }
AxisUnit count_unit() { return AxisUnit{.si = true}; }
AxisUnit usd_unit() { return AxisUnit{.prefix = "$", .si = true}; }
AxisUnit mass_unit(double kg_per_value) {
  return ladder_unit({{1e-3, " g"}, {1, " kg"}, {1e3, " t"}, {1e6, " kt"}}, kg_per_value);
}
AxisUnit energy_unit(double kwh_per_value) {
  return ladder_unit({{1e-3, " Wh"}, {1, " kWh"}, {1e3, " MWh"}, {1e6, " GWh"}}, kwh_per_value);
}
AxisUnit duration_unit(double seconds_per_value) {
  return ladder_unit({{1, " s"}, {60, " min"}, {3600, " h"}, {86400, " d"}}, seconds_per_value);
}

UnitStep unit_step_for(const AxisUnit& unit, double largest) {
  if (unit.ladder.empty()) return {1, unit.suffix};
  UnitStep chosen = unit.ladder.front();
  for (const UnitStep& rung : unit.ladder) {
    if (std::fabs(largest) >= rung.size * (1 - kSlack)) chosen = rung;
  }
  return chosen;
}

AxisTicks nice_axis(double min, double max, const AxisUnit& unit, int max_ticks) {
  AxisTicks out;
  if (unit.si) {
    out.scale = nice_ticks(min, max, max_ticks);
    out.values = out.scale.ticks();
    for (double t : out.values) out.labels << si_label(t, out.scale.step, unit);
    return out;
  }
  // Nice in the unit shown: 5 d steps, not 432000 s.
  const UnitStep shown = unit_step_for(unit, std::max(std::fabs(min), std::fabs(max)));
  const NiceScale s = nice_ticks(min / shown.size, max / shown.size, max_ticks);
  out.scale = {s.lo * shown.size, s.hi * shown.size, s.step * shown.size};
  for (double t : s.ticks()) {
    out.values.push_back(t * shown.size);
    out.labels << number(t, decimals_for(s.step), unit.prefix, shown.suffix);
  }
  return out;
}

namespace {

constexpr long long kHour = 3600, kDay = 24 * kHour;
// 1970-01-01 was a Thursday: weeks start on the Mondays 4 days later.
constexpr long long kFirstMonday = 4 * kDay;

QDateTime utc(long long unix_s) { return QDateTime::fromSecsSinceEpoch(unix_s, QTimeZone::utc()); }

TimeTicks fixed_steps(long long from_s, long long to_s, int max_ticks) {
  struct Step {
    long long seconds, anchor;
    const char* format;
  };
  static const Step kSteps[] = {
      {kHour, 0, "MMM d HH:mm"},     {2 * kHour, 0, "MMM d HH:mm"},     {3 * kHour, 0, "MMM d HH:mm"},
      {6 * kHour, 0, "MMM d HH:mm"}, {12 * kHour, 0, "MMM d HH:mm"},    {kDay, 0, "MMM d"},
      {2 * kDay, 0, "MMM d"},        {7 * kDay, kFirstMonday, "MMM d"}, {14 * kDay, kFirstMonday, "MMM d"}};
  for (const Step& step : kSteps) {
    const long long since_anchor = from_s - step.anchor;
    // The first boundary at or after from_s (division rounding toward -inf).
    long long k = since_anchor / step.seconds;
    if (k * step.seconds < since_anchor) ++k;
    const long long first = step.anchor + k * step.seconds;
    if (first > to_s || (to_s - first) / step.seconds + 1 > max_ticks) continue;
    TimeTicks out;
    for (long long t = first; t <= to_s; t += step.seconds) {
      out.unix_s.push_back(t);
      out.labels << utc(t).toString(step.format);
    }
    return out;
  }
  return {};
}

TimeTicks month_steps(long long from_s, long long to_s, int max_ticks) {
  const QDate from = utc(from_s).date();
  for (const int months : {1, 2, 3, 6, 12, 24, 60, 120}) {
    // The first month start at or after from_s whose month index is a multiple of `months`.
    QDate d(from.year(), from.month(), 1);
    if (utc(from_s) > QDateTime(d, QTime(0, 0), QTimeZone::utc())) d = d.addMonths(1);
    while ((d.year() * 12 + d.month() - 1) % months != 0) d = d.addMonths(1);
    TimeTicks out;
    for (; QDateTime(d, QTime(0, 0), QTimeZone::utc()).toSecsSinceEpoch() <= to_s; d = d.addMonths(months)) {
      out.unix_s.push_back(QDateTime(d, QTime(0, 0), QTimeZone::utc()).toSecsSinceEpoch());
      out.labels << d.toString(months >= 12 ? "yyyy" : "MMM yyyy");
    }
    if (static_cast<int>(out.unix_s.size()) <= max_ticks) return out;
  }
  return {};
}

}  // namespace

TimeTicks utc_time_ticks(long long from_s, long long to_s, int max_ticks) {
  max_ticks = std::max(2, max_ticks);
  if (to_s <= from_s) return TimeTicks{{from_s}, {utc(from_s).toString("MMM d HH:mm")}};
  TimeTicks out = fixed_steps(from_s, to_s, max_ticks);
  if (out.unix_s.empty()) out = month_steps(from_s, to_s, max_ticks);
  if (out.unix_s.empty()) {
    // Shorter than an hour: its two ends.
    for (long long t : {from_s, to_s}) {
      out.unix_s.push_back(t);
      out.labels << utc(t).toString("MMM d HH:mm");
    }
  }
  return out;
}

}  // namespace sprout::gui
