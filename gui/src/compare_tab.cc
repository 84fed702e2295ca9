// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/gui/compare_tab.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QPushButton>
#include <QSaveFile>
#include <QTableWidget>
#include <QVBoxLayout>

#include "sprout/gui/background_task.h"
#include "sprout/gui/chart_box.h"
#include "sprout/gui/plan_document.h"
#include "sprout/gui/result_table.h"
#include "sprout/planner/base/format_units.h"
#include "sprout/planner/base/input_error.h"
#include "sprout/planner/base/units.h"
#include "sprout/planner/io/plan_loader.h"
#include "sprout/simulator/run/simulation.h"

namespace sprout::gui {
namespace {

const QString kScratchSuffix = " (scratch)";
// Enough for stable P10/P90 of a plan and quick (well under a second for FLM-101B).
constexpr long long kAutomaticTrials = 2000;

const QStringList kPlanColumns = {"plan",  "final params",   "tokens",           "days",    "GPU-hours", "USD", "MWh",
                                  "tCO2e", "embodied tCO2e", "days P10-P50-P90", "USD P50", "tCO2e P50"};

// The table's row of a plan; its text is the CSV's.
TableRow row_of(const NamedEstimate& p, const std::map<QString, simulator::MetricBands>& risk) {
  const auto& t = p.estimate.total;
  auto number = [](double value, int decimals, double scale = 1) {
    return TableCell{QString::number(value / scale, 'f', decimals), value};
  };
  TableRow row = {
      TableCell{p.name, std::nullopt},
      {QString::fromStdString(planner::human_count(p.estimate.stages.back().params)), p.estimate.stages.back().params},
      {QString::fromStdString(planner::human_count(p.estimate.total_tokens)), p.estimate.total_tokens},
      number(t.seconds / planner::kSecondsPerDay, 2),
      number(t.gpu_hours, 0),
      number(t.cost_usd, 0),
      number(t.energy_kwh, 2, 1000),
      number(t.co2e_kg, 2, 1000),
      number(t.embodied_co2e_kg, 3, 1000)};
  if (auto it = risk.find(p.name); it != risk.end()) {
    const auto& b = it->second;
    row.push_back(
        {QString("%1 / %2 / %3").arg(b.days.p10, 0, 'f', 2).arg(b.days.p50, 0, 'f', 2).arg(b.days.p90, 0, 'f', 2),
         b.days.p50});
    row.push_back(number(b.cost_usd.p50, 0));
    row.push_back(number(b.co2e_kg.p50, 2, 1000));
  } else {
    row.insert(row.end(), 3, TableCell{});
  }
  return row;
}

// The plan that trains the final shape from scratch on all the plan's tokens
// (what PlanEstimate::scratch_baseline estimates), for simulation.
planner::Plan scratch_plan_of(const planner::Plan& plan) {
  planner::Plan scratch = plan;
  planner::Stage last = plan.stages.back();
  last.name = "scratch " + last.name;
  last.tokens = 0;
  for (const auto& st : plan.stages) last.tokens += st.tokens;
  last.grow.reset();
  scratch.name = plan.name + kScratchSuffix.toStdString();
  scratch.stages = {last};
  return scratch;
}

// The from-scratch baseline of a plan as a one-stage plan estimate.
NamedEstimate baseline_of(const NamedEstimate& p) {
  NamedEstimate b;
  b.name = p.name + kScratchSuffix;
  b.estimate.name = b.name.toStdString();
  b.estimate.stages.push_back(*p.estimate.scratch_baseline);
  b.estimate.total = p.estimate.scratch_total;
  b.estimate.total_tokens = p.estimate.total_tokens;
  b.estimate.total_flops = p.estimate.scratch_baseline->flops;
  return b;
}

}  // namespace

CompareTab::CompareTab(PlanDocument* document, QWidget* parent) : QWidget(parent), document_(document) {
  auto* controls = new QHBoxLayout;
  auto* add = new QPushButton(tr("Add plan…"), this);
  add->setObjectName("addComparePlan");
  auto* clear = new QPushButton(tr("Clear"), this);
  baselines_ = new QCheckBox(tr("Include from-scratch baselines"), this);
  baselines_->setObjectName("includeBaselines");
  baselines_->setChecked(true);
  auto* simulate = new QPushButton(tr("Simulate risk"), this);
  simulate->setObjectName("simulateRisk");
  simulate->setToolTip(tr("Monte Carlo over failures, checkpoints and evaluations again: P10/P50/P90 per plan"));
  metric_ = new QComboBox(this);
  metric_->setObjectName("compareMetric");
  for (auto m : {StageMetric::kCostUsd, StageMetric::kDays, StageMetric::kCo2eTonnes, StageMetric::kEnergyMwh,
                 StageMetric::kGpuHours}) {
    metric_->addItem(metric_title(m), static_cast<int>(m));
  }
  auto* csv = new QPushButton(tr("Export CSV…"), this);
  csv->setObjectName("exportCsv");
  for (QWidget* w : std::initializer_list<QWidget*>{add, clear, baselines_, simulate}) controls->addWidget(w);
  controls->addStretch();
  controls->addWidget(metric_);
  controls->addWidget(csv);

  table_ = new QTableWidget(this);
  table_->setObjectName("compareTable");
  table_->setColumnCount(kPlanColumns.size());
  table_->setHorizontalHeaderLabels(kPlanColumns);
  table_->verticalHeader()->hide();
  table_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
  make_sortable(table_);

  bars_ = new ChartBox(this);
  timeline_ = new ChartBox(this);
  scatter_ = new ChartBox(this);
  risk_chart_ = new ChartBox(this);
  auto* charts = new QGridLayout;
  charts->addWidget(bars_, 0, 0);
  charts->addWidget(scatter_, 0, 1);
  charts->addWidget(timeline_, 1, 0);
  charts->addWidget(risk_chart_, 1, 1);
  task_ = new BackgroundTask(this);
  risk_timer_.setSingleShot(true);
  risk_timer_.setInterval(300);  // a burst of edits simulates once

  auto* layout = new QVBoxLayout(this);
  layout->addLayout(controls);
  layout->addWidget(table_);
  layout->addWidget(task_);
  layout->addLayout(charts, 1);

  connect(add, &QPushButton::clicked, this, [this] {
    const QStringList files = QFileDialog::getOpenFileNames(this, tr("Add plans"), QString(), tr("Plans (*.yaml)"));
    for (const auto& f : files) {
      QString error;
      if (!add_plan_file(f, &error)) emit message(error, true);
    }
  });
  connect(clear, &QPushButton::clicked, this, &CompareTab::clear_added);
  connect(simulate, &QPushButton::clicked, this, [this] { simulate_risk(); });
  connect(baselines_, &QCheckBox::toggled, this, [this] {
    refresh();
    risk_timer_.start();
  });
  connect(metric_, &QComboBox::currentIndexChanged, this, &CompareTab::refresh);
  connect(csv, &QPushButton::clicked, this, [this] {
    const QString path =
        QFileDialog::getSaveFileName(this, tr("Export comparison"), "comparison.csv", tr("CSV (*.csv)"));
    QString error;
    if (!path.isEmpty() && !write_csv(path, &error)) emit message(error, true);
  });
  connect(&risk_timer_, &QTimer::timeout, this, &CompareTab::simulate_missing_risk);
  connect(document_, &PlanDocument::estimate_changed, this, [this] {
    // The edited plan's bands (and its baseline's) are for its previous draft.
    if (document_->has_plan()) {
      const QString name = QString::fromStdString(document_->plan().name);
      risk_.erase(name);
      risk_.erase(name + kScratchSuffix);
    }
    ++generation_;
    refresh();
    risk_timer_.start();
  });
  refresh();
}

bool CompareTab::add_plan_file(const QString& path, QString* error) {
  try {
    planner::Plan plan = planner::load_plan(path.toStdString());
    add_estimate({QString::fromStdString(plan.name), planner::estimate_plan(plan)}, plan);
    return true;
  } catch (const std::exception& e) {
    if (error) *error = QString::fromStdString(e.what());
    return false;
  }
}

void CompareTab::add_estimate(const NamedEstimate& estimate, const planner::Plan& plan) {
  added_.push_back(estimate);
  added_plans_.push_back(plan);
  refresh();
  risk_timer_.start();
}

void CompareTab::clear_added() {
  added_.clear();
  added_plans_.clear();
  risk_.clear();
  refresh();
  risk_timer_.start();
}

std::vector<planner::Plan> CompareTab::simulation_inputs() const {
  std::vector<planner::Plan> inputs;
  if (document_->has_plan() && !document_->error()) inputs.push_back(document_->plan());
  inputs.insert(inputs.end(), added_plans_.begin(), added_plans_.end());
  if (baselines_->isChecked()) {
    const size_t n = inputs.size();
    for (size_t i = 0; i < n; ++i) {
      if (inputs[i].stages.size() > 1) inputs.push_back(scratch_plan_of(inputs[i]));
    }
  }
  return inputs;
}

void CompareTab::simulate_missing_risk() {
  if (!isVisible()) {
    risk_wanted_ = true;  // when the tab is shown: a hidden chart needs no simulation
    return;
  }
  if (task_->busy()) {
    risk_timer_.start();
    return;
  }
  std::vector<planner::Plan> missing;
  for (const planner::Plan& plan : simulation_inputs()) {
    if (!risk_.count(QString::fromStdString(plan.name))) missing.push_back(plan);
  }
  run_simulations(std::move(missing), kAutomaticTrials);
}

void CompareTab::showEvent(QShowEvent* event) {
  QWidget::showEvent(event);
  if (risk_wanted_) {
    risk_wanted_ = false;
    risk_timer_.start();
  }
}

void CompareTab::simulate_risk(long long trials) { run_simulations(simulation_inputs(), trials); }

void CompareTab::run_simulations(std::vector<planner::Plan> inputs, long long trials) {
  if (inputs.empty()) return;
  auto results = std::make_shared<std::map<QString, simulator::MetricBands>>();
  auto failure = std::make_shared<QString>();
  const int generation = generation_;
  const bool started = task_->start(
      tr("Simulating %1 plans…").arg(inputs.size()),
      [inputs, trials, results, failure](const TaskContext& ctx) {
        for (size_t i = 0; i < inputs.size() && !ctx.cancelled(); ++i) {
          simulator::SimulationOptions o;
          o.trials = trials;
          o.progress = [&ctx, i, n = inputs.size()](long long done, long long total) {
            ctx.report((static_cast<double>(i) + static_cast<double>(done) / total) / n);
            return !ctx.cancelled();
          };
          try {
            auto report = simulator::simulate_plan(inputs[i], o);
            if (!report.distribution.cancelled) {
              (*results)[QString::fromStdString(inputs[i].name)] = report.distribution.total;
            }
          } catch (const std::exception& e) {
            *failure = QString::fromStdString(inputs[i].name + ": " + e.what());
          }
        }
      },
      [this, results, failure, generation] {
        // An edit while simulating: these bands are for an older draft.
        if (generation == generation_) {
          for (auto& [name, bands] : *results) risk_[name] = bands;
        } else {
          risk_timer_.start();
        }
        if (!failure->isEmpty()) emit message(*failure, true);
        refresh();
      });
  if (started) refresh();  // the placeholder says what is being computed
}

std::vector<NamedEstimate> CompareTab::plans() const {
  std::vector<NamedEstimate> all;
  if (document_->estimate()) {
    all.push_back({QString::fromStdString(document_->plan().name), *document_->estimate()});
  }
  all.insert(all.end(), added_.begin(), added_.end());
  if (baselines_->isChecked()) {
    const size_t n = all.size();
    for (size_t i = 0; i < n; ++i) {
      // A one-stage plan is its own from-scratch baseline.
      if (all[i].estimate.scratch_baseline && all[i].estimate.stages.size() > 1) {
        all.push_back(baseline_of(all[i]));
      }
    }
  }
  return all;
}

bool CompareTab::write_csv(const QString& path, QString* error) const {
  QString text = kPlanColumns.join(',') + "\n";
  for (const auto& p : plans()) {
    QStringList cells;
    for (const TableCell& cell : row_of(p, risk_)) {
      const bool quote = cell.text.contains(',') || cell.text.contains('"');
      cells << (quote ? '"' + QString(cell.text).replace("\"", "\"\"") + '"' : cell.text);
    }
    text += cells.join(',') + "\n";
  }
  QSaveFile out(path);
  if (!out.open(QIODevice::WriteOnly) || out.write(text.toUtf8()) < 0 || !out.commit()) {
    if (error) *error = path + ": " + out.errorString();
    return false;
  }
  return true;
}

void CompareTab::refresh() {
  const auto all = plans();
  std::vector<TableRow> rows;
  for (const auto& p : all) rows.push_back(row_of(p, risk_));
  fill_table(table_, rows);
  fit_to_rows(table_);
  const auto metric = static_cast<StageMetric>(metric_->currentData().toInt());
  bars_->set_chart(make_stage_bars(all, metric));
  timeline_->set_chart(make_timeline(all));
  scatter_->set_chart(make_cost_carbon_scatter(all));
  // Each plan's bands as time added to its own estimate: spreads of hours on
  // runs of weeks stay visible, and plans of any length share one axis.
  std::vector<Band> bands;
  for (const auto& p : all) {
    if (auto it = risk_.find(p.name); it != risk_.end()) {
      const double planned_days = p.estimate.total.seconds / planner::kSecondsPerDay;
      // Failures, checkpoints and evaluations only add time: below the estimate is noise.
      auto added = [planned_days](double days) { return std::max(0.0, 100 * (days / planned_days - 1)); };
      const auto& d = it->second.days;
      bands.push_back({p.name, added(d.p10), added(d.p50), added(d.p90)});
    }
  }
  if (!bands.empty()) {
    risk_chart_->set_chart(make_band_bars(tr("Risk: time added by failures, checkpoints and evaluations"), bands,
                                          plain_unit("%"), tr("time added to the estimate")));
  } else if (all.empty()) {
    risk_chart_->set_chart(make_placeholder(tr("Risk: open a plan to see its P10 / P50 / P90")));
  } else {
    risk_chart_->set_chart(make_placeholder(tr("Risk: simulating P10 / P50 / P90 of %1 plans…").arg(all.size())));
  }
}

}  // namespace sprout::gui
