// SPDX-License-Identifier: GPL-3.0-or-later
// One row per plan key: the planner's and sprout-train's use of it (the
// decision docs/backend.md "Plan keys" writes out).
#include "sprout/planner/io/plan_schema.h"

namespace sprout::planner {
namespace {

constexpr TrainerUse kHonoured = TrainerUse::kHonoured;
constexpr TrainerUse kRefused = TrainerUse::kRefused;
constexpr TrainerUse kPlannerOnly = TrainerUse::kPlannerOnly;

const char* const kUnevenStagesHonoured =
    "the pipeline ranks hold these layer counts (summary.json's layout, e.g. \"layers 1+3\")";
const char* const kLayoutRefusals =
    "runs it; layouts it cannot run (vocab not divisible by tp, interleave without whole micro-batches per "
    "pipeline, sequence parallelism that does not divide seq_len, tp x pp x dp not the process count) exit 2";

std::vector<PlanSchemaKey> top_level_keys() {
  return {
      {"name", "\"renamed\"", kHonoured, "report titles", "summary.json `plan`, the start line"},
      {"notes", "\"a note\"", kPlannerOnly, "carried with the plan (free text, e.g. guesses)",
       "copied with the plan file into the run directory, not read"},
      {"hardware", "a100-80", kHonoured, "every cost: peak, efficiencies, memory, links, power, price",
       "the power figure of the energy estimate when no meter reads the device (telemetry energy)"},
      {"gpus", "4", kPlannerOnly, "cluster size (with --gpus, DP rescaled)",
       "runs on the processes launched; a stage layout that needs another count exits 2"},
      {"region", "france", kPlannerOnly, "grid carbon intensity and PUE", "not used"},
      {"price_usd_per_gpu_hour", "3.5", kPlannerOnly, "cost", "not used"},
      {"price_list", "lambda-on-demand-2024", kPlannerOnly, "cost (the hardware's price in the list)", "not used"},
      {"power_model", "typical", kHonoured, "energy and carbon",
       "the power figure of the energy estimate when no meter reads the device"},
  };
}

// Keys of a stage that model: may default for every stage.
std::vector<PlanSchemaKey> shape_keys() {
  std::vector<PlanSchemaKey> keys = {
      {"stages[].layers", "4", kHonoured, "shape: FLOPs, memory, layouts", "model depth"},
      {"stages[].hidden", "128", kHonoured, "shape", "model width"},
      {"stages[].heads", "8", kHonoured, "shape, attention cost", "attention heads"},
      {"stages[].kv_heads", "2", kHonoured, "shape (GQA: smaller K/V)", "grouped-query attention"},
      {"stages[].ffn_hidden", "192", kHonoured, "shape", "FFN width"},
      {"stages[].vocab", "512", kRefused, "embedding and output layer",
       "vocabulary; exits 2 unless it equals the data tokenizer's (or, for data without one, holds its tokens) and "
       "tp divides it"},
      {"stages[].seq_len", "128", kHonoured, "activations, attention cost", "sequence length of every batch"},
      {"stages[].activation", "swiglu", kHonoured, "FFN FLOPs and memory", "FFN activation"},
      {"stages[].position_embedding", "rotary", kHonoured, "wpe parameters, rotation cost",
       "learned wpe, rotary or xPos on q/k; head-size growth under rotary/xPos exits 2"},
      {"stages[].norm", "rmsnorm", kHonoured, "norm parameters", "LayerNorm or RMSNorm"},
      {"stages[].attention", "flash", kRefused, "fused-kernel attention cost and memory",
       "SDPA on LibTorch 2.x; exits 2 on LibTorch 1.13 and with dropout"},
      {"stages[].tied_embeddings", "false", kHonoured, "parameter count",
       "shared or separate output layer; a change between stages exits 2"},
      {"stages[].overlap_grad_reduce", "false", kPlannerOnly,
       "whether DP gradient reduction hides behind the last backward",
       "not used: the gradient buckets (parallel/gradient_buckets.h) reduce the same way either way"},
      {"stages[].dropout", "0.1", kHonoured, "dropout masks in activation memory", "attention and hidden dropout"},
      {"stages[].init_std", "0.01", kHonoured, "not used (no effect on cost)", "initial weight scale"},
      {"stages[].framework", "deepspeed", kPlannerOnly, "the codebase whose speed the model assumes",
       "not used: sprout-train is its own codebase"},
  };
  for (auto& k : keys) k.model_default = true;
  return keys;
}

std::vector<PlanSchemaKey> stage_keys() {
  return {
      {"stages[].name", "\"renamed\"", kHonoured, "report rows", "telemetry and summary stage names"},
      {"stages[].tokens", "131072", kHonoured, "iterations, time, cost", "steps = tokens / batch"},
      {"stages[].global_batch_tokens", "2048", kHonoured, "iterations, micro-batches",
       "sequences per step (tokens / seq_len, a whole number)"},
      {"stages[].global_batch_sequences", "32", kHonoured, "as global_batch_tokens (x seq_len)", "sequences per step"},
      {"stages[].lr", "2e-3", kHonoured, "loss model (search)", "peak learning rate"},
      {"stages[].warmup_fraction", "0.1", kHonoured, "not used", "linear warm-up steps"},
      {"stages[].recompute", "full", kHonoured, "activation memory, recompute FLOPs",
       "full: block checkpointing, selective: the attention core (equal losses, lower activation peak)"},
      {"stages[].parallel.tp", "2", kRefused, "iteration time and memory", kLayoutRefusals},
      {"stages[].parallel.pp", "2", kRefused, "pipeline bubble and memory", kLayoutRefusals},
      {"stages[].parallel.dp", "2", kRefused, "gradient reduction", kLayoutRefusals},
      {"stages[].parallel.micro_batch", "2", kRefused, "micro-batches, bubble", kLayoutRefusals},
      {"stages[].parallel.interleave", "2", kRefused, "interleaved 1F1B bubble", kLayoutRefusals},
      {"stages[].parallel.sequence_parallel", "true", kRefused, "activation memory, collectives", kLayoutRefusals},
      {"stages[].parallel.pp_layers", "[1, 3]", kHonoured, "uneven pipeline stages", kUnevenStagesHonoured},
      {"stages[].parallel.first_stage_layers", "1", kHonoured, "uneven pipeline stages", kUnevenStagesHonoured},
      {"stages[].parallel.last_stage_layers", "1", kHonoured, "uneven pipeline stages", kUnevenStagesHonoured},
      {"stages[].parallel.fully_sharded", "true", kRefused, "ZeRO-3 memory and collectives",
       "exits 2: ZeRO-3 is not implemented in sprout-train (use distributed_optimizer)"},
      {"stages[].parallel.shard_ranks", "2", kRefused, "ZeRO-3 shard groups (with fully_sharded)",
       "exits 2 with fully_sharded"},
      {"stages[].parallel.distributed_optimizer", "false", kHonoured, "optimizer-state memory",
       "ZeRO-1 optimizer-state sharding (--zero1 overrides)"},
      {"stages[].throughput.tflops_per_gpu", "100", kPlannerOnly, "replaces the throughput model",
       "not used (the run measures its own)"},
      {"stages[].grow.width", "true", kHonoured, "checked against the shapes",
       "MSG width growth (checked against the shapes)"},
      {"stages[].grow.depth", "true", kHonoured, "checked against the shapes",
       "MSG depth growth (checked against the shapes)"},
      {"stages[].grow.grow_steps", "40", kHonoured, "growth transition",
       "MSG mask ramp; longer than the stage exits 2"},
      {"stages[0].init_from", ".", kHonoured, "not used (the schedule's cost is the same)",
       "the first stage starts from this trained model (--init-from overrides); on a later stage, or a "
       "missing path, exit 2"},
  };
}

std::vector<PlanSchemaKey> training_keys() {
  const char* planner = "not used";
  return {
      {"training.seed", "7", kHonoured, planner, "initialisation, data order, dropout"},
      {"training.data", "corpus.txt", kHonoured, planner, "token shards or text to train on"},
      {"training.data_split", "[900, 90, 10]", kRefused, planner,
       "train / validation / test weights of a Megatron-LM dataset's documents; exits 2 with token shards"},
      {"training.eod_mask_loss", "true", kRefused, planner,
       "no loss on the target after an end-of-document token; exits 2 when the data's tokenizer has none"},
      {"training.spike.z", "3.0", kHonoured, planner, "loss-spike guard threshold"},
      {"training.spike.window", "20", kHonoured, planner, "loss-spike guard window"},
      {"training.spike.action", "rollback", kHonoured, planner, "skip the step or roll back"},
      {"training.eval_every_steps", "3", kHonoured, planner, "validation cadence"},
      {"training.eval_batches", "2", kHonoured, planner, "validation batches"},
      {"training.checkpoint_every_steps", "3", kHonoured, planner, "checkpoint cadence"},
      {"training.keep_checkpoints", "1", kHonoured, planner, "checkpoints kept"},
      {"training.log_every_steps", "2", kHonoured, planner, "telemetry cadence"},
      {"training.grad_clip", "0.5", kHonoured, planner, "gradient norm clipping"},
      {"training.weight_decay", "0.01", kHonoured, planner, "AdamW weight decay"},
      {"training.beta1", "0.8", kHonoured, planner, "AdamW beta1"},
      {"training.beta2", "0.99", kHonoured, planner, "AdamW beta2"},
      {"training.min_lr_fraction", "0.5", kHonoured, planner, "cosine floor"},
      {"training.device", "cpu", kRefused, planner, "device; cuda without a GPU exits 2"},
      {"training.dtype", "bf16", kHonoured, planner, "bf16 autocast"},
      {"training.threads", "1", kHonoured, planner, "CPU threads per rank"},
      {"training.collective_timeout_s", "60", kHonoured, planner, "how long a collective waits for a peer"},
  };
}

}  // namespace

const std::vector<PlanSchemaKey>& plan_schema_keys() {
  static const std::vector<PlanSchemaKey> keys = [] {
    std::vector<PlanSchemaKey> all;
    for (auto part : {top_level_keys(), shape_keys(), stage_keys(), training_keys()}) {
      all.insert(all.end(), part.begin(), part.end());
    }
    return all;
  }();
  return keys;
}

const char* to_string(TrainerUse use) {
  switch (use) {
    case TrainerUse::kHonoured:
      return "honoured";
    case TrainerUse::kRefused:
      return "honoured or refused";
    case TrainerUse::kPlannerOnly:
      return "planner-only";
  }
  return "?";
}

}  // namespace sprout::planner
