// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/gui/estimate_panel.h"

#include <QHeaderView>
#include <QLabel>
#include <QTableWidget>
#include <QVBoxLayout>
#include <algorithm>

#include "sprout/gui/palette_colors.h"
#include "sprout/gui/plan_document.h"
#include "sprout/gui/qt_text.h"
#include "sprout/planner/base/format_units.h"
#include "sprout/planner/cost/estimate_rows.h"

namespace sprout::gui {
namespace {

using namespace sprout::planner;

}  // namespace

EstimatePanel::EstimatePanel(PlanDocument* document, QWidget* parent) : QWidget(parent), document_(document) {
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
  status_->setStyleSheet(QString("color: %1;").arg(error_text(palette()).name()));
  table_ = new QTableWidget(this);
  table_->setObjectName("estimateTable");
  QStringList header;
  for (const std::string& title : estimate_columns()) header << to_qstring(title);
  table_->setColumnCount(static_cast<int>(header.size()));
  table_->setHorizontalHeaderLabels(header);
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
  // The same rows as `sprout plan` prints (planner/cost/estimate_rows.h).
  const std::vector<EstimateRow> rows = estimate_rows(e, plan.cluster.gpus);
  const EstimateRow& total =
      *std::find_if(rows.begin(), rows.end(), [](const EstimateRow& r) { return r.kind == EstimateRowKind::kTotal; });
  // Totals as properties too, so tests and accessibility tools read exact text.
  const std::pair<const char*, QString> totals[] = {
      {"days", to_qstring(total.cell("time"))},       {"gpu_hours", to_qstring(total.cell("GPU-hours"))},
      {"cost_usd", to_qstring(total.cell("USD"))},    {"energy_kwh", to_qstring(total.cell("energy"))},
      {"co2e_kg", to_qstring(total.cell("CO2e"))},    {"params", to_qstring(total.cell("params"))},
      {"flops", QString::number(total.flops, 'g', 4)}};
  for (const auto& [key, text] : totals) headline_->setProperty((std::string("total_") + key).c_str(), text);
  QString line = QString("<b>%1</b> on %2 x %3 GPUs in %4: <b>%5</b>, %6 GPU-hours, <b>%7</b>, %8, <b>%9 CO2e</b>")
                     .arg(to_qstring(plan.name).toHtmlEscaped(), to_qstring(plan.cluster.hardware.name))
                     .arg(plan.cluster.gpus)
                     .arg(to_qstring(plan.cluster.region.name), totals[0].second, totals[1].second, totals[2].second,
                          totals[3].second, totals[4].second);
  if (e.scratch_baseline && e.scratch_total.seconds > 0) {
    line +=
        QString("<br>From scratch on the same tokens: %1, %2, %3 CO2e (growth saves %4 of the time)")
            .arg(to_qstring(human_duration(e.scratch_total.seconds)), to_qstring(human_usd(e.scratch_total.cost_usd)),
                 to_qstring(human_mass_kg(e.scratch_total.co2e_kg)),
                 to_qstring(percent(1 - e.total.seconds / e.scratch_total.seconds)));
  }
  headline_->setText(line);

  table_->setRowCount(static_cast<int>(rows.size()));
  for (int r = 0; r < static_cast<int>(rows.size()); ++r) {
    const EstimateRow& row = rows[static_cast<size_t>(r)];
    for (int c = 0; c < static_cast<int>(row.cells.size()); ++c) {
      auto* item = new QTableWidgetItem(to_qstring(row.cells[static_cast<size_t>(c)]));
      if (c > 0) item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
      if (row.kind == EstimateRowKind::kTotal) {
        QFont bold = item->font();
        bold.setBold(true);
        item->setFont(bold);
      }
      table_->setItem(r, c, item);
    }
  }
}

}  // namespace sprout::gui
