// SPDX-License-Identifier: GPL-3.0-or-later
// Data parallelism: every rank trains the whole model on its share of the
// batch (training_step.h), gradients averaged in buckets, the Adam moments
// sharded by ZeRO-1 when the stage asks for it (docs/backend.md
// "Distributed training").
#include <fmt/format.h>

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

  void assemble_full_model(RunState&) override {}  // the full model is what trains
  const OptimizerSharding& full_model_moments() const override { return sharding_; }
  std::optional<planner::PipelineTelemetry> pipeline() const override { return std::nullopt; }

 private:
  RuntimeContext context_;
  RuntimeStage stage_;
  OptimizerSharding sharding_;
  GradientBuckets buckets_;
};

}  // namespace

std::unique_ptr<StageRuntime> make_data_parallel_runtime(const RuntimeContext& context, const RuntimeStage& stage) {
  return std::make_unique<DataParallelRuntime>(context, stage);
}

}  // namespace sprout::backend
