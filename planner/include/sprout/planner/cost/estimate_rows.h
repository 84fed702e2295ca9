// SPDX-License-Identifier: GPL-3.0-or-later
// The per-stage table of a plan estimate, built once: one row per stage, the
// total, then the from-scratch baseline, each with its figures as numbers and
// as the text every table shows. `sprout plan` prints it (table and CSV), the
// GUI's estimate panel shows it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sprout/planner/cost/estimate.h"

namespace sprout::planner {

enum class EstimateRowKind { kStage, kTotal, kScratch };

// What a stage row has and the total row does not.
struct StageFigures {
  ParallelLayout layout;
  bool layout_searched = false;
  double tflops_per_gpu = 0;
  double hardware_tflops_per_gpu = 0;
  double mfu = 0;
  double iteration_s = 0;
  double memory_gb_per_gpu = 0;
};

struct EstimateRow {
  EstimateRowKind kind = EstimateRowKind::kStage;
  std::string name;   // the stage's, "total", or the baseline's
  double params = 0;  // of the stage; on the total row, the final model's
  double tokens = 0;
  double flops = 0;  // model FLOPs
  int gpus = 0;
  std::optional<StageFigures> stage;  // absent on the total row
  Costs costs;
  // One text per estimate_columns(): the label ("+width stage2" for a grown
  // stage), the figures rounded for people, "" where the row has no figure.
  std::vector<std::string> cells;

  // The text under `column`, one of estimate_columns() ("USD").
  const std::string& cell(std::string_view column) const;
};

// Titles of the table's columns: stage, params, tokens, layout, TF/GPU, MFU,
// GB/GPU, time, GPU-hours, USD, energy, CO2e.
const std::vector<std::string>& estimate_columns();

// Stages in order, the total, then the baseline when the estimate has one.
std::vector<EstimateRow> estimate_rows(const PlanEstimate& estimate, int gpus);

}  // namespace sprout::planner
