// SPDX-License-Identifier: GPL-3.0-or-later
// A validated growth schedule: the plan file (docs/formats.md "Plan") after
// parsing, with profiles resolved. Plain data; everything downstream works on it.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sprout/planner/base/enum_names.h"
#include "sprout/planner/base/input_error.h"
#include "sprout/planner/model/model_shape.h"
#include "sprout/planner/model/parallel_layout.h"
#include "sprout/planner/plan/cluster.h"

namespace sprout::planner {

// How a stage was reached from the previous one (MSG operators).
struct GrowSpec {
  bool width = false;        // hidden / FFN / heads grew
  bool depth = false;        // layers grew
  long long grow_steps = 0;  // optimizer steps over which the MSG mask ramps 0 -> 1
};

// Default mask ramp when a plan does not say: 500 steps, a little over one
// FLM-101B warm-up; see docs/formulas.md ("Growth").
inline constexpr long long kDefaultGrowSteps = 500;

struct Stage {
  std::string name;
  ModelShape shape;
  double tokens = 0;
  double global_batch_tokens = 0;
  bool batch_in_sequences = false;  // the plan gave global_batch_sequences (written back so)
  double lr = 0;
  double init_std = 0.02;
  double warmup_fraction = 0.01;  // of the stage's steps
  double dropout = 0.0;
  AttentionKernel attention = AttentionKernel::kStandard;
  Framework framework = Framework::kMegatronLm;
  bool overlap_grad_reduce = true;
  std::optional<ParallelLayout> parallel;           // absent: the planner searches
  std::optional<Recompute> recompute;               // absent: the planner chooses
  std::optional<double> throughput_tflops_per_gpu;  // measured override
  std::optional<GrowSpec> grow;                     // absent on the first stage
  std::string field_path;                           // "stages[1]": prefix of error fields
  SourceLocation location;                          // of the stage in the plan file
  SourceLocation parallel_location;                 // of its `parallel:` mapping
  SourceLocation attention_location;                // of its `attention` key (the stage's, else model:'s)
};

// One dataset of a blend (`training.data` as a list, Megatron-LM's weighted
// data paths): a prepared directory or a Megatron prefix, and its weight.
struct WeightedData {
  std::string path;
  double weight = 1;  // relative; the blend's weights are normalized to sum 1
};

// The loss-spike guard (`training.spike`, docs/backend.md "Loss spikes").
enum class SpikeAction { kSkip, kRollback };
template <>
struct EnumNameTable<SpikeAction> {
  static constexpr EnumName<SpikeAction> entries[] = {{SpikeAction::kSkip, "skip"},
                                                      {SpikeAction::kRollback, "rollback"}};
};

struct SpikeSettings {
  double z = 4.0;         // a step whose loss exceeds the window's mean by z standard deviations spikes
  long long window = 50;  // steps in the running mean and deviation
  SpikeAction action = SpikeAction::kSkip;
};

// How sprout-train runs the plan (ignored by the cost models). Defaults are
// documented in docs/formats.md.
struct TrainingSettings {
  long long seed = 1234;
  // Token shard directory, text file or Megatron-LM prefix; "" = built-in
  // default corpus (or the blend below).
  std::string data;
  std::vector<WeightedData> data_blend;  // `data:` as a list of {path, weight}
  // Megatron datasets: the train / validation / test weights of their
  // documents (Megatron-LM's --split "969, 30, 1").
  std::vector<double> data_split = {969, 30, 1};
  bool eod_mask_loss = false;  // no loss where the input token is the end-of-document token
  std::optional<SpikeSettings> spike;
  long long eval_every_steps = 50;
  long long eval_batches = 4;
  long long checkpoint_every_steps = 100;
  long long keep_checkpoints = 3;
  long long log_every_steps = 1;
  double grad_clip = 1.0;
  double weight_decay = 0.1;
  double beta1 = 0.9;
  double beta2 = 0.95;
  double min_lr_fraction = 0.1;  // cosine decays to this fraction of lr
  std::string device = "auto";   // auto | cpu | cuda
  std::string dtype = "fp32";    // fp32 | bf16 (autocast for matmuls)
  long long threads = 0;         // 0 = all cores
  long long collective_timeout_s = 300;
  // Where each key given under training: is ("seed" -> plan.yaml:12:9), so
  // sprout-train's refusals name the line (training_key_location).
  std::map<std::string, SourceLocation> key_locations;
};

struct Plan {
  std::string name;
  std::string source_file;
  Cluster cluster;               // price resolved: plan, else its price list, else the hardware default
  bool gpus_overridden = false;  // --gpus given: stage layouts rescale their DP
  std::vector<Stage> stages;
  std::string notes;  // free text carried along (e.g. shape guesses)
  TrainingSettings training;
};

// Where `training.<key>` is in the plan file; the plan file itself when the
// key was not given (a default the trainer refuses, e.g. no data).
inline SourceLocation training_key_location(const Plan& plan, const std::string& key) {
  const auto it = plan.training.key_locations.find(key);
  return it != plan.training.key_locations.end() ? it->second : SourceLocation{plan.source_file, 0, 0};
}

}  // namespace sprout::planner
