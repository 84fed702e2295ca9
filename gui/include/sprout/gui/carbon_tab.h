// SPDX-License-Identifier: GPL-3.0-or-later
// Where the electricity comes from: the current plan's emissions in every
// region profile (annual-mean grid intensity x PUE), and, once an hourly
// trace is loaded, what a carbon-aware start time or pausing in dirty hours
// saves before a deadline (the simulator's carbon-aware modes).
#pragma once

#include <QDateTime>
#include <QWidget>
#include <optional>
#include <utility>
#include <vector>

#include "sprout/simulator/carbon/carbon_trace.h"
#include "sprout/simulator/run/simulation.h"

class QComboBox;
class QDateTimeEdit;
class QLabel;

namespace sprout::gui {

class BackgroundTask;
class ChartBox;
class PlanDocument;

class CarbonTab : public QWidget {
  Q_OBJECT

 public:
  explicit CarbonTab(PlanDocument* document, QWidget* parent = nullptr);
  // (region, operational tCO2e) for the current plan, in profile order.
  const std::vector<std::pair<QString, double>>& by_region() const { return by_region_; }
  ChartBox* chart() const { return chart_; }

  // Loads an hourly trace (Electricity Maps CSV) and sets the window to the
  // whole trace (start and deadline stay within it). Returns false with the
  // simulator's message shown.
  bool load_trace(const QString& path);
  void set_window(const QDateTime& start_utc, const QDateTime& deadline_utc);
  // Simulates the plan with the carbon-aware mode (start | pause) in the
  // background; `result()` holds the outcome when the task finishes.
  void run_carbon_aware(simulator::CarbonAwareMode mode, long long trials = 400);
  const std::optional<simulator::CarbonAwareResult>& result() const { return result_; }
  BackgroundTask* task() const { return task_; }
  QLabel* result_label() const { return result_label_; }
  ChartBox* trace_chart() const { return trace_chart_; }
  QDateTimeEdit* start_edit() const { return start_; }
  QDateTimeEdit* deadline_edit() const { return deadline_; }

 private:
  void refresh();
  void show_trace();
  void show_error(const QString& text);
  PlanDocument* document_;
  ChartBox* chart_;
  std::vector<std::pair<QString, double>> by_region_;
  std::optional<simulator::CarbonTrace> trace_;
  QString trace_path_;
  QComboBox* trace_box_;
  QDateTimeEdit* start_;
  QDateTimeEdit* deadline_;
  QComboBox* mode_;
  QLabel* result_label_;
  ChartBox* trace_chart_;
  BackgroundTask* task_;
  std::optional<simulator::CarbonAwareResult> result_;
};

}  // namespace sprout::gui
