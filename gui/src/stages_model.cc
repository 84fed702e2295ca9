// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/gui/stages_model.h"

#include <QBrush>
#include <QColor>
#include <QRegularExpression>
#include <string>

#include "sprout/planner/model/model_shape.h"

namespace sprout::gui {
namespace {

struct Column {
  const char* key;
  const char* title;
  std::string tip;
};

const Column kColumns[] = {
    {"name", "stage", "Stage name"},
    {"layers", "layers", "Transformer layers"},
    {"hidden", "hidden", "Hidden size"},
    {"heads", "heads", "Attention heads (must divide hidden)"},
    {"kv_heads", "kv heads", "Key/value heads (fewer than heads = GQA)"},
    {"ffn_hidden", "ffn", "FFN width"},
    {"tokens", "tokens", "Tokens trained in this stage"},
    {"global_batch_tokens", "batch tokens", "Tokens per optimizer step"},
    {"lr", "lr", "Peak learning rate"},
    {"recompute", "recompute", planner::EnumNames<planner::Recompute>::list() + " (empty: planner chooses)"},
    {"parallel.tp", "TP", "Tensor parallel ranks (empty layout: planner searches)"},
    {"parallel.pp", "PP", "Pipeline stages"},
    {"parallel.dp", "DP", "Data parallel replicas"},
    {"parallel.micro_batch", "micro-batch", "Sequences per micro-batch"},
    {"grow.grow_steps", "grow steps", "MSG mask ramp length after growing into this stage"},
};

}  // namespace

StagesModel::StagesModel(PlanDocument* document, QObject* parent) : QAbstractTableModel(parent), document_(document) {
  connect(document_, &PlanDocument::changed, this, [this] {
    beginResetModel();
    endResetModel();
  });
}

const QStringList& StagesModel::column_keys() {
  static const QStringList keys = [] {
    QStringList k;
    for (const auto& c : kColumns) k << c.key;
    return k;
  }();
  return keys;
}

int StagesModel::column_of(const QString& key) const { return column_keys().indexOf(key); }

int StagesModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : document_->stage_count(); }

int StagesModel::columnCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(std::size(kColumns));
}

QModelIndex StagesModel::error_index() const {
  const auto& err = document_->error();
  if (!err) return {};
  // "stages[2].parallel.tp", "stages[2].hidden", "stages[2].parallel" ...
  static const QRegularExpression re(R"(^stages\[(\d+)\](?:\.(.+))?$)");
  auto m = re.match(err->field);
  if (!m.hasMatch()) return {};
  const int row = m.captured(1).toInt();
  const QString key = m.captured(2);
  int col = column_of(key);
  if (col < 0 && key.startsWith("parallel")) col = column_of("parallel.tp");
  if (col < 0 && key.startsWith("grow")) col = column_of("grow.grow_steps");
  if (col < 0) col = 0;
  return index(row, col);
}

QVariant StagesModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid()) return {};
  const QString key = column_keys()[index.column()];
  const bool is_error = error_index() == index;
  switch (role) {
    case Qt::DisplayRole:
    case Qt::EditRole:
      return document_->stage_value(index.row(), key);
    case Qt::BackgroundRole:
      if (is_error) return QBrush(QColor(255, 205, 205));
      if (key == "grow.grow_steps" && document_->stage_value(index.row(), "grow.grow_steps").isEmpty()) {
        return QBrush(QColor(240, 240, 240));
      }
      return {};
    case Qt::ToolTipRole:
      if (is_error) return document_->error()->full;
      return QString::fromStdString(kColumns[index.column()].tip);
    case Qt::TextAlignmentRole:
      return index.column() == 0 ? QVariant(Qt::AlignLeft | Qt::AlignVCenter)
                                 : QVariant(Qt::AlignRight | Qt::AlignVCenter);
    default:
      return {};
  }
}

bool StagesModel::setData(const QModelIndex& index, const QVariant& value, int role) {
  if (!index.isValid() || role != Qt::EditRole) return false;
  const QString key = column_keys()[index.column()];
  if (document_->stage_value(index.row(), key) == value.toString()) return false;
  document_->set_stage_value(index.row(), key, value.toString());
  return true;
}

QVariant StagesModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (orientation == Qt::Horizontal) {
    if (role == Qt::DisplayRole) return QString(kColumns[section].title);
    if (role == Qt::ToolTipRole) return QString::fromStdString(kColumns[section].tip);
    return {};
  }
  if (role == Qt::DisplayRole) return section + 1;
  return {};
}

Qt::ItemFlags StagesModel::flags(const QModelIndex& index) const {
  if (!index.isValid()) return Qt::NoItemFlags;
  Qt::ItemFlags f = Qt::ItemIsSelectable | Qt::ItemIsEnabled | Qt::ItemIsEditable;
  // The first stage has nothing to grow from.
  if (column_keys()[index.column()] == "grow.grow_steps" && index.row() == 0) f &= ~Qt::ItemIsEditable;
  return f;
}

}  // namespace sprout::gui
