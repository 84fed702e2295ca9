// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/gui/stages_model.h"

#include <QBrush>
#include <QColor>
#include <QGuiApplication>
#include <QLocale>
#include <QRegularExpression>
#include <string>

#include "sprout/gui/count_text.h"
#include "sprout/gui/palette_colors.h"
#include "sprout/planner/base/format_units.h"
#include "sprout/planner/model/model_shape.h"

namespace sprout::gui {
namespace {

struct Column {
  const char* key;
  const char* title;
  std::string tip;
};

const Column kStageColumns[] = {
    {"name", "stage", "Stage name"},
    {"layers", "layers", "Transformer layers"},
    {"hidden", "hidden", "Hidden size"},
    {"heads", "heads", "Attention heads (must divide hidden)"},
    {"kv_heads", "kv heads", "Key/value heads (fewer than heads = GQA)"},
    {"ffn_hidden", "ffn", "FFN width"},
    {"tokens", "tokens", "Tokens trained in this stage"},
    {"global_batch_tokens", "batch tokens", "Tokens per optimizer step (or give batch sequences)"},
    {"global_batch_sequences", "batch seqs", "Sequences per optimizer step (or give batch tokens)"},
    {"lr", "lr", "Peak learning rate"},
    {"recompute", "recompute", planner::EnumNames<planner::Recompute>::list() + " (empty: planner chooses)"},
    {"parallel.tp", "TP", "Tensor parallel ranks (empty layout: planner searches)"},
    {"parallel.pp", "PP", "Pipeline stages"},
    {"parallel.dp", "DP", "Data parallel replicas"},
    {"parallel.micro_batch", "micro-batch", "Sequences per micro-batch"},
    {"grow.grow_steps", "grow steps", "MSG mask ramp length after growing into this stage"},
};

// Columns of counts, shown and typed as 245.37B / 4.72M.
bool is_count(const QString& key) { return key == "tokens" || key == "global_batch_tokens"; }

std::optional<double> number_in(const QString& text) {
  bool ok = false;
  const double v = text.toDouble(&ok);
  return ok ? std::optional<double>(v) : std::nullopt;
}

}  // namespace

StagesModel::StagesModel(PlanDocument* document, QObject* parent)
    : QAbstractTableModel(parent), document_(document), rows_(document->stage_count()) {
  // A reset closes the cell editor that is committing: only a new row count needs one.
  connect(document_, &PlanDocument::changed, this, [this] {
    if (rows_ != document_->stage_count()) {
      beginResetModel();
      rows_ = document_->stage_count();
      endResetModel();
    } else if (rows_ > 0) {
      emit dataChanged(index(0, 0), index(rows_ - 1, columnCount() - 1));
    }
  });
}

const QStringList& StagesModel::column_keys() {
  static const QStringList keys = [] {
    QStringList k;
    for (const auto& c : kStageColumns) k << c.key;
    return k;
  }();
  return keys;
}

int StagesModel::column_of(const QString& key) const { return column_keys().indexOf(key); }

int StagesModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : rows_; }

int StagesModel::columnCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(std::size(kStageColumns));
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
  const QString value = document_->stage_value(index.row(), key);
  // A count column holding a number (a bad draft value shows as typed).
  bool is_number = false;
  const double count = is_count(key) ? value.toDouble(&is_number) : 0;
  const bool is_error = error_index() == index;
  switch (role) {
    case Qt::DisplayRole:
      return is_number ? format_count(count) : value;
    case Qt::EditRole:
      return is_number ? exact_count_text(count) : value;
    case Qt::BackgroundRole:
      if (is_error) return QBrush(error_background(QGuiApplication::palette()));
      if (key == "grow.grow_steps" && value.isEmpty()) return QBrush(muted_background(QGuiApplication::palette()));
      return {};
    case Qt::ToolTipRole: {
      if (is_error) return document_->error()->full;
      const QString tip = QString::fromStdString(kStageColumns[index.column()].tip);
      return is_number ? QString("%1: %2").arg(tip, QString::fromStdString(planner::human_number(count))) : tip;
    }
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
  const QString old = document_->stage_value(index.row(), key);
  QString text = value.toString();
  if (is_count(key)) {
    const ParsedCount parsed = parse_count(text);
    if (!parsed.value) {
      const QString kept = number_in(old) ? format_count(*number_in(old)) : old;
      emit input_rejected(QString("stages[%1].%2").arg(index.row()).arg(key), parsed.error + "; kept " + kept);
      return false;
    }
    if (number_in(old) == parsed.value) return false;
    text = QString::number(*parsed.value, 'g', QLocale::FloatingPointShortest);
  }
  if (old == text) return false;
  document_->set_stage_value(index.row(), key, text);
  return true;
}

QVariant StagesModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (orientation == Qt::Horizontal) {
    if (role == Qt::DisplayRole) return QString(kStageColumns[section].title);
    if (role == Qt::ToolTipRole) return QString::fromStdString(kStageColumns[section].tip);
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
