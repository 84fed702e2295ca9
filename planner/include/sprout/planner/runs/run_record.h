// SPDX-License-Identifier: GPL-3.0-or-later
// A sprout-train run directory as data (docs/formats.md "Run directory"): the plan
// it ran, every telemetry record, and the per-stage summary. Read by
// `sprout compare`, `sprout fit-loss` and the GUI's run overlay, also while
// the run is still writing (a cut-off last line means "in progress").
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "sprout/planner/plan/plan.h"

namespace sprout::planner {

struct TelemetryRecord {
  int line = 0;                 // in telemetry.jsonl, for error messages
  double time_s = 0;            // Unix seconds (with the fraction); 0 when not logged
  long long step = 0;           // optimizer steps since the run started
  size_t stage = 0;             // index into the run's plan stages
  int rank_count = 1;
  double tokens = 0;            // trained since the run started (normalised if logged per stage)
  std::string event;            // "" for a training step; grow, checkpoint, resume, eval, ...
  std::optional<double> loss;   // training loss (step records)
  std::optional<double> val_loss;
  std::optional<double> lr;
  std::optional<double> tokens_per_s;
  std::optional<double> tflops_per_gpu;
  std::optional<double> energy_j;  // cumulative
  std::string energy_source;       // nvml | rapl | model
  nlohmann::json fields;           // the whole line, for event-specific fields
};

struct RunRecord {
  std::string dir;
  std::string name;             // the directory's last component
  Plan plan;                    // RUN_DIR/plan.yaml
  std::vector<TelemetryRecord> records;  // step order; a resume's re-logged steps replace the old ones
  std::optional<nlohmann::json> summary; // RUN_DIR/summary.json, when written
  bool in_progress = true;      // no complete summary yet, or the last line was cut short
  bool partial_last_line = false;

  // Records of one stage, in order.
  std::vector<const TelemetryRecord*> stage_records(size_t stage) const;
  // Tokens trained in each stage reached so far.
  std::vector<double> stage_tokens() const;
};

// Throws InputError naming file, line and field for a missing directory,
// plan.yaml or telemetry.jsonl, an empty log, a malformed line other than the
// last, a stage the plan does not have, or non-finite numbers.
RunRecord read_run(const std::string& run_dir);

}  // namespace sprout::planner
