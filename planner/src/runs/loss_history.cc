// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/planner/runs/loss_history.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <sstream>

#include "sprout/planner/base/file_io.h"
#include "sprout/planner/io/plan_loader.h"
#include "sprout/planner/runs/run_record.h"

namespace sprout::planner {
namespace {

namespace fs = std::filesystem;

// The final loss averages the records of the last 5% of the last stage: more
// than one noisy step, less than a visibly falling stretch of the curve.
constexpr double kFinalFraction = 0.05;
constexpr size_t kMinEvalRecordsPerStage = 3;

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
  const bool use_eval = std::all_of(evals.begin(), evals.end(), [](size_t n) { return n >= kMinEvalRecordsPerStage; });
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
  const RunRecord run = read_run(run_dir);
  RunLossHistory h;
  h.run_dir = run_dir;
  h.name = run.name;
  h.plan = run.plan;
  h.in_progress = run.partial_last_line;
  h.stage_tokens = run.stage_tokens();
  std::vector<double> stage_start(h.stage_tokens.size(), 0);
  for (size_t k = 1; k < stage_start.size(); ++k) stage_start[k] = stage_start[k - 1] + h.stage_tokens[k - 1];
  for (const RunTelemetryRecord& r : run.records) {
    const bool eval = r.event == "eval";
    if (!r.event.empty() && !eval) continue;  // grow, checkpoint, resume: no loss to fit
    const std::optional<double> loss = eval && r.val_loss ? r.val_loss : r.loss;
    if (!loss) continue;
    if (*loss <= 0) {
      throw InputError({run_dir + "/telemetry.jsonl", r.line, 0}, "telemetry.loss", "must be positive");
    }
    h.records.push_back({r.step, r.plan_stage, r.tokens - stage_start[r.plan_stage], *loss, eval, r.line});
  }
  if (h.records.empty()) {
    throw InputError({run_dir + "/telemetry.jsonl", 0, 0}, "telemetry.loss", "no records with a loss");
  }
  return h;
}

}  // namespace sprout::planner
