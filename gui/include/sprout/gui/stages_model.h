// SPDX-License-Identifier: GPL-3.0-or-later
// The stages of the plan as an editable table: one row per stage, one column
// per plan key. A cell whose key the planner rejects is painted red and
// carries the planner's message as its tooltip.
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

 private:
  PlanDocument* document_;
};

}  // namespace sprout::gui
