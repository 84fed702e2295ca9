// SPDX-License-Identifier: GPL-3.0-or-later
#include "run/run_summary.h"

#include <nlohmann/json.hpp>

#include "sprout/planner/base/file_io.h"

namespace sprout::backend {

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
  j["distributed"] = {{"backend", run.collectives},
                      {"rendezvous", run.rendezvous},
                      {"zero1", zero1},
                      {"bucket_bytes", run.bucket_bytes}};
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
