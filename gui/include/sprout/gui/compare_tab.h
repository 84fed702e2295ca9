// SPDX-License-Identifier: GPL-3.0-or-later
// Two or more plans side by side: a totals table (sortable) and charts
// (cost/time/CO2 by stage, a timeline with growth transitions, cost vs CO2e,
// the simulated P10/P50/P90), exportable as CSV. The risk is simulated in the
// background for every plan that has none yet, once the tab is shown; the
// chart says so while it computes.
#pragma once

#include <QTimer>
#include <QWidget>
#include <map>
#include <vector>

#include "sprout/gui/charts.h"
#include "sprout/simulator/run/monte_carlo.h"

class QCheckBox;
class QComboBox;
class QTableWidget;

namespace sprout::gui {

class BackgroundTask;
class ChartBox;
class PlanDocument;

class CompareTab : public QWidget {
  Q_OBJECT

 public:
  explicit CompareTab(PlanDocument* document, QWidget* parent = nullptr);

  // Adds a plan file; returns false and sets `error` when the planner rejects it.
  bool add_plan_file(const QString& path, QString* error = nullptr);
  void add_estimate(const NamedEstimate& estimate, const planner::Plan& plan);
  void clear_added();
  // Current plan (if any) + added plans (+ from-scratch baselines when ticked).
  std::vector<NamedEstimate> plans() const;
  bool write_csv(const QString& path, QString* error = nullptr) const;
  // Monte Carlo of every compared plan in the background (P10/P50/P90), again.
  void simulate_risk(long long trials = 2000);
  BackgroundTask* task() const { return task_; }
  const std::map<QString, simulator::MetricBands>& risk() const { return risk_; }
  ChartBox* risk_chart() const { return risk_chart_; }
  QTableWidget* table() const { return table_; }
  ChartBox* bars() const { return bars_; }
  ChartBox* timeline() const { return timeline_; }
  ChartBox* scatter() const { return scatter_; }

 signals:
  void message(const QString& text, bool is_error);

 protected:
  void showEvent(QShowEvent* event) override;

 private:
  void refresh();
  std::vector<planner::Plan> simulation_inputs() const;
  void simulate_missing_risk();
  void run_simulations(std::vector<planner::Plan> inputs, long long trials);

  PlanDocument* document_;
  std::vector<NamedEstimate> added_;
  std::vector<planner::Plan> added_plans_;          // parallel to added_ (simulation input)
  std::map<QString, simulator::MetricBands> risk_;  // by plan name
  QTableWidget* table_;
  QComboBox* metric_;
  QCheckBox* baselines_;
  ChartBox* bars_;
  ChartBox* timeline_;
  ChartBox* scatter_;
  ChartBox* risk_chart_;
  BackgroundTask* task_;
  QTimer risk_timer_;
  bool risk_wanted_ = false;  // asked for while hidden
  int generation_ = 0;        // counts the current plan's estimates
};

}  // namespace sprout::gui
