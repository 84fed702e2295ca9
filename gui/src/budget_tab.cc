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
#include <QTableWidget>
#include <QVBoxLayout>
#include <stdexcept>

#include "sprout/gui/background_task.h"
#include "sprout/gui/chart_axes.h"
#include "sprout/gui/chart_box.h"
#include "sprout/gui/cluster_editor.h"
#include "sprout/gui/count_text.h"
#include "sprout/gui/palette_colors.h"
#include "sprout/gui/plan_document.h"
#include "sprout/gui/qt_text.h"
#include "sprout/gui/result_table.h"
#include "sprout/planner/base/format_units.h"
#include "sprout/planner/base/units.h"
#include "sprout/simulator/run/percentile_costs.h"

namespace sprout::gui {
namespace {

const QStringList kCandidateColumns = {"rank", "schedule", "tokens", "time", "USD", "energy", "CO2e", "predicted loss"};
// Column 0 keeps the candidate's rank (0 = best; the scratch row after the ranked ones) whatever the sort.
constexpr int kRankRole = Qt::UserRole + 1;

TableRow row_of(const QString& rank, double rank_key, const planner::ScheduleCandidate& c) {
  const auto& t = c.estimate.total;
  return {{rank, rank_key},
          {to_qstring(c.shapes), std::nullopt},
          {to_qstring(planner::human_count(c.tokens)), c.tokens},
          {to_qstring(planner::human_duration(t.seconds)), t.seconds},
          {to_qstring(planner::human_usd(t.cost_usd)), t.cost_usd},
          {to_qstring(planner::human_energy_kwh(t.energy_kwh)), t.energy_kwh},
          {to_qstring(planner::human_mass_kg(t.co2e_kg)), t.co2e_kg},
          {QString::number(c.predicted_loss, 'f', 4), c.predicted_loss}};
}

}  // namespace

BudgetTab::BudgetTab(PlanDocument* document, QWidget* parent) : QWidget(parent), document_(document) {
  cluster_ = new ClusterEditor(ClusterEditor::Layout::kOneColumn, this);
  cluster_->setObjectName("budgetCluster");
  cluster_->set_value("hardware", "a800");
  cluster_->set_value("gpus", "192");
  cluster_->set_value("region", "cn-north");
  cluster_->set_value("power_model", "tdp");
  QFormLayout* form = cluster_->form();
  budget_ = new QDoubleSpinBox(this);
  budget_->setObjectName("budgetUsd");
  budget_->setRange(1, 1e12);
  budget_->setDecimals(0);
  budget_->setPrefix("$");
  budget_->setGroupSeparatorShown(true);
  budget_->setValue(100000);
  target_ = new QLineEdit("101e9", this);
  target_->setObjectName("targetParams");
  target_->setToolTip(tr("Parameters of the final model: 101B, 101e9 or 101000000000"));
  deadline_days_ = new QDoubleSpinBox(this);
  deadline_days_->setRange(0, 10000);
  deadline_days_->setSpecialValueText(tr("none"));
  deadline_days_->setSuffix(tr(" days"));
  max_co2e_t_ = new QDoubleSpinBox(this);
  max_co2e_t_->setRange(0, 1e9);
  max_co2e_t_->setSpecialValueText(tr("none"));
  max_co2e_t_->setSuffix(" tCO2e");
  form->insertRow(0, tr("&Budget"), budget_);
  form->insertRow(1, tr("&Target parameters"), target_);
  form->addRow(tr("Deadline"), deadline_days_);
  form->addRow(tr("Carbon cap"), max_co2e_t_);
  // The limits must hold for the run the user will have (sprout search --confidence).
  confidence_ = new QComboBox(this);
  confidence_->setObjectName("confidence");
  confidence_->addItem(tr("P50 of the simulated run"), 0.5);
  confidence_->addItem(tr("P90 of the simulated run"), 0.9);
  confidence_->addItem(tr("failure-free costs"), QVariant());
  confidence_->setToolTip(
      tr("Budget, deadline and carbon cap must hold at this percentile of the simulated run (failures, restarts "
         "and checkpoints included), or for the failure-free costs"));
  form->addRow(tr("Limits hold at"), confidence_);
  auto* search = new QPushButton(tr("Find schedules"), this);
  search->setObjectName("runSearch");
  auto* use = new QPushButton(tr("Use selected as plan"), this);
  use->setObjectName("useCandidate");
  form->addRow(search);
  form->addRow(use);

  table_ = new QTableWidget(this);
  table_->setObjectName("candidates");
  table_->setColumnCount(kCandidateColumns.size());
  table_->setHorizontalHeaderLabels(kCandidateColumns);
  table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  table_->setSelectionMode(QAbstractItemView::SingleSelection);
  table_->verticalHeader()->hide();
  table_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
  make_sortable(table_);
  summary_ = new QLabel(this);
  summary_->setObjectName("searchSummary");
  summary_->setWordWrap(true);
  summary_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  task_ = new BackgroundTask(this);
  chart_ = new ChartBox(this);

  auto* left = new QVBoxLayout;
  left->addWidget(cluster_);
  left->addStretch();
  auto* right = new QVBoxLayout;
  right->addWidget(task_);
  right->addWidget(summary_);
  right->addWidget(table_, 1);
  right->addWidget(chart_, 1);
  auto* layout = new QHBoxLayout(this);
  layout->addLayout(left);
  layout->addLayout(right, 1);

  connect(search, &QPushButton::clicked, this, &BudgetTab::run_search);
  connect(use, &QPushButton::clicked, this, [this] {
    const auto rows = table_->selectionModel()->selectedRows();
    if (!rows.isEmpty()) use_candidate(rank_at_row(rows.first().row()));
  });
  connect(table_, &QTableWidget::cellDoubleClicked, this, [this](int row, int) { use_candidate(rank_at_row(row)); });
}

void BudgetTab::set_budget_usd(double usd) { budget_->setValue(usd); }
void BudgetTab::set_target_params(double params) { target_->setText(QString::number(params, 'g', 6)); }
void BudgetTab::set_hardware(const QString& name, int gpus) {
  cluster_->set_value("hardware", name);
  cluster_->set_value("gpus", QString::number(gpus));
}
void BudgetTab::set_region(const QString& name) { cluster_->set_value("region", name); }
void BudgetTab::set_confidence(std::optional<double> percentile) {
  for (int i = 0; i < confidence_->count(); ++i) {
    const QVariant item = confidence_->itemData(i);
    if (percentile ? item.isValid() && item.toDouble() == *percentile : !item.isValid()) {
      confidence_->setCurrentIndex(i);
      return;
    }
  }
  throw std::invalid_argument("the limits hold at P50 or P90 (0.5 or 0.9) or for the failure-free costs");
}

int BudgetTab::rank_at_row(int row) const {
  const QTableWidgetItem* item = table_->item(row, 0);
  return item ? item->data(kRankRole).toInt() : -1;
}

void BudgetTab::run_search() {
  const ParsedCount params = parse_count(target_->text());
  if (!params.value || *params.value <= 0) {
    summary_->setText(tr("Target parameters must be a positive number such as 101B or 101e9."));
    return;
  }
  QString error;
  const std::optional<planner::ClusterOverrides> cluster = cluster_->overrides(&error);
  if (!cluster) {
    summary_->setText(error);
    return;
  }
  planner::SearchRequest request;
  try {
    request = planner::make_search_request(*params.value, planner::find_cluster(*cluster), budget_->value());
  } catch (const std::exception& e) {
    summary_->setText(to_qstring(e.what()));
    return;
  }
  if (deadline_days_->value() > 0) request.deadline_seconds = deadline_days_->value() * planner::kSecondsPerDay;
  if (max_co2e_t_->value() > 0) request.max_co2e_kg = max_co2e_t_->value() * 1000;
  if (const QVariant percentile = confidence_->currentData(); percentile.isValid()) {
    request.risk = simulator::risk_screen(percentile.toDouble());
  }
  auto out = std::make_shared<std::optional<planner::SearchResult>>();
  auto failure = std::make_shared<QString>();
  summary_->setText(tr("Searching…"));
  task_->start(
      tr("Searching growth schedules…"),
      [request, out, failure](const TaskContext& ctx) {
        try {
          *out = planner::search_schedules(request, [&ctx](const planner::SearchProgress& p) {
            // Three phases of roughly equal weight.
            const double base = p.phase == "costing shapes" ? 0 : p.phase == "searching" ? 1 : 2;
            ctx.report((base + p.fraction) / 3);
            return !ctx.cancelled();
          });
        } catch (const std::exception& e) {
          *failure = to_qstring(e.what());
        }
      },
      [this, out, failure] {
        if (!failure->isEmpty()) {
          summary_->setText(*failure);
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
    summary_->setText(tr("Nothing fits: %1").arg(to_qstring(r.infeasible->explanation)));
    return;
  }
  std::vector<TableRow> rows;
  for (size_t i = 0; i < r.ranked.size(); ++i) rows.push_back(row_of(QString::number(i + 1), i + 1.0, r.ranked[i]));
  if (r.scratch) rows.push_back(row_of(tr("scratch"), r.ranked.size() + 1.0, *r.scratch));
  fill_table(table_, rows);
  for (int row = 0; row < table_->rowCount(); ++row) {
    QTableWidgetItem* rank = table_->item(row, 0);
    rank->setData(kRankRole, static_cast<int>(rank->data(kSortKeyRole).toDouble()) - 1);
  }
  if (!r.ranked.empty()) {
    for (int row = 0; row < table_->rowCount(); ++row) {
      if (rank_at_row(row) == 0) table_->selectRow(row);
    }
  }
  QString text = tr("%1 schedules on the Pareto front over USD, days, CO2e and predicted loss (%2 s).")
                     .arg(r.ranked.size())
                     .arg(r.stats.seconds, 0, 'f', 2);
  if (!r.ranked.empty() && r.scratch) {
    text += tr(" Best: %1 tokens for %2 vs %3 from scratch (%4x), predicted loss %5 vs %6.")
                .arg(to_qstring(planner::human_count(r.ranked[0].tokens)),
                     to_qstring(planner::human_usd(r.ranked[0].estimate.total.cost_usd)),
                     to_qstring(planner::human_count(r.scratch->tokens)))
                .arg(r.ranked[0].tokens / r.scratch->tokens, 0, 'f', 2)
                .arg(r.ranked[0].predicted_loss, 0, 'f', 4)
                .arg(r.scratch->predicted_loss, 0, 'f', 4);
  }
  if (const auto& risk = r.stats.risk) {
    text += tr(" Limits held at P%1 of the simulated run, failures and restarts included (%2 simulated, %3 "
               "shortened to fit, %4 dropped).")
                .arg(100 * risk->percentile, 0, 'f', 0)
                .arg(risk->simulated)
                .arg(risk->shortened)
                .arg(risk->dropped);
  } else {
    text += tr(" Limits held by the failure-free costs.");
  }
  summary_->setText(text);

  QChart* chart = new_chart(tr("Predicted loss vs cost: the front and from scratch"), palette());
  const XyAxes axes = add_xy_axes(chart, tr("cost"), tr("predicted loss"));
  auto* front = new QScatterSeries;
  front->setName(tr("growth schedules"));
  front->setMarkerSize(8);
  double lo = 1e300, hi = 0, max_usd = 0;
  auto add = [&](QScatterSeries* series, const planner::ScheduleCandidate& c) {
    series->append(c.estimate.total.cost_usd, c.predicted_loss);
    lo = std::min(lo, c.predicted_loss);
    hi = std::max(hi, c.predicted_loss);
    max_usd = std::max(max_usd, c.estimate.total.cost_usd);
  };
  for (const auto& c : r.ranked) add(front, c);
  auto* scratch = new QScatterSeries;
  scratch->setName(tr("from scratch"));
  scratch->setMarkerSize(14);
  if (r.scratch) add(scratch, *r.scratch);
  add_xy_series(chart, front, axes);
  add_xy_series(chart, scratch, axes);
  // Room past the last point for its marker.
  set_nice_range(axes.x, 0, max_usd * 1.05, usd_unit());
  set_nice_range(axes.y, lo, hi, plain_unit(), 6);
  chart->legend()->setAlignment(Qt::AlignBottom);
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
  if (replace_guard_ && !replace_guard_()) return false;
  document_->load_plan(c->plan);
  emit plan_chosen();
  return true;
}

}  // namespace sprout::gui
