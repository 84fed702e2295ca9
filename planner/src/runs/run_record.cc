// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/planner/runs/run_record.h"

#include <algorithm>
#include <filesystem>
#include <sstream>
#include <variant>

#include "sprout/planner/base/file_io.h"
#include "sprout/planner/base/utc_time.h"
#include "sprout/planner/io/plan_loader.h"

namespace sprout::planner {
namespace {

namespace fs = std::filesystem;

// The plan stage a record's `stage` (a name or a 0-based index) means.
size_t plan_stage_of(const TelemetryRecord& rec, const SourceLocation& where, const Plan& plan) {
  if (const auto* name = std::get_if<std::string>(&rec.stage)) {
    for (size_t i = 0; i < plan.stages.size(); ++i) {
      if (plan.stages[i].name == *name) return i;
    }
    throw InputError(where, "telemetry.stage", nlohmann::json(*name).dump() + " is not a stage of the run's plan.yaml");
  }
  const long long index = std::get<long long>(rec.stage);
  if (index >= 0 && index < static_cast<long long>(plan.stages.size())) return static_cast<size_t>(index);
  throw InputError(where, "telemetry.stage",
                   std::to_string(index) + " is neither a stage name nor a 0-based index into plan.yaml's stages");
}

RunTelemetryRecord parse_record(const std::string& path, int line, const nlohmann::json& j, const Plan& plan) {
  const SourceLocation where{path, line, 0};
  RunTelemetryRecord rec;
  static_cast<TelemetryRecord&>(rec) = telemetry_from_json(j, where);
  rec.line = line;
  rec.rank_count = std::max(rec.rank_count, 1);
  if (!rec.time.empty()) {
    const ParsedTimestamp t = parse_utc_timestamp(rec.time);
    if (t.problem != TimestampProblem::kNone) {
      throw InputError(where, "telemetry.time", "'" + rec.time + "' is not an ISO-8601 UTC time");
    }
    rec.time_s = static_cast<double>(t.seconds) + t.fraction_s;
  }
  rec.plan_stage = plan_stage_of(rec, where, plan);
  return rec;
}

// `tokens` may count from the start of the run (sprout-train's convention) or
// restart at each stage; a drop at a stage boundary tells them apart.
void normalise_tokens(std::vector<RunTelemetryRecord>& recs) {
  double offset = 0, last = 0;
  size_t stage = recs.empty() ? 0 : recs.front().plan_stage;
  for (auto& r : recs) {
    if (r.plan_stage != stage) {
      stage = r.plan_stage;
      if (r.tokens + offset < last) offset = last;
    }
    r.tokens += offset;
    last = r.tokens;
  }
}

}  // namespace

std::vector<const RunTelemetryRecord*> RunRecord::stage_records(size_t stage) const {
  std::vector<const RunTelemetryRecord*> out;
  for (const auto& r : records) {
    if (r.plan_stage == stage) out.push_back(&r);
  }
  return out;
}

std::vector<double> RunRecord::stage_tokens() const {
  std::vector<double> out;
  double start = 0;
  for (const auto& r : records) {
    while (out.size() <= r.plan_stage) {
      start = out.empty() ? 0 : start + out.back();
      out.push_back(0);
    }
    out[r.plan_stage] = std::max(out[r.plan_stage], r.tokens - start);
  }
  return out;
}

RunRecord read_run(const std::string& run_dir) {
  RunRecord run;
  run.dir = run_dir;
  fs::path p = fs::path(run_dir).lexically_normal();
  if (p.filename().empty()) p = p.parent_path();
  run.name = p.filename().string();
  if (!fs::is_directory(run_dir)) {
    throw InputError({run_dir, 0, 0}, "run directory", "does not exist or is not a directory");
  }
  const std::string plan_path = (fs::path(run_dir) / "plan.yaml").string();
  if (!fs::exists(plan_path)) {
    throw InputError({plan_path, 0, 0}, "plan.yaml", "missing: not a sprout-train run directory");
  }
  run.plan = load_plan(plan_path);
  const std::string path = (fs::path(run_dir) / "telemetry.jsonl").string();
  if (!fs::exists(path)) throw InputError({path, 0, 0}, "telemetry.jsonl", "missing: the run has not logged anything");
  const std::string text = read_file(path);
  std::istringstream lines(text);
  std::string line;
  int number = 0;
  size_t consumed = 0;
  while (std::getline(lines, line)) {
    ++number;
    consumed += line.size() + 1;
    if (line.empty()) continue;
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(line);
    } catch (const nlohmann::json::parse_error& e) {
      // A run still writing may have cut its last line short; anywhere else
      // this is corruption.
      if (consumed >= text.size() && (text.empty() || text.back() != '\n')) {
        run.partial_last_line = true;
        break;
      }
      throw InputError({path, number, 0}, "telemetry.line", "not valid JSON");
    } catch (const nlohmann::json::exception& e) {
      // out_of_range.406: a number beyond double's range (1e999).
      throw InputError({path, number, 0}, "telemetry.line", std::string("not valid JSON: ") + e.what());
    }
    RunTelemetryRecord rec = parse_record(path, number, j, run.plan);
    // A resumed run logs again from its checkpoint's step: later records of
    // the same kind replace those at or after that step.
    run.records.erase(
        std::remove_if(run.records.begin(), run.records.end(),
                       [&](const RunTelemetryRecord& o) { return o.event == rec.event && o.step >= rec.step; }),
        run.records.end());
    run.records.push_back(std::move(rec));
  }
  if (run.records.empty()) throw InputError({path, 1, 0}, "telemetry.jsonl", "empty: no complete record yet");
  std::stable_sort(run.records.begin(), run.records.end(),
                   [](const RunTelemetryRecord& a, const RunTelemetryRecord& b) { return a.step < b.step; });
  for (size_t i = 1; i < run.records.size(); ++i) {
    if (run.records[i].plan_stage < run.records[i - 1].plan_stage) {
      throw InputError({path, run.records[i].line, 0}, "telemetry.stage",
                       "goes back to an earlier stage at step " + std::to_string(run.records[i].step));
    }
  }
  normalise_tokens(run.records);

  const std::string summary_path = (fs::path(run_dir) / "summary.json").string();
  if (fs::exists(summary_path)) {
    try {
      run.summary = nlohmann::json::parse(read_file(summary_path));
    } catch (const nlohmann::json::exception& e) {
      throw InputError({summary_path, 0, 0}, "summary.json", std::string("not valid JSON: ") + e.what());
    }
    if (!run.summary->is_object()) throw InputError({summary_path, 1, 0}, "summary.json", "expected a JSON object");
    if (run.summary->contains("complete") && !(*run.summary)["complete"].is_boolean()) {
      throw InputError({summary_path, 1, 0}, "summary.complete", "expected true or false");
    }
  }
  const bool complete = run.summary && run.summary->value("complete", false);
  run.in_progress = !complete || run.partial_last_line;
  return run;
}

}  // namespace sprout::planner
