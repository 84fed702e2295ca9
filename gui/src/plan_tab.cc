// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/gui/plan_tab.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

#include "sprout/gui/cluster_editor.h"
#include "sprout/gui/estimate_panel.h"
#include "sprout/gui/palette_colors.h"
#include "sprout/gui/plan_document.h"
#include "sprout/gui/stages_model.h"

namespace sprout::gui {

PlanTab::PlanTab(PlanDocument* document, QWidget* parent) : QWidget(parent), document_(document) {
  cluster_ = new ClusterEditor(ClusterEditor::Layout::kTwoColumns, this);
  cluster_->setObjectName("planCluster");

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
  field_error_->setStyleSheet(message_style(palette(), true));
  field_error_->hide();

  estimate_ = new EstimatePanel(document_, this);

  auto* editor = new QWidget(this);
  auto* editor_layout = new QVBoxLayout(editor);
  editor_layout->setContentsMargins(0, 0, 0, 0);
  editor_layout->addWidget(cluster_);
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

  connect(cluster_, &ClusterEditor::edited, this, [this](const QString& key, const QString& value) {
    if (document_->top_value(key) != value) document_->set_top_value(key, value);
  });
  connect(model_, &StagesModel::input_rejected, this, [this](const QString& field, const QString& why) {
    field_error_->setText(QString("<b>%1</b>: %2").arg(field.toHtmlEscaped(), why.toHtmlEscaped()));
    field_error_->show();
  });
  connect(document_, &PlanDocument::changed, this, &PlanTab::refresh_controls);
  refresh_controls();
}

int PlanTab::current_stage() const {
  const QModelIndex i = stages_view_->currentIndex();
  return i.isValid() ? i.row() : document_->stage_count() - 1;
}

void PlanTab::refresh_controls() {
  cluster_->show_values([this](const QString& key) { return document_->top_value(key); });
  const auto& err = document_->error();
  field_error_->setVisible(err.has_value());
  if (err)
    field_error_->setText(QString("<b>%1</b>: %2").arg(err->field.toHtmlEscaped(), err->message.toHtmlEscaped()));
  setEnabled(document_->stage_count() > 0);
}

}  // namespace sprout::gui
