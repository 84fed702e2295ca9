// SPDX-License-Identifier: GPL-3.0-or-later
// RUN_DIR/telemetry.jsonl: one JSON object per line (docs/formats.md "Run
// directory"), appended and flushed as training goes.
#pragma once

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

namespace sprout::backend {

class TelemetryLog {
 public:
  explicit TelemetryLog(const std::string& path);  // appends; creates when missing
  // Adds "time" (ISO-8601 UTC) first, writes one line and flushes it.
  void append(nlohmann::json record);

  // For resume: keeps only the records with "step" <= last_step (the steps
  // the checkpoint contains), rewriting the file atomically, so re-run steps
  // are not logged twice.
  static void truncate_after(const std::string& path, long long last_step);

 private:
  std::string path_;
  std::ofstream out_;
};

std::string iso8601_utc_now();

}  // namespace sprout::backend
