// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/gui/run_tab.h"

#include <QComboBox>
#include <QDir>
#include <QFileDialog>
#include <QGridLayout>
#include <QGuiApplication>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLegendMarker>
#include <QLineSeries>
#include <QPushButton>
#include <QScatterSeries>
#include <QTableWidget>
#include <QVBoxLayout>
#include <cmath>

#include "sprout/gui/chart_axes.h"
#include "sprout/gui/chart_box.h"
#include "sprout/gui/charts.h"
#include "sprout/gui/palette_colors.h"
#include "sprout/gui/plan_document.h"
#include "sprout/gui/qt_text.h"
#include "sprout/gui/result_table.h"
#include "sprout/planner/base/format_units.h"
#include "sprout/planner/cost/cost_model.h"

namespace sprout::gui {
namespace {

using planner::RunRecord;
using planner::TelemetryRecord;

// Short labels (200K, 1.4M): room for steps fine enough to end near the last token.
constexpr int kTokenTicks = 10;

const char* metric_title(RunMetric m) {
  switch (m) {
    case RunMetric::kSeconds:
      return "time";
    case RunMetric::kCostUsd:
      return "cost";
    case RunMetric::kEnergyKwh:
      return "energy";
    case RunMetric::kCo2eKg:
      return "CO2e";
  }
  return "";
}

// metric_of_seconds' numbers are seconds, USD, kWh and kg.
AxisUnit metric_unit(RunMetric m) {
  switch (m) {
    case RunMetric::kSeconds:
      return duration_unit(1);
    case RunMetric::kCostUsd:
      return usd_unit();
    case RunMetric::kEnergyKwh:
      return energy_unit(1);
    case RunMetric::kCo2eKg:
      return mass_unit(1);
  }
  return plain_unit();
}

// Value of `metric` for `seconds` of the plan's GPUs (prediction) or ranks.
double metric_of_seconds(RunMetric m, double seconds, int gpus, const planner::Plan& plan) {
  planner::Cluster cluster = plan.cluster;
  cluster.gpus = gpus;
  const planner::Costs c = planner::costs_for(seconds, cluster);
  switch (m) {
    case RunMetric::kSeconds:
      return seconds;
    case RunMetric::kCostUsd:
      return c.cost_usd;
    case RunMetric::kEnergyKwh:
      return c.energy_kwh;
    case RunMetric::kCo2eKg:
      return c.co2e_kg;
  }
  return 0;
}

// A chart of something against tokens trained.
struct TokensChart {
  QChart* chart;
  XyAxes axes;
};
TokensChart tokens_chart(const QString& title, const QString& y_title, const QPalette& palette) {
  QChart* chart = new_chart(title, palette);
  chart->legend()->setAlignment(Qt::AlignBottom);
  return {chart, add_xy_axes(chart, "tokens", y_title)};
}

// Vertical dashed lines at the tokens where the run grew.
void mark_growth(const TokensChart& c, const RunRecord& run, double lo, double hi) {
  bool first = true;
  for (const auto& r : run.records) {
    if (r.event != "grow") continue;
    auto* line = new QLineSeries;
    line->setName(first ? "growth" : "");
    first = false;
    QPen pen(growth_color(QGuiApplication::palette()));
    pen.setStyle(Qt::DashLine);
    line->setPen(pen);
    line->append(r.tokens, lo);
    line->append(r.tokens, hi);
    const bool named = !line->name().isEmpty();
    add_xy_series(c.chart, line, c.axes);
    if (!named) {
      for (QLegendMarker* m : c.chart->legend()->markers(line)) m->setVisible(false);
    }
  }
}

// A stage's peak memory per GPU, predicted or measured: empty where the run
// did not measure it.
TableCell peak_memory_cell(const planner::StageComparison& s, bool actual) {
  if (!s.peak_memory_gb) return {QString(), std::nullopt};
  const double gb = actual ? s.peak_memory_gb->actual : s.peak_memory_gb->predicted;
  return {QString("%1 GB").arg(gb, 0, 'g', 3), gb};
}

// One row per stage the run reached, then the total.
void fill_comparison_table(QTableWidget* table, const planner::RunComparison& c) {
  std::vector<const planner::StageComparison*> reached;
  for (const auto& stage : c.stages) {
    if (stage.reached) reached.push_back(&stage);
  }
  reached.push_back(&c.total);
  std::vector<TableRow> rows;
  for (const planner::StageComparison* s : reached) {
    rows.push_back(
        {{to_qstring(s->name), std::nullopt},
         {to_qstring(planner::percent(s->fraction_done, 0)), s->fraction_done},
         {to_qstring(planner::human_duration(s->wall_seconds.predicted)), s->wall_seconds.predicted},
         {to_qstring(planner::human_duration(s->wall_seconds.actual)), s->wall_seconds.actual},
         {QString("%1%").arg(100 * s->wall_seconds.error_fraction(), 0, 'f', 1), s->wall_seconds.error_fraction()},
         {to_qstring(planner::human_count(s->tokens_per_s.predicted)), s->tokens_per_s.predicted},
         {to_qstring(planner::human_count(s->tokens_per_s.actual)), s->tokens_per_s.actual},
         {to_qstring(planner::human_usd(s->cost_usd.actual)), s->cost_usd.actual},
         {to_qstring(planner::human_energy_kwh(s->energy_kwh.actual)), s->energy_kwh.actual},
         {to_qstring(planner::human_mass_kg(s->co2e_kg.actual)), s->co2e_kg.actual},
         peak_memory_cell(*s, false),
         peak_memory_cell(*s, true),
         {s->final_val_loss ? QString::number(*s->final_val_loss, 'f', 4) : QString(), s->final_val_loss}});
  }
  fill_table(table, rows);
}

// Seconds of training since the run started at each record (resume gaps out).
std::vector<double> elapsed_seconds(const RunRecord& run) {
  std::vector<double> out;
  if (run.records.empty()) return out;
  const auto& first = run.records.front();
  double start = first.time_s;
  if (first.tokens_per_s && *first.tokens_per_s > 0) start -= first.tokens / *first.tokens_per_s;
  double total = 0, last = start;
  for (const auto& r : run.records) {
    if (r.event != "resume") total += std::max(0.0, r.time_s - last);
    last = r.time_s;
    out.push_back(total);
  }
  return out;
}

}  // namespace

RunTab::RunTab(PlanDocument* document, QWidget* parent) : QWidget(parent), document_(document) {
  auto* controls = new QHBoxLayout;
  auto* open = new QPushButton(tr("Open run…"), this);
  open->setObjectName("openRun");
  metric_ = new QComboBox(this);
  metric_->setObjectName("runMetric");
  for (auto m : {RunMetric::kSeconds, RunMetric::kCostUsd, RunMetric::kEnergyKwh, RunMetric::kCo2eKg}) {
    metric_->addItem(tr("cumulative %1").arg(metric_title(m)), static_cast<int>(m));
  }
  status_ = new QLabel(tr("Open a sprout-train run directory (Ctrl+R) to see it over the prediction."), this);
  status_->setObjectName("runStatus");
  status_->setWordWrap(true);
  controls->addWidget(open);
  controls->addWidget(status_, 1);
  controls->addWidget(metric_);
  table_ = new QTableWidget(this);
  table_->setObjectName("runTable");
  table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  table_->verticalHeader()->hide();
  table_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
  loss_chart_ = new ChartBox(this);
  cumulative_chart_ = new ChartBox(this);
  throughput_chart_ = new ChartBox(this);
  auto* charts = new QGridLayout;
  charts->addWidget(loss_chart_, 0, 0);
  charts->addWidget(cumulative_chart_, 0, 1);
  charts->addWidget(throughput_chart_, 1, 0, 1, 2);
  auto* layout = new QVBoxLayout(this);
  layout->addLayout(controls);
  layout->addWidget(table_);
  layout->addLayout(charts, 1);

  debounce_.setSingleShot(true);
  debounce_.setInterval(400);
  connect(&debounce_, &QTimer::timeout, this, &RunTab::reload);
  connect(&watcher_, &QFileSystemWatcher::fileChanged, this, [this] { debounce_.start(); });
  connect(&watcher_, &QFileSystemWatcher::directoryChanged, this, [this] { debounce_.start(); });
  connect(metric_, &QComboBox::currentIndexChanged, this, &RunTab::redraw);
  connect(open, &QPushButton::clicked, this, [this] {
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Open run directory"));
    if (!dir.isEmpty() && !open_run(dir)) emit message(error_, true);
  });
}

bool RunTab::open_run(const QString& dir) {
  dir_ = dir;
  if (!watcher_.files().isEmpty()) watcher_.removePaths(watcher_.files());
  if (!watcher_.directories().isEmpty()) watcher_.removePaths(watcher_.directories());
  watcher_.addPath(dir);
  const QString telemetry = QDir(dir).filePath("telemetry.jsonl");
  if (QFile::exists(telemetry)) watcher_.addPath(telemetry);
  reload();
  return error_.isEmpty();
}

void RunTab::set_metric(RunMetric metric) { metric_->setCurrentIndex(metric_->findData(static_cast<int>(metric))); }

void RunTab::reload() {
  if (dir_.isEmpty()) return;
  try {
    planner::RunRecord run = planner::read_run(dir_.toStdString());
    // The open plan when it is this run's plan, else the run's own copy.
    planner::Plan plan = run.plan;
    QString which = tr("the run's own plan.yaml");
    if (document_->has_plan() && !document_->error()) {
      try {
        planner::compare_run(document_->plan(), *document_->estimate(), run);
        plan = document_->plan();
        which = tr("the open plan");
      } catch (const planner::InputError&) {
      }
    }
    estimate_ = planner::estimate_plan(plan);
    comparison_ = planner::compare_run(plan, *estimate_, run);
    run_ = std::move(run);
    run_->plan = plan;
    error_.clear();
    const auto& c = *comparison_;
    status_->setText(tr("%1: %2, %3 of the plan's tokens; compared with %4; energy from %5")
                         .arg(dir_, c.in_progress ? tr("IN PROGRESS (refreshing)") : tr("complete"),
                              to_qstring(planner::percent(c.total.fraction_done)), which, to_qstring(c.energy_source)));
    // Watch the log once it exists (a run may create it after we opened the dir).
    const QString telemetry = QDir(dir_).filePath("telemetry.jsonl");
    if (!watcher_.files().contains(telemetry)) watcher_.addPath(telemetry);
  } catch (const std::exception& e) {
    error_ = to_qstring(e.what());
    status_->setText(error_);
    comparison_.reset();
    run_.reset();
  }
  redraw();
}

void RunTab::redraw() {
  const QStringList columns = {
      "stage",      "done",       "wall pred",     "wall actual",   "error",           "tok/s pred", "tok/s actual",
      "USD actual", "kWh actual", "kgCO2e actual", "peak mem pred", "peak mem actual", "val loss"};
  table_->setColumnCount(columns.size());
  table_->setHorizontalHeaderLabels(columns);
  table_->setRowCount(0);
  if (!comparison_ || !run_) {
    for (ChartBox* c : {loss_chart_, cumulative_chart_, throughput_chart_}) {
      c->set_chart(make_placeholder(tr("Open a run directory (Ctrl+R)")));
    }
    return;
  }
  fill_comparison_table(table_, *comparison_);
  fit_to_rows(table_);
  draw_loss();
  draw_cumulative();
  draw_throughput();
}

void RunTab::draw_loss() {
  const auto& c = *comparison_;
  const TokensChart chart =
      tokens_chart(tr("Loss in nats/token (training line, validation points), growth marked"), tr("loss"), palette());
  auto* train = new QLineSeries;
  train->setName(tr("training loss"));
  auto* val = new QScatterSeries;
  val->setName(tr("validation loss"));
  val->setMarkerSize(7);
  auto* predicted = new QLineSeries;
  predicted->setName(tr("predicted"));
  double lo = 1e300, hi = 0;
  for (const auto& p : c.loss_curve) {
    if (p.val_loss) {
      val->append(p.tokens, *p.val_loss);
    } else {
      train->append(p.tokens, p.loss);
    }
    if (p.predicted_loss) predicted->append(p.tokens, *p.predicted_loss);
    lo = std::min(lo, p.loss);
    hi = std::max(hi, p.loss);
  }
  add_xy_series(chart.chart, train, chart.axes);
  add_xy_series(chart.chart, val, chart.axes);
  if (predicted->count() > 0) {
    add_xy_series(chart.chart, predicted, chart.axes);
  } else {
    delete predicted;
  }
  if (hi <= lo) hi = lo + 1;
  const NiceScale y = set_nice_range(chart.axes.y, lo, hi, plain_unit(), 6).scale;
  mark_growth(chart, *run_, y.lo, y.hi);
  set_nice_range(chart.axes.x, 0, std::max(1.0, c.total.tokens), count_unit(), kTokenTicks);
  loss_chart_->set_chart(chart.chart);
}

void RunTab::draw_cumulative() {
  const auto& run = *run_;
  const auto metric = static_cast<RunMetric>(metric_->currentData().toInt());
  const TokensChart chart =
      tokens_chart(tr("Cumulative %1: predicted vs actual").arg(metric_title(metric)), metric_title(metric), palette());
  auto* predicted = new QLineSeries;
  predicted->setName(tr("predicted (sprout plan)"));
  double tokens = 0, seconds = 0;
  predicted->append(0, 0);
  for (const auto& se : estimate_->stages) {
    seconds += se.growth_transition_s;
    predicted->append(tokens, metric_of_seconds(metric, seconds, run.plan.cluster.gpus, run.plan));
    tokens += planner::trained_tokens(se);
    seconds += se.costs.seconds - se.growth_transition_s;
    predicted->append(tokens, metric_of_seconds(metric, seconds, run.plan.cluster.gpus, run.plan));
  }
  auto* actual = new QLineSeries;
  actual->setName(tr("actual"));
  const std::vector<double> elapsed = elapsed_seconds(run);
  double hi = 0;
  for (size_t i = 0; i < run.records.size(); ++i) {
    const auto& r = run.records[i];
    double v = metric_of_seconds(metric, elapsed[i], r.rank_count, run.plan);
    if ((metric == RunMetric::kEnergyKwh || metric == RunMetric::kCo2eKg) && r.energy_j) {
      const double kwh = *r.energy_j / 3.6e6 * run.plan.cluster.region.pue;  // measured or modelled joules
      v = metric == RunMetric::kEnergyKwh ? kwh : kwh * run.plan.cluster.region.grid_g_co2e_per_kwh / 1000;
    }
    actual->append(r.tokens, v);
    hi = std::max(hi, v);
  }
  for (const auto& p : predicted->points()) hi = std::max(hi, p.y());
  add_xy_series(chart.chart, predicted, chart.axes);
  add_xy_series(chart.chart, actual, chart.axes);
  const NiceScale y = set_nice_range(chart.axes.y, 0, hi, metric_unit(metric), 6).scale;
  mark_growth(chart, run, 0, y.hi);
  set_nice_range(chart.axes.x, 0, std::max(comparison_->total.tokens, tokens), count_unit(), kTokenTicks);
  cumulative_chart_->set_chart(chart.chart);
}

void RunTab::draw_throughput() {
  const auto& run = *run_;
  const TokensChart chart = tokens_chart(tr("Throughput: logged vs predicted per stage"), tr("tokens/s"), palette());
  auto* actual = new QLineSeries;
  actual->setName(tr("actual"));
  double hi = 0;
  for (const auto& r : run.records) {
    if (!r.tokens_per_s) continue;
    actual->append(r.tokens, *r.tokens_per_s);
    hi = std::max(hi, *r.tokens_per_s);
  }
  auto* predicted = new QLineSeries;
  predicted->setName(tr("predicted"));
  double tokens = 0;
  for (const auto& se : estimate_->stages) {
    const double rate =
        static_cast<double>(se.iteration.global_batch_sequences) * se.shape.seq_len / se.iteration.iteration_s;
    predicted->append(tokens, rate);
    tokens += planner::trained_tokens(se);
    predicted->append(tokens, rate);
    hi = std::max(hi, rate);
  }
  add_xy_series(chart.chart, actual, chart.axes);
  add_xy_series(chart.chart, predicted, chart.axes);
  const NiceScale y = set_nice_range(chart.axes.y, 0, hi, count_unit(), 6).scale;
  mark_growth(chart, run, 0, y.hi);
  set_nice_range(chart.axes.x, 0, std::max(comparison_->total.tokens, tokens), count_unit(), kTokenTicks);
  throughput_chart_->set_chart(chart.chart);
}

}  // namespace sprout::gui
