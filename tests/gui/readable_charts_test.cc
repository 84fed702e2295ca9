// SPDX-License-Identifier: GPL-3.0-or-later
// The GUI reads well: nice ticks with units, bar labels above short bars,
// nothing cut, the risk chart filled, the carbon window from the trace, time
// in UTC whatever the local zone, sortable tables, a dark theme legible.
#include <gtest/gtest.h>

#include <QBarSeries>
#include <QBarSet>
#include <QCategoryAxis>
#include <QComboBox>
#include <QDateTimeEdit>
#include <QHorizontalStackedBarSeries>
#include <QLabel>
#include <QPushButton>
#include <QTabBar>
#include <QTabWidget>
#include <QTableView>
#include <ctime>

#include "gui_test_util.h"
#include "sprout/gui/background_task.h"
#include "sprout/gui/budget_tab.h"
#include "sprout/gui/carbon_tab.h"
#include "sprout/gui/chart_box.h"
#include "sprout/gui/compare_tab.h"
#include "sprout/gui/main_window.h"
#include "sprout/gui/palette_colors.h"
#include "sprout/gui/plan_document.h"
#include "sprout/gui/plan_tab.h"
#include "sprout/gui/run_tab.h"
#include "sprout/gui/stages_model.h"

namespace sprout::gui {
namespace {

using test_util::chart_texts;
using test_util::ShownWindow;
using test_util::src;

QStringList axis_labels(ChartBox* box, Qt::Orientation orientation) {
  for (QAbstractAxis* axis : box->view()->chart()->axes(orientation)) {
    if (auto* c = qobject_cast<QCategoryAxis*>(axis)) return c->categoriesLabels();
  }
  return {};
}

void click_tab(MainWindow& w, QWidget* tab) {
  QTabBar* bar = w.tabs()->tabBar();
  QTest::mouseClick(bar, Qt::LeftButton, {}, bar->tabRect(w.tabs()->indexOf(tab)).center());
  QApplication::processEvents();
}

TEST(ReadableCharts, BudgetAndCarbonAxesHaveNiceTicksAndUnits) {
  ShownWindow w;
  click_tab(w, w.budget_tab());
  QTest::mouseClick(w.budget_tab()->findChild<QPushButton*>("runSearch"), Qt::LeftButton);
  w.budget_tab()->task()->wait();
  ASSERT_TRUE(w.budget_tab()->result().has_value());
  // Once 0 / 26249 / 52499 / 78748 / 104998.
  EXPECT_EQ(axis_labels(w.budget_tab()->chart(), Qt::Horizontal),
            QStringList({"$0", "$20K", "$40K", "$60K", "$80K", "$100K", "$120K"}));

  ASSERT_TRUE(w.open_plan(src("plans/flm-101b.yaml")));
  click_tab(w, w.carbon_tab());
  // Once 0.0 / 10.7 / 21.3 / 32.0 / 42.7.
  EXPECT_EQ(axis_labels(w.carbon_tab()->chart(), Qt::Vertical),
            QStringList({"0 t", "10 t", "20 t", "30 t", "40 t", "50 t"}));
  // Each bar's value sits above it in tonnes, so the short bars (france, iceland, ...) keep theirs readable.
  auto* bars = qobject_cast<QBarSeries*>(w.carbon_tab()->chart()->view()->chart()->series().at(0));
  ASSERT_NE(bars, nullptr);
  EXPECT_EQ(bars->labelsPosition(), QAbstractBarSeries::LabelsOutsideEnd);
  EXPECT_EQ(bars->labelsFormat(), "@value t");
  const QStringList texts = chart_texts(w.carbon_tab()->chart()->view());
  EXPECT_TRUE(texts.contains("22.4 t")) << texts.join(" | ").toStdString();  // cn-north
  EXPECT_TRUE(texts.contains("2.16 t")) << texts.join(" | ").toStdString();  // france: a short bar
}

TEST(ReadableCharts, NoChartTextIsCutAt1280By800) {
  ShownWindow w;
  ASSERT_TRUE(w.open_plan(src("plans/flm-101b.yaml")));
  QString error;
  ASSERT_TRUE(w.compare_tab()->add_plan_file(src("plans/scratch-101b.yaml"), &error));
  ASSERT_TRUE(w.carbon_tab()->load_trace(src("profiles/regions/traces/germany-2023-synthetic.csv")));
  w.budget_tab()->run_search();
  w.budget_tab()->task()->wait();
  ASSERT_TRUE(w.open_run(src("tests/data/runs/tiny-cpu-recorded")));
  for (QWidget* tab : {static_cast<QWidget*>(w.compare_tab()), static_cast<QWidget*>(w.carbon_tab()),
                       static_cast<QWidget*>(w.budget_tab()), static_cast<QWidget*>(w.run_tab())}) {
    click_tab(w, tab);
    if (tab == w.compare_tab()) {
      ASSERT_TRUE(test_util::wait_until([&] { return w.compare_tab()->risk().size() == 3; }));
    }
    QApplication::processEvents();
    for (ChartBox* box : tab->findChildren<ChartBox*>()) {
      const QStringList texts = chart_texts(box->view());
      EXPECT_FALSE(texts.isEmpty());
      for (const QString& text : texts) {
        EXPECT_EQ(text.indexOf("..."), -1)
            << "cut: " << text.toStdString() << " in " << box->view()->chart()->title().toStdString();
      }
    }
  }
}

TEST(ReadableCharts, RiskChartFillsWhenAPlanOpens) {
  ShownWindow w;
  ASSERT_TRUE(w.open_plan(src("plans/flm-101b.yaml")));
  click_tab(w, w.compare_tab());
  CompareTab* cmp = w.compare_tab();
  // An explicit placeholder while the simulation runs, never an empty chart with 0.0 ticks.
  EXPECT_NE(cmp->risk_chart()->view()->chart()->title().indexOf("simulating"), -1)
      << cmp->risk_chart()->view()->chart()->title().toStdString();
  ASSERT_TRUE(test_util::wait_until([&] { return cmp->risk().size() == 2; }));  // the plan and its baseline
  QChart* chart = cmp->risk_chart()->view()->chart();
  ASSERT_EQ(chart->series().size(), 1);
  auto* bands = qobject_cast<QHorizontalStackedBarSeries*>(chart->series()[0]);
  ASSERT_NE(bands, nullptr);
  ASSERT_EQ(bands->count(), 3);  // up to P10 (invisible), P10..P50, P50..P90
  EXPECT_EQ(bands->barSets()[0]->count(), 2);
  EXPECT_TRUE(axis_labels(cmp->risk_chart(), Qt::Horizontal).last().endsWith("%"));
  // An edit makes the plan's bands stale: they are simulated again.
  const double p50 = cmp->risk().at("FLM-101B growth schedule").days.p50;
  w.document()->set_stage_value(0, "tokens", "490.74e9");  // twice the first stage's tokens
  EXPECT_EQ(cmp->risk().count("FLM-101B growth schedule"), 0u);
  ASSERT_TRUE(test_util::wait_until([&] { return cmp->risk().count("FLM-101B growth schedule") == 1; }));
  EXPECT_GT(cmp->risk().at("FLM-101B growth schedule").days.p50, 1.3 * p50);
}

// Sets TZ for the test's life: Qt shows local time in that zone.
struct TimeZoneGuard {
  explicit TimeZoneGuard(const char* zone) : old(qgetenv("TZ")) {
    qputenv("TZ", zone);
    tzset();
  }
  ~TimeZoneGuard() {
    if (old.isEmpty()) {
      qunsetenv("TZ");
    } else {
      qputenv("TZ", old);
    }
    tzset();
  }
  QByteArray old;
};

TEST(ReadableCharts, CarbonWindowDefaultsToTheTraceAndReadsInUtc) {
  const TimeZoneGuard new_york("America/New_York");
  ShownWindow w;
  ASSERT_TRUE(w.open_plan(src("plans/flm-101b.yaml")));
  click_tab(w, w.carbon_tab());
  CarbonTab* carbon = w.carbon_tab();
  // No trace, no dates: not Qt's default 2000-01-01.
  EXPECT_FALSE(carbon->start_edit()->isEnabled());
  EXPECT_EQ(carbon->start_edit()->text(), "load a trace");
  // Choose the first shipped trace with the keyboard, as a user would.
  auto* traces = carbon->findChild<QComboBox*>("traceFile");
  traces->setFocus();
  QTest::keyClick(traces, Qt::Key_Down);
  ASSERT_TRUE(carbon->start_edit()->isEnabled()) << carbon->result_label()->text().toStdString();
  const QDateTime first(QDate(2023, 1, 1), QTime(0, 0), Qt::UTC);
  EXPECT_EQ(carbon->start_edit()->dateTime(), first);
  EXPECT_EQ(carbon->start_edit()->minimumDateTime(), first);
  EXPECT_EQ(carbon->deadline_edit()->dateTime(), carbon->deadline_edit()->maximumDateTime());
  EXPECT_EQ(carbon->deadline_edit()->dateTime().date().year(), 2024);  // the end of the 2023 trace
  EXPECT_EQ(carbon->start_edit()->text(), "2023-01-01 00:00 UTC");

  const QDateTime start(QDate(2023, 3, 1), QTime(0, 0), Qt::UTC);
  carbon->set_window(start, start.addDays(45));
  // Labelled UTC, shown in UTC: weeks from Monday Mar 6 00:00 UTC (Sunday evening in New York).
  EXPECT_EQ(axis_labels(carbon->trace_chart(), Qt::Horizontal),
            QStringList({"Mar 6", "Mar 13", "Mar 20", "Mar 27", "Apr 3", "Apr 10"}));
  EXPECT_EQ(QDateTime(QDate(2023, 3, 6), QTime(0, 0), Qt::UTC).toLocalTime().toString("MMM d"), "Mar 5");
}

TEST(ReadableCharts, ResultTablesSortByClickingAHeader) {
  ShownWindow w;
  ASSERT_TRUE(w.open_plan(src("plans/flm-101b.yaml")));
  QString error;
  ASSERT_TRUE(w.compare_tab()->add_plan_file(src("plans/scratch-101b.yaml"), &error));
  click_tab(w, w.compare_tab());
  QTableWidget* table = w.compare_tab()->table();
  EXPECT_EQ(table->item(0, 0)->text(), "FLM-101B growth schedule");  // as added until the user sorts
  const int usd = 5;
  test_util::click_header(table, usd);
  std::vector<double> keys = test_util::column_keys(table, usd);
  EXPECT_TRUE(std::is_sorted(keys.begin(), keys.end()));
  EXPECT_EQ(table->item(0, 0)->text(), "FLM-101B growth schedule");  // the cheapest
  test_util::click_header(table, usd);
  keys = test_util::column_keys(table, usd);
  EXPECT_TRUE(std::is_sorted(keys.rbegin(), keys.rend()));

  // Budget candidates: sort by USD, take the cheapest with the mouse.
  BudgetTab* budget = w.budget_tab();
  click_tab(w, budget);
  budget->run_search();
  budget->task()->wait();
  ASSERT_TRUE(budget->result().has_value());
  QTableWidget* candidates = budget->table();
  test_util::click_header(candidates, usd - 1);  // "USD" is the budget table's fifth column
  keys = test_util::column_keys(candidates, usd - 1);
  ASSERT_TRUE(std::is_sorted(keys.begin(), keys.end()));
  QTest::mouseClick(candidates->viewport(), Qt::LeftButton, {},
                    candidates->visualItemRect(candidates->item(0, 1)).center());
  QTest::mouseClick(budget->findChild<QPushButton*>("useCandidate"), Qt::LeftButton);
  ASSERT_TRUE(w.document()->estimate().has_value());
  EXPECT_DOUBLE_EQ(w.document()->estimate()->total.cost_usd, keys.front());
  const int rank = budget->rank_at_row(0);
  const auto& r = *budget->result();
  const auto& chosen = rank < static_cast<int>(r.ranked.size()) ? r.ranked[rank] : *r.scratch;
  EXPECT_EQ(chosen.estimate.total.cost_usd, keys.front());
}

// The application palette for the test's life.
struct PaletteGuard {
  explicit PaletteGuard(const QPalette& palette) : old(QApplication::palette()) { QApplication::setPalette(palette); }
  ~PaletteGuard() { QApplication::setPalette(old); }
  QPalette old;
};

TEST(ReadableCharts, DarkThemeStaysLegible) {
  const PaletteGuard dark(test_util::dark_palette());
  ShownWindow w;
  ASSERT_TRUE(w.open_plan(src("plans/flm-101b.yaml")));
  const QColor text = QApplication::palette().color(QPalette::Text);
  StagesModel* model = w.plan_tab()->stages_model();
  // The first stage's grow-steps cell (nothing to grow from) is muted, still readable.
  const QModelIndex muted = model->index(0, model->column_of("grow.grow_steps"));
  EXPECT_GE(contrast_ratio(text, muted.data(Qt::BackgroundRole).value<QBrush>().color()), 4.5);
  w.document()->set_stage_value(1, "heads", "77");
  const QModelIndex error = model->error_index();
  ASSERT_TRUE(error.isValid());
  EXPECT_GE(contrast_ratio(text, error.data(Qt::BackgroundRole).value<QBrush>().color()), 4.5);
  EXPECT_NE(w.message_bar()->styleSheet().indexOf(text.name()), -1) << w.message_bar()->styleSheet().toStdString();
  click_tab(w, w.compare_tab());
  for (ChartBox* box : w.compare_tab()->findChildren<ChartBox*>()) {
    EXPECT_EQ(box->view()->chart()->theme(), QChart::ChartThemeDark);
  }
  EXPECT_TRUE(test_util::save_screenshot(&w, "comparison-dark"));
}

}  // namespace
}  // namespace sprout::gui
