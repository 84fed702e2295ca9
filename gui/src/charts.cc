// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/gui/charts.h"

#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QBoxPlotSeries>
#include <QBoxSet>
#include <QHorizontalStackedBarSeries>
#include <QScatterSeries>
#include <QStackedBarSeries>
#include <QValueAxis>
#include <algorithm>

#include "sprout/planner/base/units.h"

namespace sprout::gui {

// Whole numbers for large quantities, one decimal for small ones.
static const char* label_format(StageMetric m) {
  return (m == StageMetric::kCostUsd || m == StageMetric::kGpuHours) ? "%.0f" : "%.1f";
}

QString metric_title(StageMetric m) {
  switch (m) {
    case StageMetric::kCostUsd:
      return "Cost (USD)";
    case StageMetric::kDays:
      return "Wall-clock (days)";
    case StageMetric::kCo2eTonnes:
      return "Operational CO2e (t)";
    case StageMetric::kEnergyMwh:
      return "Energy (MWh)";
    case StageMetric::kGpuHours:
      return "GPU-hours";
  }
  return {};
}

double metric_value(const planner::Costs& c, StageMetric m) {
  switch (m) {
    case StageMetric::kCostUsd:
      return c.cost_usd;
    case StageMetric::kDays:
      return c.seconds / planner::kSecondsPerDay;
    case StageMetric::kCo2eTonnes:
      return c.co2e_kg / 1000.0;
    case StageMetric::kEnergyMwh:
      return c.energy_kwh / 1000.0;
    case StageMetric::kGpuHours:
      return c.gpu_hours;
  }
  return 0;
}

static QStringList plan_names(const std::vector<NamedEstimate>& plans) {
  QStringList names;
  for (const auto& p : plans) names << p.name;
  return names;
}

static size_t max_stages(const std::vector<NamedEstimate>& plans) {
  size_t n = 0;
  for (const auto& p : plans) n = std::max(n, p.estimate.stages.size());
  return n;
}

// The series with one bar (stack, box) per category: the names on the
// category axis at `names_side`, values on the other; returns the value axis.
static QValueAxis* add_category_series(QChart* chart, QAbstractSeries* series, const QStringList& names,
                                       Qt::Alignment names_side, const QString& value_title,
                                       const QString& value_format) {
  chart->addSeries(series);
  auto* categories = new QBarCategoryAxis;
  categories->append(names);
  chart->addAxis(categories, names_side);
  series->attachAxis(categories);
  auto* values = new QValueAxis;
  values->setTitleText(value_title);
  values->setLabelFormat(value_format);
  chart->addAxis(values, names_side == Qt::AlignBottom ? Qt::AlignLeft : Qt::AlignBottom);
  series->attachAxis(values);
  return values;
}

// The series with one bar (or stack) per plan: plan names on the category
// axis at `plans_side`, values on the other.
static void add_plan_bars(QChart* chart, QAbstractBarSeries* series, const std::vector<NamedEstimate>& plans,
                          Qt::Alignment plans_side, const QString& value_title, const QString& value_format) {
  add_category_series(chart, series, plan_names(plans), plans_side, value_title, value_format);
}

QChart* make_stage_bars(const std::vector<NamedEstimate>& plans, StageMetric metric) {
  auto* chart = new QChart;
  auto* series = new QStackedBarSeries;
  for (size_t i = 0; i < max_stages(plans); ++i) {
    auto* set = new QBarSet(QString("stage %1").arg(i + 1));
    for (const auto& p : plans) {
      *set << (i < p.estimate.stages.size() ? metric_value(p.estimate.stages[i].costs, metric) : 0.0);
    }
    series->append(set);
  }
  add_plan_bars(chart, series, plans, Qt::AlignBottom, metric_title(metric), label_format(metric));
  chart->setTitle(metric_title(metric) + " by stage");
  chart->legend()->setAlignment(Qt::AlignBottom);
  return chart;
}

QChart* make_timeline(const std::vector<NamedEstimate>& plans) {
  auto* chart = new QChart;
  auto* series = new QHorizontalStackedBarSeries;
  // Alternate training and growth-transition segments: stage 1, growth, stage 2, ...
  const size_t n = max_stages(plans);
  for (size_t i = 0; i < n; ++i) {
    if (i > 0) {
      auto* grow = new QBarSet(QString("grow %1").arg(i + 1));
      grow->setColor(QColor(220, 60, 60));
      for (const auto& p : plans) {
        const auto& st = p.estimate.stages;
        *grow << (i < st.size() ? st[i].growth_transition_s / planner::kSecondsPerDay : 0.0);
      }
      series->append(grow);
    }
    auto* set = new QBarSet(QString("stage %1").arg(i + 1));
    for (const auto& p : plans) {
      const auto& st = p.estimate.stages;
      *set << (i < st.size() ? (st[i].costs.seconds - st[i].growth_transition_s) / planner::kSecondsPerDay : 0.0);
    }
    series->append(set);
  }
  add_plan_bars(chart, series, plans, Qt::AlignLeft, "days from start", "%.1f");
  chart->setTitle("Timeline: stages and growth transitions (red)");
  chart->legend()->setAlignment(Qt::AlignBottom);
  return chart;
}

QChart* make_cost_carbon_scatter(const std::vector<NamedEstimate>& plans) {
  auto* chart = new QChart;
  auto* x = new QValueAxis;
  x->setTitleText("USD");
  x->setLabelFormat("%.0f");
  auto* y = new QValueAxis;
  y->setTitleText("tCO2e");
  y->setLabelFormat("%.1f");
  chart->addAxis(x, Qt::AlignBottom);
  chart->addAxis(y, Qt::AlignLeft);
  double max_x = 0, max_y = 0;
  for (const auto& p : plans) {
    auto* s = new QScatterSeries;
    const auto& t = p.estimate.total;
    s->setName(QString("%1 (%2 d)").arg(p.name).arg(t.seconds / planner::kSecondsPerDay, 0, 'f', 1));
    s->append(t.cost_usd, t.co2e_kg / 1000.0);
    s->setMarkerSize(14);
    s->setPointLabelsVisible(true);
    s->setPointLabelsFormat(p.name);
    chart->addSeries(s);
    s->attachAxis(x);
    s->attachAxis(y);
    max_x = std::max(max_x, t.cost_usd);
    max_y = std::max(max_y, t.co2e_kg / 1000.0);
  }
  x->setRange(0, max_x * 1.15 + 1e-9);
  y->setRange(0, max_y * 1.15 + 1e-9);
  chart->setTitle("Cost vs CO2e (label: days)");
  chart->legend()->setAlignment(Qt::AlignBottom);
  return chart;
}

QChart* make_band_boxes(const std::vector<Band>& bands, const QString& axis_title) {
  auto* chart = new QChart;
  auto* series = new QBoxPlotSeries;
  QStringList names;
  double top = 0;
  for (const auto& b : bands) {
    // Whiskers and box both span P10..P90: the band is the message.
    series->append(new QBoxSet(b.p10, b.p10, b.p50, b.p90, b.p90, b.name));
    names << b.name;
    top = std::max(top, b.p90);
  }
  add_category_series(chart, series, names, Qt::AlignBottom, axis_title, "%.1f")->setRange(0, top * 1.1 + 1e-9);
  chart->setTitle("Risk: P10 / P50 / P90 with failures, checkpoints and evaluations (simulated)");
  chart->legend()->hide();
  return chart;
}

QChart* make_region_bars(const std::vector<std::pair<QString, double>>& tonnes_by_region) {
  auto* chart = new QChart;
  auto* series = new QBarSeries;
  auto* set = new QBarSet("operational tCO2e");
  QStringList names;
  for (const auto& [name, t] : tonnes_by_region) {
    names << name;
    *set << t;
  }
  series->append(set);
  series->setLabelsVisible(true);
  series->setLabelsFormat("@value");
  series->setLabelsPrecision(3);
  add_category_series(chart, series, names, Qt::AlignBottom, "tCO2e", "%.1f");
  chart->setTitle("Emissions of this plan by region (grid mean x PUE)");
  chart->legend()->hide();
  return chart;
}

}  // namespace sprout::gui
