// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/gui/result_table.h"

#include <QHeaderView>
#include <algorithm>

namespace sprout::gui {
namespace {

class SortKeyItem : public QTableWidgetItem {
 public:
  using QTableWidgetItem::QTableWidgetItem;
  bool operator<(const QTableWidgetItem& other) const override {
    const QVariant a = data(kSortKeyRole), b = other.data(kSortKeyRole);
    if (a.isValid() && b.isValid()) return a.toDouble() < b.toDouble();
    if (a.isValid() != b.isValid()) return a.isValid();  // numbers before words ("scratch")
    return QTableWidgetItem::operator<(other);
  }
};

}  // namespace

void make_sortable(QTableWidget* table) {
  table->setEditTriggers(QAbstractItemView::NoEditTriggers);
  // No column is sorted until the user clicks one: the rows keep their order.
  table->horizontalHeader()->setSortIndicator(-1, Qt::AscendingOrder);
  table->horizontalHeader()->setSortIndicatorClearable(true);
  table->setSortingEnabled(true);
}

void fill_table(QTableWidget* table, const std::vector<TableRow>& rows) {
  const bool sorted = table->isSortingEnabled();
  table->setSortingEnabled(false);  // else every setItem moves rows under our feet
  table->setRowCount(static_cast<int>(rows.size()));
  for (int r = 0; r < static_cast<int>(rows.size()); ++r) {
    for (int c = 0; c < static_cast<int>(rows[r].size()); ++c) {
      const TableCell& cell = rows[r][c];
      auto* item = new SortKeyItem(cell.text);
      if (cell.sort_key) {
        item->setData(kSortKeyRole, *cell.sort_key);
        item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
      }
      table->setItem(r, c, item);
    }
  }
  table->setSortingEnabled(sorted);
}

void fit_to_rows(QTableWidget* table, int max_rows) {
  const int rows = std::clamp(table->rowCount(), 1, max_rows);
  table->setFixedHeight(table->horizontalHeader()->sizeHint().height() + 2 * table->frameWidth() +
                        rows * table->verticalHeader()->defaultSectionSize());
}

}  // namespace sprout::gui
