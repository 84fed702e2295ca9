// SPDX-License-Identifier: GPL-3.0-or-later
// Budget mode: "I have $100K, this hardware, this region: which growth
// schedule?" The schedule search (planner::search_schedules) in the
// background; the ranked Pareto front and the from-scratch baseline, with what
// each buys; one click makes a candidate the plan being edited.
#pragma once

#include <QWidget>
#include <functional>
#include <optional>

#include "sprout/planner/search/schedule_search.h"

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QTableWidget;

namespace sprout::gui {

class BackgroundTask;
class ChartBox;
class ClusterEditor;
class PlanDocument;

class BudgetTab : public QWidget {
  Q_OBJECT

 public:
  explicit BudgetTab(PlanDocument* document, QWidget* parent = nullptr);

  void set_budget_usd(double usd);
  void set_target_params(double params);
  void set_hardware(const QString& name, int gpus);
  void set_region(const QString& name);
  // The percentile of the simulated run (failures and restarts included) the
  // limits must hold at: 0.5 (the default) or 0.9; nothing for the
  // failure-free costs (sprout search --confidence).
  void set_confidence(std::optional<double> percentile);
  // Starts the search in the background; result() when the task finishes.
  void run_search();
  const std::optional<planner::SearchResult>& result() const { return result_; }
  // Makes candidate `rank` (0 = best; the scratch baseline after the ranked
  // ones) the document's plan, if the replace guard agrees.
  bool use_candidate(int rank);
  // Asked before the document is replaced (unsaved edits); false keeps it.
  void set_replace_guard(std::function<bool()> guard) { replace_guard_ = std::move(guard); }

  BackgroundTask* task() const { return task_; }
  QTableWidget* table() const { return table_; }  // sortable: a row's rank is rank_at_row(row)
  int rank_at_row(int row) const;
  ChartBox* chart() const { return chart_; }
  ClusterEditor* cluster_editor() const { return cluster_; }
  QLabel* summary() const { return summary_; }

 signals:
  void plan_chosen();

 private:
  void show_result();

  PlanDocument* document_;
  ClusterEditor* cluster_;
  QDoubleSpinBox* budget_;
  QLineEdit* target_;
  QDoubleSpinBox* deadline_days_;
  QDoubleSpinBox* max_co2e_t_;
  QComboBox* confidence_;
  QTableWidget* table_;
  QLabel* summary_;
  ChartBox* chart_;
  BackgroundTask* task_;
  std::optional<planner::SearchResult> result_;
  std::function<bool()> replace_guard_;
};

}  // namespace sprout::gui
