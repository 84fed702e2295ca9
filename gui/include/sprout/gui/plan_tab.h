// SPDX-License-Identifier: GPL-3.0-or-later
// Editing a plan: hardware, GPUs, region, price and power model; the stages
// table (add, remove, reorder); the planner's errors next to the field; the
// estimate below, updated as the user types.
#pragma once

#include <QWidget>

class QLabel;
class QTableView;

namespace sprout::gui {

class ClusterEditor;
class EstimatePanel;
class PlanDocument;
class StagesModel;

class PlanTab : public QWidget {
  Q_OBJECT

 public:
  explicit PlanTab(PlanDocument* document, QWidget* parent = nullptr);

  ClusterEditor* cluster_editor() const { return cluster_; }
  QTableView* stages_view() const { return stages_view_; }
  StagesModel* stages_model() const { return model_; }
  EstimatePanel* estimate_panel() const { return estimate_; }
  // The planner's error about the draft, or why a typed value was not taken.
  QLabel* field_error() const { return field_error_; }

 private:
  void refresh_controls();
  int current_stage() const;

  PlanDocument* document_;
  ClusterEditor* cluster_;
  QTableView* stages_view_;
  StagesModel* model_;
  QLabel* field_error_;
  EstimatePanel* estimate_;
};

}  // namespace sprout::gui
