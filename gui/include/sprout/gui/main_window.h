// SPDX-License-Identifier: GPL-3.0-or-later
// sprout-gui's window: Plan, Budget, Compare, Carbon and Run tabs, File menu
// with open/save/export/open-run and recent files, Edit menu with undo/redo of
// plan edits, window state remembered between sessions. Unsaved edits are
// never dropped silently: closing the window, opening another plan or taking
// a budget candidate asks Save / Discard / Cancel first.
#pragma once

#include <QMainWindow>
#include <QStringList>
#include <functional>

class QLabel;
class QMenu;
class QTabWidget;

namespace sprout::gui {

class BudgetTab;
class CarbonTab;
class CompareTab;
class PlanDocument;
class PlanTab;
class RunTab;

enum class UnsavedChoice { kSave, kDiscard, kCancel };
// Asks what to do with the unsaved edits of the document called `name`.
using UnsavedQuestion = std::function<UnsavedChoice(const QString& name)>;

class MainWindow : public QMainWindow {
  Q_OBJECT

 public:
  explicit MainWindow(QWidget* parent = nullptr);
  ~MainWindow() override;

  // Asks about unsaved edits first (false when the user cancels); errors
  // appear in the message bar.
  bool open_plan(const QString& path);
  bool save_plan(const QString& path);
  // Saves to the plan's file (or asks for one); false when not saved.
  bool save_current();
  // True when the document may be replaced or closed: nothing unsaved, or the
  // user saved or discarded it.
  bool maybe_save();
  // Replaces the Save / Discard / Cancel message box (tests answer it directly).
  void set_unsaved_question(UnsavedQuestion ask) { ask_unsaved_ = std::move(ask); }
  void show_message(const QString& text, bool is_error);

  PlanDocument* document() const { return document_; }
  PlanTab* plan_tab() const { return plan_tab_; }
  CompareTab* compare_tab() const { return compare_tab_; }
  CarbonTab* carbon_tab() const { return carbon_tab_; }
  BudgetTab* budget_tab() const { return budget_tab_; }
  RunTab* run_tab() const { return run_tab_; }
  bool open_run(const QString& dir);  // errors appear in the message bar
  QTabWidget* tabs() const { return tabs_; }
  QLabel* message_bar() const { return message_; }
  QStringList recent_files() const { return recent_; }

 protected:
  void closeEvent(QCloseEvent* event) override;

 private:
  void build_menus();
  void update_title();
  void remember_recent(const QString& path);
  void rebuild_recent_menu();

  PlanDocument* document_;
  QTabWidget* tabs_;
  PlanTab* plan_tab_;
  CompareTab* compare_tab_;
  CarbonTab* carbon_tab_;
  BudgetTab* budget_tab_;
  RunTab* run_tab_;
  QLabel* message_;
  QMenu* recent_menu_ = nullptr;
  QStringList recent_;
  UnsavedQuestion ask_unsaved_;
};

}  // namespace sprout::gui
