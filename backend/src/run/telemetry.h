// SPDX-License-Identifier: GPL-3.0-or-later
// RUN_DIR/telemetry.jsonl: one JSON object per line (docs/formats.md "Run
// directory"), appended and flushed as training goes. Records are
// planner::TelemetryRecord, the one type the readers parse too.
#pragma once

#include <fstream>
#include <string>

#include "checkpoint/run_state.h"
#include "sprout/planner/plan/plan.h"
#include "sprout/planner/runs/telemetry_record.h"

namespace sprout::backend {

class TelemetryLog {
 public:
  explicit TelemetryLog(const std::string& path);  // appends; creates when missing
  // Sets `time` (ISO-8601 UTC, now) unless given, writes one line and flushes it.
  void append(planner::TelemetryRecord record);

  // For resume: keeps only the records with "step" <= last_step (the steps
  // the checkpoint contains), rewriting the file atomically, so re-run steps
  // are not logged twice.
  static void truncate_after(const std::string& path, long long last_step);
  // The same on this log's own file (a rollback: the steps after last_step run again).
  void keep_until(long long last_step);

 private:
  std::string path_;
  std::ofstream out_;
};

std::string iso8601_utc_now();

// What every record carries (docs/backend.md "Run directory"): the step, the
// stage (the last one after the run), the ranks, the cumulative tokens,
// model FLOPs and energy; `event` "" for a training step.
planner::TelemetryRecord telemetry_record(const planner::Plan& plan, const RunCounters& counters, int rank_count,
                                          const std::string& energy_source, std::string event);

}  // namespace sprout::backend
