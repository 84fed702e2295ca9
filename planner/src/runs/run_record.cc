// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/planner/runs/run_record.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <sstream>

#include "sprout/planner/base/file_io.h"
#include "sprout/planner/io/plan_loader.h"
#include "sprout/planner/base/utc_time.h"

namespace sprout::planner {
namespace {

namespace fs = std::filesystem;

class LineReader {
 public:
  LineReader(const std::string& path, int line, const nlohmann::json& j) : path_(path), line_(line), j_(j) {}

  [[noreturn]] void fail(const std::string& field, const std::string& reason) const {
    throw InputError({path_, line_, 0}, "telemetry." + field, reason);
  }

  std::optional<double> optional_number(const char* field, double min) const {
    if (!j_.contains(field) || j_[field].is_null()) return std::nullopt;
    const auto& v = j_[field];
    if (!v.is_number()) fail(field, "expected a number, got " + v.dump());
    const double x = v.get<double>();
    if (!std::isfinite(x) || x < min) fail(field, v.dump() + " is not a finite number >= " + fmt_min(min));
    return x;
  }

  double number(const char* field, double min) const {
    auto v = optional_number(field, min);
    if (!v) fail(field, "missing");
    return *v;
  }

  std::string text(const char* field) const {
    if (!j_.contains(field) || j_[field].is_null()) return {};
    if (!j_[field].is_string()) fail(field, "expected a string, got " + j_[field].dump());
    return j_[field].get<std::string>();
  }

 private:
  static std::string fmt_min(double m) {
    std::ostringstream s;
    s << m;
    return s.str();
  }
  const std::string& path_;
  int line_;
  const nlohmann::json& j_;
};

size_t stage_of(const LineReader& r, const nlohmann::json& j, const Plan& plan) {
  if (!j.contains("stage")) r.fail("stage", "missing");
  const auto& v = j["stage"];
  if (v.is_string()) {
    for (size_t i = 0; i < plan.stages.size(); ++i) {
      if (plan.stages[i].name == v.get<std::string>()) return i;
    }
    r.fail("stage", v.dump() + " is not a stage of the run's plan.yaml");
  }
  if (v.is_number_integer() && v.get<long long>() >= 0 &&
      v.get<long long>() < static_cast<long long>(plan.stages.size())) {
    return static_cast<size_t>(v.get<long long>());
  }
  r.fail("stage", v.dump() + " is neither a stage name nor a 0-based index into plan.yaml's stages");
}

TelemetryRecord parse_record(const std::string& path, int line, const nlohmann::json& j, const Plan& plan) {
  LineReader r(path, line, j);
  if (!j.is_object()) r.fail("line", "expected a JSON object");
  TelemetryRecord rec;
  rec.line = line;
  const std::string time = r.text("time");
  if (!time.empty()) {
    const ParsedTimestamp t = parse_utc_timestamp(time);
    if (t.problem != TimestampProblem::kNone) r.fail("time", "'" + time + "' is not an ISO-8601 UTC time");
    rec.time_s = static_cast<double>(t.seconds) + t.fraction_s;
  }
  rec.step = static_cast<long long>(r.number("step", 0));
  rec.stage = stage_of(r, j, plan);
  rec.rank_count = static_cast<int>(r.optional_number("rank_count", 1).value_or(1));
  rec.tokens = r.number("tokens", 0);
  rec.event = r.text("event");
  // A training-step record always carries its loss.
  rec.loss = rec.event.empty() ? std::optional<double>(r.number("loss", 0)) : r.optional_number("loss", 0);
  rec.val_loss = r.optional_number("val_loss", 0);
  rec.lr = r.optional_number("lr", 0);
  rec.tokens_per_s = r.optional_number("tokens_per_s", 0);
  rec.tflops_per_gpu = r.optional_number("tflops_per_gpu", 0);
  rec.energy_j = r.optional_number("energy_j", 0);
  rec.energy_source = r.text("energy_source");
  rec.fields = j;
  return rec;
}

// `tokens` may count from the start of the run (sprout-train's convention) or
// restart at each stage; a drop at a stage boundary tells them apart.
void normalise_tokens(std::vector<TelemetryRecord>& recs) {
  double offset = 0, last = 0;
  size_t stage = recs.empty() ? 0 : recs.front().stage;
  for (auto& r : recs) {
    if (r.stage != stage) {
      stage = r.stage;
      if (r.tokens + offset < last) offset = last;
    }
    r.tokens += offset;
    last = r.tokens;
  }
}

}  // namespace

std::vector<const TelemetryRecord*> RunRecord::stage_records(size_t stage) const {
  std::vector<const TelemetryRecord*> out;
  for (const auto& r : records) {
    if (r.stage == stage) out.push_back(&r);
  }
  return out;
}

std::vector<double> RunRecord::stage_tokens() const {
  std::vector<double> out;
  double start = 0;
  for (const auto& r : records) {
    while (out.size() <= r.stage) {
      start = out.empty() ? 0 : start + out.back();
      out.push_back(0);
    }
    out[r.stage] = std::max(out[r.stage], r.tokens - start);
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
    }
    TelemetryRecord rec = parse_record(path, number, j, run.plan);
    // A resumed run logs again from its checkpoint's step: later records of
    // the same kind replace those at or after that step.
    run.records.erase(std::remove_if(run.records.begin(), run.records.end(),
                                     [&](const TelemetryRecord& o) {
                                       return o.event == rec.event && o.step >= rec.step;
                                     }),
                      run.records.end());
    run.records.push_back(std::move(rec));
  }
  if (run.records.empty()) throw InputError({path, 1, 0}, "telemetry.jsonl", "empty: no complete record yet");
  std::stable_sort(run.records.begin(), run.records.end(),
                   [](const TelemetryRecord& a, const TelemetryRecord& b) { return a.step < b.step; });
  for (size_t i = 1; i < run.records.size(); ++i) {
    if (run.records[i].stage < run.records[i - 1].stage) {
      throw InputError({path, run.records[i].line, 0}, "telemetry.stage",
                       "goes back to an earlier stage at step " + std::to_string(run.records[i].step));
    }
  }
  normalise_tokens(run.records);

  const std::string summary_path = (fs::path(run_dir) / "summary.json").string();
  if (fs::exists(summary_path)) {
    try {
      run.summary = nlohmann::json::parse(read_file(summary_path));
    } catch (const nlohmann::json::parse_error& e) {
      throw InputError({summary_path, 0, 0}, "summary.json", std::string("not valid JSON: ") + e.what());
    }
  }
  const bool complete = run.summary && run.summary->value("complete", false);
  run.in_progress = !complete || run.partial_last_line;
  return run;
}

}  // namespace sprout::planner
