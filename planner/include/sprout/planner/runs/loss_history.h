// SPDX-License-Identifier: GPL-3.0-or-later
// The loss curve of a sprout-train run, read from its run directory
// (docs/formats.md "Run directory"): RUN_DIR/plan.yaml for the stage shapes and
// RUN_DIR/telemetry.jsonl for the losses. Only what a loss fit needs;
// docs/search.md lists exactly which telemetry fields are read and how.
#pragma once

#include <string>
#include <vector>

#include "sprout/planner/loss/growth_loss.h"
#include "sprout/planner/plan/plan.h"

namespace sprout::planner {

struct RunLossRecord {
  long long step = 0;
  size_t stage = 0;         // index into the plan's stages
  double stage_tokens = 0;  // tokens trained in this stage when logged
  double loss = 0;
  bool eval = false;  // a validation loss (event "eval"), else a training loss
  int line = 0;       // in telemetry.jsonl
};

struct RunLossHistory {
  std::string run_dir;
  std::string name;  // the directory's last path component
  Plan plan;
  std::vector<RunLossRecord> records;  // in step order, resumed steps de-duplicated
  bool in_progress = false;            // the last telemetry line was cut short (run still writing)

  // The stages reached so far with the tokens trained in each (the last one
  // up to its last record).
  std::vector<StageSize> stages_reached() const;
  // Validation losses when the run logged at least 3 in every stage it
  // reached, else training losses.
  std::vector<RunLossRecord> fit_records() const;
  // The run's final loss: the mean of the fit records in the last 5% of its
  // last stage, at the mean of their token counts into that stage.
  struct FinalLoss {
    double stage_tokens = 0;
    double loss = 0;
  };
  FinalLoss final_loss() const;

  std::vector<double> stage_tokens;  // tokens trained in each stage reached
};

// Throws InputError (file:line:col: field: reason) for a missing or unreadable
// plan or telemetry, a malformed line, an unknown stage, a non-finite loss, or
// a run without any loss records.
RunLossHistory read_run_loss_history(const std::string& run_dir);

}  // namespace sprout::planner
