// SPDX-License-Identifier: GPL-3.0-or-later
// Memory per GPU. Model states: Megatron-LM mixed-precision Adam, 18 bytes per
// parameter, or 6 + 12/DP with the distributed optimizer (docs/references.md
// "Memory"); sprout-train's fp32 AdamW, 16 bytes per parameter.
// Activations: Korthikanti et al. 2022 (arXiv 2205.05198), Table 2, or
// sprout-train's own (trainer_activations.h).
#include "sprout/planner/model/memory_model.h"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "trainer_activations.h"

namespace sprout::planner {
namespace {

// Korthikanti et al. 2022 Table 2 (Megatron-LM, 16-bit activations).
double megatron_bytes_per_layer(const ModelShape& s, const ParallelLayout& p, AttentionKernel attention,
                                double dropout) {
  const double sbh = static_cast<double>(s.seq_len) * p.micro_batch * s.hidden;
  const double t = p.tp;
  // The s^2 term per layer: 5 a s^2 b bytes = softmax output (2) + dropout
  // mask (1) + dropout output (2); without dropout only the softmax output.
  const double score_bytes_per_elem = dropout > 0 ? 5 : 2;
  const double scores =
      attention != AttentionKernel::kStandard
          ? 0
          : score_bytes_per_elem * s.heads * static_cast<double>(s.seq_len) * s.seq_len * p.micro_batch;
  // 34 s b h = attention 11 + MLP 19 + LayerNorms 4; of these, 2 are the two
  // hidden-dropout masks. Inside the TP regions 24 s b h are split over t; the
  // 10 s b h outside (LayerNorm, dropout, residual) only with sequence parallel.
  const double mask = dropout > 0 ? 2 : 0;
  // Outside: LayerNorm inputs 4 + QKV and MLP inputs 2 + 2 + dropout masks 2.
  const double outside_tp = 8 + mask;
  const double inside_tp = 24;
  const double outside = p.sequence_parallel ? outside_tp / t : outside_tp;
  switch (p.recompute) {
    case Recompute::kFull:
      // Only the layer input is kept: 2 s b h (split with sequence parallel).
      return 2 * sbh / (p.sequence_parallel ? t : 1);
    case Recompute::kSelective:
      // The attention core (the s^2 part) is recomputed, not stored.
      return sbh * (outside + inside_tp / t);
    case Recompute::kNone:
      break;
  }
  return sbh * (outside + inside_tp / t) + scores / t;
}

// Micro-batches whose activations the first pipeline stage holds at once:
// 1F1B keeps min(p, m); the interleaved schedule (1 + (p-1)/(p v)) times
// that (Korthikanti sec. 4.2.3).
double micro_batches_in_flight(const ParallelLayout& p, int micro_batches_per_iteration) {
  double in_flight = std::min<double>(p.pp, micro_batches_per_iteration);
  if (p.interleave > 1) in_flight *= 1.0 + (p.pp - 1.0) / (p.pp * p.interleave);
  return in_flight;
}

// Layer-micro-batches pipeline stage `stage` of uneven stages holds at once
// under 1F1B (Narayanan et al. 2021, sec. 2.2): its layers x min(p - i, m).
double uneven_stage_layers_in_flight(const ParallelLayout& p, int stage, int micro_batches_per_iteration) {
  return p.stage_layers[static_cast<size_t>(stage)] * std::min(p.pp - stage, micro_batches_per_iteration);
}

// The most layer-micro-batches any pipeline stage holds at once: the first
// of even stages, the largest product of uneven ones.
double busiest_layers_in_flight(const ModelShape& s, const ParallelLayout& p, int micro_batches_per_iteration) {
  if (!uneven_stages(p)) {
    return static_cast<double>(s.layers) / p.pp * micro_batches_in_flight(p, micro_batches_per_iteration);
  }
  double most = 0;
  for (int i = 0; i < p.pp; ++i)
    most = std::max(most, uneven_stage_layers_in_flight(p, i, micro_batches_per_iteration));
  return most;
}

constexpr double kGB = 1e9;

// Model states of `params` parameters per GPU: Megatron-LM mixed-precision
// Adam, 18 bytes each, or 6 + 12/DP with the distributed optimizer. ZeRO-3
// shards all 18 bytes over its group and holds two layers' gathered bf16
// weights (the one computing and the one prefetched) and one layer's bf16
// gradients before their reduce-scatter (Rajbhandari et al. 2020, ZeRO
// stage 3).
void set_megatron_model_states(MemoryBreakdown& mem, double params, const ParallelLayout& p, double layer_params) {
  if (p.fully_sharded) {
    const double shards = p.shard_group();
    mem.weights_gb = (2 * params / shards + 2 * 2 * layer_params) / kGB;
    mem.gradients_gb = (4 * params / shards + 2 * layer_params) / kGB;
    mem.optimizer_gb = 12 * params / shards / kGB;
    return;
  }
  mem.weights_gb = 2 * params / kGB;
  mem.gradients_gb = 4 * params / kGB;
  const double optimizer_bytes = p.distributed_optimizer ? 12.0 / p.dp : 12.0;
  mem.optimizer_gb = optimizer_bytes * params / kGB;
}

// sprout-train (backend/src/model/adamw.h) trains in fp32 whatever
// training.dtype says (bf16 autocast casts copies, counted with the
// activations): fp32 parameters and gradients, and AdamW's two fp32 moments,
// 4 + 4 + 8 = 16 bytes a parameter (the accounting of Rajbhandari et al.
// 2020, ZeRO, sec. 3.1, without a 16-bit copy). Its ZeRO-1 gives each
// parameter's moments to one data-parallel rank: 8/DP on average. It has no
// ZeRO-3 (the trainer refuses fully_sharded).
void set_sprout_train_model_states(MemoryBreakdown& mem, double params, const ParallelLayout& p) {
  mem.weights_gb = 4 * params / kGB;
  mem.gradients_gb = 4 * params / kGB;
  const double moment_bytes = p.distributed_optimizer ? 8.0 / p.dp : 8.0;
  mem.optimizer_gb = moment_bytes * params / kGB;
}

void set_model_states(MemoryBreakdown& mem, double params, const ParallelLayout& p, ActivationFootprint footprint,
                      double layer_params = 0) {
  mem.parameters_per_gpu = params;
  if (footprint == ActivationFootprint::kMegatronFp16) {
    set_megatron_model_states(mem, params, p, layer_params);
  } else {
    set_sprout_train_model_states(mem, params, p);
  }
}

// Logits in fp32 for the loss on the last stage (4 s b V / t).
double logits_bytes(const ModelShape& s, const ParallelLayout& p) {
  return 4.0 * s.seq_len * p.micro_batch * s.vocab / p.tp;
}

// Parameters of a pipeline stage of `layers` layers: the first stage adds
// the token embedding (and learned positions) for the lookup, the last the
// output matrix for the logits (tied: a copy of the token embedding, as
// Megatron-LM and sprout-train keep one; untied: its own) and the final
// norm; one stage holding both ends has a tied matrix once.
double stage_parameters(const ModelShape& s, double layers, bool first, bool last) {
  const double token_matrix = static_cast<double>(s.vocab) * s.hidden;
  const double positions = s.position == PositionEmbedding::kLearned ? static_cast<double>(s.seq_len) * s.hidden : 0;
  double ends = first ? token_matrix + positions : 0;
  if (last && !(first && s.tied_embeddings)) ends += token_matrix;
  return layers * parameters_per_layer(s) + ends + (last ? norm_parameters(s) : 0);
}

// Activation bytes of a pipeline stage holding `layers_in_flight`
// layer-micro-batches; `holds_logits`: Megatron's fp32 logits (sprout-train's
// loss transients are in its peak on every stage).
double stage_activation_bytes(const ModelShape& s, const ParallelLayout& p, AttentionKernel attention, double dropout,
                              double layers_in_flight, ActivationFootprint footprint, bool holds_logits) {
  if (footprint != ActivationFootprint::kMegatronFp16) {
    return trainer_bytes_per_gpu(s, p, attention, dropout, layers_in_flight,
                                 footprint == ActivationFootprint::kSproutTrainBf16);
  }
  return layers_in_flight * megatron_bytes_per_layer(s, p, attention, dropout) +
         (holds_logits ? logits_bytes(s, p) : 0);
}

// Uneven stages: stage i keeps min(p - i, m) micro-batches in flight under
// 1F1B (Narayanan et al. 2021, sec. 2.2); the busiest stage is the answer.
// sprout-train's peak transients (the loss's backward) are counted on every
// stage, not only on the last: an upper bound for the others.
MemoryBreakdown busiest_uneven_stage(const ModelShape& s, const ParallelLayout& p, AttentionKernel attention,
                                     double dropout, int micro_batches, const HardwareProfile& hw,
                                     ActivationFootprint footprint) {
  MemoryBreakdown best;
  for (int i = 0; i < p.pp; ++i) {
    const double n = p.stage_layers[static_cast<size_t>(i)];
    MemoryBreakdown mem;
    set_model_states(mem, stage_parameters(s, n, i == 0, i == p.pp - 1) / p.tp, p, footprint);
    const double layers_in_flight = uneven_stage_layers_in_flight(p, i, micro_batches);
    mem.activations_gb =
        stage_activation_bytes(s, p, attention, dropout, layers_in_flight, footprint, i == p.pp - 1) / kGB;
    mem.reserved_gb = hw.memory_reserved_gb;
    if (mem.total_gb() > best.total_gb()) best = mem;
  }
  return best;
}

}  // namespace

ActivationFootprint sprout_train_footprint(const std::string& dtype) {
  if (dtype == "fp32") return ActivationFootprint::kSproutTrainFp32;
  if (dtype == "bf16") return ActivationFootprint::kSproutTrainBf16;
  throw std::invalid_argument("sprout-train dtype '" + dtype + "' is neither fp32 nor bf16");
}

double activation_bytes_per_layer(const ModelShape& s, const ParallelLayout& p, AttentionKernel attention,
                                  double dropout, ActivationFootprint footprint) {
  if (footprint == ActivationFootprint::kMegatronFp16) return megatron_bytes_per_layer(s, p, attention, dropout);
  return trainer_bytes_per_layer(s, p, attention, dropout, footprint == ActivationFootprint::kSproutTrainBf16);
}

double activation_bytes_per_gpu(const ModelShape& s, const ParallelLayout& p, AttentionKernel attention, double dropout,
                                int micro_batches_per_iteration, ActivationFootprint footprint) {
  const double layers_per_stage = static_cast<double>(s.layers) / p.pp;
  const double in_flight = micro_batches_in_flight(p, micro_batches_per_iteration);
  // The busiest stage's layers, with the last stage's logits.
  return stage_activation_bytes(s, p, attention, dropout, layers_per_stage * in_flight, footprint, true);
}

double stage_parameters_per_gpu(const ModelShape& s, const ParallelLayout& p) {
  // Evenly split, the first or the last stage holds the most: the first the
  // learned positions, the last the final norm.
  if (!uneven_stages(p)) {
    const double layers = static_cast<double>(s.layers) / p.pp;
    return std::max(stage_parameters(s, layers, true, p.pp == 1), stage_parameters(s, layers, p.pp == 1, true)) / p.tp;
  }
  double most = 0;
  for (size_t i = 0; i < p.stage_layers.size(); ++i) {
    most = std::max(most, stage_parameters(s, p.stage_layers[i], i == 0, i + 1 == p.stage_layers.size()));
  }
  return most / p.tp;
}

double width_ramp_activation_bytes(const ModelShape& s, const ParallelLayout& p, int micro_batches_per_iteration,
                                   ActivationFootprint footprint) {
  if (footprint == ActivationFootprint::kMegatronFp16) return 0;
  const double layers_in_flight = busiest_layers_in_flight(s, p, micro_batches_per_iteration);
  return trainer_width_ramp_bytes_per_gpu(s, p, layers_in_flight, footprint == ActivationFootprint::kSproutTrainBf16);
}

ActivationFootprint memory_footprint_of(Framework framework, const std::string& dtype) {
  return framework == Framework::kSproutTrain ? sprout_train_footprint(dtype) : ActivationFootprint::kMegatronFp16;
}

MemoryBreakdown memory_per_gpu(const ModelShape& s, const ParallelLayout& p, AttentionKernel attention, double dropout,
                               int micro_batches_per_iteration, const HardwareProfile& hw,
                               ActivationFootprint footprint) {
  if (uneven_stages(p)) {
    return busiest_uneven_stage(s, p, attention, dropout, micro_batches_per_iteration, hw, footprint);
  }
  MemoryBreakdown mem;
  // The most loaded pipeline stage: its layers plus the tied embedding (the
  // first stage for lookup, the last for the logits; one each when pp > 1).
  set_model_states(mem, stage_parameters_per_gpu(s, p), p, footprint, parameters_per_layer(s) / p.tp);

  mem.activations_gb = activation_bytes_per_gpu(s, p, attention, dropout, micro_batches_per_iteration, footprint) / kGB;
  mem.reserved_gb = hw.memory_reserved_gb;
  return mem;
}

std::optional<std::string> memory_problem(const MemoryBreakdown& m, const HardwareProfile& hw) {
  if (m.total_gb() <= hw.hbm_gb) return std::nullopt;
  return fmt::format(
      "needs {:.1f} GB per GPU (weights {:.1f}, gradients {:.1f}, optimizer {:.1f}, activations "
      "{:.1f}{}, reserved {:.1f}) but {} has {:.0f} GB",
      m.total_gb(), m.weights_gb, m.gradients_gb, m.optimizer_gb, m.activations_gb,
      m.growth_ramp_gb > 0 ? fmt::format(", growth ramp {:.1f}", m.growth_ramp_gb) : "", m.reserved_gb, hw.name,
      hw.hbm_gb);
}

}  // namespace sprout::planner
