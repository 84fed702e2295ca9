// SPDX-License-Identifier: GPL-3.0-or-later
// The window as a user drives it, on the offscreen platform.
#include "sprout/gui/main_window.h"

#include <gtest/gtest.h>

#include <QApplication>
#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QSettings>
#include <QTabWidget>
#include <QTableView>
#include <QTableWidget>
#include <QTest>
#include <QXYSeries>
#include <map>

#include "gui_test_util.h"
#include "sprout/gui/background_task.h"
#include "sprout/gui/budget_tab.h"
#include "sprout/gui/carbon_tab.h"
#include "sprout/gui/chart_box.h"
#include "sprout/gui/compare_tab.h"
#include "sprout/gui/estimate_panel.h"
#include "sprout/gui/export_dialog.h"
#include "sprout/gui/palette_colors.h"
#include "sprout/gui/plan_document.h"
#include "sprout/gui/plan_tab.h"
#include "sprout/gui/run_tab.h"
#include "sprout/gui/stages_model.h"
#include "sprout/planner/base/file_io.h"
#include "sprout/planner/base/format_units.h"
#include "sprout/planner/base/units.h"
#include "sprout/planner/cost/estimate_rows.h"
#include "sprout/planner/io/plan_loader.h"
#include "sprout/simulator/run/percentile_costs.h"

namespace sprout::gui {
namespace {

using test_util::save_screenshot;
using test_util::src;

TEST(MainWindow, ShowsThePlannersTotalsForFlm101B) {
  MainWindow w;
  ASSERT_TRUE(w.open_plan(src("plans/flm-101b.yaml")));
  auto e = planner::estimate_plan(planner::load_plan(test::source_path("plans/flm-101b.yaml")));
  auto* panel = w.plan_tab()->estimate_panel();
  EXPECT_EQ(panel->total_text("cost_usd").toStdString(), planner::human_usd(e.total.cost_usd));
  EXPECT_EQ(panel->total_text("days").toStdString(), planner::human_duration(e.total.seconds));
  EXPECT_EQ(panel->total_text("co2e_kg").toStdString(), planner::human_mass_kg(e.total.co2e_kg));
  EXPECT_EQ(panel->total_text("energy_kwh").toStdString(), planner::human_energy_kwh(e.total.energy_kwh));
  // Rows: 3 stages, total, from-scratch baseline.
  EXPECT_EQ(panel->table()->rowCount(), 5);
  EXPECT_EQ(panel->table()->item(3, 0)->text(), "total");
  EXPECT_EQ(panel->table()->item(2, 0)->text(), "+depth 101B");
  // Every cell and title is the one `sprout plan` prints (planner::estimate_rows).
  const std::vector<planner::EstimateRow> rows = planner::estimate_rows(e, w.document()->plan().cluster.gpus);
  ASSERT_EQ(panel->table()->columnCount(), static_cast<int>(planner::estimate_columns().size()));
  for (int c = 0; c < panel->table()->columnCount(); ++c) {
    EXPECT_EQ(panel->table()->horizontalHeaderItem(c)->text().toStdString(), planner::estimate_columns()[c]);
    for (int r = 0; r < panel->table()->rowCount(); ++r) {
      EXPECT_EQ(panel->table()->item(r, c)->text().toStdString(), rows[r].cells[c]) << r << "," << c;
    }
  }
}

TEST(MainWindow, TypingAnInvalidValueShowsTheErrorAndNothingIsSaved) {
  MainWindow w;
  w.resize(1280, 800);
  w.show();
  ASSERT_TRUE(w.open_plan(src("plans/flm-101b.yaml")));
  QTableView* view = w.plan_tab()->stages_view();
  const QModelIndex cell = w.plan_tab()->stages_model()->index(1, w.plan_tab()->stages_model()->column_of("heads"));
  // Edit the cell as a user would: double-click it, type, press Enter.
  QTest::mouseDClick(view->viewport(), Qt::LeftButton, {}, view->visualRect(cell).center());
  auto* editor = view->viewport()->findChild<QLineEdit*>();
  ASSERT_NE(editor, nullptr);
  editor->selectAll();
  QTest::keyClicks(editor, "77");
  QTest::keyClick(editor, Qt::Key_Return);
  QApplication::processEvents();
  EXPECT_TRUE(w.plan_tab()->field_error()->isVisible());
  EXPECT_NE(w.plan_tab()->field_error()->text().indexOf("stages[1].heads"), -1);
  EXPECT_NE(w.plan_tab()->field_error()->text().indexOf("does not divide hidden=10240"), -1);
  EXPECT_EQ(w.plan_tab()->stages_model()->error_index(), cell);
  EXPECT_EQ(cell.data(Qt::BackgroundRole).value<QBrush>().color(), error_background(QApplication::palette()));
  EXPECT_TRUE(save_screenshot(&w, "plan-error"));

  const QString out = QString::fromStdString(test::make_temp_dir("gui-nosave")) + "/plan.yaml";
  EXPECT_FALSE(w.save_plan(out));
  EXPECT_FALSE(QFile::exists(out));
  EXPECT_TRUE(w.message_bar()->property("isError").toBool());
  EXPECT_NE(w.message_bar()->text().indexOf("Not saved"), -1);
}

TEST(MainWindow, AMalformedPlanOpensWithAClearMessage) {
  MainWindow w;
  for (const char* bad : {"tests/data/bad/malformed-yaml.yaml", "tests/data/bad/unknown-key.yaml",
                          "tests/data/bad/shrinking-growth.yaml"}) {
    EXPECT_FALSE(w.open_plan(src(bad)));
    EXPECT_TRUE(w.message_bar()->isVisibleTo(&w));
    EXPECT_NE(w.message_bar()->text().indexOf(src(bad)), -1) << w.message_bar()->text().toStdString();
  }
  EXPECT_FALSE(w.open_plan("/no/such/file.yaml"));
  EXPECT_NE(w.message_bar()->text().indexOf("cannot open file"), -1);
}

TEST(MainWindow, ComparesPlansSideBySideAndExportsCsv) {
  MainWindow w;
  ASSERT_TRUE(w.open_plan(src("plans/flm-101b.yaml")));
  CompareTab* cmp = w.compare_tab();
  QString error;
  ASSERT_TRUE(cmp->add_plan_file(src("plans/scratch-101b.yaml"), &error)) << error.toStdString();
  // flm, scratch-101b, flm's baseline (a one-stage plan is its own baseline).
  EXPECT_EQ(cmp->table()->rowCount(), 3);
  EXPECT_EQ(cmp->table()->item(0, 0)->text(), "FLM-101B growth schedule");
  EXPECT_EQ(cmp->table()->item(1, 0)->text(), "101B from scratch");
  const double flm_days = cmp->table()->item(0, 3)->text().toDouble();
  const double scratch_days = cmp->table()->item(1, 3)->text().toDouble();
  EXPECT_GT(scratch_days, 3 * flm_days);
  EXPECT_EQ(cmp->bars()->view()->chart()->series().size(), 1);
  const QString csv = QString::fromStdString(test::make_temp_dir("gui-csv")) + "/cmp.csv";
  ASSERT_TRUE(cmp->write_csv(csv, &error)) << error.toStdString();
  QFile f(csv);
  ASSERT_TRUE(f.open(QIODevice::ReadOnly));
  const QStringList lines = QString::fromUtf8(f.readAll()).trimmed().split('\n');
  EXPECT_EQ(lines.size(), 4);
  EXPECT_TRUE(lines[1].startsWith("FLM-101B growth schedule,"));
  EXPECT_FALSE(cmp->add_plan_file(src("tests/data/bad/zero-gpus.yaml"), &error));
  EXPECT_NE(error.indexOf("gpus: 0 is out of range"), -1);
}

TEST(MainWindow, ChartsSaveAsPngAndSvg) {
  MainWindow w;
  w.resize(1280, 800);
  w.show();
  ASSERT_TRUE(w.open_plan(src("plans/flm-101b.yaml")));
  w.tabs()->setCurrentWidget(w.compare_tab());
  QApplication::processEvents();
  const QString dir = QString::fromStdString(test::make_temp_dir("gui-chart"));
  QString error;
  ASSERT_TRUE(save_chart(w.compare_tab()->timeline()->view(), dir + "/t.png", &error)) << error.toStdString();
  ASSERT_TRUE(save_chart(w.compare_tab()->timeline()->view(), dir + "/t.svg", &error)) << error.toStdString();
  QImage png(dir + "/t.png");
  EXPECT_GT(png.width(), 100);
  QFile svg(dir + "/t.svg");
  ASSERT_TRUE(svg.open(QIODevice::ReadOnly));
  EXPECT_TRUE(svg.readAll().contains("<svg"));
}

TEST(MainWindow, CarbonByRegionFollowsGridIntensity) {
  MainWindow w;
  ASSERT_TRUE(w.open_plan(src("plans/flm-101b.yaml")));
  const auto& regions = w.carbon_tab()->by_region();
  ASSERT_GE(regions.size(), 8u);
  std::map<QString, double> t(regions.begin(), regions.end());
  // Same PUE (1.1) in both: the ratio is the grid intensities' (56 vs 582 g/kWh).
  EXPECT_NEAR(t["france"] / t["cn-north"], 56.0 / 582.0, 1e-9);
  EXPECT_NEAR(t["cn-north"], w.document()->estimate()->total.co2e_kg / 1000, 1e-9);
}

TEST(MainWindow, ExportDialogWritesTheSlurmScriptOrExplainsTheRefusal) {
  MainWindow w;
  ASSERT_TRUE(w.open_plan(src("plans/tiny-cpu.yaml")));
  ExportDialog dialog(w.document(), &w);
  const QString dir = QString::fromStdString(test::make_temp_dir("gui-export"));
  dialog.out_dir()->setText(dir + "/slurm");
  ASSERT_TRUE(dialog.run_export()) << dialog.result_label()->text().toStdString();
  EXPECT_TRUE(QFile::exists(dir + "/slurm/sprout.sbatch"));
  EXPECT_NE(dialog.result_label()->text().indexOf(dir + "/slurm/sprout.sbatch"), -1);
  dialog.target()->setCurrentIndex(1);  // Kubernetes without an image
  dialog.out_dir()->setText(dir + "/k8s");
  EXPECT_FALSE(dialog.run_export());
  EXPECT_NE(dialog.result_label()->text().indexOf("container image"), -1);
  // The tiny plan on TP2 with a vocabulary that does not split over 2 ranks.
  std::string text = planner::read_file(test::source_path("plans/tiny-cpu.yaml"));
  const std::string dp1 = "tp: 1, pp: 1, dp: 1";
  for (size_t at; (at = text.find(dp1)) != std::string::npos;) text.replace(at, dp1.size(), "tp: 2, pp: 1, dp: 1");
  text.replace(text.find("gpus: 1"), 7, "gpus: 2");
  text.replace(text.find("vocab: 256"), 10, "vocab: 255");
  planner::write_file_atomically(dir.toStdString() + "/odd-vocab.yaml", text);
  ASSERT_TRUE(w.open_plan(dir + "/odd-vocab.yaml"));
  dialog.target()->setCurrentIndex(0);
  dialog.out_dir()->setText(dir + "/odd");
  EXPECT_FALSE(dialog.run_export());
  EXPECT_NE(dialog.result_label()->text().indexOf("vocab=255 is not divisible by tp=2"), -1)
      << dialog.result_label()->text().toStdString();
}

TEST(MainWindow, RemembersRecentFilesAndWindowState) {
  QSettings().clear();
  {
    MainWindow w;
    w.resize(1100, 700);
    ASSERT_TRUE(w.open_plan(src("plans/tiny-cpu.yaml")));
    ASSERT_TRUE(w.open_plan(src("plans/flm-101b.yaml")));
    w.close();
  }
  MainWindow again;
  ASSERT_EQ(again.recent_files().size(), 2);
  EXPECT_EQ(again.recent_files()[0], src("plans/flm-101b.yaml"));
  EXPECT_EQ(again.size(), QSize(1100, 700));
}

TEST(MainWindow, BudgetModeFindsSchedulesWithinOneHundredThousandDollars) {
  MainWindow w;
  w.resize(1280, 800);
  w.show();
  BudgetTab* budget = w.budget_tab();
  budget->set_budget_usd(100000);
  budget->set_target_params(101e9);
  budget->set_hardware("a800", 192);
  budget->set_region("cn-north");
  budget->run_search();
  budget->task()->wait();
  ASSERT_TRUE(budget->result().has_value());
  const auto& r = *budget->result();
  ASSERT_FALSE(r.ranked.empty());
  ASSERT_TRUE(r.scratch.has_value());
  EXPECT_EQ(budget->table()->rowCount(), static_cast<int>(r.ranked.size()) + 1);
  EXPECT_GT(r.ranked[0].tokens, r.scratch->tokens);  // growth buys more tokens for the money
  ASSERT_TRUE(budget->use_candidate(0));
  ASSERT_TRUE(w.document()->estimate().has_value());
  EXPECT_LE(w.document()->estimate()->total.cost_usd, 100000.0);
  EXPECT_EQ(w.document()->plan().stages.back().shape.hidden, r.ranked[0].plan.stages.back().shape.hidden);
  EXPECT_EQ(w.tabs()->currentWidget(), w.plan_tab());

  // By default the budget holds for the run the user will have: the best
  // schedule's simulated P50 (failures and restarts included) stays within
  // $100K, as `sprout search --confidence 0.5` keeps it.
  ASSERT_TRUE(r.stats.risk.has_value());
  EXPECT_EQ(r.stats.risk->percentile, 0.5);
  EXPECT_NE(budget->summary()->text().indexOf("Limits held at P50 of the simulated run"), -1);
  const double best_p50_usd =
      simulator::run_costs_at(r.ranked[0].plan, 0.5, simulator::kRiskScreenTrials).total.cost_usd;
  EXPECT_LE(best_p50_usd, 100000.0);
  // Failure-free limits let the search spend the whole budget on the
  // failure-free costs, so its best schedule's real run would overspend.
  const double screened_usd = r.ranked[0].estimate.total.cost_usd;
  budget->set_confidence(std::nullopt);
  budget->run_search();
  budget->task()->wait();
  const auto& free = *budget->result();
  ASSERT_FALSE(free.ranked.empty());
  EXPECT_FALSE(free.stats.risk.has_value());
  EXPECT_NE(budget->summary()->text().indexOf("Limits held by the failure-free costs"), -1);
  EXPECT_GT(free.ranked[0].estimate.total.cost_usd, screened_usd);
  EXPECT_GT(simulator::run_costs_at(free.ranked[0].plan, 0.5, simulator::kRiskScreenTrials).total.cost_usd, 100000.0);
  EXPECT_THROW(budget->set_confidence(0.7), std::invalid_argument);
}

TEST(MainWindow, BudgetModeExplainsAnImpossibleBudget) {
  MainWindow w;
  w.budget_tab()->set_budget_usd(1000);
  w.budget_tab()->run_search();
  w.budget_tab()->task()->wait();
  ASSERT_TRUE(w.budget_tab()->result().has_value());
  EXPECT_TRUE(w.budget_tab()->result()->infeasible.has_value());
  EXPECT_NE(w.budget_tab()->summary()->text().indexOf("Nothing fits"), -1);
}

TEST(MainWindow, SimulatedRiskBandsInTheComparison) {
  MainWindow w;
  ASSERT_TRUE(w.open_plan(src("plans/flm-101b.yaml")));
  CompareTab* cmp = w.compare_tab();
  cmp->simulate_risk(500);
  cmp->task()->wait();
  ASSERT_EQ(cmp->risk().count("FLM-101B growth schedule"), 1u);
  const auto& b = cmp->risk().at("FLM-101B growth schedule");
  EXPECT_LE(b.days.p10, b.days.p50);
  EXPECT_LE(b.days.p50, b.days.p90);
  // Failures, checkpoints and evaluations only add time to the planner's figure.
  EXPECT_GT(b.days.p50, w.document()->estimate()->total.seconds / planner::kSecondsPerDay);
  EXPECT_FALSE(cmp->table()->item(0, 9)->text().isEmpty());
  EXPECT_EQ(cmp->risk_chart()->view()->chart()->series().size(), 1);
}

TEST(MainWindow, CarbonAwareStartWithAnHourlyTrace) {
  MainWindow w;
  ASSERT_TRUE(w.open_plan(src("plans/flm-101b.yaml")));
  CarbonTab* carbon = w.carbon_tab();
  EXPECT_FALSE(carbon->load_trace(src("tests/data/bad-traces/negative-intensity.csv")));
  EXPECT_NE(carbon->result_label()->text().indexOf("negative"), -1) << carbon->result_label()->text().toStdString();
  ASSERT_TRUE(carbon->load_trace(src("profiles/regions/traces/germany-2023-synthetic.csv")));
  const QDateTime start(QDate(2023, 3, 1), QTime(0, 0), Qt::UTC);
  carbon->set_window(start, start.addDays(45));
  carbon->run_carbon_aware(simulator::CarbonAwareMode::kStart, 200);
  carbon->task()->wait();
  ASSERT_TRUE(carbon->result().has_value()) << carbon->result_label()->text().toStdString();
  const auto& r = *carbon->result();
  EXPECT_GE(r.chosen_start_unix_s, start.toSecsSinceEpoch());
  EXPECT_GE(r.co2e_saved_kg, 0);  // the best start is never worse than starting right away
  EXPECT_NE(carbon->result_label()->text().indexOf("saves"), -1);
}

TEST(RunOverlay, RecordedRunOverThePredictionWithGrowthMarked) {
  MainWindow w;
  w.resize(1280, 800);
  w.show();
  ASSERT_TRUE(w.open_plan(src("plans/tiny-cpu.yaml")));
  ASSERT_TRUE(w.open_run(src("tests/data/runs/tiny-cpu-recorded"))) << w.message_bar()->text().toStdString();
  RunTab* run = w.run_tab();
  ASSERT_TRUE(run->comparison().has_value());
  EXPECT_FALSE(run->comparison()->in_progress);
  EXPECT_EQ(run->table()->rowCount(), 4);  // three stages and the total
  int train_points = 0, val_points = 0, growth_lines = 0;
  for (QAbstractSeries* s : run->loss_chart()->view()->chart()->series()) {
    auto* xy = qobject_cast<QXYSeries*>(s);
    ASSERT_NE(xy, nullptr);
    if (xy->name() == "training loss") train_points = static_cast<int>(xy->count());
    if (xy->name() == "validation loss") val_points = static_cast<int>(xy->count());
    if (xy->count() == 2 && xy->at(0).x() == xy->at(1).x()) ++growth_lines;
  }
  EXPECT_GT(train_points, 50);
  EXPECT_GT(val_points, 10);
  EXPECT_EQ(growth_lines, 2);
  for (RunMetric m : {RunMetric::kSeconds, RunMetric::kCostUsd, RunMetric::kEnergyKwh, RunMetric::kCo2eKg}) {
    run->set_metric(m);
    auto series = run->cumulative_chart()->view()->chart()->series();
    ASSERT_GE(series.size(), 2);
    EXPECT_GT(qobject_cast<QXYSeries*>(series[1])->count(), 50);  // the actual curve
  }
}

int column_titled(const QTableWidget* table, const QString& title) {
  for (int c = 0; c < table->columnCount(); ++c) {
    if (table->horizontalHeaderItem(c) && table->horizontalHeaderItem(c)->text() == title) return c;
  }
  return -1;
}

// The run tab's peak-memory columns: empty for a run that did not measure
// it, else the largest rank's step peak beside the planner's prediction.
TEST(RunOverlay, PeakMemoryColumnsShowWhatTheRunMeasured) {
  MainWindow w;
  ASSERT_TRUE(w.open_plan(src("plans/tiny-cpu.yaml")));
  const QString recorded = src("tests/data/runs/tiny-cpu-recorded");
  ASSERT_TRUE(w.open_run(recorded)) << w.message_bar()->text().toStdString();
  const QTableWidget* table = w.run_tab()->table();
  const int predicted = column_titled(table, "peak mem pred"), actual = column_titled(table, "peak mem actual");
  ASSERT_GE(predicted, 0);
  ASSERT_GE(actual, 0);
  EXPECT_TRUE(table->item(0, actual)->text().isEmpty());  // the recorded run predates the memory meter

  // A copy whose stages' last evaluations logged two ranks' peaks each.
  const QString dir = QString::fromStdString(test::make_temp_dir("peak-memory-run"));
  QFile::copy(recorded + "/plan.yaml", dir + "/plan.yaml");
  QFile all(recorded + "/telemetry.jsonl");
  ASSERT_TRUE(all.open(QIODevice::ReadOnly));
  QList<QJsonObject> records;
  for (const QByteArray& line : all.readAll().split('\n')) {
    if (!line.trimmed().isEmpty()) records.push_back(QJsonDocument::fromJson(line).object());
  }
  const std::map<QString, QJsonArray> peaks = {{"small", {2e6, 3e6}}, {"wide", {9e6, 7e6}}, {"deep", {5e6, 4e6}}};
  for (const auto& [stage, bytes] : peaks) {
    for (auto it = records.rbegin(); it != records.rend(); ++it) {
      if ((*it)["stage"].toString() == stage && (*it)["event"].toString() == "eval") {
        (*it)["rank_steady_memory_bytes"] = bytes;
        break;
      }
    }
  }
  QFile out(dir + "/telemetry.jsonl");
  ASSERT_TRUE(out.open(QIODevice::WriteOnly));
  for (const QJsonObject& r : records) out.write(QJsonDocument(r).toJson(QJsonDocument::Compact) + "\n");
  out.close();
  ASSERT_TRUE(w.open_run(dir)) << w.message_bar()->text().toStdString();
  const planner::RunComparison& c = *w.run_tab()->comparison();
  ASSERT_TRUE(c.stages[1].peak_memory_gb);
  EXPECT_EQ(table->item(0, actual)->text(), "0.003 GB");
  EXPECT_EQ(table->item(1, actual)->text(), "0.009 GB");
  EXPECT_EQ(table->item(3, actual)->text(), "0.009 GB");  // the total: the largest stage's
  EXPECT_EQ(table->item(1, predicted)->text(), QString("%1 GB").arg(c.stages[1].peak_memory_gb->predicted, 0, 'g', 3));
}

TEST(RunOverlay, LiveRefreshWhileTheRunWrites) {
  MainWindow w;
  const QString dir = QString::fromStdString(test::make_temp_dir("live-run"));
  const QString recorded = src("tests/data/runs/tiny-cpu-recorded");
  QFile::copy(recorded + "/plan.yaml", dir + "/plan.yaml");
  QFile all(recorded + "/telemetry.jsonl");
  ASSERT_TRUE(all.open(QIODevice::ReadOnly));
  const QList<QByteArray> lines = all.readAll().split('\n');
  auto write_lines = [&](int n, const QByteArray& tail) {
    QFile out(dir + "/telemetry.jsonl");
    ASSERT_TRUE(out.open(QIODevice::WriteOnly | QIODevice::Truncate));
    for (int i = 0; i < n; ++i) out.write(lines[i] + "\n");
    out.write(tail);
  };
  write_lines(30, lines[30].left(25));  // the 31st line half written
  ASSERT_TRUE(w.open_run(dir)) << w.message_bar()->text().toStdString();
  ASSERT_TRUE(w.run_tab()->comparison()->in_progress);
  const double tokens_before = w.run_tab()->comparison()->total.tokens;
  write_lines(80, "");
  // The file watcher reloads after a short debounce.
  for (int i = 0; i < 100 && w.run_tab()->comparison()->total.tokens == tokens_before; ++i) {
    QTest::qWait(50);
  }
  EXPECT_GT(w.run_tab()->comparison()->total.tokens, tokens_before);
  EXPECT_TRUE(w.run_tab()->comparison()->in_progress);
}

TEST(RunOverlay, AMalformedRunDirectoryOpensWithAClearMessage) {
  MainWindow w;
  const QString dir = QString::fromStdString(test::make_temp_dir("bad-run"));
  EXPECT_FALSE(w.open_run(dir));
  EXPECT_NE(w.message_bar()->text().indexOf("plan.yaml: missing"), -1) << w.message_bar()->text().toStdString();
  QFile::copy(src("tests/data/runs/tiny-cpu-recorded/plan.yaml"), dir + "/plan.yaml");
  QFile bad(dir + "/telemetry.jsonl");
  ASSERT_TRUE(bad.open(QIODevice::WriteOnly));
  bad.write("{\"step\": 1, oops}\n{\"step\": 2}\n");
  bad.close();
  EXPECT_FALSE(w.open_run(dir));
  EXPECT_NE(w.message_bar()->text().indexOf("telemetry.jsonl:1: telemetry.line: not valid JSON"), -1)
      << w.message_bar()->text().toStdString();
}

// Issue #8's chart of predicted vs actual, rendered without a display.
TEST(GuiCommandLine, RendersARunOverThePredictionToPngAndSvg) {
  const std::string dir = test::make_temp_dir("render");
  const std::string gui = test::binary_path("gui/sprout-gui");
  for (const char* ext : {"png", "svg"}) {
    auto r = test::run_command("QT_QPA_PLATFORM=offscreen " + gui + " " + test::source_path("plans/tiny-cpu.yaml") +
                               " --run " + test::source_path("tests/data/runs/tiny-cpu-recorded") + " --render " + dir +
                               "/run." + ext);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    QFile f(QString::fromStdString(dir + "/run." + ext));
    ASSERT_TRUE(f.open(QIODevice::ReadOnly));
    const QByteArray bytes = f.readAll();
    EXPECT_TRUE(std::string(ext) == "png" ? bytes.startsWith("\x89PNG") : bytes.contains("<svg")) << ext;
  }
  auto bad = test::run_command("QT_QPA_PLATFORM=offscreen " + gui + " --run /no/such/run --render " + dir + "/bad.png");
  EXPECT_EQ(bad.exit_code, 2);
}

}  // namespace
}  // namespace sprout::gui
