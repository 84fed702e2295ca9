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
#include <QUndoStack>
#include <QVBoxLayout>

#include "sprout/gui/budget_tab.h"
#include "sprout/gui/carbon_tab.h"
#include "sprout/gui/compare_tab.h"
#include "sprout/gui/export_dialog.h"
#include "sprout/gui/palette_colors.h"
#include "sprout/gui/plan_document.h"
#include "sprout/gui/plan_tab.h"
#include "sprout/gui/run_tab.h"

namespace sprout::gui {

namespace {

constexpr int kMaxRecent = 8;

UnsavedChoice ask_with_message_box(QWidget* parent, const QString& name) {
  QMessageBox box(QMessageBox::Warning, QObject::tr("Unsaved changes"),
                  QObject::tr("%1 has unsaved edits. Save them first?").arg(name),
                  QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel, parent);
  box.setObjectName("unsavedQuestion");
  box.setDefaultButton(QMessageBox::Save);
  switch (box.exec()) {
    case QMessageBox::Save:
      return UnsavedChoice::kSave;
    case QMessageBox::Discard:
      return UnsavedChoice::kDiscard;
    default:
      return UnsavedChoice::kCancel;
  }
}

}  // namespace

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
  connect(document_, &PlanDocument::modified_changed, this, &MainWindow::update_title);
  ask_unsaved_ = [this](const QString& name) { return ask_with_message_box(this, name); };
  budget_tab_->set_replace_guard([this] { return maybe_save(); });
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
  add(tr("&Save"), QKeySequence::Save, [this] { save_current(); });
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

  QMenu* edit = menuBar()->addMenu(tr("&Edit"));
  QAction* undo = document_->undo_stack()->createUndoAction(this, tr("&Undo"));
  undo->setObjectName("undo");
  undo->setShortcuts(QKeySequence::Undo);
  QAction* redo = document_->undo_stack()->createRedoAction(this, tr("&Redo"));
  redo->setObjectName("redo");
  redo->setShortcuts(QKeySequence::Redo);  // Ctrl+Shift+Z and Ctrl+Y on Linux
  edit->addAction(undo);
  edit->addAction(redo);
}

bool MainWindow::save_current() {
  if (!document_->path().isEmpty()) return save_plan(document_->path());
  const QString path = QFileDialog::getSaveFileName(this, tr("Save plan"), QString(), tr("Plans (*.yaml)"));
  return !path.isEmpty() && save_plan(path);
}

bool MainWindow::maybe_save() {
  if (!document_->has_plan() || !document_->is_modified()) return true;
  const QString name = document_->path().isEmpty() ? tr("The plan") : QFileInfo(document_->path()).fileName();
  switch (ask_unsaved_(name)) {
    case UnsavedChoice::kSave:
      return save_current();
    case UnsavedChoice::kDiscard:
      return true;
    case UnsavedChoice::kCancel:
      return false;
  }
  return false;
}

bool MainWindow::open_plan(const QString& path) {
  if (!maybe_save()) return false;
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
  message_->setStyleSheet(message_style(palette(), is_error));
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
  const QString name = document_->path().isEmpty() ? tr("untitled") : QFileInfo(document_->path()).fileName();
  // Qt shows "[*]" as "*" while the window is modified, and hides it otherwise.
  setWindowTitle(QString("%1[*] - sprout").arg(name));
  setWindowModified(document_->has_plan() && document_->is_modified());
}

void MainWindow::closeEvent(QCloseEvent* event) {
  if (!maybe_save()) {
    event->ignore();
    return;
  }
  QSettings settings;
  settings.setValue("geometry", saveGeometry());
  settings.setValue("windowState", saveState());
  QMainWindow::closeEvent(event);
}

}  // namespace sprout::gui
