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
#include "sprout/planner/base/format_units.h"
#include "sprout/planner/base/input_error.h"
#include "sprout/planner/base/units.h"
#include "sprout/planner/io/plan_loader.h"
#include "sprout/simulator/run/simulation.h"

namespace sprout::gui {
namespace {

const QStringList kColumns = {"plan",  "final params",   "tokens",           "days",    "GPU-hours", "USD", "MWh",
                              "tCO2e", "embodied tCO2e", "days P10-P50-P90", "USD P50", "tCO2e P50"};

QStringList row_of(const NamedEstimate& p, const std::map<QString, simulator::MetricBands>& risk) {
  const auto& t = p.estimate.total;
  QStringList bands = {"", "", ""};
  if (auto it = risk.find(p.name); it != risk.end()) {
    const auto& b = it->second;
    bands = {QString("%1 / %2 / %3").arg(b.days.p10, 0, 'f', 2).arg(b.days.p50, 0, 'f', 2).arg(b.days.p90, 0, 'f', 2),
             QString::number(b.cost_usd.p50, 'f', 0), QString::number(b.co2e_kg.p50 / 1000, 'f', 2)};
  }
  return QStringList{p.name,
                     QString::fromStdString(planner::human_count(p.estimate.stages.back().params)),
                     QString::fromStdString(planner::human_count(p.estimate.total_tokens)),
                     QString::number(t.seconds / planner::kSecondsPerDay, 'f', 2),
                     QString::number(t.gpu_hours, 'f', 0),
                     QString::number(t.cost_usd, 'f', 0),
                     QString::number(t.energy_kwh / 1000, 'f', 2),
                     QString::number(t.co2e_kg / 1000, 'f', 2),
                     QString::number(t.embodied_co2e_kg / 1000, 'f', 3)} +
         bands;
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
  scratch.name = plan.name + " (scratch)";
  scratch.stages = {last};
  return scratch;
}

// The from-scratch baseline of a plan as a one-stage plan estimate.
NamedEstimate baseline_of(const NamedEstimate& p) {
  NamedEstimate b;
  b.name = p.name + " (scratch)";
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
  metric_ = new QComboBox(this);
  metric_->setObjectName("compareMetric");
  for (auto m : {StageMetric::kCostUsd, StageMetric::kDays, StageMetric::kCo2eTonnes, StageMetric::kEnergyMwh,
                 StageMetric::kGpuHours}) {
    metric_->addItem(metric_title(m), static_cast<int>(m));
  }
  auto* csv = new QPushButton(tr("Export CSV…"), this);
  csv->setObjectName("exportCsv");
  controls->addWidget(add);
  controls->addWidget(clear);
  controls->addWidget(baselines_);
  controls->addStretch();
  controls->addWidget(metric_);
  controls->addWidget(csv);

  table_ = new QTableWidget(this);
  table_->setObjectName("compareTable");
  table_->setColumnCount(kColumns.size());
  table_->setHorizontalHeaderLabels(kColumns);
  table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  table_->verticalHeader()->hide();
  table_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
  table_->setMaximumHeight(180);

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
  auto* simulate = new QPushButton(tr("Simulate risk"), this);
  simulate->setObjectName("simulateRisk");
  simulate->setToolTip(tr("Monte Carlo over failures, checkpoints and evaluations: P10/P50/P90 per plan"));
  controls->insertWidget(3, simulate);
  connect(simulate, &QPushButton::clicked, this, [this] { simulate_risk(); });

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
  connect(baselines_, &QCheckBox::toggled, this, &CompareTab::refresh);
  connect(metric_, &QComboBox::currentIndexChanged, this, &CompareTab::refresh);
  connect(csv, &QPushButton::clicked, this, [this] {
    const QString path =
        QFileDialog::getSaveFileName(this, tr("Export comparison"), "comparison.csv", tr("CSV (*.csv)"));
    QString error;
    if (!path.isEmpty() && !write_csv(path, &error)) emit message(error, true);
  });
  connect(document_, &PlanDocument::estimate_changed, this, &CompareTab::refresh);
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
}

void CompareTab::clear_added() {
  added_.clear();
  added_plans_.clear();
  risk_.clear();
  refresh();
}

void CompareTab::simulate_risk(long long trials) {
  std::vector<planner::Plan> inputs;
  if (document_->has_plan() && !document_->error()) inputs.push_back(document_->plan());
  inputs.insert(inputs.end(), added_plans_.begin(), added_plans_.end());
  if (baselines_->isChecked()) {
    const size_t n = inputs.size();
    for (size_t i = 0; i < n; ++i) {
      if (inputs[i].stages.size() > 1) inputs.push_back(scratch_plan_of(inputs[i]));
    }
  }
  if (inputs.empty()) return;
  auto results = std::make_shared<std::map<QString, simulator::MetricBands>>();
  auto failure = std::make_shared<QString>();
  task_->start(
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
      [this, results, failure] {
        for (auto& [name, bands] : *results) risk_[name] = bands;
        if (!failure->isEmpty()) emit message(*failure, true);
        refresh();
      });
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
  QString text = kColumns.join(',') + "\n";
  for (const auto& p : plans()) {
    QStringList cells = row_of(p, risk_);
    for (auto& c : cells) {
      if (c.contains(',') || c.contains('"')) c = '"' + QString(c).replace("\"", "\"\"") + '"';
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
  table_->setRowCount(static_cast<int>(all.size()));
  for (int r = 0; r < static_cast<int>(all.size()); ++r) {
    const QStringList cells = row_of(all[r], risk_);
    for (int c = 0; c < cells.size(); ++c) {
      auto* item = new QTableWidgetItem(cells[c]);
      if (c > 0) item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
      table_->setItem(r, c, item);
    }
  }
  const auto metric = static_cast<StageMetric>(metric_->currentData().toInt());
  bars_->set_chart(make_stage_bars(all, metric));
  timeline_->set_chart(make_timeline(all));
  scatter_->set_chart(make_cost_carbon_scatter(all));
  std::vector<Band> bands;
  for (const auto& p : all) {
    if (auto it = risk_.find(p.name); it != risk_.end()) {
      bands.push_back({p.name, it->second.days.p10, it->second.days.p50, it->second.days.p90});
    }
  }
  risk_chart_->set_chart(make_band_boxes(bands, "days"));
}

}  // namespace sprout::gui
