// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/gui/cluster_editor.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QSignalBlocker>
#include <QSpinBox>

#include "sprout/planner/io/plan_loader.h"

namespace sprout::gui {
namespace {

QStringList profile_names(const char* kind) {
  QStringList out;
  for (const auto& n : planner::list_profiles(kind)) out << QString::fromStdString(n);
  return out;
}

// Selects `value`, adding it first when it is not listed (a profile given by path).
void select(QComboBox* box, const QString& value) {
  int i = box->findText(value);
  if (i < 0 && !value.isEmpty()) {
    box->addItem(value);
    i = box->count() - 1;
  }
  box->setCurrentIndex(i);
}

}  // namespace

const QStringList& ClusterEditor::keys() {
  static const QStringList k = {"hardware", "gpus", "region", "price_usd_per_gpu_hour", "power_model"};
  return k;
}

ClusterEditor::ClusterEditor(Layout layout, QWidget* parent) : QWidget(parent) {
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

  form_ = new QFormLayout;
  form_->setContentsMargins(0, 0, 0, 0);
  form_->addRow(tr("&Hardware"), hardware_);
  form_->addRow(tr("&GPUs"), gpus_);
  form_->addRow(tr("&Region"), region_);
  QFormLayout* second = form_;
  auto* outer = new QHBoxLayout(this);
  outer->setContentsMargins(0, 0, 0, 0);
  outer->addLayout(form_);
  if (layout == Layout::kTwoColumns) {
    second = new QFormLayout;
    outer->addLayout(second);
    outer->addStretch();
  }
  second->addRow(tr("&Price $/GPU-h"), price_);
  second->addRow(tr("Po&wer model"), power_model_);

  connect(hardware_, &QComboBox::textActivated, this, [this](const QString& v) { emit edited("hardware", v); });
  connect(gpus_, &QSpinBox::valueChanged, this, [this](int v) { emit edited("gpus", QString::number(v)); });
  connect(region_, &QComboBox::textActivated, this, [this](const QString& v) { emit edited("region", v); });
  connect(price_, &QLineEdit::editingFinished, this,
          [this] { emit edited("price_usd_per_gpu_hour", price_->text().trimmed()); });
  connect(power_model_, &QComboBox::textActivated, this, [this](const QString& v) { emit edited("power_model", v); });
}

QString ClusterEditor::value(const QString& key) const {
  if (key == "hardware") return hardware_->currentText();
  if (key == "gpus") return QString::number(gpus_->value());
  if (key == "region") return region_->currentText();
  if (key == "price_usd_per_gpu_hour") return price_->text().trimmed();
  if (key == "power_model") return power_model_->currentText();
  return {};
}

void ClusterEditor::set_value(const QString& key, const QString& value) {
  const QSignalBlocker b1(hardware_), b2(gpus_), b3(region_), b4(price_), b5(power_model_);
  if (key == "hardware") select(hardware_, value);
  if (key == "gpus") gpus_->setValue(value.toInt());
  if (key == "region") select(region_, value);
  if (key == "price_usd_per_gpu_hour") price_->setText(value);
  if (key == "power_model") select(power_model_, value);
}

void ClusterEditor::show_values(const std::function<QString(const QString& key)>& value_of) {
  for (const QString& key : keys()) set_value(key, value_of(key));
}

std::optional<planner::ClusterOverrides> ClusterEditor::overrides(QString* error) const {
  planner::ClusterOverrides cluster{.hardware = hardware_->currentText().toStdString(),
                                    .gpus = gpus_->value(),
                                    .region = region_->currentText().toStdString()};
  if (const QString price = value("price_usd_per_gpu_hour"); !price.isEmpty()) {
    bool ok = false;
    cluster.price_usd_per_gpu_hour = price.toDouble(&ok);
    if (!ok || *cluster.price_usd_per_gpu_hour < 0) {
      if (error) *error = tr("Price $/GPU-h: \"%1\" is not a price in USD (or leave it empty)").arg(price);
      return std::nullopt;
    }
  }
  cluster.power_model = planner::EnumNames<planner::PowerModel>::parse(power_model_->currentText().toStdString());
  return cluster;
}

}  // namespace sprout::gui
