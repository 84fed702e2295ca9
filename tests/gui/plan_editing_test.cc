// SPDX-License-Identifier: GPL-3.0-or-later
// Editing a plan without losing work: counts shown and typed as 245.37B,
// undo/redo from the Edit menu, the [*] title marker, and Save / Discard /
// Cancel before the window closes or another plan replaces the edited one.
#include <gtest/gtest.h>

#include <QAction>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QTableView>
#include <QTimer>
#include <QUndoStack>

#include "gui_test_util.h"
#include "sprout/gui/background_task.h"
#include "sprout/gui/budget_tab.h"
#include "sprout/gui/cluster_editor.h"
#include "sprout/gui/main_window.h"
#include "sprout/gui/plan_document.h"
#include "sprout/gui/plan_tab.h"
#include "sprout/gui/stages_model.h"
#include "sprout/planner/io/plan_loader.h"

namespace sprout::gui {
namespace {

using test_util::ShownWindow;
using test_util::src;

// Double-clicks the cell, types `text` over its contents and presses Enter.
void type_into_cell(MainWindow& w, int row, const QString& key, const QString& text) {
  QTableView* view = w.plan_tab()->stages_view();
  const QModelIndex cell = w.plan_tab()->stages_model()->index(row, w.plan_tab()->stages_model()->column_of(key));
  QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);  // editors closed before
  QTest::mouseDClick(view->viewport(), Qt::LeftButton, {}, view->visualRect(cell).center());
  auto* editor = view->viewport()->findChild<QLineEdit*>();
  ASSERT_NE(editor, nullptr);
  editor->selectAll();
  QTest::keyClicks(editor, text);
  QTest::keyClick(editor, Qt::Key_Return);
  QApplication::processEvents();
}

QString shown(MainWindow& w, int row, const QString& key) {
  StagesModel* m = w.plan_tab()->stages_model();
  return m->index(row, m->column_of(key)).data(Qt::DisplayRole).toString();
}

// A copy of a shipped plan this test may overwrite.
QString plan_copy(const char* plan, const char* dir_prefix) {
  const QString path = QString::fromStdString(test::make_temp_dir(dir_prefix)) + "/" + QString(plan).section('/', -1);
  EXPECT_TRUE(QFile::copy(src(plan), path));
  QFile::setPermissions(path, QFile::ReadOwner | QFile::WriteOwner);
  return path;
}

TEST(PlanTable, TokensAndBatchesReadAsCountsAndTakeEitherForm) {
  ShownWindow w;
  ASSERT_TRUE(w.open_plan(src("plans/flm-101b.yaml")));
  EXPECT_EQ(shown(w, 0, "tokens"), "245.37B");  // once 245370000000
  EXPECT_EQ(shown(w, 0, "global_batch_sequences").toStdString(), "2304");
  EXPECT_EQ(shown(w, 2, "global_batch_sequences").toStdString(), "2160");
  PlanDocument* doc = w.document();
  type_into_cell(w, 0, "tokens", "300B");
  EXPECT_DOUBLE_EQ(doc->stage_value(0, "tokens").toDouble(), 300e9);
  EXPECT_EQ(shown(w, 0, "tokens"), "300B");
  type_into_cell(w, 0, "tokens", "245.37e9");
  EXPECT_DOUBLE_EQ(doc->stage_value(0, "tokens").toDouble(), 245.37e9);
  const int steps = doc->undo_stack()->count();
  type_into_cell(w, 0, "tokens", "245370000000");  // the same number: no edit
  EXPECT_EQ(doc->undo_stack()->count(), steps);
  type_into_cell(w, 1, "global_batch_tokens", "4.5M");
  EXPECT_DOUBLE_EQ(doc->stage_value(1, "global_batch_tokens").toDouble(), 4.5e6);
  EXPECT_TRUE(doc->stage_value(1, "global_batch_sequences").isEmpty());  // a plan takes one of the two
  EXPECT_FALSE(doc->error().has_value());
  type_into_cell(w, 1, "global_batch_sequences", "2304");
  EXPECT_TRUE(doc->stage_value(1, "global_batch_tokens").isEmpty());
  EXPECT_FALSE(doc->error().has_value());

  // Not a count: the old value stays and the user is told why.
  type_into_cell(w, 0, "tokens", "lots");
  EXPECT_DOUBLE_EQ(doc->stage_value(0, "tokens").toDouble(), 245.37e9);
  const QString why = w.plan_tab()->field_error()->text();
  EXPECT_TRUE(w.plan_tab()->field_error()->isVisible());
  EXPECT_NE(why.indexOf("stages[0].tokens"), -1) << why.toStdString();
  EXPECT_NE(why.indexOf("is not a count"), -1) << why.toStdString();
  EXPECT_NE(why.indexOf("kept 245.37B"), -1) << why.toStdString();
  EXPECT_EQ(doc->undo_stack()->count(), steps + 2);  // the two batch edits; "lots" is none
}

TEST(UndoRedo, TheEditMenuUndoesAndRedoesPlanEdits) {
  ShownWindow w;
  ASSERT_TRUE(w.open_plan(src("plans/flm-101b.yaml")));
  PlanDocument* doc = w.document();
  auto* undo = w.findChild<QAction*>("undo");
  auto* redo = w.findChild<QAction*>("redo");
  ASSERT_NE(undo, nullptr);
  ASSERT_NE(redo, nullptr);
  EXPECT_FALSE(undo->isEnabled());
  type_into_cell(w, 1, "heads", "64");
  QTest::mouseClick(w.plan_tab()->findChild<QPushButton*>("addStage"), Qt::LeftButton);
  ASSERT_EQ(doc->stage_count(), 4);
  EXPECT_TRUE(undo->isEnabled());
  EXPECT_EQ(undo->text(), "&Undo add stage");
  EXPECT_TRUE(w.isWindowModified());

  // Ctrl+Z as a user presses it (the window has focus, no cell editor open).
  w.activateWindow();
  ASSERT_TRUE(QTest::qWaitForWindowActive(&w));
  QTest::keySequence(&w, QKeySequence::Undo);
  EXPECT_EQ(doc->stage_count(), 3);
  undo->trigger();  // the Edit menu's entry
  EXPECT_EQ(doc->stage_value(1, "heads"), "80");
  EXPECT_FALSE(doc->is_modified());  // back where it was opened
  EXPECT_FALSE(w.isWindowModified());
  EXPECT_FALSE(undo->isEnabled());
  QTest::keySequence(&w, QKeySequence::Redo);
  EXPECT_EQ(doc->stage_value(1, "heads"), "64");
  EXPECT_TRUE(w.isWindowModified());
  redo->trigger();
  EXPECT_EQ(doc->stage_count(), 4);
  EXPECT_FALSE(redo->isEnabled());
}

TEST(UnsavedEdits, TitleMarksThemAndCloseAsksSaveDiscardOrCancel) {
  const QString path = plan_copy("plans/tiny-cpu.yaml", "unsaved-close");
  ShownWindow w;
  int asked = 0;
  UnsavedChoice answer = UnsavedChoice::kCancel;
  w.set_unsaved_question([&](const QString& name) {
    ++asked;
    EXPECT_EQ(name, "tiny-cpu.yaml");
    return answer;
  });
  ASSERT_TRUE(w.open_plan(path));
  EXPECT_EQ(w.windowTitle(), "tiny-cpu.yaml[*] - sprout");
  EXPECT_FALSE(w.isWindowModified());
  // Type a price into its field.
  auto* price = w.plan_tab()->cluster_editor()->findChild<QLineEdit*>("price");
  price->selectAll();
  QTest::keyClicks(price, "2.5");
  QTest::keyClick(price, Qt::Key_Return);
  ASSERT_EQ(w.document()->top_value("price_usd_per_gpu_hour"), "2.5");
  EXPECT_TRUE(w.isWindowModified());

  EXPECT_FALSE(w.close());  // Cancel: the window stays, with the edit
  EXPECT_EQ(asked, 1);
  EXPECT_TRUE(w.isVisible());
  EXPECT_FALSE(w.open_plan(src("plans/flm-101b.yaml")));  // Cancel: the edited plan stays
  EXPECT_EQ(asked, 2);
  EXPECT_EQ(w.document()->path(), path);
  EXPECT_EQ(w.document()->top_value("price_usd_per_gpu_hour"), "2.5");

  answer = UnsavedChoice::kSave;
  EXPECT_TRUE(w.close());
  EXPECT_EQ(asked, 3);
  EXPECT_EQ(planner::load_plan(path.toStdString()).cluster.price_usd_per_gpu_hour, 2.5);
}

TEST(UnsavedEdits, SaveRefusedForAnInvalidPlanKeepsTheWindowOpen) {
  const QString path = plan_copy("plans/tiny-cpu.yaml", "unsaved-invalid");
  ShownWindow w;
  w.set_unsaved_question([](const QString&) { return UnsavedChoice::kSave; });
  ASSERT_TRUE(w.open_plan(path));
  w.document()->set_top_value("gpus", "2");  // the stages' layouts use one GPU
  ASSERT_TRUE(w.document()->error().has_value());
  EXPECT_FALSE(w.close());
  EXPECT_TRUE(w.isVisible());
  EXPECT_NE(w.message_bar()->text().indexOf("Not saved"), -1) << w.message_bar()->text().toStdString();
  EXPECT_EQ(planner::load_plan(path.toStdString()).cluster.gpus, 1);
}

TEST(UnsavedEdits, DiscardOpensTheOtherPlanAndLeavesTheFileAlone) {
  const QString path = plan_copy("plans/tiny-cpu.yaml", "unsaved-discard");
  ShownWindow w;
  w.set_unsaved_question([](const QString&) { return UnsavedChoice::kDiscard; });
  ASSERT_TRUE(w.open_plan(path));
  w.document()->set_top_value("price_usd_per_gpu_hour", "2.5");
  ASSERT_TRUE(w.open_plan(src("plans/flm-101b.yaml")));
  EXPECT_FALSE(w.isWindowModified());
  EXPECT_NE(planner::load_plan(path.toStdString()).cluster.price_usd_per_gpu_hour, 2.5);
}

TEST(UnsavedEdits, TheQuestionIsAMessageBoxOffscreenToo) {
  ShownWindow w;
  ASSERT_TRUE(w.open_plan(src("plans/tiny-cpu.yaml")));
  w.document()->set_top_value("price_usd_per_gpu_hour", "2.5");
  QString question;
  // Answer the modal box the way a user would: click its Discard button.
  QTimer poll;
  QObject::connect(&poll, &QTimer::timeout, [&] {
    auto* box = qobject_cast<QMessageBox*>(QApplication::activeModalWidget());
    if (!box || box->objectName() != "unsavedQuestion") return;
    question = box->text();
    QTest::mouseClick(box->button(QMessageBox::Discard), Qt::LeftButton);
  });
  poll.start(20);
  EXPECT_TRUE(w.close());
  EXPECT_NE(question.indexOf("tiny-cpu.yaml has unsaved edits"), -1) << question.toStdString();
}

TEST(UnsavedEdits, TakingABudgetCandidateAsksToo) {
  ShownWindow w;
  ASSERT_TRUE(w.open_plan(src("plans/tiny-cpu.yaml")));
  w.document()->set_top_value("price_usd_per_gpu_hour", "2.5");
  UnsavedChoice answer = UnsavedChoice::kCancel;
  w.set_unsaved_question([&](const QString&) { return answer; });
  w.budget_tab()->run_search();
  w.budget_tab()->task()->wait();
  ASSERT_TRUE(w.budget_tab()->result().has_value());
  EXPECT_FALSE(w.budget_tab()->use_candidate(0));
  EXPECT_EQ(w.document()->top_value("price_usd_per_gpu_hour"), "2.5");
  answer = UnsavedChoice::kDiscard;
  EXPECT_TRUE(w.budget_tab()->use_candidate(0));
  // A candidate comes from no file: it is unsaved work until saved.
  EXPECT_EQ(w.windowTitle(), "untitled[*] - sprout");
  EXPECT_TRUE(w.isWindowModified());
}

}  // namespace
}  // namespace sprout::gui
