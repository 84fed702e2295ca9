// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/gui/export_dialog.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

#include "sprout/gui/palette_colors.h"
#include "sprout/gui/plan_document.h"
#include "sprout/planner/export/cluster_export.h"

namespace sprout::gui {

ExportDialog::ExportDialog(PlanDocument* document, QWidget* parent) : QDialog(parent), document_(document) {
  setWindowTitle(tr("Export to a cluster"));
  auto* form = new QFormLayout;
  target_ = new QComboBox(this);
  target_->addItem("Slurm (sbatch script)", static_cast<int>(planner::ExportTarget::kSlurm));
  target_->addItem("Kubernetes (Indexed Job)", static_cast<int>(planner::ExportTarget::kKubernetes));
  out_dir_ = new QLineEdit(QDir::current().filePath("export"), this);
  auto* browse = new QPushButton(tr("Browse…"), this);
  auto* dir_row = new QHBoxLayout;
  dir_row->addWidget(out_dir_, 1);
  dir_row->addWidget(browse);
  nodes_ = new QSpinBox(this);
  nodes_->setRange(0, 100000);
  nodes_->setSpecialValueText(tr("auto"));
  gpus_per_node_ = new QSpinBox(this);
  gpus_per_node_->setRange(0, 1024);
  gpus_per_node_->setSpecialValueText(tr("profile"));
  partition_ = new QLineEdit(this);
  account_ = new QLineEdit(this);
  time_ = new QLineEdit(this);
  time_->setPlaceholderText("HH:MM:SS or D-HH:MM:SS");
  container_ = new QLineEdit(this);
  container_->setPlaceholderText(tr("image with sprout-train (required for Kubernetes)"));
  form->addRow(tr("Target"), target_);
  form->addRow(tr("Output directory"), dir_row);
  form->addRow(tr("Nodes"), nodes_);
  form->addRow(tr("GPUs per node"), gpus_per_node_);
  form->addRow(tr("Slurm partition"), partition_);
  form->addRow(tr("Slurm account"), account_);
  form->addRow(tr("Slurm time limit"), time_);
  form->addRow(tr("Container image"), container_);
  result_ = new QLabel(this);
  result_->setObjectName("exportResult");
  result_->setWordWrap(true);
  result_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
  auto* go = buttons->addButton(tr("Export"), QDialogButtonBox::ActionRole);
  go->setObjectName("doExport");
  auto* layout = new QVBoxLayout(this);
  layout->addLayout(form);
  layout->addWidget(result_);
  layout->addWidget(buttons);
  connect(browse, &QPushButton::clicked, this, [this] {
    const QString d = QFileDialog::getExistingDirectory(this, tr("Export to"), out_dir_->text());
    if (!d.isEmpty()) out_dir_->setText(d);
  });
  connect(go, &QPushButton::clicked, this, &ExportDialog::run_export);
  connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
}

bool ExportDialog::run_export() {
  if (!document_->has_plan() || document_->error()) {
    result_->setText(tr("Fix the plan's errors first."));
    return false;
  }
  planner::ExportOptions o;
  o.target = static_cast<planner::ExportTarget>(target_->currentData().toInt());
  o.out_dir = out_dir_->text().toStdString();
  o.nodes = nodes_->value();
  o.gpus_per_node = gpus_per_node_->value();
  o.partition = partition_->text().toStdString();
  o.account = account_->text().toStdString();
  o.time_limit = time_->text().toStdString();
  o.container_image = container_->text().toStdString();
  try {
    const auto r = planner::export_plan(document_->plan(), *document_->estimate(), o);
    QString text = QString::fromStdString(r.summary) + "\n";
    for (const auto& f : r.files) text += "  " + QString::fromStdString(f) + "\n";
    result_->setStyleSheet("");
    result_->setText(text);
    return true;
  } catch (const std::exception& e) {
    result_->setStyleSheet(QString("color: %1;").arg(error_text(palette()).name()));
    result_->setText(QString::fromStdString(e.what()));
    return false;
  }
}

}  // namespace sprout::gui
