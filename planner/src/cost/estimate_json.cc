// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/planner/cost/estimate_json.h"

#include "sprout/planner/base/units.h"
#include "sprout/planner/cost/costs_json.h"

namespace sprout::planner {

nlohmann::json to_json(const ParallelLayout& p) {
  nlohmann::json j = {{"tp", p.tp},
                      {"pp", p.pp},
                      {"dp", p.dp},
                      {"micro_batch", p.micro_batch},
                      {"interleave", p.interleave},
                      {"sequence_parallel", p.sequence_parallel},
                      {"distributed_optimizer", p.distributed_optimizer},
                      {"recompute", to_string(p.recompute)}};
  if (uneven_stages(p)) j["pp_layers"] = p.stage_layers;
  if (p.fully_sharded) j["shard_ranks"] = p.shard_group();
  return j;
}

nlohmann::json to_json(const StageEstimate& s, int gpus) {
  nlohmann::json j;
  j["name"] = s.name;
  j["params"] = s.params;
  j["tokens"] = s.tokens;
  j["flops"] = s.flops;
  j["layout"] = to_json(s.layout);
  j["layout_searched"] = s.layout_searched;
  j["tflops_per_gpu"] = s.iteration.tflops_per_gpu;
  j["hardware_tflops_per_gpu"] = s.iteration.hardware_tflops_per_gpu;
  j["mfu"] = s.iteration.mfu;
  j["hfu"] = s.iteration.hfu;
  j["iteration_seconds"] = s.iteration.iteration_s;
  j["iterations"] = s.iterations;
  j["global_batch_sequences"] = s.iteration.global_batch_sequences;
  j["micro_batches"] = s.iteration.micro_batches;
  j["gpus"] = gpus;
  j.update(to_json(s.costs));
  j["memory_gb_per_gpu"] = s.memory.total_gb();
  j["memory"] = {{"weights_gb", s.memory.weights_gb},
                 {"gradients_gb", s.memory.gradients_gb},
                 {"optimizer_gb", s.memory.optimizer_gb},
                 {"activations_gb", s.memory.activations_gb},
                 {"reserved_gb", s.memory.reserved_gb}};
  if (s.memory.growth_ramp_gb > 0) j["memory"]["growth_ramp_gb"] = s.memory.growth_ramp_gb;
  const IterationBreakdown& b = s.iteration.breakdown;
  j["breakdown_seconds"] = {{"compute", b.compute_s}, {"tp_comm", b.tp_comm_s}, {"bubble", b.bubble_s},
                            {"pp_comm", b.pp_comm_s}, {"dp_comm", b.dp_comm_s}, {"optimizer", b.optimizer_s},
                            {"other", b.other_s}};
  j["growth"] = describe(s.growth);
  j["growth_transition_seconds"] = s.growth_transition_s;
  j["mask_ramp_seconds"] = s.mask_ramp_s;
  j["evaluation_seconds"] = s.evaluation_s;
  j["warmup_seconds"] = s.warmup_s;
  j["throughput_overridden"] = s.throughput_overridden;
  return j;
}

nlohmann::json to_json(const PlanEstimate& e, const Plan& plan) {
  nlohmann::json j = to_json(plan.cluster);
  j["name"] = e.name;
  j["stages"] = nlohmann::json::array();
  for (const auto& s : e.stages) j["stages"].push_back(to_json(s, plan.cluster.gpus));
  nlohmann::json total;
  total["params"] = e.stages.empty() ? 0.0 : e.stages.back().params;
  total["tokens"] = e.total_tokens;
  total["flops"] = e.total_flops;
  total["gpus"] = plan.cluster.gpus;
  total.update(to_json(e.total));
  // Whole-run averages, weighted by time.
  total["tflops_per_gpu"] = e.total.gpu_hours > 0 ? e.total_flops / (e.total.gpu_hours * kSecondsPerHour) / 1e12 : 0;
  total["mfu"] = total["tflops_per_gpu"].get<double>() / plan.cluster.hardware.peak_tflops;
  j["total"] = total;
  if (e.scratch_baseline) {
    nlohmann::json sb = to_json(*e.scratch_baseline, plan.cluster.gpus);
    j["scratch_baseline"] = sb;
    if (e.scratch_total.seconds > 0) {
      j["savings_vs_scratch"] = {{"time_fraction", 1 - e.total.seconds / e.scratch_total.seconds},
                                 {"cost_fraction", 1 - e.total.cost_usd / std::max(1e-12, e.scratch_total.cost_usd)},
                                 {"co2e_fraction", 1 - e.total.co2e_kg / std::max(1e-12, e.scratch_total.co2e_kg)}};
    }
  } else {
    j["scratch_baseline"] = nullptr;
  }
  return j;
}

}  // namespace sprout::planner
