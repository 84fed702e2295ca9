// SPDX-License-Identifier: GPL-3.0-or-later
// Megatron-LM scripts for a plan. Every flag written here is checked against
// Megatron-LM's parser (tests/planner/megatron_export_test.cc with
// tests/data/megatron/arguments.txt); docs/export.md says why each value is
// what it is.
#include "sprout/planner/export/megatron_export.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "export_common.h"
#include "sprout/planner/base/format_units.h"
#include "sprout/planner/base/input_error.h"
#include "sprout/planner/base/shell_quote.h"
#include "sprout/planner/io/plan_loader.h"

namespace sprout::planner {
namespace {

std::string number(double v) { return fmt::format("{:g}", v); }

// A value as one shell word: quoted only where the shell would read it otherwise.
std::string shell_word(const std::string& v) {
  const bool plain = !v.empty() && v.find_first_not_of(
                                       "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                       "0123456789._+-:/=") == std::string::npos;
  return plain ? v : shell_quote(v);
}
std::string integer(long long v) { return std::to_string(v); }

// Megatron-LM's names: --position-embedding-type {learned_absolute, rope, yarn, mrope, relative, none}.
MegatronArgument position_argument(const Stage& st, std::vector<std::string>& warnings) {
  switch (st.shape.position) {
    case PositionEmbedding::kLearned:
      return {"--position-embedding-type", "learned_absolute", ""};
    case PositionEmbedding::kRotary:
      return {"--position-embedding-type", "rope", ""};
    case PositionEmbedding::kXpos:
      break;
  }
  const std::string warning =
      "the plan uses xPos (FLM-101B's position embedding); Megatron-LM has no xPos: the scripts use RoPE "
      "(--position-embedding-type rope), the rotation xPos extends without its decay; costs are the same, the "
      "trained model is not";
  if (std::find(warnings.begin(), warnings.end(), warning) == warnings.end()) warnings.push_back(warning);
  return {"--position-embedding-type", "rope", "xPos in the plan: Megatron-LM has none (README.md)"};
}

void add_shape(std::vector<MegatronArgument>& a, const Stage& st, std::vector<std::string>& warnings) {
  const ModelShape& s = st.shape;
  a.push_back({"--num-layers", integer(s.layers), ""});
  a.push_back({"--hidden-size", integer(s.hidden), ""});
  a.push_back({"--num-attention-heads", integer(s.heads), ""});
  if (s.kv_heads != s.heads) {
    a.push_back({"--group-query-attention", "", ""});
    a.push_back({"--num-query-groups", integer(s.kv_heads), ""});
  }
  a.push_back({"--ffn-hidden-size", integer(s.ffn_hidden), ""});
  a.push_back({"--seq-length", integer(s.seq_len), ""});
  a.push_back({"--max-position-embeddings", integer(s.seq_len), ""});
  a.push_back(position_argument(st, warnings));
  if (s.norm == Norm::kRmsNorm) {
    a.push_back({"--normalization", "RMSNorm", "pre-RMSNorm with a gain, no bias"});
  } else {
    a.push_back({"--normalization", "LayerNorm", "pre-LayerNorm with gain and bias"});
  }
  if (s.activation == Activation::kSwiglu) {
    a.push_back({"--swiglu", "", ""});
    a.push_back({"--disable-bias-linear", "", "sprout's SwiGLU blocks have no biases"});
  }
  if (!s.tied_embeddings) a.push_back({"--untie-embeddings-and-output-weights", "", ""});
  a.push_back({"--attention-backend", st.attention == AttentionKernel::kStandard ? "unfused" : "flash",
               "the plan's attention kernel, as costed"});
  a.push_back({"--hidden-dropout", number(st.dropout), ""});
  a.push_back({"--attention-dropout", number(st.dropout), ""});
  a.push_back({"--init-method-std", number(st.init_std), ""});
}

void add_layout(std::vector<MegatronArgument>& a, const Stage& st, const StageEstimate& se) {
  const ParallelLayout& p = se.layout;
  const std::string chosen = st.parallel ? "" : "chosen by the planner (fastest that fits)";
  a.push_back({"--tensor-model-parallel-size", integer(p.tp), chosen});
  a.push_back({"--pipeline-model-parallel-size", integer(p.pp), ""});
  if (p.interleave > 1) a.push_back({"--num-virtual-stages-per-pipeline-rank", integer(p.interleave), ""});
  if (p.sequence_parallel) a.push_back({"--sequence-parallel", "", ""});
  if (p.distributed_optimizer) a.push_back({"--use-distributed-optimizer", "", ""});
  if (st.overlap_grad_reduce) a.push_back({"--overlap-grad-reduce", "", ""});
  if (p.recompute == Recompute::kSelective) a.push_back({"--recompute-granularity", "selective", ""});
  if (p.recompute == Recompute::kFull) {
    a.push_back({"--recompute-granularity", "full", ""});
    a.push_back({"--recompute-method", "uniform", ""});
    a.push_back({"--recompute-num-layers", "1", "every layer, as the planner costs full recompute"});
  }
  a.push_back({"--micro-batch-size", integer(p.micro_batch), ""});
  a.push_back({"--global-batch-size", integer(se.iteration.global_batch_sequences),
               fmt::format("{} tokens / {}, in whole micro-batches of the {} DP ranks",
                           human_count(st.global_batch_tokens), st.shape.seq_len, p.dp)});
}

// The stage's schedule as sprout-train runs it (docs/backend.md): linear
// warm-up over warmup_fraction of the steps, cosine decay to
// min_lr_fraction x lr at the last step, AdamW, gradient clipping.
void add_schedule(std::vector<MegatronArgument>& a, const Plan& plan, const Stage& st, const StageEstimate& se) {
  const TrainingSettings& t = plan.training;
  const long long samples = se.iterations * se.iteration.global_batch_sequences;
  const long long warmup_steps = std::llround(st.warmup_fraction * static_cast<double>(se.iterations));
  a.push_back({"--bf16", "", "mixed precision, as the hardware profile's peak assumes"});
  a.push_back({"--train-samples", integer(samples),
               fmt::format("{} iterations = {} tokens", se.iterations, human_count(trained_tokens(se)))});
  a.push_back({"--lr", number(st.lr), ""});
  a.push_back({"--min-lr", number(st.lr * t.min_lr_fraction), ""});
  a.push_back({"--lr-decay-style", "cosine", ""});
  a.push_back({"--lr-warmup-samples", integer(warmup_steps * se.iteration.global_batch_sequences), ""});
  a.push_back({"--lr-decay-samples", integer(samples), ""});
  a.push_back({"--weight-decay", number(t.weight_decay), ""});
  a.push_back({"--adam-beta1", number(t.beta1), ""});
  a.push_back({"--adam-beta2", number(t.beta2), ""});
  a.push_back({"--clip-grad", number(t.grad_clip), ""});
  a.push_back({"--seed", integer(t.seed), ""});
  a.push_back({"--log-interval", "10", ""});
  a.push_back({"--log-throughput", "", "TFLOP/s per GPU in the log (sprout compare --megatron-log)"});
  a.push_back({"--exit-signal-handler", "", "SIGTERM: checkpoint and exit"});
}

std::string script_line(const MegatronArgument& arg) {
  std::string line = "  " + arg.flag;
  if (!arg.value.empty()) line += " " + shell_word(arg.value);
  if (!arg.comment.empty())
    line += fmt::format("{:<{}}# {}", "", std::max<int>(1, 48 - int(line.size())), comment_safe(arg.comment));
  return line + "\n";
}

std::string stage_script(const Plan& plan, const PlanEstimate& e, size_t k, const MegatronStage& ms,
                         const Geometry& g) {
  const Stage& st = plan.stages[k];
  const StageEstimate& se = e.stages[k];
  std::string s = "#!/bin/bash\n";
  s += fmt::format("# Generated by `sprout export --target megatron` on {}.\n", utc_now());
  s += fmt::format("# plan:      {}, stage {} of {}: '{}' ({} layers x {} hidden, {} parameters)\n",
                   comment_safe(plan.name), k + 1, plan.stages.size(), comment_safe(st.name), st.shape.layers,
                   st.shape.hidden, human_count(se.params));
  s += fmt::format("# predicted: {} on {} GPUs, {}, {:.3g} TFLOP/s per GPU (sprout plan)\n",
                   human_duration(se.costs.seconds), plan.cluster.gpus, describe(se.layout),
                   se.iteration.tflops_per_gpu);
  s += fmt::format("# Megatron-LM: flags of NVIDIA/Megatron-LM commit {}.\n", kMegatronLmCommit);
  if (k > 0) {
    s += "# Growth: this stage starts from the previous stage grown by " + describe(se.growth) +
         "; Megatron-LM cannot grow a model.\n# Set GROWN_CHECKPOINT to a grown checkpoint, or the stage trains "
         "from scratch (README.md).\n";
  } else if (!st.init_from.empty()) {
    s += "# init_from: " + comment_safe(st.init_from) +
         " (a sprout or Hugging Face model): convert it to a Megatron-LM\n# checkpoint and set GROWN_CHECKPOINT "
         "to it, or the stage trains from scratch.\n";
  }
  s += "#\n# Run on every node (NODE_RANK 0.." + std::to_string(g.nodes - 1) +
       ") with MEGATRON_LM pointing to a Megatron-LM checkout.\n\n";
  s += "set -euo pipefail\n";
  s += "MEGATRON_LM=${MEGATRON_LM:?set MEGATRON_LM to a Megatron-LM checkout}\n";
  s += fmt::format("NNODES=${{NNODES:-{}}}\nGPUS_PER_NODE=${{GPUS_PER_NODE:-{}}}\n", g.nodes, g.gpus_per_node);
  s += "NODE_RANK=${NODE_RANK:-0}\nMASTER_ADDR=${MASTER_ADDR:-localhost}\nMASTER_PORT=${MASTER_PORT:-29500}\n";
  s += "CHECKPOINT_DIR=${CHECKPOINT_ROOT:-checkpoints}/" + shell_quote(name_slug(st.name)) + "\n";
  s += "LOG_DIR=${LOG_DIR:-logs}\n";
  s += "# Data: Megatron-LM's own flags (--data-path, --tokenizer-type, ...); by default mock data.\n";
  s += fmt::format(
      "read -r -a DATA_ARGS <<< \"${{DATA_ARGS:---mock-data --tokenizer-type NullTokenizer --vocab-size {}}}\"\n",
      st.shape.vocab);
  s += "\nARGS=(\n";
  for (const auto& arg : ms.arguments) s += script_line(arg);
  s += ")\n\n";
  s += "# Resume this stage from its own checkpoints; else start from GROWN_CHECKPOINT when given.\n";
  s += "LOAD=(--load \"$CHECKPOINT_DIR\")\n";
  s += "if [ ! -f \"$CHECKPOINT_DIR/latest_checkpointed_iteration.txt\" ] && [ -n \"${GROWN_CHECKPOINT:-}\" ]; then\n";
  s += "  LOAD=(--load \"$GROWN_CHECKPOINT\" --finetune --no-load-optim --no-load-rng)\n";
  s += "fi\n";
  s += "mkdir -p \"$CHECKPOINT_DIR\" \"$LOG_DIR\"\n";
  s += "torchrun --nnodes \"$NNODES\" --nproc-per-node \"$GPUS_PER_NODE\" --node-rank \"$NODE_RANK\" \\\n";
  s += "  --master-addr \"$MASTER_ADDR\" --master-port \"$MASTER_PORT\" \\\n";
  s += "  \"$MEGATRON_LM/pretrain_gpt.py\" \"${ARGS[@]}\" \"${DATA_ARGS[@]}\" \"${LOAD[@]}\" \\\n";
  s += "  --save \"$CHECKPOINT_DIR\" --save-interval \"${SAVE_INTERVAL:-1000}\" \\\n";
  s += "  2>&1 | tee -a \"$LOG_DIR/" + ms.log + "\"\n";
  return s;
}

std::string readme(const Plan& plan, const PlanEstimate& e, const MegatronExport& m, const std::string& dir) {
  std::string r = "# " + plan.name + " on Megatron-LM\n\n";
  r += "Generated by `sprout export --target megatron`. One script per stage; each runs\n";
  r += "`torchrun ... pretrain_gpt.py` with Megatron-LM's flags (checked against NVIDIA/Megatron-LM\n";
  r += std::string("commit ") + kMegatronLmCommit + ") for the stage's shape, batch, parallel layout,\n";
  r += "precision and learning-rate schedule. Prediction (`sprout plan`, failure-free):\n\n```\n";
  r += prediction_lines(plan, e, "");
  r +=
      "```\n\n## Run\n\nOn every node, stage by stage (`NODE_RANK`, `MASTER_ADDR` as for any torchrun job):\n\n```sh\n";
  r += "export MEGATRON_LM=/path/to/Megatron-LM DATA_ARGS=\"--data-path ... --tokenizer-type ...\"\n";
  for (const auto& s : m.stages) r += "bash " + shell_quote(dir + "/" + s.script) + "\n";
  r += "```\n\nWithout `DATA_ARGS` the scripts train on Megatron-LM's mock data (a smoke test).\n";
  r += "`CHECKPOINT_ROOT`, `LOG_DIR`, `SAVE_INTERVAL`, `NNODES` and `GPUS_PER_NODE` override the defaults.\n";
  r += "Each script appends Megatron-LM's output to `$LOG_DIR/stage-K-NAME.log`.\n\n";
  r += "## Growth: what Megatron-LM cannot do\n\n";
  r += "The plan grows the model between stages with MSG's function-preserving operators (width: hidden,\n";
  r += "FFN, heads; depth: new layers) and ramps the new parts in over `grow_steps` steps. Megatron-LM\n";
  r += "has no growth operators: each script trains one fixed shape. Two ways to run the schedule:\n\n";
  r += "1. Grow each stage's last checkpoint outside Megatron-LM into the next stage's shape and start\n";
  r += "   the next script with `GROWN_CHECKPOINT=<grown checkpoint>` (it loads it with `--finetune\n";
  r += "   --no-load-optim --no-load-rng`: new optimizer state, iteration 0). sprout does not convert or\n";
  r += "   grow Megatron-LM checkpoints; `sprout-train` implements MSG growth on its own checkpoints\n";
  r += "   (docs/backend.md). The mask ramp has no Megatron-LM equivalent: a grown model starts unmasked.\n";
  r += "2. Train every stage from scratch at its shape (no `GROWN_CHECKPOINT`). Each stage's time and\n";
  r += "   cost match the prediction; the loss does not, since nothing carries over between stages.\n\n";
  r += "## Compare the run with the plan\n\n```sh\n";
  r += "sprout compare " + shell_quote(dir + "/plan.yaml") + " --megatron-log";
  for (const auto& s : m.stages) r += " logs/" + s.log;
  r += "\n```\n\nreads the iteration lines the scripts append to `$LOG_DIR` and reports predicted vs actual\n";
  r += "per stage (docs/compare.md).\n";
  if (!m.warnings.empty()) {
    r += "\n## Differences from the plan\n\n";
    for (const auto& w : m.warnings) r += "- " + w + ".\n";
  }
  return r;
}

}  // namespace

MegatronExport megatron_arguments(const Plan& plan, const PlanEstimate& estimate) {
  MegatronExport m;
  for (size_t k = 0; k < plan.stages.size(); ++k) {
    const Stage& st = plan.stages[k];
    MegatronStage ms;
    ms.name = st.name;
    ms.script = fmt::format("stage-{}-{}.sh", k + 1, name_slug(st.name));
    ms.log = fmt::format("stage-{}-{}.log", k + 1, name_slug(st.name));
    add_shape(ms.arguments, st, m.warnings);
    if (!st.init_from.empty()) {
      m.warnings.push_back("the first stage starts from " + st.init_from +
                           " (init_from), which Megatron-LM cannot read: convert it to a Megatron-LM checkpoint and "
                           "set GROWN_CHECKPOINT");
    }
    add_layout(ms.arguments, st, estimate.stages[k]);
    add_schedule(ms.arguments, plan, st, estimate.stages[k]);
    m.stages.push_back(std::move(ms));
  }
  return m;
}

ExportResult export_megatron(const Plan& plan, const PlanEstimate& estimate, const ExportOptions& options) {
  if (options.out_dir.empty()) throw InputError({"--out", 0, 0}, "out", "an output directory is required");
  const Geometry g = geometry_of(plan, options);
  const MegatronExport m = megatron_arguments(plan, estimate);
  ExportResult result;
  result.nodes = g.nodes;
  result.tasks = g.tasks;
  result.warnings = m.warnings;
  ExportWriter out(options.out_dir, result);
  const std::string& dir = out.dir();
  out.write("plan.yaml", plan_to_yaml(plan));
  for (size_t k = 0; k < m.stages.size(); ++k) {
    out.write(m.stages[k].script, stage_script(plan, estimate, k, m.stages[k], g), true);
  }
  out.write("README.md", readme(plan, estimate, m, dir));
  result.summary = fmt::format(
      "Megatron-LM: {} stage scripts for {} nodes x {} GPUs. Megatron-LM cannot grow a model between stages: "
      "see {}/README.md.",
      m.stages.size(), g.nodes, g.gpus_per_node, dir);
  return result;
}

}  // namespace sprout::planner
