// SPDX-License-Identifier: GPL-3.0-or-later
// A chart with a Save button: PNG (rendered at the screen's device pixel
// ratio) or SVG, chosen by the file name.
#pragma once

#include <QChartView>
#include <QWidget>

namespace sprout::gui {

// Writes a widget to `path` (.png or .svg), atomically. Returns false with
// `error` set.
bool save_widget(QWidget* widget, const QString& path, QString* error = nullptr);
// Writes the view to `path` (.png or .svg). Returns false with `error` set.
bool save_chart(QChartView* view, const QString& path, QString* error = nullptr);

class ChartBox : public QWidget {
  Q_OBJECT

 public:
  explicit ChartBox(QWidget* parent = nullptr);
  void set_chart(QChart* chart);  // takes ownership, replaces the previous one
  QChartView* view() const { return view_; }

 private:
  void save_dialog();
  QChartView* view_;
};

}  // namespace sprout::gui
