// SPDX-License-Identifier: GPL-3.0-or-later
// How one stage trains on this rank, behind one interface: data-parallel
// (every rank the whole model, gradients averaged in buckets, Adam moments
// sharded by ZeRO-1: data_parallel_runtime.cc) or model-parallel (tensor
// and pipeline parallelism, each rank a part of the model:
// model_parallel_runtime.cc). The trainer holds the runtime of its current
// stage and never asks which kind it is; make_stage_runtime is the one place
// that decides from the stage's layout (docs/backend.md "Training loop").
//
// Between stages the run's state (run_state.h) holds the full model and its
// moments: a runtime takes it over in configure and gives it back, bit for
// bit, in assemble_full_model.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "checkpoint/checkpoint.h"
#include "checkpoint/run_state.h"
#include "comm/communicator.h"
#include "parallel/model_partition.h"
#include "parallel/process_groups.h"
#include "parallel/stage_layout.h"
#include "run/stage_schedule.h"
#include "sprout/planner/runs/telemetry_record.h"
#include "step/parallel_step.h"
#include "step/training_step.h"

namespace sprout::backend {

// What every stage's runtime shares with the run.
struct RuntimeContext {
  Communicator* world = nullptr;
  int rank = 0;
  torch::Device device = torch::kCPU;
  AdamWSettings adamw;
  int64_t bucket_bytes = kDefaultBucketBytes;
  // The process groups of every layout met so far, each built once: their
  // names in the rendezvous store must not repeat.
  std::map<std::string, ProcessGroups>* process_groups = nullptr;
  std::function<void(const std::string&)> progress;  // a line for the user (rank 0 prints it)
  // The name of the communicator take_over_parts splits: one per stage
  // start from parts in this process (names must not repeat in the run).
  std::string exchange_name;
};

// The stage a runtime trains.
struct RuntimeStage {
  const planner::Stage* stage = nullptr;
  StageLayout layout;
  bool zero1 = false;  // shard the Adam moments over the data-parallel ranks
  long long micro_batch = 0;
  long long accumulation = 0;  // micro-batches per step on each rank
};

// What this rank writes of a checkpoint (write_checkpoint's arguments).
struct CheckpointShare {
  CheckpointData root_data;   // rank 0's files (empty elsewhere)
  bool rank_shards = false;   // every rank also writes rank_tensors
  NamedTensors rank_tensors;  // its optimizer shard or its slices of the model
};

class StageRuntime {
 public:
  virtual ~StageRuntime() = default;

  // Takes over `state` for this stage; `held` says who holds which of its
  // full model's moments now (moved where this stage wants them elsewhere).
  // Collective.
  virtual void configure(RunState& state, const OptimizerSharding& held) = 0;
  // One optimizer step. `spec` without buckets and sharding: the runtime's.
  virtual ParallelStepResult step(RunState& state, StepSpec spec, const GrowthMasks* masks) = 0;
  virtual double evaluate(const RunState& state, const GrowthMasks* masks, const EvalSpec& spec) = 0;
  virtual CheckpointShare checkpoint_share(RunState& state, bool root) = 0;
  // Makes the state's full model and moments current (a growth, a replica
  // check or the next stage reads them). Collective.
  virtual void assemble_full_model(RunState& state) = 0;
  // Who holds which moment of the state's full model (ZeRO-1 or replicated).
  virtual const OptimizerSharding& full_model_moments() const = 0;
  // Tensor/pipeline-parallel runtimes: each rank trains a part of the model.
  virtual bool holds_parts() const = 0;
  // Instead of configure: starts this stage from `previous`'s parts (a
  // data-parallel runtime's part is the whole model) without the full model
  // on a rank that does not train it (parallel/part_regrowth.h): grown to
  // `to` with `seed` when the shapes differ, re-cut for this stage's layout
  // otherwise. `previous` is spent. Collective.
  virtual void take_over_parts(RunState& state, StageRuntime& previous, const GptSettings& to, uint64_t seed) = 0;
  // `previous`'s side of take_over_parts: this rank's part and its share,
  // the gradients released first.
  virtual std::pair<const ModelPart*, const RankShare*> spend_part(RunState& state) = 0;
  // Pipelined stages only: what a step record's `pipeline` describes, the
  // op times not yet filled in (StepMeter adds them).
  virtual std::optional<planner::PipelineTelemetry> pipeline() const = 0;
};

// The sprout-train --zero1 option (plan | on | off) for one stage.
bool zero1_for_stage(const std::string& option, const planner::Stage& stage, int world_size);

// A stage as its runtime trains it on `world_size` ranks: its layout,
// ZeRO-1 (--zero1 `zero1_option`), micro-batch and accumulation.
RuntimeStage runtime_stage(const planner::Stage& stage, const StageSchedule& schedule, int world_size,
                           const std::string& zero1_option);

// A data-parallel runtime when the layout splits nothing (tp = pp = 1),
// else a model-parallel one.
std::unique_ptr<StageRuntime> make_stage_runtime(const RuntimeContext& context, const RuntimeStage& stage);

std::unique_ptr<StageRuntime> make_data_parallel_runtime(const RuntimeContext& context, const RuntimeStage& stage);
std::unique_ptr<StageRuntime> make_model_parallel_runtime(const RuntimeContext& context, const RuntimeStage& stage);

}  // namespace sprout::backend
