// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/planner/cost/estimate_rows.h"

#include <fmt/format.h>

#include <stdexcept>

#include "sprout/planner/base/format_units.h"

namespace sprout::planner {
namespace {

// The costs' cells, shared by every kind of row.
void add_cost_cells(std::vector<std::string>& cells, const Costs& c) {
  cells.push_back(human_duration(c.seconds));
  cells.push_back(human_hours(c.gpu_hours));
  cells.push_back(human_usd(c.cost_usd));
  cells.push_back(human_energy_kwh(c.energy_kwh));
  cells.push_back(human_mass_kg(c.co2e_kg));
}

EstimateRow stage_row(EstimateRowKind kind, const StageEstimate& s, int gpus) {
  EstimateRow row;
  row.kind = kind;
  row.name = s.name;
  row.params = s.params;
  row.tokens = s.tokens;
  row.flops = s.flops;
  row.gpus = gpus;
  row.stage = StageFigures{
      s.layout,        s.layout_searched,       s.iteration.tflops_per_gpu, s.iteration.hardware_tflops_per_gpu,
      s.iteration.mfu, s.iteration.iteration_s, s.memory.total_gb()};
  row.costs = s.costs;
  const std::string label =
      kind == EstimateRowKind::kStage && s.growth.any() ? "+" + describe(s.growth) + " " + s.name : s.name;
  row.cells = {label,
               human_count(s.params),
               human_count(s.tokens),
               describe(s.layout) + (s.layout_searched ? " *" : ""),
               fmt::format("{:.3g}", s.iteration.tflops_per_gpu),
               percent(s.iteration.mfu),
               fmt::format("{:.1f}", s.memory.total_gb())};
  add_cost_cells(row.cells, s.costs);
  return row;
}

EstimateRow total_row(const PlanEstimate& e, int gpus) {
  EstimateRow row;
  row.kind = EstimateRowKind::kTotal;
  row.name = "total";
  row.params = e.stages.empty() ? 0 : e.stages.back().params;
  row.tokens = e.total_tokens;
  row.flops = e.total_flops;
  row.gpus = gpus;
  row.costs = e.total;
  row.cells = {row.name, human_count(row.params), human_count(row.tokens), "", "", "", ""};
  add_cost_cells(row.cells, row.costs);
  return row;
}

}  // namespace

const std::vector<std::string>& estimate_columns() {
  static const std::vector<std::string> columns = {"stage",  "params", "tokens",    "layout", "TF/GPU", "MFU",
                                                   "GB/GPU", "time",   "GPU-hours", "USD",    "energy", "CO2e"};
  return columns;
}

const std::string& EstimateRow::cell(std::string_view column) const {
  const std::vector<std::string>& columns = estimate_columns();
  for (size_t i = 0; i < columns.size() && i < cells.size(); ++i) {
    if (columns[i] == column) return cells[i];
  }
  throw std::out_of_range("estimate table has no column '" + std::string(column) + "'");
}

std::vector<EstimateRow> estimate_rows(const PlanEstimate& e, int gpus) {
  std::vector<EstimateRow> rows;
  for (const StageEstimate& s : e.stages) rows.push_back(stage_row(EstimateRowKind::kStage, s, gpus));
  rows.push_back(total_row(e, gpus));
  if (e.scratch_baseline) rows.push_back(stage_row(EstimateRowKind::kScratch, *e.scratch_baseline, gpus));
  return rows;
}

}  // namespace sprout::planner
