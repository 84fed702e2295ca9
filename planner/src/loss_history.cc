// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/planner/loss_history.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "sprout/planner/atomic_file.h"
#include "sprout/planner/plan_loader.h"

namespace sprout::planner {
namespace {

namespace fs = std::filesystem;

// The final loss averages the records of the last 5% of the last stage: more
// than one noisy step, less than a visibly falling stretch of the curve.
constexpr double kFinalFraction = 0.05;
constexpr size_t kMinEvalRecordsPerStage = 3;

struct RawRecord {
  RunLossRecord record;
  double tokens = 0;  // as logged (per run or per stage, see below)
};

std::string run_name(const std::string& run_dir) {
  fs::path p = fs::path(run_dir).lexically_normal();
  if (p.filename().empty()) p = p.parent_path();
  return p.filename().string();
}

class TelemetryReader {
 public:
  TelemetryReader(std::string path, const Plan& plan) : path_(std::move(path)), plan_(plan) {}

  [[noreturn]] void fail(int line, const std::string& field, const std::string& reason) const {
    throw InputError({path_, line, 0}, "telemetry." + field, reason);
  }

  double number(const nlohmann::json& j, int line, const char* field, double min) const {
    if (!j.contains(field)) fail(line, field, "missing");
    const auto& v = j[field];
    if (!v.is_number()) fail(line, field, "expected a number, got " + v.dump());
    const double x = v.get<double>();
    if (!std::isfinite(x) || x < min) fail(line, field, v.dump() + " is not a finite number >= " + std::to_string(static_cast<long long>(min)));
    return x;
  }

  size_t stage_index(const nlohmann::json& j, int line) const {
    if (!j.contains("stage")) fail(line, "stage", "missing");
    const auto& v = j["stage"];
    if (v.is_string()) {
      for (size_t i = 0; i < plan_.stages.size(); ++i) {
        if (plan_.stages[i].name == v.get<std::string>()) return i;
      }
      fail(line, "stage", v.dump() + " is not a stage of the run's plan.yaml");
    }
    if (v.is_number_integer() && v.get<long long>() >= 0 &&
        v.get<long long>() < static_cast<long long>(plan_.stages.size())) {
      return static_cast<size_t>(v.get<long long>());
    }
    fail(line, "stage", v.dump() + " is neither a stage name nor a 0-based index into plan.yaml's stages");
  }

  // Appends the record on `line`, if it carries a loss.
  void read_line(const nlohmann::json& j, int line, std::vector<RawRecord>& out) const {
    if (!j.is_object()) fail(line, "line", "expected a JSON object");
    std::string event;
    if (j.contains("event") && !j["event"].is_null()) {
      if (!j["event"].is_string()) fail(line, "event", "expected a string");
      event = j["event"].get<std::string>();
    }
    if (!event.empty() && event != "eval") return;  // grow, checkpoint, resume: no loss
    RawRecord r;
    r.record.line = line;
    r.record.eval = event == "eval";
    r.record.step = static_cast<long long>(number(j, line, "step", 0));
    r.record.stage = stage_index(j, line);
    r.tokens = number(j, line, "tokens", 0);
    const char* loss_field = r.record.eval && j.contains("val_loss") ? "val_loss" : "loss";
    r.record.loss = number(j, line, loss_field, 0);
    if (r.record.loss <= 0) fail(line, loss_field, "must be positive");
    // A resumed run logs again from its checkpoint's step: the later records
    // replace the earlier ones of the same kind.
    out.erase(std::remove_if(out.begin(), out.end(),
                             [&](const RawRecord& o) {
                               return o.record.eval == r.record.eval && o.record.step >= r.record.step;
                             }),
              out.end());
    out.push_back(r);
  }

 private:
  std::string path_;
  const Plan& plan_;
};

// `tokens` may count from the start of the run (the planner's convention) or
// restart at each stage; a drop at a stage boundary tells them apart. Fills
// each record's stage_tokens and returns the tokens trained in each stage.
std::vector<double> assign_stage_tokens(std::vector<RawRecord>& raw, const std::string& path,
                                        const Plan& plan) {
  std::stable_sort(raw.begin(), raw.end(), [](const RawRecord& a, const RawRecord& b) {
    return a.record.step < b.record.step;
  });
  const size_t stages = raw.back().record.stage + 1;
  std::vector<double> first(stages, -1), last(stages, -1);
  for (size_t i = 0; i < raw.size(); ++i) {
    const RawRecord& r = raw[i];
    if (i > 0 && r.record.stage < raw[i - 1].record.stage) {
      throw InputError({path, r.record.line, 0}, "telemetry.stage",
                       "goes back to an earlier stage at step " + std::to_string(r.record.step));
    }
    if (first[r.record.stage] < 0) first[r.record.stage] = r.tokens;
    last[r.record.stage] = std::max(last[r.record.stage], r.tokens);
  }
  for (size_t k = 0; k < stages; ++k) {
    if (first[k] < 0) {
      throw InputError({path, 0, 0}, "telemetry.stage",
                       "no loss records for stage '" + plan.stages[k].name + "' although later stages have some");
    }
  }
  std::vector<double> start(stages, 0);
  bool per_stage = false;
  for (size_t k = 1; k < stages; ++k) {
    if (first[k] < last[k - 1]) per_stage = true;
    start[k] = per_stage ? 0 : last[k - 1];
  }
  std::vector<double> trained(stages, 0);
  for (size_t k = 0; k < stages; ++k) {
    trained[k] = (k + 1 < stages && !per_stage) ? start[k + 1] - start[k] : last[k] - start[k];
  }
  for (RawRecord& r : raw) r.record.stage_tokens = r.tokens - start[r.record.stage];
  return trained;
}

}  // namespace

std::vector<StageSize> RunLossHistory::stages_reached() const {
  std::vector<StageSize> out;
  for (size_t k = 0; k < stage_tokens.size(); ++k) {
    out.push_back({parameter_count(plan.stages[k].shape), stage_tokens[k]});
  }
  return out;
}

std::vector<RunLossRecord> RunLossHistory::fit_records() const {
  std::vector<size_t> evals(stage_tokens.size(), 0);
  for (const auto& r : records) evals[r.stage] += r.eval ? 1 : 0;
  const bool use_eval = std::all_of(evals.begin(), evals.end(),
                                    [](size_t n) { return n >= kMinEvalRecordsPerStage; });
  std::vector<RunLossRecord> out;
  for (const auto& r : records) {
    if (r.eval == use_eval && r.stage_tokens > 0) out.push_back(r);
  }
  return out;
}

RunLossHistory::FinalLoss RunLossHistory::final_loss() const {
  const size_t last_stage = stage_tokens.size() - 1;
  const double from = (1 - kFinalFraction) * stage_tokens[last_stage];
  std::vector<RunLossRecord> tail;
  for (const RunLossRecord& r : fit_records()) {
    if (r.stage == last_stage && r.stage_tokens >= from) tail.push_back(r);
  }
  if (tail.empty() && !fit_records().empty()) tail.push_back(fit_records().back());
  FinalLoss f;
  for (const auto& r : tail) {
    f.stage_tokens += r.stage_tokens / tail.size();
    f.loss += r.loss / tail.size();
  }
  return f;
}

RunLossHistory read_run_loss_history(const std::string& run_dir) {
  RunLossHistory h;
  h.run_dir = run_dir;
  h.name = run_name(run_dir);
  if (!fs::is_directory(run_dir)) {
    throw InputError({run_dir, 0, 0}, "run directory", "does not exist or is not a directory");
  }
  const std::string plan_path = (fs::path(run_dir) / "plan.yaml").string();
  if (!fs::exists(plan_path)) {
    throw InputError({plan_path, 0, 0}, "plan.yaml", "missing: not a sprout-train run directory");
  }
  h.plan = load_plan(plan_path);
  const std::string path = (fs::path(run_dir) / "telemetry.jsonl").string();
  if (!fs::exists(path)) {
    throw InputError({path, 0, 0}, "telemetry.jsonl", "missing: the run has not logged anything");
  }
  const std::string text = read_file(path);
  TelemetryReader reader(path, h.plan);
  std::vector<RawRecord> raw;
  std::istringstream lines(text);
  std::string line;
  int number = 0;
  size_t consumed = 0;
  while (std::getline(lines, line)) {
    ++number;
    consumed += line.size() + 1;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) {
      // A run that is still writing may have cut its last line short.
      if (consumed > text.size()) {
        h.in_progress = true;
        break;
      }
      reader.fail(number, "line", "not valid JSON");
    }
    reader.read_line(j, number, raw);
  }
  if (raw.empty()) throw InputError({path, 0, 0}, "telemetry.loss", "no records with a loss");
  h.stage_tokens = assign_stage_tokens(raw, path, h.plan);
  for (const RawRecord& r : raw) h.records.push_back(r.record);
  return h;
}

}  // namespace sprout::planner
