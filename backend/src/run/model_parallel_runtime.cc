// SPDX-License-Identifier: GPL-3.0-or-later
// Tensor and pipeline parallelism: each rank trains its part of the model
// (model_partition.h, parallel_step.h). While the parts train, the run's
// state keeps only the full model's shape and specs; assemble_full_model
// puts the full tensors back together where they are needed (growth, a
// layout change, the replica check) until the next step releases them
// again (docs/backend.md "Tensor and pipeline parallelism").
#include <fmt/format.h>

#include "parallel/part_regrowth.h"
#include "run/stage_runtime.h"

namespace sprout::backend {
namespace {

// From the specs: after a shard-local resume the full model's tensors are
// this rank's only (the others undefined).
int64_t parameter_count_of(const GptModel& model) {
  int64_t n = 0;
  for (const ParameterSpec& spec : model.specs()) {
    int64_t elements = 1;
    for (int64_t d : storage_sizes(spec, model.shape())) elements *= d;
    n += elements;
  }
  return n;
}

class ModelParallelRuntime : public StageRuntime {
 public:
  ModelParallelRuntime(const RuntimeContext& context, const RuntimeStage& stage)
      : context_(context), stage_(stage), share_(stage.layout, context.rank) {}

  // Every rank gathers every moment of the full model and cuts its part;
  // with ZeRO-1 the ranks of each DP group then split the part's moments
  // among themselves.
  void configure(RunState& state, const OptimizerSharding& held) override {
    auto& params = state.model.parameters();
    full_moments_ = replicated_sharding(params.size());
    reshard_moments(*context_.world, state.optimizer, params, held, full_moments_);
    part_.emplace(partition_model(state.model, state.optimizer, share_));
    // Until the first step the full model is still current, unless the state
    // held only this rank's part (a shard-local resume): then only the parts are.
    const int64_t full_parameters = parameter_count_of(state.model);
    full_stale_ = state.model_is_rank_part;
    if (full_stale_) state.model = released_full_model(state.model, state.optimizer);
    state.model_is_rank_part = false;
    adopt_part(full_parameters);
  }

  bool holds_parts() const override { return true; }

  void take_over_parts(RunState& state, StageRuntime& previous, const GptSettings& to, uint64_t seed) override {
    const auto [old_part, old_share] = previous.spend_part(state);
    part_.emplace(regrow_model_part(*context_.world, *old_part, *old_share, to, share_, seed, context_.exchange_name));
    std::vector<ParameterSpec> specs = gpt_parameter_specs(to.shape);
    const size_t n = specs.size();
    state.model = GptModel(to, std::move(specs), std::vector<torch::Tensor>(n));
    state.optimizer.moments.assign(n, AdamWMoments{});
    state.optimizer.step = part_->optimizer.step;
    state.model_is_rank_part = false;
    full_moments_ = replicated_sharding(n);
    full_stale_ = true;
    adopt_part(parameter_count_of(state.model));
  }

  std::pair<const ModelPart*, const RankShare*> spend_part(RunState&) override {
    for (auto& p : part_->model.parameters()) p.mutable_grad() = torch::Tensor();
    buckets_ = GradientBuckets{};
    return {&*part_, &share_};
  }

  // The part is what trains (and what checkpoints and evaluation read): no
  // full copy stays on this rank until the next assembly.
  ParallelStepResult step(RunState& state, StepSpec spec, const GrowthMasks* masks) override {
    if (!full_stale_) state.model = released_full_model(state.model, state.optimizer);
    spec.buckets = &buckets_;
    spec.sharding = &part_->sharding;
    ParallelStepResult r = parallel_train_step(*part_, context_.adamw, masks, spec, share_, *groups_);
    full_stale_ = true;
    return r;
  }

  double evaluate(const RunState&, const GrowthMasks* masks, const EvalSpec& spec) override {
    return parallel_evaluate(*part_, masks, spec, share_, *groups_);
  }

  // Every rank saves the slices it counts (checkpoint_shard); rank 0 the
  // counters and the index of the slices.
  CheckpointShare checkpoint_share(RunState& state, bool root) override {
    CheckpointShare share;
    if (root) {
      state.optimizer.step = part_->optimizer.step;
      nlohmann::json j = checkpoint_state_json(state);
      j["shards"] = {{"layout", stage_.layout.describe()},
                     {"tensors", checkpoint_shard_index(state.model, stage_.layout)}};
      share.root_data.state_json = j.dump(2) + "\n";
    }
    share.rank_shards = true;
    share.rank_tensors = checkpoint_shard(*part_, share_);
    return share;
  }

  void assemble_full_model(RunState& state) override {
    if (!full_stale_) return;
    backend::assemble_full_model(*context_.world, *part_, share_, state.model, state.optimizer);
    full_stale_ = false;
  }

  const OptimizerSharding& full_model_moments() const override { return full_moments_; }

  std::optional<planner::PipelineTelemetry> pipeline() const override {
    const StageLayout& layout = stage_.layout;
    if (layout.pp == 1) return std::nullopt;
    planner::PipelineTelemetry p;
    p.schedule = layout.interleave > 1 ? "interleaved 1F1B" : "1F1B";
    p.stages = layout.pp;
    p.chunks = layout.interleave;
    p.micro_batches = static_cast<int>(stage_.accumulation);
    p.p2p_s = p2p_s_;
    return p;
  }

 private:
  // The stage's process groups, ZeRO-1 over the part's moments, gradient
  // buckets and the pipeline's measured p2p time, for the part now held.
  void adopt_part(int64_t full_parameters) {
    Communicator& world = *context_.world;
    const StageLayout& layout = stage_.layout;
    auto& all_groups = *context_.process_groups;
    if (!all_groups.count(layout.group_key()))
      all_groups.emplace(layout.group_key(), make_process_groups(world, layout));
    groups_ = &all_groups.at(layout.group_key());
    auto& local = part_->model.parameters();
    if (layout.dp > 1 && stage_.zero1) {
      const OptimizerSharding zero1 = balanced_sharding(local, layout.dp);
      reshard_moments(*groups_->data, part_->optimizer, local, part_->sharding, zero1);
      part_->sharding = zero1;
    }
    buckets_ = make_gradient_buckets(local, context_.bucket_bytes);
    if (layout.dp > 1) attach_gradient_buffers(local, buckets_);
    const planner::ModelShape& shape = stage_.stage->shape;
    p2p_s_ = measure_pipeline_p2p_seconds(share_, *groups_, stage_.micro_batch, shape.seq_len, shape.hidden,
                                          context_.device);
    context_.progress(fmt::format(
        "stage '{}': layout {} on {} ranks ({}); this rank holds {} of {} parameters, "
        "ZeRO-1 {}: {} Adam moment elements",
        stage_.stage->name, layout.describe(), world.world_size(), world.backend_name(), part_->model.parameter_count(),
        full_parameters, part_->sharding.sharded() ? "on" : "off", moment_elements_held(part_->optimizer)));
  }

  RuntimeContext context_;
  RuntimeStage stage_;
  RankShare share_;
  ProcessGroups* groups_ = nullptr;
  std::optional<ModelPart> part_;
  bool full_stale_ = false;
  OptimizerSharding full_moments_;  // the full model's: every rank holds every moment while the parts train
  GradientBuckets buckets_;
  double p2p_s_ = 0;  // measure_pipeline_p2p_seconds at configure
};

}  // namespace

std::unique_ptr<StageRuntime> make_model_parallel_runtime(const RuntimeContext& context, const RuntimeStage& stage) {
  return std::make_unique<ModelParallelRuntime>(context, stage);
}

}  // namespace sprout::backend
