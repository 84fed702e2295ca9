// SPDX-License-Identifier: GPL-3.0-or-later
// Qt Charts built from planner estimates. Each function returns a new chart
// the caller owns (usually handed to a QChartView).
#pragma once

#include <QChart>
#include <QString>
#include <vector>

#include "sprout/planner/cost/estimate.h"

namespace sprout::gui {

struct NamedEstimate {
  QString name;
  planner::PlanEstimate estimate;
};

enum class StageMetric { kCostUsd, kDays, kCo2eTonnes, kEnergyMwh, kGpuHours };
QString metric_title(StageMetric metric);
double metric_value(const planner::Costs& costs, StageMetric metric);

// One bar per plan, stacked by stage.
QChart* make_stage_bars(const std::vector<NamedEstimate>& plans, StageMetric metric);
// Stages of each plan laid end to end in days, growth transitions marked.
QChart* make_timeline(const std::vector<NamedEstimate>& plans);
// Cost (x) against CO2e (y), one labelled point per plan; days in the label.
QChart* make_cost_carbon_scatter(const std::vector<NamedEstimate>& plans);
// P10/P50/P90 of a quantity per plan, as box plots (box = P10..P90, line = P50).
struct Band {
  QString name;
  double p10 = 0, p50 = 0, p90 = 0;
};
QChart* make_band_boxes(const std::vector<Band>& bands, const QString& axis_title);

// Total tCO2e of one plan in each region.
QChart* make_region_bars(const std::vector<std::pair<QString, double>>& tonnes_by_region);

}  // namespace sprout::gui
