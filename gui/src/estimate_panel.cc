// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/gui/estimate_panel.h"

#include <QHeaderView>
#include <QLabel>
#include <QTableWidget>
#include <QVBoxLayout>

#include "sprout/gui/plan_document.h"
#include "sprout/planner/base/format_units.h"

namespace sprout::gui {
namespace {

using namespace sprout::planner;

const QStringList kHeader = {"stage",  "params", "tokens", "FLOPs",  "layout",    "TF/GPU", "MFU",
                             "GB/GPU", "time",   "GPU-h",  "USD",    "energy",    "CO2e"};

QString q(const std::string& s) { return QString::fromStdString(s); }

QStringList stage_cells(const QString& name, const StageEstimate& s) {
  return {name,
          q(human_count(s.params)),
          q(human_count(s.tokens)),
          QString::number(s.flops, 'g', 3),
          q(describe(s.layout)) + (s.layout_searched ? " *" : ""),
          QString::number(s.iteration.tflops_per_gpu, 'g', 4),
          q(percent(s.iteration.mfu)),
          QString::number(s.memory.total_gb(), 'f', 1),
          q(human_duration(s.costs.seconds)),
          q(human_hours(s.costs.gpu_hours)),
          q(human_usd(s.costs.cost_usd)),
          q(human_energy_kwh(s.costs.energy_kwh)),
          q(human_mass_kg(s.costs.co2e_kg))};
}

}  // namespace

EstimatePanel::EstimatePanel(PlanDocument* document, QWidget* parent)
    : QWidget(parent), document_(document) {
  auto* layout = new QVBoxLayout(this);
  headline_ = new QLabel(this);
  headline_->setObjectName("estimateHeadline");
  headline_->setWordWrap(true);
  headline_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  QFont f = headline_->font();
  f.setPointSizeF(f.pointSizeF() * 1.15);
  headline_->setFont(f);
  status_ = new QLabel(this);
  status_->setObjectName("estimateStatus");
  status_->setWordWrap(true);
  status_->setStyleSheet("color: #b00020;");
  table_ = new QTableWidget(this);
  table_->setObjectName("estimateTable");
  table_->setColumnCount(kHeader.size());
  table_->setHorizontalHeaderLabels(kHeader);
  table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  table_->verticalHeader()->hide();
  table_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
  table_->horizontalHeader()->setStretchLastSection(true);
  layout->addWidget(headline_);
  layout->addWidget(status_);
  layout->addWidget(table_, 1);
  connect(document_, &PlanDocument::changed, this, &EstimatePanel::refresh);
  refresh();
}

QString EstimatePanel::total_text(const QString& key) const {
  return headline_->property(("total_" + key).toUtf8().constData()).toString();
}

void EstimatePanel::refresh() {
  const auto& err = document_->error();
  status_->setVisible(err.has_value());
  if (err) status_->setText("The plan has an error; numbers below are from the last valid version.\n" + err->full);
  const auto& est = document_->estimate();
  if (!est) {
    headline_->setText("Open a plan (Ctrl+O) to see its cost.");
    table_->setRowCount(0);
    return;
  }
  const PlanEstimate& e = *est;
  const Plan& plan = document_->plan();
  const Costs& t = e.total;
  // Totals as properties too, so tests and accessibility tools read exact text.
  const std::pair<const char*, QString> totals[] = {
      {"days", q(human_duration(t.seconds))},       {"gpu_hours", q(human_hours(t.gpu_hours))},
      {"cost_usd", q(human_usd(t.cost_usd))},       {"energy_kwh", q(human_energy_kwh(t.energy_kwh))},
      {"co2e_kg", q(human_mass_kg(t.co2e_kg))},     {"params", q(human_count(e.stages.back().params))},
      {"flops", QString::number(e.total_flops, 'g', 4)}};
  for (const auto& [key, text] : totals) headline_->setProperty((std::string("total_") + key).c_str(), text);
  QString line = QString("<b>%1</b> on %2 x %3 GPUs in %4: <b>%5</b>, %6 GPU-hours, <b>%7</b>, %8, <b>%9 CO2e</b>")
                     .arg(q(plan.name).toHtmlEscaped(), q(plan.hardware.name))
                     .arg(plan.gpus)
                     .arg(q(plan.region.name), totals[0].second, totals[1].second, totals[2].second,
                          totals[3].second, totals[4].second);
  if (e.scratch_baseline && e.scratch_total.seconds > 0) {
    line += QString("<br>From scratch on the same tokens: %1, %2, %3 CO2e (growth saves %4 of the time)")
                .arg(q(human_duration(e.scratch_total.seconds)), q(human_usd(e.scratch_total.cost_usd)),
                     q(human_mass_kg(e.scratch_total.co2e_kg)),
                     q(percent(1 - t.seconds / e.scratch_total.seconds)));
  }
  headline_->setText(line);

  std::vector<QStringList> rows;
  for (const auto& s : e.stages) {
    rows.push_back(stage_cells((s.growth.any() ? "+" + q(planner::describe(s.growth)) + " " : QString()) + q(s.name), s));
  }
  rows.push_back({"total", q(human_count(e.stages.back().params)), q(human_count(e.total_tokens)),
                  QString::number(e.total_flops, 'g', 3), "", "", "", "", totals[0].second, totals[1].second,
                  totals[2].second, totals[3].second, totals[4].second});
  if (e.scratch_baseline) rows.push_back(stage_cells(q(e.scratch_baseline->name), *e.scratch_baseline));
  table_->setRowCount(static_cast<int>(rows.size()));
  for (int r = 0; r < static_cast<int>(rows.size()); ++r) {
    for (int c = 0; c < rows[r].size(); ++c) {
      auto* item = new QTableWidgetItem(rows[r][c]);
      if (c > 0) item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
      if (rows[r][0] == "total") {
        QFont bold = item->font();
        bold.setBold(true);
        item->setFont(bold);
      }
      table_->setItem(r, c, item);
    }
  }
}

}  // namespace sprout::gui
