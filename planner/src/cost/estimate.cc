// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/planner/cost/estimate.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "model/trainer_warmup.h"

namespace sprout::planner {
namespace {

StageWorkload workload_of(const Stage& st) {
  StageWorkload w;
  w.shape = st.shape;
  w.attention = st.attention;
  w.framework = st.framework;
  w.dropout = st.dropout;
  w.overlap_grad_reduce = st.overlap_grad_reduce;
  w.width_ramp = st.grow && st.grow->width && st.grow->grow_steps > 0;
  w.global_batch_sequences = std::max<long long>(1, std::llround(st.global_batch_tokens / st.shape.seq_len));
  return w;
}

// sprout-train evaluates every training.eval_every_steps steps, at the end
// of each stage and before and after each growth (backend/src/run/
// trainer.cc), each time eval_batches x min(16, the global batch) sequences
// forward only, spread over the data-parallel ranks.
// sprout-train's largest micro-batch by default, which caps the sequences
// of one validation batch (backend/src/run/stage_schedule.h).
constexpr long long kTrainerMaxMicroBatch = 16;

double trainer_evaluation_seconds(const Plan& plan, const StageEstimate& s, bool grows) {
  const TrainingSettings& t = plan.training;
  const IterationEstimate& it = s.iteration;
  const double evaluations = static_cast<double>(s.iterations / t.eval_every_steps) + 1 + (grows ? 2 : 0);
  const double sequences =
      static_cast<double>(t.eval_batches) * std::min(kTrainerMaxMicroBatch, it.global_batch_sequences);
  const MicroBatchTimes& mb = it.micro;
  // One micro-batch forward through every chunk; the logits' third of the
  // last stage's forward + backward.
  const double forward =
      mb.forward_s * s.layout.pp * s.layout.interleave + mb.first_stage_extra_s + mb.last_stage_extra_s / 3;
  return evaluations * sequences / (static_cast<double>(s.layout.micro_batch) * s.layout.dp) * forward;
}

// sprout-train's evaluations and a stage's first step (docs/formulas.md "A
// stage's first step") added to `se`, the estimate of stage `st` of
// `plan`. `touched_bytes`: what the process mapped before the stage
// (reset where the stage starts a process), updated to what it has mapped
// after.
void add_trainer_extras(const Plan& plan, const Stage& st, bool starts_process, StageEstimate& se,
                        double& touched_bytes) {
  if (st.framework != Framework::kSproutTrain || se.throughput_overridden) return;
  StageWorkload w = workload_of(st);
  w.layout = se.layout;
  if (starts_process) touched_bytes = 0;
  se.evaluation_s = trainer_evaluation_seconds(plan, se, se.growth.any());
  const double step_bytes = internal::trainer_step_bytes(w, se.iteration.micro_batches, plan.training.dtype);
  se.warmup_s = internal::trainer_warmup_seconds(plan.cluster.hardware, starts_process,
                                                 std::max(0.0, step_bytes - touched_bytes));
  touched_bytes = std::max(touched_bytes, step_bytes);
  se.costs += costs_for(se.evaluation_s + se.warmup_s, plan.cluster);
}

}  // namespace

long long iterations_for_tokens(double tokens, double batch_tokens) {
  return std::max<long long>(1, std::llround(tokens / batch_tokens));
}

double trained_tokens(const StageEstimate& s) {
  return static_cast<double>(s.iterations) * static_cast<double>(s.iteration.global_batch_sequences) * s.shape.seq_len;
}

StageEstimate estimate_stage(const Plan& plan, const Stage& st, const EstimateOptions& options) {
  StageEstimate out;
  out.name = st.name;
  out.shape = st.shape;
  out.params = parameter_count(st.shape);
  out.tokens = st.tokens;
  out.flops = model_flops_per_token(st.shape) * st.tokens;

  StageWorkload w = workload_of(st);
  const std::string field = st.field_path.empty() ? "stage '" + st.name + "'" : st.field_path;
  const ActivationFootprint footprint = memory_footprint_of(st.framework, plan.training.dtype);
  if (st.parallel) {
    w.layout = *st.parallel;
    if (auto problem = layout_problem(w.layout, st.shape, plan.cluster.gpus)) {
      throw InputError(st.parallel_location, field + ".parallel", *problem);
    }
    out.layout = w.layout;
    out.iteration = estimate_iteration(w, plan.cluster.hardware);
    out.memory = workload_memory(w, out.iteration.micro_batches, plan.cluster.hardware, footprint);
    if (auto problem = memory_problem(out.memory, plan.cluster.hardware)) {
      throw InputError(st.parallel_location, field + ".parallel", describe(w.layout) + " does not fit: " + *problem);
    }
  } else {
    LayoutSearchOptions search = options.search;
    if (st.recompute) search.recompute = st.recompute;
    search.memory_footprint = footprint;
    LayoutSearchResult found = search_layouts(w, plan.cluster.gpus, plan.cluster.hardware, search);
    if (found.ranked.empty()) {
      std::string why = found.tightest_reason.empty()
                            ? fmt::format("no TP x PP x DP layout divides {} GPUs for this shape", plan.cluster.gpus)
                            : "no layout fits in memory; closest: " + found.tightest_reason;
      throw InputError(st.location, field, why);
    }
    out.layout_searched = true;
    out.layout = found.ranked.front().layout;
    out.iteration = found.ranked.front().estimate;
    out.memory = found.ranked.front().memory;
    for (size_t i = 1; i < found.ranked.size() && static_cast<int>(i) <= options.alternatives; ++i) {
      out.alternatives.push_back(found.ranked[i]);
    }
  }

  if (options.refine_iteration) {
    w.layout = out.layout;
    out.iteration = options.refine_iteration(w, out.iteration, plan.cluster.hardware);
  }
  const double batch_tokens = static_cast<double>(out.iteration.global_batch_sequences) * st.shape.seq_len;
  out.iterations = iterations_for_tokens(st.tokens, batch_tokens);
  if (st.throughput_tflops_per_gpu) {
    // A measured throughput replaces the model: time = FLOPs / (rate x GPUs).
    out.throughput_overridden = true;
    IterationEstimate& it = out.iteration;
    it.iteration_s = it.model_flops / (*st.throughput_tflops_per_gpu * 1e12 * plan.cluster.gpus);
    it.tflops_per_gpu = *st.throughput_tflops_per_gpu;
    it.hardware_tflops_per_gpu = it.hardware_flops / it.iteration_s / plan.cluster.gpus / 1e12;
    it.mfu = it.tflops_per_gpu / plan.cluster.hardware.peak_tflops;
    it.hfu = it.hardware_tflops_per_gpu / plan.cluster.hardware.peak_tflops;
  }
  const double seconds = out.iterations * out.iteration.iteration_s;
  out.costs = costs_for(seconds, plan.cluster);
  return out;
}

Recompute planned_recompute(const Plan& plan, const Stage& st) {
  if (st.recompute) return *st.recompute;
  EstimateOptions options;
  options.alternatives = 0;
  try {
    return estimate_stage(plan, st, options).layout.recompute;
  } catch (const InputError&) {
    // No layout fits the plan's cluster: the planner chooses nothing, and
    // whether sprout-train can run the stage is its own check's to say.
    return Recompute::kNone;
  }
}

PlanEstimate estimate_plan(const Plan& plan, const EstimateOptions& options) {
  PlanEstimate est;
  est.name = plan.name;
  // Bytes sprout-train's process has touched so far: memory its earlier
  // stages freed stays mapped (the trainer keeps freed heap memory:
  // M_TRIM_THRESHOLD), so a stage maps only what it holds beyond them.
  double touched_bytes = 0;
  for (size_t i = 0; i < plan.stages.size(); ++i) {
    StageEstimate se = estimate_stage(plan, plan.stages[i], options);
    StageWorkload w = workload_of(plan.stages[i]);
    w.layout = se.layout;
    // A new TP or PP degree regroups the ranks: sprout-train relaunches.
    const bool relaunch =
        i > 0 && (est.stages.back().layout.tp != se.layout.tp || est.stages.back().layout.pp != se.layout.pp);
    if (i > 0) {
      const ModelShape& prev = plan.stages[i - 1].shape;
      se.growth = infer_growth(prev, se.shape).kind;
      if (se.growth.any() && plan.stages[i].grow && !se.throughput_overridden) {
        se.ramp_iterations = std::min<long long>(plan.stages[i].grow->grow_steps, se.iterations);
        se.mask_ramp_s =
            se.ramp_iterations * msg_mask_seconds_per_iteration(w, plan.cluster.hardware, se.growth.width,
                                                                se.growth.depth, se.shape.layers - prev.layers);
        se.costs = costs_for(se.costs.seconds + se.mask_ramp_s, plan.cluster);
      }
      if (se.growth.any()) {
        se.growth_transition_s =
            growth_transition_seconds(prev, se.shape, plan.cluster.gpus, plan.cluster.hardware, relaunch);
        se.costs += costs_for(se.growth_transition_s, plan.cluster);
      }
    }
    add_trainer_extras(plan, plan.stages[i], i == 0 || relaunch, se, touched_bytes);
    est.total += se.costs;
    est.total_flops += se.flops;
    est.total_tokens += se.tokens;
    est.stages.push_back(std::move(se));
  }
  if (options.with_scratch_baseline) {
    // The final shape trained from scratch on every token the plan trains,
    // with the final stage's batch, learning rate and layout rule.
    Stage scratch = plan.stages.back();
    scratch.name = "scratch " + scratch.name;
    scratch.tokens = est.total_tokens;
    scratch.grow.reset();
    EstimateOptions opts = options;
    opts.alternatives = 0;
    est.scratch_baseline = estimate_stage(plan, scratch, opts);
    // A run of its own: it pays sprout-train's evaluations and first step
    // as the plan's stages do (without them, a one-stage plan's baseline
    // came out 7% shorter than the plan itself).
    double touched_bytes = 0;
    add_trainer_extras(plan, scratch, true, *est.scratch_baseline, touched_bytes);
    est.scratch_total = est.scratch_baseline->costs;
  }
  return est;
}

}  // namespace sprout::planner
