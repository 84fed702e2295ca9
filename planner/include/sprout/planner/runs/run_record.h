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
#include "sprout/planner/runs/telemetry_record.h"

namespace sprout::planner {

// A telemetry line as a run's reader sees it: the record as written, where
// it stands in telemetry.jsonl, and what it means against the run's plan.
struct RunTelemetryRecord : TelemetryRecord {
  int line = 0;           // in telemetry.jsonl, for error messages
  double time_s = 0;      // `time` as Unix seconds (with the fraction); 0 when not logged
  size_t plan_stage = 0;  // `stage` resolved: an index into the run's plan stages
  // read_run normalises two fields: `tokens` counts from the run's start also
  // where the log restarted it at every stage, and `rank_count` is 1 where
  // the line has none.
};

struct RunRecord {
  std::string dir;
  std::string name;                         // the directory's last component
  Plan plan;                                // RUN_DIR/plan.yaml
  std::vector<RunTelemetryRecord> records;  // step order; a resume's re-logged steps replace the old ones
  std::optional<nlohmann::json> summary;    // RUN_DIR/summary.json, when written
  bool in_progress = true;                  // no complete summary yet, or the last line was cut short
  bool partial_last_line = false;

  // Records of one stage, in order.
  std::vector<const RunTelemetryRecord*> stage_records(size_t stage) const;
  // Tokens trained in each stage reached so far.
  std::vector<double> stage_tokens() const;
};

// Throws InputError naming file, line and field for a missing directory,
// plan.yaml or telemetry.jsonl, an empty log, a malformed line other than the
// last, a stage the plan does not have, or non-finite numbers.
RunRecord read_run(const std::string& run_dir);

}  // namespace sprout::planner
