// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/gui/carbon_tab.h"

#include <QComboBox>
#include <QDateTimeEdit>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineSeries>
#include <QPushButton>
#include <QVBoxLayout>
#include <algorithm>

#include "sprout/gui/background_task.h"
#include "sprout/gui/chart_axes.h"
#include "sprout/gui/chart_box.h"
#include "sprout/gui/charts.h"
#include "sprout/gui/palette_colors.h"
#include "sprout/gui/plan_document.h"
#include "sprout/planner/base/data_dirs.h"
#include "sprout/planner/base/format_units.h"
#include "sprout/planner/base/utc_time.h"
#include "sprout/planner/cost/cost_model.h"
#include "sprout/planner/io/plan_loader.h"

namespace sprout::gui {

CarbonTab::CarbonTab(PlanDocument* document, QWidget* parent) : QWidget(parent), document_(document) {
  auto* layout = new QVBoxLayout(this);
  auto* note = new QLabel(tr("Operational emissions of the current plan if it ran in each region: energy x PUE x the "
                             "region's annual-mean grid intensity. Embodied carbon does not depend on the region."),
                          this);
  note->setWordWrap(true);
  chart_ = new ChartBox(this);

  // Carbon-aware scheduling against an hourly trace.
  auto* controls = new QHBoxLayout;
  trace_box_ = new QComboBox(this);
  trace_box_->setObjectName("traceFile");
  trace_box_->addItem(tr("(no trace)"), QString());
  if (const auto dir = planner::find_data_file("profiles/regions/traces")) {
    const QDir traces(QString::fromStdString(*dir));
    for (const QString& f : traces.entryList({"*.csv"}, QDir::Files)) trace_box_->addItem(f, traces.filePath(f));
  }
  auto* browse = new QPushButton(tr("Load trace…"), this);
  start_ = new QDateTimeEdit(this);
  start_->setObjectName("carbonStart");
  start_->setTimeSpec(Qt::UTC);
  start_->setDisplayFormat("yyyy-MM-dd HH:mm 'UTC'");
  start_->setToolTip(tr("Earliest start (UTC), within the loaded trace"));
  deadline_ = new QDateTimeEdit(this);
  deadline_->setObjectName("carbonDeadline");
  deadline_->setTimeSpec(Qt::UTC);
  deadline_->setDisplayFormat("yyyy-MM-dd HH:mm 'UTC'");
  deadline_->setToolTip(tr("When the run must be done (UTC), within the loaded trace"));
  // No window before a trace: the dates would be Qt's default (2000-01-01), not the trace's.
  for (QDateTimeEdit* edit : {start_, deadline_}) {
    edit->setEnabled(false);
    edit->setSpecialValueText(tr("load a trace"));
    edit->setDateTime(edit->minimumDateTime());
  }
  mode_ = new QComboBox(this);
  mode_->setObjectName("carbonMode");
  mode_->addItem(tr("best start time"), static_cast<int>(simulator::CarbonAwareMode::kStart));
  mode_->addItem(tr("pause in dirty hours"), static_cast<int>(simulator::CarbonAwareMode::kPause));
  auto* go = new QPushButton(tr("Simulate"), this);
  go->setObjectName("carbonSimulate");
  controls->addWidget(new QLabel(tr("Hourly trace"), this));
  controls->addWidget(trace_box_);
  controls->addWidget(browse);
  controls->addWidget(new QLabel(tr("start"), this));
  controls->addWidget(start_);
  controls->addWidget(new QLabel(tr("deadline"), this));
  controls->addWidget(deadline_);
  controls->addWidget(mode_);
  controls->addWidget(go);
  controls->addStretch();
  result_label_ = new QLabel(this);
  result_label_->setObjectName("carbonResult");
  result_label_->setWordWrap(true);
  result_label_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  task_ = new BackgroundTask(this);
  trace_chart_ = new ChartBox(this);

  layout->addWidget(note);
  layout->addWidget(chart_, 1);
  layout->addLayout(controls);
  layout->addWidget(task_);
  layout->addWidget(result_label_);
  layout->addWidget(trace_chart_, 1);
  connect(trace_box_, &QComboBox::activated, this, [this](int i) {
    const QString path = trace_box_->itemData(i).toString();
    if (!path.isEmpty()) load_trace(path);
  });
  connect(browse, &QPushButton::clicked, this, [this] {
    const QString path = QFileDialog::getOpenFileName(this, tr("Hourly carbon intensity (Electricity Maps CSV)"),
                                                      QString(), tr("CSV (*.csv)"));
    if (!path.isEmpty()) load_trace(path);
  });
  connect(go, &QPushButton::clicked, this,
          [this] { run_carbon_aware(static_cast<simulator::CarbonAwareMode>(mode_->currentData().toInt())); });
  connect(start_, &QDateTimeEdit::editingFinished, this, &CarbonTab::show_trace);
  connect(deadline_, &QDateTimeEdit::editingFinished, this, &CarbonTab::show_trace);
  connect(document_, &PlanDocument::estimate_changed, this, &CarbonTab::refresh);
  refresh();
}

bool CarbonTab::load_trace(const QString& path) {
  try {
    trace_ = simulator::load_carbon_trace(path.toStdString());
  } catch (const std::exception& e) {
    show_error(QString::fromStdString(e.what()));
    return false;
  }
  trace_path_ = path;
  int item = trace_box_->findData(path);
  if (item < 0) {
    trace_box_->addItem(QFileInfo(path).fileName(), path);
    item = trace_box_->count() - 1;
  }
  trace_box_->setCurrentIndex(item);
  // The window defaults to the whole trace, and cannot leave it.
  const QDateTime first = QDateTime::fromSecsSinceEpoch(trace_->start_unix_s, Qt::UTC);
  const QDateTime last = first.addSecs(simulator::kTraceStepSeconds * trace_->hours());
  for (QDateTimeEdit* edit : {start_, deadline_}) {
    edit->setSpecialValueText(QString());
    edit->setDateTimeRange(first, last);
    edit->setEnabled(true);
  }
  set_window(first, last);
  result_label_->setStyleSheet("");
  result_label_->setText(tr("Trace: %1 hours from %2, mean %3 gCO2e/kWh")
                             .arg(trace_->hours())
                             .arg(first.toString(Qt::ISODate))
                             .arg(trace_->mean_g_co2e_per_kwh(), 0, 'f', 1));
  show_trace();
  return true;
}

void CarbonTab::set_window(const QDateTime& start_utc, const QDateTime& deadline_utc) {
  start_->setDateTime(start_utc);
  deadline_->setDateTime(deadline_utc);
  show_trace();
}

void CarbonTab::show_trace() {
  QChart* chart = new_chart(tr("Grid intensity over the window"), palette());
  chart->legend()->hide();
  if (trace_) {
    auto* line = new QLineSeries;
    const qint64 from = start_->dateTime().toSecsSinceEpoch(), to = deadline_->dateTime().toSecsSinceEpoch();
    double lo = 1e300, hi = 0;
    for (long long h = 0; h < trace_->hours(); ++h) {
      const qint64 t = trace_->start_unix_s + simulator::kTraceStepSeconds * h;
      if (t < from || t > to) continue;
      line->append(static_cast<double>(t), trace_->g_co2e_per_kwh[h]);
      lo = std::min(lo, trace_->g_co2e_per_kwh[h]);
      hi = std::max(hi, trace_->g_co2e_per_kwh[h]);
    }
    const XyAxes axes = add_xy_axes(chart, tr("UTC"), tr("gCO2e/kWh"));
    add_xy_series(chart, line, axes);
    set_utc_range(axes.x, from, to);
    if (line->count() > 0) set_nice_range(axes.y, 0, hi, plain_unit(), 6);
  }
  trace_chart_->set_chart(chart);
}

void CarbonTab::show_error(const QString& text) {
  result_label_->setStyleSheet(QString("color: %1;").arg(error_text(palette()).name()));
  result_label_->setText(text);
}

void CarbonTab::run_carbon_aware(simulator::CarbonAwareMode mode, long long trials) {
  if (!trace_ || !document_->has_plan() || document_->error()) {
    result_label_->setText(tr("Open a valid plan and load an hourly trace first."));
    return;
  }
  mode_->setCurrentIndex(mode_->findData(static_cast<int>(mode)));  // the mode shown is the mode simulated
  simulator::SimulationOptions o;
  o.trials = trials;
  o.carbon_trace_csv = trace_path_.toStdString();
  o.start_unix_s = start_->dateTime().toSecsSinceEpoch();
  o.deadline_unix_s = deadline_->dateTime().toSecsSinceEpoch();
  o.carbon_aware = mode;
  const planner::Plan plan = document_->plan();
  auto report = std::make_shared<std::optional<simulator::SimulationReport>>();
  auto error = std::make_shared<QString>();
  result_.reset();
  task_->start(
      tr("Carbon-aware simulation…"),
      [plan, o, report, error](const TaskContext& ctx) mutable {
        o.progress = [&ctx](long long done, long long total) {
          ctx.report(static_cast<double>(done) / total);
          return !ctx.cancelled();
        };
        try {
          *report = simulator::simulate_plan(plan, o);
        } catch (const std::exception& e) {
          *error = QString::fromStdString(e.what());
        }
      },
      [this, report, error] {
        if (!error->isEmpty()) {
          show_error(*error);
          return;
        }
        if (!*report || !(*report)->carbon_aware) return;
        result_ = (*report)->carbon_aware;
        const auto& r = *result_;
        result_label_->setStyleSheet("");
        result_label_->setText(tr("%1: start %2 (requested %3); saves %4 CO2e (%5) and adds %6 days; %7 paused hours")
                                   .arg(QString::fromUtf8(simulator::to_string(r.mode)),
                                        QString::fromStdString(planner::format_utc_timestamp(r.chosen_start_unix_s)),
                                        QString::fromStdString(planner::format_utc_timestamp(r.requested_start_unix_s)),
                                        QString::fromStdString(planner::human_mass_kg(r.co2e_saved_kg)),
                                        QString::fromStdString(planner::percent(r.co2e_saved_fraction)))
                                   .arg(r.days_added, 0, 'f', 2)
                                   .arg(r.paused_hours));
      });
}

void CarbonTab::refresh() {
  by_region_.clear();
  if (document_->estimate()) {
    const planner::Plan& plan = document_->plan();
    const planner::PlanEstimate& e = *document_->estimate();
    for (const auto& name : planner::list_profiles("regions", plan.source_file)) {
      try {
        // Same run time and GPUs; only the electricity's origin changes.
        planner::Cluster elsewhere = plan.cluster;
        elsewhere.region = planner::find_region_profile(name, plan.source_file);
        const planner::Costs c = planner::costs_for(e.total.seconds, elsewhere);
        by_region_.emplace_back(QString::fromStdString(name), c.co2e_kg / 1000.0);
      } catch (const std::exception&) {
        // A broken region profile is reported where it is used (the plan), not here.
      }
    }
  }
  chart_->set_chart(make_region_bars(by_region_));
}

}  // namespace sprout::gui
