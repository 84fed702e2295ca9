// SPDX-License-Identifier: GPL-3.0-or-later
// Qt Charts built from planner estimates. Each function returns a new chart
// the caller owns (usually handed to a QChartView), in the theme that matches
// the application's palette, with nice ticks and units on its value axes.
#pragma once

#include <QChart>
#include <QString>
#include <vector>

#include "sprout/gui/nice_axis.h"
#include "sprout/planner/cost/estimate.h"

namespace sprout::gui {

struct NamedEstimate {
  QString name;
  planner::PlanEstimate estimate;
};

enum class StageMetric { kCostUsd, kDays, kCo2eTonnes, kEnergyMwh, kGpuHours };
QString metric_title(StageMetric metric);
double metric_value(const planner::Costs& costs, StageMetric metric);
AxisUnit metric_unit(StageMetric metric);  // how metric_value's numbers are labelled

// One horizontal bar per plan (names in full on the left), stacked by stage.
QChart* make_stage_bars(const std::vector<NamedEstimate>& plans, StageMetric metric);
// Stages of each plan laid end to end in days, growth transitions marked.
QChart* make_timeline(const std::vector<NamedEstimate>& plans);
// Cost (x) against CO2e (y), one point per plan (named in the legend at the right); days in the label.
QChart* make_cost_carbon_scatter(const std::vector<NamedEstimate>& plans);
// P10/P50/P90 of a quantity per plan: a horizontal bar from P10 to P90, split at P50.
struct Band {
  QString name;
  double p10 = 0, p50 = 0, p90 = 0;
};
QChart* make_band_bars(const QString& title, const std::vector<Band>& bands, const AxisUnit& unit,
                       const QString& axis_title);
// A chart with nothing yet but its title (what is being computed, or why there is nothing).
QChart* make_placeholder(const QString& title);

// Total tCO2e of one plan in each region, each bar labelled above its top.
QChart* make_region_bars(const std::vector<std::pair<QString, double>>& tonnes_by_region);

}  // namespace sprout::gui
