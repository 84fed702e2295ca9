// SPDX-License-Identifier: GPL-3.0-or-later
#include "run/telemetry.h"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <sstream>

#include "sprout/planner/base/file_io.h"

namespace sprout::backend {

std::string iso8601_utc_now() {
  const auto now = std::chrono::system_clock::now();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03d}Z", fmt::gmtime(std::chrono::system_clock::to_time_t(now)), ms);
}

TelemetryLog::TelemetryLog(const std::string& path) : path_(path), out_(path, std::ios::app) {
  if (!out_) throw std::runtime_error(path + ": cannot open for appending");
}

void TelemetryLog::append(planner::TelemetryRecord record) {
  if (record.time.empty()) record.time = iso8601_utc_now();
  out_ << planner::telemetry_to_json(record).dump() << '\n';
  out_.flush();
  if (!out_) throw std::runtime_error(path_ + ": write failed");
}

void TelemetryLog::keep_until(long long last_step) {
  out_.close();  // the file is replaced: the log appends to the new one
  truncate_after(path_, last_step);
  out_.open(path_, std::ios::app);
  if (!out_) throw std::runtime_error(path_ + ": cannot open for appending");
}

planner::TelemetryRecord telemetry_record(const planner::Plan& plan, const RunCounters& c, int rank_count,
                                          const std::string& energy_source, std::string event) {
  const size_t si = std::min(c.stage_index, plan.stages.size() - 1);
  planner::TelemetryRecord r;
  r.step = c.global_step;
  r.stage = plan.stages[si].name;
  r.stage_index = static_cast<long long>(si);
  r.rank_count = rank_count;
  r.tokens = c.tokens;
  r.model_flops = c.model_flops;
  r.energy_j = c.energy_j;
  r.energy_source = energy_source;
  r.event = std::move(event);
  return r;
}

void TelemetryLog::truncate_after(const std::string& path, long long last_step) {
  std::ifstream in(path);
  if (!in) return;
  std::string line, kept;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    try {
      auto j = nlohmann::json::parse(line);
      if (j.value("step", 0LL) > last_step) continue;
    } catch (const std::exception&) {
      continue;  // a line cut short by a crash
    }
    kept += line + '\n';
  }
  planner::write_file_atomically(path, kept);
}

}  // namespace sprout::backend
