// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/gui/carbon_tab.h"

#include <QLabel>
#include <QVBoxLayout>

#include "sprout/gui/chart_box.h"
#include "sprout/gui/charts.h"
#include "sprout/gui/plan_document.h"
#include "sprout/planner/cost_model.h"
#include "sprout/planner/plan_loader.h"

namespace sprout::gui {

CarbonTab::CarbonTab(PlanDocument* document, QWidget* parent) : QWidget(parent), document_(document) {
  auto* layout = new QVBoxLayout(this);
  auto* note = new QLabel(
      tr("Operational emissions of the current plan if it ran in each region: energy x PUE x the "
         "region's annual-mean grid intensity. Embodied carbon does not depend on the region."),
      this);
  note->setWordWrap(true);
  chart_ = new ChartBox(this);
  layout->addWidget(note);
  layout->addWidget(chart_, 1);
  connect(document_, &PlanDocument::estimate_changed, this, &CarbonTab::refresh);
  refresh();
}

void CarbonTab::refresh() {
  by_region_.clear();
  if (document_->estimate()) {
    const planner::Plan& plan = document_->plan();
    const planner::PlanEstimate& e = *document_->estimate();
    for (const auto& name : planner::list_profiles("regions", plan.source_file)) {
      try {
        const planner::RegionProfile region = planner::find_region_profile(name, plan.source_file);
        // Same run time and GPUs; only the electricity's origin changes.
        const planner::Costs c = planner::costs_for(e.total.seconds, plan.gpus, plan.hardware, region,
                                                    plan.price_usd_per_gpu_hour, plan.power_model);
        by_region_.emplace_back(QString::fromStdString(name), c.co2e_kg / 1000.0);
      } catch (const std::exception&) {
        // A broken region profile is reported where it is used (the plan), not here.
      }
    }
  }
  chart_->set_chart(make_region_bars(by_region_));
}

}  // namespace sprout::gui
