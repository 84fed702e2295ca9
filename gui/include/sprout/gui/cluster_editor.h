// SPDX-License-Identifier: GPL-3.0-or-later
// The five fields of a cluster (planner::Cluster): hardware, GPUs, region,
// price per GPU-hour and power model, as the Plan tab edits them in the plan
// and the Budget tab gives them to the schedule search. Values are the plan
// file's spelling, by its keys ("hardware", "gpus", "region",
// "price_usd_per_gpu_hour", "power_model").
#pragma once

#include <QFormLayout>
#include <QStringList>
#include <QWidget>
#include <functional>
#include <optional>

#include "sprout/planner/io/cluster_overrides.h"

class QComboBox;
class QLineEdit;
class QSpinBox;

namespace sprout::gui {

class ClusterEditor : public QWidget {
  Q_OBJECT

 public:
  // kTwoColumns: hardware, GPUs, region | price, power model (the Plan tab's
  // strip); kOneColumn: one form, which form() lets the owner add rows to.
  enum class Layout { kOneColumn, kTwoColumns };
  explicit ClusterEditor(Layout layout, QWidget* parent = nullptr);

  static const QStringList& keys();
  QString value(const QString& key) const;
  // Shows the values without emitting edited(); a profile given by path joins its list.
  void show_values(const std::function<QString(const QString& key)>& value_of);
  void set_value(const QString& key, const QString& value);
  // The fields as the schedule search's cluster; empty with `error` set when
  // the price is not a number.
  std::optional<planner::ClusterOverrides> overrides(QString* error) const;
  QFormLayout* form() const { return form_; }

 signals:
  // The user changed a field (its key, its new value).
  void edited(const QString& key, const QString& value);

 private:
  QComboBox* hardware_;
  QSpinBox* gpus_;
  QComboBox* region_;
  QLineEdit* price_;
  QComboBox* power_model_;
  QFormLayout* form_;
};

}  // namespace sprout::gui
