// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/gui/main_window.h"

#include <QAction>
#include <QCloseEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QSettings>
#include <QTabWidget>
#include <QVBoxLayout>

#include "sprout/gui/budget_tab.h"
#include "sprout/gui/carbon_tab.h"
#include "sprout/gui/compare_tab.h"
#include "sprout/gui/export_dialog.h"
#include "sprout/gui/plan_document.h"
#include "sprout/gui/plan_tab.h"
#include "sprout/gui/run_tab.h"

namespace sprout::gui {

constexpr int kMaxRecent = 8;

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
  document_ = new PlanDocument(this);
  auto* central = new QWidget(this);
  auto* layout = new QVBoxLayout(central);
  message_ = new QLabel(central);
  message_->setObjectName("messageBar");
  message_->setWordWrap(true);
  message_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  message_->hide();
  tabs_ = new QTabWidget(central);
  plan_tab_ = new PlanTab(document_, tabs_);
  compare_tab_ = new CompareTab(document_, tabs_);
  carbon_tab_ = new CarbonTab(document_, tabs_);
  budget_tab_ = new BudgetTab(document_, tabs_);
  run_tab_ = new RunTab(document_, tabs_);
  tabs_->addTab(plan_tab_, tr("&Plan"));
  tabs_->addTab(budget_tab_, tr("B&udget"));
  tabs_->addTab(compare_tab_, tr("&Compare"));
  tabs_->addTab(carbon_tab_, tr("Car&bon"));
  tabs_->addTab(run_tab_, tr("&Run"));
  layout->addWidget(message_);
  layout->addWidget(tabs_, 1);
  setCentralWidget(central);
  build_menus();
  connect(document_, &PlanDocument::changed, this, &MainWindow::update_title);
  connect(compare_tab_, &CompareTab::message, this, &MainWindow::show_message);
  connect(run_tab_, &RunTab::message, this, &MainWindow::show_message);
  connect(budget_tab_, &BudgetTab::plan_chosen, this, [this] {
    tabs_->setCurrentWidget(plan_tab_);
    show_message(
        tr("Plan from the budget search: %1 (save it with Ctrl+S)").arg(QString::fromStdString(document_->plan().name)),
        false);
  });

  QSettings settings;
  recent_ = settings.value("recentFiles").toStringList();
  rebuild_recent_menu();
  if (!restoreGeometry(settings.value("geometry").toByteArray())) resize(1280, 800);
  restoreState(settings.value("windowState").toByteArray());
  update_title();
}

MainWindow::~MainWindow() = default;

void MainWindow::build_menus() {
  QMenu* file = menuBar()->addMenu(tr("&File"));
  auto add = [&](const QString& text, QKeySequence key, auto&& slot) {
    QAction* a = file->addAction(text);
    a->setShortcut(key);
    connect(a, &QAction::triggered, this, slot);
    return a;
  };
  add(tr("&Open plan…"), QKeySequence::Open, [this] {
    const QString path = QFileDialog::getOpenFileName(this, tr("Open plan"), QString(), tr("Plans (*.yaml *.yml)"));
    if (!path.isEmpty()) open_plan(path);
  });
  recent_menu_ = file->addMenu(tr("Open &recent"));
  add(tr("&Save"), QKeySequence::Save, [this] {
    if (document_->path().isEmpty()) {
      const QString path = QFileDialog::getSaveFileName(this, tr("Save plan"), QString(), tr("Plans (*.yaml)"));
      if (!path.isEmpty()) save_plan(path);
    } else {
      save_plan(document_->path());
    }
  });
  add(tr("Save &as…"), QKeySequence::SaveAs, [this] {
    const QString path =
        QFileDialog::getSaveFileName(this, tr("Save plan as"), document_->path(), tr("Plans (*.yaml)"));
    if (!path.isEmpty()) save_plan(path);
  });
  add(tr("Open &run directory…"), QKeySequence(Qt::CTRL | Qt::Key_R), [this] {
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Open run directory"));
    if (!dir.isEmpty()) open_run(dir);
  });
  file->addSeparator();
  add(tr("&Export to cluster…"), QKeySequence(Qt::CTRL | Qt::Key_E), [this] {
    ExportDialog dialog(document_, this);
    dialog.exec();
  });
  file->addSeparator();
  add(tr("&Quit"), QKeySequence::Quit, [this] { close(); });
}

bool MainWindow::open_plan(const QString& path) {
  if (!document_->load(path)) {
    show_message(document_->last_load_error(), true);
    return false;
  }
  show_message(tr("Opened %1").arg(QFileInfo(path).fileName()), false);
  remember_recent(QFileInfo(path).absoluteFilePath());
  tabs_->setCurrentWidget(plan_tab_);
  return true;
}

bool MainWindow::open_run(const QString& dir) {
  tabs_->setCurrentWidget(run_tab_);
  if (!run_tab_->open_run(dir)) {
    show_message(run_tab_->error(), true);
    return false;
  }
  show_message(tr("Opened run %1").arg(dir), false);
  return true;
}

bool MainWindow::save_plan(const QString& path) {
  if (document_->error()) {
    show_message(tr("Not saved: the plan has an error. %1").arg(document_->error()->full), true);
    return false;
  }
  if (!document_->save(path)) {
    show_message(tr("Not saved: %1").arg(document_->last_load_error()), true);
    return false;
  }
  remember_recent(QFileInfo(path).absoluteFilePath());
  show_message(tr("Saved %1").arg(path), false);
  return true;
}

void MainWindow::show_message(const QString& text, bool is_error) {
  message_->setProperty("isError", is_error);
  message_->setStyleSheet(is_error ? "QLabel { background: #ffe0e0; color: #8b0000; padding: 6px; }"
                                   : "QLabel { background: #e6f4ea; color: #1e4620; padding: 6px; }");
  message_->setText(text);
  message_->show();
}

void MainWindow::remember_recent(const QString& path) {
  recent_.removeAll(path);
  recent_.prepend(path);
  while (recent_.size() > kMaxRecent) recent_.removeLast();
  QSettings().setValue("recentFiles", recent_);
  rebuild_recent_menu();
}

void MainWindow::rebuild_recent_menu() {
  if (!recent_menu_) return;
  recent_menu_->clear();
  for (const QString& path : recent_) {
    QAction* a = recent_menu_->addAction(QFileInfo(path).fileName());
    a->setToolTip(path);
    connect(a, &QAction::triggered, this, [this, path] { open_plan(path); });
  }
  recent_menu_->setEnabled(!recent_.isEmpty());
}

void MainWindow::update_title() {
  QString name = document_->path().isEmpty() ? tr("untitled") : QFileInfo(document_->path()).fileName();
  setWindowTitle(QString("%1%2 - sprout").arg(name, document_->is_modified() ? "*" : ""));
}

void MainWindow::closeEvent(QCloseEvent* event) {
  QSettings settings;
  settings.setValue("geometry", saveGeometry());
  settings.setValue("windowState", saveState());
  QMainWindow::closeEvent(event);
}

}  // namespace sprout::gui
