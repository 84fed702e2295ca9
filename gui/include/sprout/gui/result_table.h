// SPDX-License-Identifier: GPL-3.0-or-later
// Read-only result tables (candidates, comparisons): numbers right-aligned and
// sorted as numbers, not as text ("9.5 d" before "10.2 d"); clicking a column
// header sorts by it, and the rows stay in the order given until then.
#pragma once

#include <QString>
#include <QTableWidget>
#include <optional>
#include <vector>

namespace sprout::gui {

struct TableCell {
  QString text;
  std::optional<double> sort_key;  // none: text, sorted as text, left-aligned
};
using TableRow = std::vector<TableCell>;

// The role a cell's sort key is kept under.
constexpr int kSortKeyRole = Qt::UserRole + 40;

void make_sortable(QTableWidget* table);
// Replaces the rows (sorted again if the user sorted the table).
void fill_table(QTableWidget* table, const std::vector<TableRow>& rows);
// As tall as its rows (up to `max_rows`, then it scrolls): the charts below get the rest.
void fit_to_rows(QTableWidget* table, int max_rows = 8);

}  // namespace sprout::gui
