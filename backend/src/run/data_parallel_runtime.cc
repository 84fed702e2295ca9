// SPDX-License-Identifier: GPL-3.0-or-later
// Data parallelism: every rank trains the whole model on its share of the
// batch (training_step.h), gradients averaged in buckets, the Adam moments
// sharded by ZeRO-1 when the stage asks for it (docs/backend.md
// "Distributed training").
#include <fmt/format.h>

#include <numeric>

#include "parallel/part_regrowth.h"
#include "run/stage_runtime.h"

namespace sprout::backend {
namespace {

class DataParallelRuntime : public StageRuntime {
 public:
  DataParallelRuntime(const RuntimeContext& context, const RuntimeStage& stage) : context_(context), stage_(stage) {}

  // The stage's optimizer sharding and gradient buckets, moving the moments
  // from `held` where owners change.
  void configure(RunState& state, const OptimizerSharding& held) override {
    Communicator& world = *context_.world;
    auto& params = state.model.parameters();
    const OptimizerSharding want =
        stage_.zero1 ? balanced_sharding(params, world.world_size()) : replicated_sharding(params.size());
    reshard_moments(world, state.optimizer, params, held, want);
    sharding_ = want;
    buckets_ = make_gradient_buckets(params, context_.bucket_bytes);
    if (world.world_size() == 1) return;
    attach_gradient_buffers(params, buckets_);
    context_.progress(fmt::format(
        "stage '{}': {} ranks ({}), {} gradient bucket(s), ZeRO-1 {}: this rank holds {} of "
        "{} Adam moment elements",
        stage_.stage->name, world.world_size(), world.backend_name(), buckets_.parameters.size(),
        sharding_.sharded() ? "on" : "off", moment_elements_held(state.optimizer), 2 * state.model.parameter_count()));
  }

  ParallelStepResult step(RunState& state, StepSpec spec, const GrowthMasks* masks) override {
    spec.buckets = &buckets_;
    spec.sharding = &sharding_;
    return {train_step(state.model, state.optimizer, context_.adamw, masks, spec, *context_.world), 0, {}};
  }

  double evaluate(const RunState& state, const GrowthMasks* masks, const EvalSpec& spec) override {
    return backend::evaluate(state.model, masks, spec, *context_.world);
  }

  // ZeRO-1: every rank saves the moments it holds; rank 0 the rest.
  CheckpointShare checkpoint_share(RunState& state, bool root) override {
    const bool shards = sharding_.sharded();
    return {root ? to_checkpoint(state, !shards) : CheckpointData{}, shards,
            shards ? optimizer_shard(state) : NamedTensors{}};
  }

  bool holds_parts() const override { return false; }

  // From a tensor/pipeline-parallel stage's parts: every rank's part of a
  // data-parallel layout is the whole model, which the state then holds.
  void take_over_parts(RunState& state, StageRuntime& previous, const GptSettings& to, uint64_t seed) override {
    const auto [old_part, old_share] = previous.spend_part(state);
    ModelPart whole = regrow_model_part(*context_.world, *old_part, *old_share, to,
                                        RankShare(stage_.layout, context_.rank), seed, context_.exchange_name);
    state.model = std::move(whole.model);
    state.optimizer = std::move(whole.optimizer);
    state.model_is_rank_part = false;
    configure(state, replicated_sharding(state.model.size()));
  }

  // The whole model as this rank's part of the data-parallel layout (the
  // state's tensors, not copied), the moments it holds under ZeRO-1.
  std::pair<const ModelPart*, const RankShare*> spend_part(RunState& state) override {
    for (auto& p : state.model.parameters()) p.mutable_grad() = torch::Tensor();
    buckets_ = GradientBuckets{};
    std::vector<size_t> index(state.model.size());
    std::iota(index.begin(), index.end(), size_t{0});
    part_.emplace(ModelPart{state.model, std::move(index), state.optimizer, sharding_});
    share_.emplace(stage_.layout, context_.rank);
    return {&*part_, &*share_};
  }

  void assemble_full_model(RunState&) override {}  // the full model is what trains
  const OptimizerSharding& full_model_moments() const override { return sharding_; }
  std::optional<planner::PipelineTelemetry> pipeline() const override { return std::nullopt; }

 private:
  RuntimeContext context_;
  RuntimeStage stage_;
  OptimizerSharding sharding_;
  GradientBuckets buckets_;
  std::optional<ModelPart> part_;  // spend_part's
  std::optional<RankShare> share_;
};

}  // namespace

std::unique_ptr<StageRuntime> make_data_parallel_runtime(const RuntimeContext& context, const RuntimeStage& stage) {
  return std::make_unique<DataParallelRuntime>(context, stage);
}

}  // namespace sprout::backend
