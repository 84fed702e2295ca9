// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/gui/charts.h"

#include <QBarSeries>
#include <QBarSet>
#include <QGuiApplication>
#include <QHorizontalStackedBarSeries>
#include <QLegendMarker>
#include <QScatterSeries>
#include <algorithm>

#include "sprout/gui/chart_axes.h"
#include "sprout/gui/palette_colors.h"
#include "sprout/planner/base/units.h"

namespace sprout::gui {

QString metric_title(StageMetric m) {
  switch (m) {
    case StageMetric::kCostUsd:
      return "Cost";
    case StageMetric::kDays:
      return "Wall-clock time";
    case StageMetric::kCo2eTonnes:
      return "Operational CO2e";
    case StageMetric::kEnergyMwh:
      return "Energy";
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

AxisUnit metric_unit(StageMetric m) {
  switch (m) {
    case StageMetric::kCostUsd:
      return usd_unit();
    case StageMetric::kDays:
      return duration_unit(planner::kSecondsPerDay);
    case StageMetric::kCo2eTonnes:
      return mass_unit(1000);
    case StageMetric::kEnergyMwh:
      return energy_unit(1000);
    case StageMetric::kGpuHours:
      return count_unit();
  }
  return plain_unit();
}

namespace {

QStringList plan_names(const std::vector<NamedEstimate>& plans) {
  QStringList names;
  for (const auto& p : plans) names << p.name;
  return names;
}

size_t max_stages(const std::vector<NamedEstimate>& plans) {
  size_t n = 0;
  for (const auto& p : plans) n = std::max(n, p.estimate.stages.size());
  return n;
}

QChart* chart_titled(const QString& title) { return new_chart(title, QGuiApplication::palette()); }

// The theme gives colours by a set's place in the series; a stage keeps its
// colour whatever comes between (the timeline puts growth between stages),
// and the growth sets share one colour with one legend entry.
void colour_stages_and_growth(QChart* chart, QAbstractBarSeries* series, const std::vector<QBarSet*>& stages,
                              const std::vector<QBarSet*>& growth) {
  std::vector<QColor> theme;
  for (QBarSet* set : series->barSets()) theme.push_back(set->color());
  for (size_t i = 0; i < stages.size(); ++i) stages[i]->setColor(theme[i % theme.size()]);
  for (size_t i = 0; i < growth.size(); ++i) {
    growth[i]->setColor(growth_color(QGuiApplication::palette()));
    growth[i]->setBorderColor(growth_color(QGuiApplication::palette()));
    for (QLegendMarker* m : chart->legend()->markers(series)) {
      if (m->label() == growth[i]->label()) m->setVisible(i == 0);
    }
  }
}

}  // namespace

QChart* make_stage_bars(const std::vector<NamedEstimate>& plans, StageMetric metric) {
  QChart* chart = chart_titled(metric_title(metric) + " by stage");
  auto* series = new QHorizontalStackedBarSeries;
  std::vector<QBarSet*> stages;
  for (size_t i = 0; i < max_stages(plans); ++i) {
    auto* set = new QBarSet(QString("stage %1").arg(i + 1));
    for (const auto& p : plans) {
      *set << (i < p.estimate.stages.size() ? metric_value(p.estimate.stages[i].costs, metric) : 0.0);
    }
    series->append(set);
    stages.push_back(set);
  }
  double top = 0;
  for (const auto& p : plans) {
    double sum = 0;
    for (const auto& st : p.estimate.stages) sum += metric_value(st.costs, metric);
    top = std::max(top, sum);
  }
  QCategoryAxis* values = add_category_series(chart, series, plan_names(plans), Qt::AlignLeft, metric_title(metric));
  set_nice_range(values, 0, top, metric_unit(metric), 6);
  colour_stages_and_growth(chart, series, stages, {});
  chart->legend()->setAlignment(Qt::AlignBottom);
  return chart;
}

QChart* make_timeline(const std::vector<NamedEstimate>& plans) {
  QChart* chart = chart_titled("Timeline: stages and growth transitions");
  auto* series = new QHorizontalStackedBarSeries;
  std::vector<QBarSet*> stages, growth;
  // Alternate training and growth-transition segments: stage 1, growth, stage 2, ...
  for (size_t i = 0; i < max_stages(plans); ++i) {
    if (i > 0) {
      auto* grow = new QBarSet(i == 1 ? QString("growth") : QString("growth %1").arg(i + 1));
      for (const auto& p : plans) {
        const auto& st = p.estimate.stages;
        *grow << (i < st.size() ? st[i].growth_transition_s / planner::kSecondsPerDay : 0.0);
      }
      series->append(grow);
      growth.push_back(grow);
    }
    auto* set = new QBarSet(QString("stage %1").arg(i + 1));
    for (const auto& p : plans) {
      const auto& st = p.estimate.stages;
      *set << (i < st.size() ? (st[i].costs.seconds - st[i].growth_transition_s) / planner::kSecondsPerDay : 0.0);
    }
    series->append(set);
    stages.push_back(set);
  }
  double top = 0;
  for (const auto& p : plans) top = std::max(top, p.estimate.total.seconds / planner::kSecondsPerDay);
  QCategoryAxis* days = add_category_series(chart, series, plan_names(plans), Qt::AlignLeft, "days from start");
  set_nice_range(days, 0, top, duration_unit(planner::kSecondsPerDay), 6);
  colour_stages_and_growth(chart, series, stages, growth);
  chart->legend()->setAlignment(Qt::AlignBottom);
  return chart;
}

QChart* make_cost_carbon_scatter(const std::vector<NamedEstimate>& plans) {
  QChart* chart = chart_titled("Cost vs CO2e (point label: days)");
  const XyAxes axes = add_xy_axes(chart, "cost", "CO2e");
  double max_x = 0, max_y = 0;
  for (const auto& p : plans) {
    auto* s = new QScatterSeries;
    const auto& t = p.estimate.total;
    s->setName(p.name);
    s->append(t.cost_usd, t.co2e_kg / 1000.0);
    s->setMarkerSize(14);
    s->setPointLabelsVisible(true);
    s->setPointLabelsFormat(QString("%1 d").arg(t.seconds / planner::kSecondsPerDay, 0, 'f', 1));
    s->setPointLabelsColor(axes.x->labelsColor());
    add_xy_series(chart, s, axes);
    max_x = std::max(max_x, t.cost_usd);
    max_y = std::max(max_y, t.co2e_kg / 1000.0);
  }
  // Room around the points for their labels.
  set_nice_range(axes.x, 0, max_x * 1.1, usd_unit(), 6);
  set_nice_range(axes.y, 0, max_y * 1.15, mass_unit(1000), 5);
  chart->legend()->setAlignment(Qt::AlignBottom);
  chart->legend()->setShowToolTips(true);  // a name cut to fit shows whole on hover
  return chart;
}

QChart* make_band_bars(const QString& title, const std::vector<Band>& bands, const AxisUnit& unit,
                       const QString& axis_title) {
  QChart* chart = chart_titled(title);
  // One horizontal bar per plan from P10 to P90, split at P50: stacked on an
  // invisible bar up to P10, so names read in full on the left.
  auto* series = new QHorizontalStackedBarSeries;
  auto* below = new QBarSet("below P10");
  auto* low = new QBarSet("P10 to P50");
  auto* high = new QBarSet("P50 to P90");
  QStringList names;
  double top = 0;
  for (const auto& b : bands) {
    *below << b.p10;
    *low << b.p50 - b.p10;
    *high << b.p90 - b.p50;
    names << b.name;
    top = std::max(top, b.p90);
  }
  series->append({below, low, high});
  set_nice_range(add_category_series(chart, series, names, Qt::AlignLeft, axis_title), 0, top * 1.05, unit, 6);
  below->setColor(Qt::transparent);
  below->setBorderColor(Qt::transparent);
  for (QLegendMarker* m : chart->legend()->markers(series)) m->setVisible(m->label() != below->label());
  chart->legend()->setAlignment(Qt::AlignBottom);
  return chart;
}

QChart* make_placeholder(const QString& title) {
  QChart* chart = chart_titled(title);
  chart->legend()->hide();
  return chart;
}

QChart* make_region_bars(const std::vector<std::pair<QString, double>>& tonnes_by_region) {
  QChart* chart = chart_titled("Operational CO2e of this plan by region (grid mean x PUE)");
  double top = 0;
  for (const auto& [name, t] : tonnes_by_region) top = std::max(top, t);
  // One unit for the axis and the bar labels: bars are drawn in it (t, kg or g).
  const UnitStep shown = unit_step_for(mass_unit(1000), top);
  auto* series = new QBarSeries;
  auto* set = new QBarSet("operational CO2e");
  QStringList names;
  for (const auto& [name, t] : tonnes_by_region) {
    names << name;
    *set << t / shown.size;
  }
  series->append(set);
  QCategoryAxis* values = add_category_series(chart, series, names, Qt::AlignBottom, "operational CO2e");
  // Above the bar, not inside it: a short bar has no room for its label.
  series->setLabelsVisible(true);
  series->setLabelsPosition(QAbstractBarSeries::LabelsOutsideEnd);
  series->setLabelsFormat("@value" + shown.suffix);
  series->setLabelsPrecision(3);
  set->setLabelColor(values->labelsColor());
  // Headroom for the label over the tallest bar.
  set_nice_range(values, 0, top / shown.size * 1.12, plain_unit(shown.suffix), 6);
  chart->legend()->hide();
  return chart;
}

}  // namespace sprout::gui
