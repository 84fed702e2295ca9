// SPDX-License-Identifier: GPL-3.0-or-later
// What the GUI tests share: source paths as QString, screenshots into the
// build tree, the text a chart shows, and waiting for background work.
#pragma once

#include <QApplication>
#include <QChartView>
#include <QDir>
#include <QGraphicsTextItem>
#include <QHeaderView>
#include <QPalette>
#include <QPixmap>
#include <QTableWidget>
#include <QTest>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "sprout/gui/main_window.h"
#include "test_paths.h"

namespace sprout::gui::test_util {

// The window as a user first sees it: 1280x800, shown.
struct ShownWindow : MainWindow {
  ShownWindow() {
    resize(1280, 800);
    show();
  }
};

// A dark palette as a desktop theme gives it.
inline QPalette dark_palette() {
  QPalette p;
  for (auto [role, color] : {std::pair{QPalette::Window, QColor(45, 45, 45)},
                             {QPalette::Base, QColor(30, 30, 30)},
                             {QPalette::AlternateBase, QColor(45, 45, 45)},
                             {QPalette::Button, QColor(53, 53, 53)},
                             {QPalette::Text, QColor(230, 230, 230)},
                             {QPalette::WindowText, QColor(230, 230, 230)},
                             {QPalette::ButtonText, QColor(230, 230, 230)}}) {
    p.setColor(role, color);
  }
  return p;
}

inline QString src(const std::string& relative) { return QString::fromStdString(test::source_path(relative)); }

inline QString screenshot_path(const QString& name) {
  QDir().mkpath(SPROUT_SCREENSHOT_DIR);
  return QString(SPROUT_SCREENSHOT_DIR) + "/" + name + qEnvironmentVariable("SPROUT_SCREENSHOT_SUFFIX") + ".png";
}

// Grabs the widget as the screen shows it (at the device pixel ratio).
inline bool save_screenshot(QWidget* widget, const QString& name) {
  QApplication::processEvents();
  const QPixmap shot = widget->grab();
  return !shot.isNull() && shot.save(screenshot_path(name));
}

// Every visible piece of text a chart draws: title, axis labels and titles,
// legend entries, bar value labels. Qt Charts cuts what does not fit to "...".
inline QStringList chart_texts(QChartView* view) {
  QStringList out;
  for (QGraphicsItem* item : view->scene()->items()) {
    auto* text = dynamic_cast<QGraphicsTextItem*>(item);
    if (text && text->isVisible() && !text->toPlainText().isEmpty()) out << text->toPlainText();
  }
  return out;
}

// Processes events until `done` or `timeout_ms`; returns done().
inline bool wait_until(const std::function<bool()>& done, int timeout_ms = 30000) {
  for (int waited = 0; !done() && waited < timeout_ms; waited += 20) QTest::qWait(20);
  return done();
}

// Clicks a column header as a user sorts a table.
inline void click_header(QTableWidget* table, int column) {
  QHeaderView* header = table->horizontalHeader();
  const QPoint at(header->sectionViewportPosition(column) + header->sectionSize(column) / 2, header->height() / 2);
  QTest::mouseClick(header->viewport(), Qt::LeftButton, {}, at);
}

// The sort keys (numbers) of a column, top to bottom.
inline std::vector<double> column_keys(QTableWidget* table, int column) {
  std::vector<double> out;
  for (int row = 0; row < table->rowCount(); ++row)
    out.push_back(table->item(row, column)->data(Qt::UserRole + 40).toDouble());
  return out;
}

}  // namespace sprout::gui::test_util
