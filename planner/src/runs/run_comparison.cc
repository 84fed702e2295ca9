// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/planner/runs/run_comparison.h"

#include <fmt/format.h>

#include <algorithm>

#include "sprout/planner/base/units.h"
#include "sprout/planner/cost/cost_model.h"
#include "sprout/planner/loss/growth_loss.h"

namespace sprout::planner {
namespace {

void check_same_plan(const Plan& plan, const RunRecord& run) {
  const std::string where = run.dir + "/plan.yaml";
  if (run.plan.stages.size() != plan.stages.size()) {
    throw InputError({where, 0, 0}, "stages",
                     fmt::format("the run is of another plan: {} stages, not {} like '{}'", run.plan.stages.size(),
                                 plan.stages.size(), plan.name));
  }
  for (size_t i = 0; i < plan.stages.size(); ++i) {
    const ModelShape& a = plan.stages[i].shape;
    const ModelShape& b = run.plan.stages[i].shape;
    const bool same_shape = a.layers == b.layers && a.hidden == b.hidden && a.heads == b.heads &&
                            a.kv_heads == b.kv_heads && a.ffn_hidden == b.ffn_hidden && a.vocab == b.vocab &&
                            a.seq_len == b.seq_len;
    if (plan.stages[i].name != run.plan.stages[i].name || !same_shape) {
      throw InputError(
          {where, run.plan.stages[i].location.line, 0}, fmt::format("stages[{}]", i),
          fmt::format("the run is of another plan: stage '{}' ({} x {}) vs '{}' ({} x {}) in '{}'",
                      run.plan.stages[i].name, b.layers, b.hidden, plan.stages[i].name, a.layers, a.hidden, plan.name));
    }
  }
}

// The largest of the ranks' steady step peaks the stage's end logged, in GB.
std::optional<double> measured_steady_memory_gb(const RunRecord& run, size_t stage) {
  std::optional<double> most;
  for (const auto* r : run.stage_records(stage)) {
    if (!r->rank_steady_memory_bytes || r->rank_steady_memory_bytes->empty()) continue;
    const double bytes = *std::max_element(r->rank_steady_memory_bytes->begin(), r->rank_steady_memory_bytes->end());
    most = std::max(most.value_or(0.0), bytes / 1e9);
  }
  return most;
}

// Energy at the wall from device joules: PUE as for the prediction.
double kwh_at_wall(double joules, const RegionProfile& region) { return joules / 3.6e6 * region.pue; }

}  // namespace

std::vector<StageTiming> stage_timings(const RunRecord& run) {
  const auto& recs = run.records;
  std::vector<StageTiming> out(run.plan.stages.size());
  if (recs.empty()) return out;
  if (recs.front().time_s <= 0) {
    throw InputError({run.dir + "/telemetry.jsonl", recs.front().line, 0}, "telemetry.time",
                     "missing: the records carry no times, so there is nothing to compare");
  }
  const std::vector<double> tokens = run.stage_tokens();
  // Before its first record the run trained that record's tokens at the
  // rate it logged (sprout-train logs every few steps, not at step 0).
  const RunTelemetryRecord& first = recs.front();
  double start = first.time_s;
  if (first.tokens_per_s && *first.tokens_per_s > 0) start -= first.tokens / *first.tokens_per_s;
  double start_energy = 0;
  for (size_t k = 0; k < out.size() && k < tokens.size(); ++k) {
    double seconds = 0, last_time = start, energy_end = start_energy;
    bool any = false;
    for (const auto& r : recs) {
      if (r.plan_stage != k) continue;
      any = true;
      // A gap that ends in a resume is time the job was not running.
      if (r.event != "resume") seconds += std::max(0.0, r.time_s - last_time);
      last_time = r.time_s;
      if (r.energy_j) energy_end = *r.energy_j;
    }
    if (!any) break;
    out[k].seconds = seconds;
    out[k].tokens = tokens[k];
    out[k].energy_j = std::max(0.0, energy_end - start_energy);
    out[k].complete = k + 1 < tokens.size();
    start = last_time;
    start_energy = energy_end;
  }
  const size_t last = tokens.size() - 1;
  if (last < out.size() && run.summary && run.summary->value("complete", false)) out[last].complete = true;
  return out;
}

RunComparison compare_run(const Plan& plan, const PlanEstimate& estimate, const RunRecord& run,
                          const LossModel* loss_model) {
  check_same_plan(plan, run);
  RunComparison c;
  c.plan_name = plan.name;
  c.run_dir = run.dir;
  c.in_progress = run.in_progress;
  c.rank_count = run.records.back().rank_count;
  c.energy_source = run.records.back().energy_source;
  const std::vector<StageTiming> timing = stage_timings(run);

  c.total.name = "total";
  c.total.reached = true;
  c.total.complete = !run.in_progress;
  double planned_tokens = 0;
  // The plan's cluster with the GPUs the run actually had: the actual costs.
  Cluster ranks = plan.cluster;
  ranks.gpus = c.rank_count;
  for (size_t k = 0; k < plan.stages.size(); ++k) {
    const StageEstimate& se = estimate.stages[k];
    const StageTiming& t = timing[k];
    StageComparison s;
    s.name = se.name;
    s.reached = t.seconds > 0 || t.tokens > 0;
    s.complete = t.complete;
    s.tokens = t.tokens;
    const double planned = trained_tokens(se);
    s.fraction_done = planned > 0 ? std::min(1.0, t.tokens / planned) : 0;
    planned_tokens += planned;
    if (s.reached) {
      // The prediction for the part that ran: the growth into the stage plus
      // the trained fraction of its training time.
      const double train_s = se.costs.seconds - se.growth_transition_s;
      const double predicted_s = se.growth_transition_s + s.fraction_done * train_s;
      const Costs predicted = costs_for(predicted_s, plan.cluster);
      const Costs actual_time = costs_for(t.seconds, ranks);
      const double flops = model_flops_per_token(se.shape) * t.tokens;
      s.wall_seconds = {predicted_s, t.seconds};
      s.tokens_per_s = {t.tokens / std::max(1e-12, predicted_s), t.tokens / std::max(1e-12, t.seconds)};
      s.tflops_per_gpu = {se.iteration.tflops_per_gpu, flops / std::max(1e-12, t.seconds) / c.rank_count / 1e12};
      s.gpu_hours = {predicted.gpu_hours, actual_time.gpu_hours};
      s.cost_usd = {predicted.cost_usd, actual_time.cost_usd};
      // A meter (NVML, RAPL) reads the device alone; the rest of the node
      // is the profile's, as in the prediction. "model" joules are already
      // the profile's whole power x time.
      const double unmetered_j = c.energy_source == "model"
                                     ? 0
                                     : unmetered_power_w(ranks.hardware, ranks.power_model) * ranks.gpus * t.seconds;
      const double kwh = kwh_at_wall(t.energy_j + unmetered_j, ranks.region);
      s.energy_kwh = {predicted.energy_kwh, kwh};
      s.co2e_kg = {predicted.co2e_kg, kwh * ranks.region.grid_g_co2e_per_kwh / 1000};
      if (const auto measured = measured_steady_memory_gb(run, k)) {
        s.peak_memory_gb = PredictedActual{se.memory.total_gb() - se.memory.reserved_gb, *measured};
        PredictedActual most = c.total.peak_memory_gb.value_or(PredictedActual{});
        most.predicted = std::max(most.predicted, s.peak_memory_gb->predicted);
        most.actual = std::max(most.actual, s.peak_memory_gb->actual);
        c.total.peak_memory_gb = most;
      }
      for (auto* r : run.stage_records(k)) {
        if (r->loss) s.final_train_loss = r->loss;
        if (r->val_loss) s.final_val_loss = r->val_loss;
      }
      for (auto [total, part] :
           {std::pair{&c.total.wall_seconds, &s.wall_seconds}, std::pair{&c.total.gpu_hours, &s.gpu_hours},
            std::pair{&c.total.cost_usd, &s.cost_usd}, std::pair{&c.total.energy_kwh, &s.energy_kwh},
            std::pair{&c.total.co2e_kg, &s.co2e_kg}}) {
        total->predicted += part->predicted;
        total->actual += part->actual;
      }
      c.total.tokens += t.tokens;
      c.total.final_train_loss = s.final_train_loss;
      c.total.final_val_loss = s.final_val_loss;
    }
    c.stages.push_back(s);
  }
  c.total.fraction_done = planned_tokens > 0 ? c.total.tokens / planned_tokens : 0;
  c.total.tokens_per_s = {c.total.tokens / std::max(1e-12, c.total.wall_seconds.predicted),
                          c.total.tokens / std::max(1e-12, c.total.wall_seconds.actual)};
  double flops = 0;
  for (size_t k = 0; k < plan.stages.size(); ++k)
    flops += model_flops_per_token(plan.stages[k].shape) * timing[k].tokens;
  c.total.tflops_per_gpu = {flops / std::max(1e-12, c.total.gpu_hours.predicted * kSecondsPerHour) / 1e12,
                            flops / std::max(1e-12, c.total.gpu_hours.actual * kSecondsPerHour) / 1e12};

  // Loss against tokens, with the loss model's growth-aware prediction.
  std::vector<double> stage_start(plan.stages.size(), 0);
  for (size_t k = 1; k < plan.stages.size(); ++k) stage_start[k] = stage_start[k - 1] + timing[k - 1].tokens;
  const std::vector<StageSize> sizes = stage_sizes(plan);
  for (const auto& r : run.records) {
    if (!r.loss && !r.val_loss) continue;
    LossCurvePoint p;
    p.tokens = r.tokens;
    p.loss = r.loss.value_or(*r.val_loss);
    p.val_loss = r.val_loss;
    if (loss_model && r.tokens > stage_start[r.plan_stage]) {
      p.predicted_loss = predict_loss_at(*loss_model, sizes, r.plan_stage, r.tokens - stage_start[r.plan_stage]);
    }
    c.loss_curve.push_back(p);
  }
  return c;
}

}  // namespace sprout::planner
