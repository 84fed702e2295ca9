// SPDX-License-Identifier: GPL-3.0-or-later
// sprout-gui's window: Plan, Budget, Compare, Carbon and Run tabs, File menu
// with open/save/export/open-run and recent files, window state remembered
// between sessions.
#pragma once

#include <QMainWindow>
#include <QStringList>

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

class MainWindow : public QMainWindow {
  Q_OBJECT

 public:
  explicit MainWindow(QWidget* parent = nullptr);
  ~MainWindow() override;

  bool open_plan(const QString& path);  // errors appear in the message bar
  bool save_plan(const QString& path);
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
};

}  // namespace sprout::gui
