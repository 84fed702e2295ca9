// SPDX-License-Identifier: GPL-3.0-or-later
// A sprout-train run directory over the prediction: loss, throughput and the
// cumulative time, cost, energy and CO2e against tokens trained, growth events
// marked, the stage-by-stage comparison table (planner::compare_run), and a
// live refresh while the run is still writing.
#pragma once

#include <QFileSystemWatcher>
#include <QTimer>
#include <QWidget>
#include <optional>

#include "sprout/planner/runs/run_comparison.h"
#include "sprout/planner/runs/run_record.h"

class QComboBox;
class QLabel;
class QTableWidget;

namespace sprout::gui {

class ChartBox;
class PlanDocument;

enum class RunMetric { kSeconds, kCostUsd, kEnergyKwh, kCo2eKg };

class RunTab : public QWidget {
  Q_OBJECT

 public:
  explicit RunTab(PlanDocument* document, QWidget* parent = nullptr);

  // Reads the run and draws it over the prediction of the open plan (or of
  // the run's own plan.yaml when the open plan is another). Returns false
  // with the reason in `error()` for a directory the planner rejects.
  bool open_run(const QString& dir);
  // Re-reads the run directory (also called by the file watcher).
  void reload();
  QString error() const { return error_; }

  const std::optional<planner::RunComparison>& comparison() const { return comparison_; }
  const std::optional<planner::RunRecord>& run() const { return run_; }
  ChartBox* loss_chart() const { return loss_chart_; }
  ChartBox* cumulative_chart() const { return cumulative_chart_; }
  ChartBox* throughput_chart() const { return throughput_chart_; }
  QTableWidget* table() const { return table_; }
  void set_metric(RunMetric metric);

 signals:
  void message(const QString& text, bool is_error);

 private:
  void redraw();
  void draw_loss();
  void draw_cumulative();
  void draw_throughput();

  PlanDocument* document_;
  QString dir_;
  QString error_;
  std::optional<planner::RunRecord> run_;
  std::optional<planner::PlanEstimate> estimate_;
  std::optional<planner::RunComparison> comparison_;
  QLabel* status_;
  QComboBox* metric_;
  QTableWidget* table_;
  ChartBox* loss_chart_;
  ChartBox* cumulative_chart_;
  ChartBox* throughput_chart_;
  QFileSystemWatcher watcher_;
  QTimer debounce_;
};

}  // namespace sprout::gui
