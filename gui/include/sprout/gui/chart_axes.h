// SPDX-License-Identifier: GPL-3.0-or-later
// The charts' axes: values labelled by nice_axis (800K, $100K, 2.5 t) and time
// in UTC. Both are a QCategoryAxis with one label on each tick: QValueAxis'
// printf formats know no SI suffixes, and QDateTimeAxis shows local time
// whatever the axis title says.
#pragma once

#include <QCategoryAxis>
#include <QChart>
#include <QStringList>

#include "sprout/gui/nice_axis.h"

namespace sprout::gui {

QCategoryAxis* new_value_axis(const QString& title);
// Covers [min, max] with nice ticks, labelled in `unit`; call after the
// series are attached (attaching rescales the axis). Returns the ticks.
AxisTicks set_nice_range(QCategoryAxis* axis, double min, double max, const AxisUnit& unit, int max_ticks = 7);
// Covers [from_s, to_s] (Unix seconds, the series' x values), labelled in UTC.
void set_utc_range(QCategoryAxis* axis, long long from_s, long long to_s, int max_ticks = 8);

// Value axes at the bottom (x) and on the left (y) of a chart.
struct XyAxes {
  QCategoryAxis* x;
  QCategoryAxis* y;
};
XyAxes add_xy_axes(QChart* chart, const QString& x_title, const QString& y_title);
void add_xy_series(QChart* chart, QAbstractSeries* series, const XyAxes& axes);

// A series with one bar (stack, box) per category: the names on a category
// axis at `names_side`, values on the other side. Returns the value axis.
QCategoryAxis* add_category_series(QChart* chart, QAbstractSeries* series, const QStringList& names,
                                   Qt::Alignment names_side, const QString& value_title);

}  // namespace sprout::gui
