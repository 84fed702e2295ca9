// SPDX-License-Identifier: GPL-3.0-or-later
// The stages of the plan as an editable table: one row per stage, one column
// per plan key. A cell whose key the planner rejects is painted red and
// carries the planner's message as its tooltip. Tokens and batch tokens show
// as 245.37B / 4.72M and take either form (or plain numbers) when edited;
// text that is no count is not taken, and input_rejected says why.
#pragma once

#include <QAbstractTableModel>
#include <QStringList>

#include "sprout/gui/plan_document.h"

namespace sprout::gui {

class StagesModel : public QAbstractTableModel {
  Q_OBJECT

 public:
  explicit StagesModel(PlanDocument* document, QObject* parent = nullptr);

  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role) const override;
  bool setData(const QModelIndex& index, const QVariant& value, int role) override;
  QVariant headerData(int section, Qt::Orientation orientation, int role) const override;
  Qt::ItemFlags flags(const QModelIndex& index) const override;

  // Plan keys of the columns ("layers", "parallel.tp", "grow.grow_steps").
  static const QStringList& column_keys();
  int column_of(const QString& key) const;
  // The cell the current error is about, if it names a stage field.
  QModelIndex error_index() const;

 signals:
  // A typed value was not taken: the field ("stages[1].tokens") and why.
  void input_rejected(const QString& field, const QString& why);

 private:
  PlanDocument* document_;
  int rows_ = 0;  // the row count the views know
};

}  // namespace sprout::gui
