// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/gui/plan_tab.h"

#include <QComboBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

#include "sprout/gui/estimate_panel.h"
#include "sprout/gui/plan_document.h"
#include "sprout/gui/stages_model.h"
#include "sprout/planner/io/plan_loader.h"

namespace sprout::gui {

static QStringList profile_names(const char* kind) {
  QStringList out;
  for (const auto& n : planner::list_profiles(kind)) out << QString::fromStdString(n);
  return out;
}

PlanTab::PlanTab(PlanDocument* document, QWidget* parent) : QWidget(parent), document_(document) {
  auto* top = new QHBoxLayout;
  auto* form_left = new QFormLayout;
  auto* form_right = new QFormLayout;
  hardware_ = new QComboBox(this);
  hardware_->setObjectName("hardware");
  hardware_->addItems(profile_names("hardware"));
  gpus_ = new QSpinBox(this);
  gpus_->setObjectName("gpus");
  gpus_->setRange(1, 1000000);
  gpus_->setKeyboardTracking(false);
  region_ = new QComboBox(this);
  region_->setObjectName("region");
  region_->addItems(profile_names("regions"));
  price_ = new QLineEdit(this);
  price_->setObjectName("price");
  price_->setPlaceholderText(tr("hardware default"));
  price_->setToolTip(tr("USD per GPU-hour; empty = the hardware profile's price"));
  power_model_ = new QComboBox(this);
  power_model_->setObjectName("powerModel");
  for (const std::string& name : planner::EnumNames<planner::PowerModel>::names()) {
    power_model_->addItem(QString::fromStdString(name));  // the plan file's spelling
  }
  power_model_->setToolTip(tr("tdp: GPU-hours x TDP x PUE (as papers report); typical: measured draw + node overhead"));
  form_left->addRow(tr("&Hardware"), hardware_);
  form_left->addRow(tr("&GPUs"), gpus_);
  form_left->addRow(tr("&Region"), region_);
  form_right->addRow(tr("&Price $/GPU-h"), price_);
  form_right->addRow(tr("Po&wer model"), power_model_);
  top->addLayout(form_left);
  top->addLayout(form_right);
  top->addStretch();

  model_ = new StagesModel(document_, this);
  stages_view_ = new QTableView(this);
  stages_view_->setObjectName("stagesView");
  stages_view_->setModel(model_);
  stages_view_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
  stages_view_->setSelectionBehavior(QAbstractItemView::SelectItems);
  stages_view_->setEditTriggers(QAbstractItemView::AllEditTriggers);

  auto* buttons = new QHBoxLayout;
  auto add_button = [&](const QString& text, const char* name, auto&& action) {
    auto* b = new QPushButton(text, this);
    b->setObjectName(name);
    buttons->addWidget(b);
    connect(b, &QPushButton::clicked, this, action);
  };
  add_button(tr("Add stage"), "addStage", [this] { document_->add_stage_after(current_stage()); });
  add_button(tr("Remove stage"), "removeStage", [this] { document_->remove_stage(current_stage()); });
  add_button(tr("Move up"), "moveUp", [this] { document_->move_stage(current_stage(), -1); });
  add_button(tr("Move down"), "moveDown", [this] { document_->move_stage(current_stage(), +1); });
  buttons->addStretch();

  field_error_ = new QLabel(this);
  field_error_->setObjectName("fieldError");
  field_error_->setWordWrap(true);
  field_error_->setStyleSheet("QLabel { background: #ffe0e0; color: #8b0000; padding: 4px; border-radius: 3px; }");
  field_error_->hide();

  estimate_ = new EstimatePanel(document_, this);

  auto* editor = new QWidget(this);
  auto* editor_layout = new QVBoxLayout(editor);
  editor_layout->setContentsMargins(0, 0, 0, 0);
  editor_layout->addLayout(top);
  editor_layout->addWidget(stages_view_, 1);
  editor_layout->addLayout(buttons);
  editor_layout->addWidget(field_error_);
  auto* split = new QSplitter(Qt::Vertical, this);
  split->addWidget(editor);
  split->addWidget(estimate_);
  split->setStretchFactor(0, 1);
  split->setStretchFactor(1, 1);
  auto* layout = new QVBoxLayout(this);
  layout->addWidget(split);

  connect(hardware_, &QComboBox::textActivated, this,
          [this](const QString& v) { document_->set_top_value("hardware", v); });
  connect(gpus_, &QSpinBox::valueChanged, this, [this](int v) {
    if (document_->top_value("gpus") != QString::number(v)) document_->set_top_value("gpus", QString::number(v));
  });
  connect(region_, &QComboBox::textActivated, this,
          [this](const QString& v) { document_->set_top_value("region", v); });
  connect(price_, &QLineEdit::editingFinished, this, [this] {
    if (price_->text() != document_->top_value("price_usd_per_gpu_hour")) {
      document_->set_top_value("price_usd_per_gpu_hour", price_->text());
    }
  });
  connect(power_model_, &QComboBox::textActivated, this,
          [this](const QString& v) { document_->set_top_value("power_model", v); });
  connect(document_, &PlanDocument::changed, this, &PlanTab::refresh_controls);
  refresh_controls();
}

int PlanTab::current_stage() const {
  const QModelIndex i = stages_view_->currentIndex();
  return i.isValid() ? i.row() : document_->stage_count() - 1;
}

void PlanTab::refresh_controls() {
  const QSignalBlocker b1(hardware_), b2(gpus_), b3(region_), b4(price_), b5(power_model_);
  auto select = [](QComboBox* box, const QString& value) {
    int i = box->findText(value);
    if (i < 0 && !value.isEmpty()) {
      box->addItem(value);  // a profile given by path
      i = box->count() - 1;
    }
    box->setCurrentIndex(i);
  };
  select(hardware_, document_->top_value("hardware"));
  select(region_, document_->top_value("region"));
  select(power_model_, document_->top_value("power_model"));
  gpus_->setValue(document_->top_value("gpus").toInt());
  price_->setText(document_->top_value("price_usd_per_gpu_hour"));
  const auto& err = document_->error();
  field_error_->setVisible(err.has_value());
  if (err)
    field_error_->setText(QString("<b>%1</b>: %2").arg(err->field.toHtmlEscaped(), err->message.toHtmlEscaped()));
  setEnabled(document_->stage_count() > 0);
}

}  // namespace sprout::gui
