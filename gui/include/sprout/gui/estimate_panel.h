// SPDX-License-Identifier: GPL-3.0-or-later
// Per-stage and total results of the planner for the current plan: params,
// FLOPs, layout, TFLOP/s, MFU, memory, days, GPU-hours, USD, energy, CO2e.
// Updates on every valid edit; when the draft is invalid it keeps the last
// valid numbers and says so.
#pragma once

#include <QWidget>

class QLabel;
class QTableWidget;

namespace sprout::gui {

class PlanDocument;

class EstimatePanel : public QWidget {
  Q_OBJECT

 public:
  explicit EstimatePanel(PlanDocument* document, QWidget* parent = nullptr);

  // Text of a total by key ("days", "gpu_hours", "cost_usd", "energy_kwh",
  // "co2e_kg", "params", "flops"), as shown.
  QString total_text(const QString& key) const;
  QTableWidget* table() const { return table_; }

 private:
  void refresh();

  PlanDocument* document_;
  QLabel* headline_;
  QLabel* status_;
  QTableWidget* table_;
};

}  // namespace sprout::gui
