// SPDX-License-Identifier: GPL-3.0-or-later
// Export the current plan to Slurm or Kubernetes: the same code as
// `sprout export` (planner::export_plan). Shows where the files went.
#pragma once

#include <QDialog>

class QComboBox;
class QLabel;
class QLineEdit;
class QSpinBox;

namespace sprout::gui {

class PlanDocument;

class ExportDialog : public QDialog {
  Q_OBJECT

 public:
  ExportDialog(PlanDocument* document, QWidget* parent = nullptr);

  // Runs the export with the dialog's settings; returns false with the
  // planner's message shown in the dialog.
  bool run_export();
  QLabel* result_label() const { return result_; }
  QLineEdit* out_dir() const { return out_dir_; }
  QComboBox* target() const { return target_; }
  QLineEdit* container() const { return container_; }

 private:
  PlanDocument* document_;
  QComboBox* target_;
  QLineEdit* out_dir_;
  QSpinBox* nodes_;
  QSpinBox* gpus_per_node_;
  QLineEdit* partition_;
  QLineEdit* account_;
  QLineEdit* time_;
  QLineEdit* container_;
  QLabel* result_;
};

}  // namespace sprout::gui
