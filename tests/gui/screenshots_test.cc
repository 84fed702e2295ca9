// SPDX-License-Identifier: GPL-3.0-or-later
// The screenshots in docs/screenshots/, rendered offscreen at 1280x800 into
// build/screenshots/ (ctest runs them again at device pixel ratio 2, as
// *-hidpi.png). docs/gui.md says how to refresh the copies in docs/.
#include <gtest/gtest.h>

#include <QTabWidget>

#include "gui_test_util.h"
#include "sprout/gui/background_task.h"
#include "sprout/gui/budget_tab.h"
#include "sprout/gui/carbon_tab.h"
#include "sprout/gui/compare_tab.h"
#include "sprout/gui/main_window.h"
#include "sprout/gui/run_tab.h"

namespace sprout::gui {
namespace {

using test_util::save_screenshot;
using test_util::ShownWindow;
using test_util::src;

TEST(Screenshots, MainWindowAndComparison) {
  ShownWindow w;
  ASSERT_TRUE(w.open_plan(src("plans/flm-101b.yaml")));
  EXPECT_TRUE(save_screenshot(&w, "main-window"));
  QString error;
  ASSERT_TRUE(w.compare_tab()->add_plan_file(src("plans/scratch-101b.yaml"), &error));
  w.tabs()->setCurrentWidget(w.compare_tab());
  // The risk chart fills itself once the tab shows.
  ASSERT_TRUE(test_util::wait_until([&] { return w.compare_tab()->risk().size() == 3; }));
  EXPECT_TRUE(save_screenshot(&w, "comparison"));
  // At 1280x800 the window needs no more room than it was given.
  EXPECT_LE(w.frameGeometry().width(), 1280 + 20);
}

TEST(Screenshots, CarbonAwarePause) {
  ShownWindow w;
  ASSERT_TRUE(w.open_plan(src("plans/flm-101b.yaml")));
  w.tabs()->setCurrentWidget(w.carbon_tab());
  ASSERT_TRUE(w.carbon_tab()->load_trace(src("profiles/regions/traces/germany-2023-synthetic.csv")));
  const QDateTime start(QDate(2023, 3, 1), QTime(0, 0), Qt::UTC);
  w.carbon_tab()->set_window(start, start.addDays(45));
  w.carbon_tab()->run_carbon_aware(simulator::CarbonAwareMode::kPause, 200);
  w.carbon_tab()->task()->wait();
  EXPECT_TRUE(save_screenshot(&w, "carbon"));
}

TEST(Screenshots, BudgetSearch) {
  ShownWindow w;
  w.tabs()->setCurrentWidget(w.budget_tab());
  w.budget_tab()->run_search();
  w.budget_tab()->task()->wait();
  ASSERT_TRUE(w.budget_tab()->result().has_value());
  EXPECT_TRUE(save_screenshot(&w, "budget"));
}

TEST(Screenshots, RunOverThePrediction) {
  ShownWindow w;
  ASSERT_TRUE(w.open_plan(src("plans/tiny-cpu.yaml")));
  ASSERT_TRUE(w.open_run(src("tests/data/runs/tiny-cpu-recorded")));
  w.run_tab()->set_metric(RunMetric::kCo2eKg);
  EXPECT_TRUE(save_screenshot(&w, "run-overlay"));
}

}  // namespace
}  // namespace sprout::gui
