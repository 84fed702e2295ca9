// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/gui/chart_axes.h"

#include <QAbstractSeries>
#include <QBarCategoryAxis>

namespace sprout::gui {
namespace {

// Replaces the axis' labels; the first tick is the start of the axis.
void set_labels(QCategoryAxis* axis, double lo, double hi, const std::vector<double>& at, const QStringList& labels) {
  for (const QString& old : axis->categoriesLabels()) axis->remove(old);
  axis->setStartValue(lo);
  axis->setRange(lo, hi);
  for (size_t i = 0; i < at.size(); ++i) axis->append(labels[static_cast<int>(i)], at[i]);
}

}  // namespace

QCategoryAxis* new_value_axis(const QString& title) {
  auto* axis = new QCategoryAxis;
  axis->setTitleText(title);
  axis->setLabelsPosition(QCategoryAxis::AxisLabelsPositionOnValue);
  return axis;
}

AxisTicks set_nice_range(QCategoryAxis* axis, double min, double max, const AxisUnit& unit, int max_ticks) {
  AxisTicks ticks = nice_axis(min, max, unit, max_ticks);
  set_labels(axis, ticks.scale.lo, ticks.scale.hi, ticks.values, ticks.labels);
  return ticks;
}

void set_utc_range(QCategoryAxis* axis, long long from_s, long long to_s, int max_ticks) {
  const TimeTicks ticks = utc_time_ticks(from_s, to_s, max_ticks);
  const std::vector<double> at(ticks.unix_s.begin(), ticks.unix_s.end());
  set_labels(axis, static_cast<double>(from_s), static_cast<double>(std::max(to_s, from_s + 1)), at, ticks.labels);
}

XyAxes add_xy_axes(QChart* chart, const QString& x_title, const QString& y_title) {
  XyAxes axes{new_value_axis(x_title), new_value_axis(y_title)};
  chart->addAxis(axes.x, Qt::AlignBottom);
  chart->addAxis(axes.y, Qt::AlignLeft);
  return axes;
}

void add_xy_series(QChart* chart, QAbstractSeries* series, const XyAxes& axes) {
  chart->addSeries(series);
  series->attachAxis(axes.x);
  series->attachAxis(axes.y);
}

QCategoryAxis* add_category_series(QChart* chart, QAbstractSeries* series, const QStringList& names,
                                   Qt::Alignment names_side, const QString& value_title) {
  chart->addSeries(series);
  auto* categories = new QBarCategoryAxis;
  categories->append(names);
  chart->addAxis(categories, names_side);
  series->attachAxis(categories);
  QCategoryAxis* values = new_value_axis(value_title);
  chart->addAxis(values, names_side == Qt::AlignBottom ? Qt::AlignLeft : Qt::AlignBottom);
  series->attachAxis(values);
  return values;
}

}  // namespace sprout::gui
