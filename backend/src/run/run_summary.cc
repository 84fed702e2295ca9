// SPDX-License-Identifier: GPL-3.0-or-later
#include "run/run_summary.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "run/stage_runtime.h"
#include "sprout/planner/base/file_io.h"

namespace sprout::backend {

RunDescription with_stage_kernels(RunDescription run, const planner::Plan& plan,
                                  const std::vector<StageSchedule>& schedules, const std::string& zero1_option) {
  run.recompute.clear();
  run.attention.clear();
  run.layouts.clear();
  for (size_t i = 0; i < plan.stages.size(); ++i) {
    run.recompute.push_back(schedules[i].recompute);
    run.attention.push_back(plan.stages[i].attention);
    const RuntimeStage rs = runtime_stage(plan.stages[i], schedules[i], run.rank_count, zero1_option);
    run.layouts.push_back(fmt::format("{}{}, micro-batch {} x {}", rs.layout.describe(), rs.zero1 ? " ZeRO-1" : "",
                                      rs.micro_batch, rs.accumulation));
  }
  return run;
}

std::string run_start_line(const RunDescription& run, size_t stages, long long steps, const TokenSource& tokens) {
  return fmt::format(
      "plan '{}': {} stage(s), {} steps; {} rank(s) ({}), {} on {} thread(s) each, {}; {}: {} train / {} val tokens "
      "(unigram entropy {:.4f} nats)",
      run.plan_name, stages, steps, run.rank_count, run.rendezvous, run.device, run.threads,
      run.dtype == "bf16" ? "bf16 autocast" : "fp32", tokens.describe(), tokens.training_tokens(),
      tokens.validation_tokens(), run.unigram_entropy_nats);
}

std::string stage_done_line(const StageRecord& r) {
  return fmt::format("stage '{}' done: {} steps, {:.0f} tokens, {:.1f} s, train loss {:.4f}, val loss {:.4f}", r.name,
                     r.steps, r.tokens, r.wall_seconds, r.final_train_loss, r.final_val_loss);
}

void write_run_summary(const std::string& path, const RunDescription& run, bool zero1, const RunCounters& c,
                       bool complete) {
  nlohmann::json j;
  j["plan"] = run.plan_name;
  j["complete"] = complete;
  j["rank_count"] = run.rank_count;
  j["device"] = run.device;
  j["threads"] = run.threads;
  j["dtype"] = run.dtype;
  j["energy_source"] = run.energy_source;
  j["energy_model_power_w"] = run.energy_model_power_w;
  j["distributed"] = {{"backend", run.collectives},
                      {"rendezvous", run.rendezvous},
                      {"zero1", zero1},
                      {"bucket_bytes", run.bucket_bytes},
                      {"collective_timeout_s", run.collective_timeout_s}};
  j["unigram_entropy_nats"] = run.unigram_entropy_nats;
  j["provenance"] = planner::provenance_to_json(run.provenance);
  j["steps"] = c.global_step;
  j["stages"] = nlohmann::json::array();
  StageRecord total{"total"};
  for (size_t i = 0; i < c.stages.size(); ++i) {
    const StageRecord& r = c.stages[i];
    nlohmann::json stage = stage_record_json(r, run.rank_count);
    if (i < run.recompute.size()) stage["recompute"] = planner::to_string(run.recompute[i]);
    if (i < run.attention.size()) stage["attention"] = planner::to_string(run.attention[i]);
    if (i < run.layouts.size()) stage["layout"] = run.layouts[i];
    j["stages"].push_back(std::move(stage));
    total.steps += r.steps;
    total.tokens += r.tokens;
    total.wall_seconds += r.wall_seconds;
    total.energy_j += r.energy_j;
    total.model_flops += r.model_flops;
    if (r.done) {
      total.final_train_loss = r.final_train_loss;
      total.final_val_loss = r.final_val_loss;
    }
  }
  total.done = complete;
  j["total"] = stage_record_json(total, run.rank_count);
  planner::write_file_atomically(path, j.dump(2) + "\n");
}

}  // namespace sprout::backend
