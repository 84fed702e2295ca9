// SPDX-License-Identifier: GPL-3.0-or-later
// Axis ticks people read: steps of 1, 2 or 5 x 10^k between bounds that are
// multiples of the step (Heckbert, "Nice numbers for graph labels", Graphics
// Gems, 1990), labelled with SI suffixes or a unit that fits the axis: 800K,
// $100K, 2.5 t, 12 d. Pure functions; charts.h puts them on Qt Charts axes.
#pragma once

#include <QString>
#include <QStringList>
#include <vector>

namespace sprout::gui {

// Bounds and step of an axis: lo and hi are multiples of step.
struct NiceScale {
  double lo = 0;
  double hi = 1;
  double step = 1;
  std::vector<double> ticks() const;  // lo, lo + step, ..., hi
};

// The tightest scale with at most `max_ticks` (>= 2) ticks that covers [min, max].
NiceScale nice_ticks(double min, double max, int max_ticks);

// One rung of a unit ladder: `size` axis values make one `suffix`.
struct UnitStep {
  double size = 1;
  QString suffix;
};

// How an axis' numbers are written.
struct AxisUnit {
  QString prefix = {};                // before the number: "$"
  QString suffix = {};                // after it, when there is no ladder: " tok/s"
  bool si = false;                    // K, M, B, T chosen per label: 800K, $100K
  std::vector<UnitStep> ladder = {};  // else one unit for the whole axis, by its largest value
};

AxisUnit plain_unit(const QString& suffix = {});
AxisUnit count_unit();                             // 800K, 4.7M, 245B
AxisUnit usd_unit();                               // $100K
AxisUnit mass_unit(double kg_per_value);           // g, kg, t, kt
AxisUnit energy_unit(double kwh_per_value);        // Wh, kWh, MWh, GWh
AxisUnit duration_unit(double seconds_per_value);  // s, min, h, d

// The ladder rung an axis reaching `largest` (absolute) is written in: the
// biggest one not above it (the smallest for tiny values); {1, unit.suffix}
// without a ladder.
UnitStep unit_step_for(const AxisUnit& unit, double largest);

// A value axis: its scale in the data's units and a label on each tick.
struct AxisTicks {
  NiceScale scale;
  std::vector<double> values;
  QStringList labels;
};

// Ticks for data spanning [min, max]: nice in the unit the labels show (days,
// not seconds), decimals from the step.
AxisTicks nice_axis(double min, double max, const AxisUnit& unit, int max_ticks);

// Tick labels on UTC calendar boundaries (hours, days, weeks, months) for a
// time axis over [from_s, to_s], Unix seconds; at most `max_ticks`.
struct TimeTicks {
  std::vector<long long> unix_s;
  QStringList labels;  // "Mar 1", "Mar 1 06:00", "Jan 2023"
};
TimeTicks utc_time_ticks(long long from_s, long long to_s, int max_ticks);

}  // namespace sprout::gui
