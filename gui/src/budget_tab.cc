// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/gui/budget_tab.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QScatterSeries>
#include <QSpinBox>
#include <QTableWidget>
#include <QVBoxLayout>
#include <QValueAxis>

#include "sprout/gui/background_task.h"
#include "sprout/gui/chart_box.h"
#include "sprout/gui/plan_document.h"
#include "sprout/planner/base/format_units.h"
#include "sprout/planner/base/units.h"
#include "sprout/planner/io/plan_loader.h"

namespace sprout::gui {
namespace {

QString q(const std::string& s) { return QString::fromStdString(s); }

const QStringList kColumns = {"rank", "schedule", "tokens", "time", "USD", "energy", "CO2e", "predicted loss"};

QStringList cells(const QString& rank, const planner::ScheduleCandidate& c) {
  const auto& t = c.estimate.total;
  return {rank,
          q(c.shapes),
          q(planner::human_count(c.tokens)),
          q(planner::human_duration(t.seconds)),
          q(planner::human_usd(t.cost_usd)),
          q(planner::human_energy_kwh(t.energy_kwh)),
          q(planner::human_mass_kg(t.co2e_kg)),
          QString::number(c.predicted_loss, 'f', 4)};
}

QStringList names_of(const char* kind) {
  QStringList out;
  for (const auto& n : planner::list_profiles(kind)) out << q(n);
  return out;
}

}  // namespace

BudgetTab::BudgetTab(PlanDocument* document, QWidget* parent) : QWidget(parent), document_(document) {
  auto* form = new QFormLayout;
  budget_ = new QDoubleSpinBox(this);
  budget_->setObjectName("budgetUsd");
  budget_->setRange(1, 1e12);
  budget_->setDecimals(0);
  budget_->setPrefix("$");
  budget_->setGroupSeparatorShown(true);
  budget_->setValue(100000);
  target_ = new QLineEdit("101e9", this);
  target_->setObjectName("targetParams");
  target_->setToolTip(tr("Parameters of the final model, e.g. 101e9"));
  hardware_ = new QComboBox(this);
  hardware_->setObjectName("budgetHardware");
  hardware_->addItems(names_of("hardware"));
  hardware_->setCurrentText("a800");
  gpus_ = new QSpinBox(this);
  gpus_->setObjectName("budgetGpus");
  gpus_->setRange(1, 1000000);
  gpus_->setValue(192);
  region_ = new QComboBox(this);
  region_->setObjectName("budgetRegion");
  region_->addItems(names_of("regions"));
  region_->setCurrentText("cn-north");
  price_ = new QLineEdit(this);
  price_->setPlaceholderText(tr("hardware default"));
  deadline_days_ = new QDoubleSpinBox(this);
  deadline_days_->setRange(0, 10000);
  deadline_days_->setSpecialValueText(tr("none"));
  deadline_days_->setSuffix(tr(" days"));
  max_co2e_t_ = new QDoubleSpinBox(this);
  max_co2e_t_->setRange(0, 1e9);
  max_co2e_t_->setSpecialValueText(tr("none"));
  max_co2e_t_->setSuffix(" tCO2e");
  form->addRow(tr("&Budget"), budget_);
  form->addRow(tr("&Target parameters"), target_);
  form->addRow(tr("Hardware"), hardware_);
  form->addRow(tr("GPUs"), gpus_);
  form->addRow(tr("Region"), region_);
  form->addRow(tr("Price $/GPU-h"), price_);
  form->addRow(tr("Deadline"), deadline_days_);
  form->addRow(tr("Carbon cap"), max_co2e_t_);
  auto* search = new QPushButton(tr("Find schedules"), this);
  search->setObjectName("runSearch");
  auto* use = new QPushButton(tr("Use selected as plan"), this);
  use->setObjectName("useCandidate");
  form->addRow(search);
  form->addRow(use);

  table_ = new QTableWidget(this);
  table_->setObjectName("candidates");
  table_->setColumnCount(kColumns.size());
  table_->setHorizontalHeaderLabels(kColumns);
  table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  table_->setSelectionMode(QAbstractItemView::SingleSelection);
  table_->verticalHeader()->hide();
  table_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
  summary_ = new QLabel(this);
  summary_->setObjectName("searchSummary");
  summary_->setWordWrap(true);
  summary_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  task_ = new BackgroundTask(this);
  chart_ = new ChartBox(this);

  auto* right = new QVBoxLayout;
  right->addWidget(task_);
  right->addWidget(summary_);
  right->addWidget(table_, 2);
  right->addWidget(chart_, 1);
  auto* layout = new QHBoxLayout(this);
  layout->addLayout(form);
  layout->addLayout(right, 1);

  connect(search, &QPushButton::clicked, this, &BudgetTab::run_search);
  connect(use, &QPushButton::clicked, this, [this] {
    const auto rows = table_->selectionModel()->selectedRows();
    if (!rows.isEmpty()) use_candidate(rows.first().row());
  });
  connect(table_, &QTableWidget::cellDoubleClicked, this, [this](int row, int) { use_candidate(row); });
}

void BudgetTab::set_budget_usd(double usd) { budget_->setValue(usd); }
void BudgetTab::set_target_params(double params) { target_->setText(QString::number(params, 'g', 6)); }
void BudgetTab::set_hardware(const QString& name, int gpus) {
  hardware_->setCurrentText(name);
  gpus_->setValue(gpus);
}
void BudgetTab::set_region(const QString& name) { region_->setCurrentText(name); }

void BudgetTab::run_search() {
  bool ok = false;
  const double params = target_->text().toDouble(&ok);
  if (!ok || params <= 0) {
    summary_->setText(tr("Target parameters must be a positive number such as 101e9."));
    return;
  }
  planner::ClusterOverrides cluster{.hardware = hardware_->currentText().toStdString(),
                                    .gpus = gpus_->value(),
                                    .region = region_->currentText().toStdString()};
  if (!price_->text().trimmed().isEmpty()) cluster.price_usd_per_gpu_hour = price_->text().toDouble();
  planner::SearchRequest request;
  try {
    request = planner::make_search_request(params, planner::find_cluster(cluster), budget_->value());
  } catch (const std::exception& e) {
    summary_->setText(q(e.what()));
    return;
  }
  if (deadline_days_->value() > 0) request.deadline_seconds = deadline_days_->value() * planner::kSecondsPerDay;
  if (max_co2e_t_->value() > 0) request.max_co2e_kg = max_co2e_t_->value() * 1000;
  auto out = std::make_shared<std::optional<planner::SearchResult>>();
  auto error = std::make_shared<QString>();
  summary_->setText(tr("Searching…"));
  task_->start(
      tr("Searching growth schedules…"),
      [request, out, error](const TaskContext& ctx) {
        try {
          *out = planner::search_schedules(request, [&ctx](const planner::SearchProgress& p) {
            // Three phases of roughly equal weight.
            const double base = p.phase == "costing shapes" ? 0 : p.phase == "searching" ? 1 : 2;
            ctx.report((base + p.fraction) / 3);
            return !ctx.cancelled();
          });
        } catch (const std::exception& e) {
          *error = q(e.what());
        }
      },
      [this, out, error] {
        if (!error->isEmpty()) {
          summary_->setText(*error);
          return;
        }
        result_ = *out;
        show_result();
      });
}

void BudgetTab::show_result() {
  table_->setRowCount(0);
  if (!result_) return;
  const auto& r = *result_;
  if (r.cancelled) {
    summary_->setText(tr("Search cancelled."));
    return;
  }
  if (r.infeasible) {
    summary_->setText(tr("Nothing fits: %1").arg(q(r.infeasible->explanation)));
    return;
  }
  std::vector<QStringList> rows;
  for (size_t i = 0; i < r.ranked.size(); ++i) rows.push_back(cells(QString::number(i + 1), r.ranked[i]));
  if (r.scratch) rows.push_back(cells(tr("scratch"), *r.scratch));
  table_->setRowCount(static_cast<int>(rows.size()));
  for (int row = 0; row < static_cast<int>(rows.size()); ++row) {
    for (int c = 0; c < rows[row].size(); ++c) {
      auto* item = new QTableWidgetItem(rows[row][c]);
      if (c >= 2) item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
      table_->setItem(row, c, item);
    }
  }
  if (!r.ranked.empty()) table_->selectRow(0);
  QString text = tr("%1 schedules on the Pareto front over USD, days, CO2e and predicted loss (%2 s).")
                     .arg(r.ranked.size())
                     .arg(r.stats.seconds, 0, 'f', 2);
  if (!r.ranked.empty() && r.scratch) {
    text +=
        tr(" Best: %1 tokens for %2 vs %3 from scratch (%4x), predicted loss %5 vs %6.")
            .arg(q(planner::human_count(r.ranked[0].tokens)),
                 q(planner::human_usd(r.ranked[0].estimate.total.cost_usd)), q(planner::human_count(r.scratch->tokens)))
            .arg(r.ranked[0].tokens / r.scratch->tokens, 0, 'f', 2)
            .arg(r.ranked[0].predicted_loss, 0, 'f', 4)
            .arg(r.scratch->predicted_loss, 0, 'f', 4);
  }
  summary_->setText(text);

  auto* chart = new QChart;
  chart->setTitle(tr("Predicted loss vs cost: the front and from scratch"));
  auto* front = new QScatterSeries;
  front->setName(tr("growth schedules"));
  front->setMarkerSize(8);
  double lo = 1e300, hi = 0, max_usd = 0;
  for (const auto& c : r.ranked) {
    front->append(c.estimate.total.cost_usd, c.predicted_loss);
    lo = std::min(lo, c.predicted_loss);
    hi = std::max(hi, c.predicted_loss);
    max_usd = std::max(max_usd, c.estimate.total.cost_usd);
  }
  chart->addSeries(front);
  auto* scratch = new QScatterSeries;
  scratch->setName(tr("from scratch"));
  scratch->setMarkerSize(14);
  if (r.scratch) {
    scratch->append(r.scratch->estimate.total.cost_usd, r.scratch->predicted_loss);
    lo = std::min(lo, r.scratch->predicted_loss);
    hi = std::max(hi, r.scratch->predicted_loss);
  }
  chart->addSeries(scratch);
  auto* x = new QValueAxis;
  x->setTitleText("USD");
  x->setLabelFormat("%.0f");
  x->setRange(0, max_usd * 1.05 + 1);
  auto* y = new QValueAxis;
  y->setTitleText(tr("loss"));
  y->setLabelFormat("%.3f");
  y->setRange(lo - 0.01, hi + 0.01);
  chart->addAxis(x, Qt::AlignBottom);
  chart->addAxis(y, Qt::AlignLeft);
  for (auto* s : {front, scratch}) {
    s->attachAxis(x);
    s->attachAxis(y);
  }
  chart_->set_chart(chart);
}

bool BudgetTab::use_candidate(int rank) {
  if (!result_ || rank < 0) return false;
  const auto& r = *result_;
  const planner::ScheduleCandidate* c = nullptr;
  if (rank < static_cast<int>(r.ranked.size())) {
    c = &r.ranked[rank];
  } else if (rank == static_cast<int>(r.ranked.size()) && r.scratch) {
    c = &*r.scratch;
  }
  if (!c) return false;
  document_->load_plan(c->plan);
  emit plan_chosen();
  return true;
}

}  // namespace sprout::gui
