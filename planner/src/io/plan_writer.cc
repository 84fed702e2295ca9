// SPDX-License-Identifier: GPL-3.0-or-later
// Plans back to YAML, every stage spelled out in full, so that a written plan
// reloads to the same numbers (tests/planner/plan_writer_test.cc).
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <filesystem>

#include "sprout/planner/io/plan_loader.h"
#include "sprout/planner/io/yaml_fields.h"

namespace sprout::planner {
namespace {

// A profile is referred to by name when it is a shipped/named one (file stem
// equals its name), else by its path.
std::string profile_ref(const std::string& name, const std::string& file) {
  if (file.empty() || std::filesystem::path(file).stem().string() == name) return name;
  return std::filesystem::absolute(file).string();
}

}  // namespace

std::string plan_to_yaml(const Plan& plan) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << YAML::DoubleQuoted << plan.name;
  if (!plan.notes.empty()) out << YAML::Key << "notes" << YAML::Value << YAML::Literal << plan.notes;
  out << YAML::Key << "hardware" << YAML::Value
      << profile_ref(plan.cluster.hardware.name, plan.cluster.hardware.source_file);
  out << YAML::Key << "gpus" << YAML::Value << plan.cluster.gpus;
  out << YAML::Key << "region" << YAML::Value << profile_ref(plan.cluster.region.name, plan.cluster.region.source_file);
  out << YAML::Key << "price_usd_per_gpu_hour" << YAML::Value << round_trip_text(plan.cluster.price_usd_per_gpu_hour);
  out << YAML::Key << "power_model" << YAML::Value << to_string(plan.cluster.power_model);

  const TrainingSettings& t = plan.training;
  out << YAML::Key << "training" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "seed" << YAML::Value << t.seed;
  if (!t.data.empty()) out << YAML::Key << "data" << YAML::Value << t.data;
  // The data settings below are written only when they differ from the
  // defaults, so that the plans written before them keep their fingerprint.
  if (!t.data_blend.empty()) {
    out << YAML::Key << "data" << YAML::Value << YAML::BeginSeq;
    for (const WeightedData& d : t.data_blend) {
      out << YAML::Flow << YAML::BeginMap << YAML::Key << "path" << YAML::Value << d.path << YAML::Key << "weight"
          << YAML::Value << round_trip_text(d.weight) << YAML::EndMap;
    }
    out << YAML::EndSeq;
  }
  if (t.data_split != TrainingSettings{}.data_split) {
    out << YAML::Key << "data_split" << YAML::Value << YAML::Flow << YAML::BeginSeq;
    for (double w : t.data_split) out << round_trip_text(w);
    out << YAML::EndSeq;
  }
  if (t.eod_mask_loss) out << YAML::Key << "eod_mask_loss" << YAML::Value << true;
  if (t.spike) {
    out << YAML::Key << "spike" << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key << "z" << YAML::Value
        << round_trip_text(t.spike->z) << YAML::Key << "window" << YAML::Value << t.spike->window << YAML::Key
        << "action" << YAML::Value << EnumNames<SpikeAction>::name(t.spike->action) << YAML::EndMap;
  }
  out << YAML::Key << "eval_every_steps" << YAML::Value << t.eval_every_steps;
  out << YAML::Key << "eval_batches" << YAML::Value << t.eval_batches;
  out << YAML::Key << "checkpoint_every_steps" << YAML::Value << t.checkpoint_every_steps;
  out << YAML::Key << "keep_checkpoints" << YAML::Value << t.keep_checkpoints;
  out << YAML::Key << "log_every_steps" << YAML::Value << t.log_every_steps;
  out << YAML::Key << "grad_clip" << YAML::Value << round_trip_text(t.grad_clip);
  out << YAML::Key << "weight_decay" << YAML::Value << round_trip_text(t.weight_decay);
  out << YAML::Key << "beta1" << YAML::Value << round_trip_text(t.beta1);
  out << YAML::Key << "beta2" << YAML::Value << round_trip_text(t.beta2);
  out << YAML::Key << "min_lr_fraction" << YAML::Value << round_trip_text(t.min_lr_fraction);
  out << YAML::Key << "device" << YAML::Value << t.device;
  out << YAML::Key << "dtype" << YAML::Value << t.dtype;
  out << YAML::Key << "threads" << YAML::Value << t.threads;
  out << YAML::Key << "collective_timeout_s" << YAML::Value << t.collective_timeout_s;
  out << YAML::EndMap;

  out << YAML::Key << "stages" << YAML::Value << YAML::BeginSeq;
  for (const Stage& st : plan.stages) {
    const ModelShape& s = st.shape;
    out << YAML::BeginMap;
    out << YAML::Key << "name" << YAML::Value << YAML::DoubleQuoted << st.name;
    if (st.grow) {
      out << YAML::Key << "grow" << YAML::Value << YAML::Flow << YAML::BeginMap;
      if (st.grow->width) out << YAML::Key << "width" << YAML::Value << true;
      if (st.grow->depth) out << YAML::Key << "depth" << YAML::Value << true;
      out << YAML::Key << "grow_steps" << YAML::Value << st.grow->grow_steps;
      out << YAML::EndMap;
    }
    if (!st.init_from.empty()) out << YAML::Key << "init_from" << YAML::Value << st.init_from;
    out << YAML::Key << "layers" << YAML::Value << s.layers;
    out << YAML::Key << "hidden" << YAML::Value << s.hidden;
    out << YAML::Key << "heads" << YAML::Value << s.heads;
    out << YAML::Key << "kv_heads" << YAML::Value << s.kv_heads;
    out << YAML::Key << "ffn_hidden" << YAML::Value << s.ffn_hidden;
    out << YAML::Key << "vocab" << YAML::Value << s.vocab;
    out << YAML::Key << "seq_len" << YAML::Value << s.seq_len;
    out << YAML::Key << "activation" << YAML::Value << to_string(s.activation);
    out << YAML::Key << "position_embedding" << YAML::Value << to_string(s.position);
    out << YAML::Key << "tied_embeddings" << YAML::Value << s.tied_embeddings;
    out << YAML::Key << "norm" << YAML::Value << to_string(s.norm);
    out << YAML::Key << "attention" << YAML::Value << to_string(st.attention);
    if (st.framework != Framework::kMegatronLm) {
      out << YAML::Key << "framework" << YAML::Value << to_string(st.framework);
    }
    out << YAML::Key << "dropout" << YAML::Value << round_trip_text(st.dropout);
    out << YAML::Key << "init_std" << YAML::Value << round_trip_text(st.init_std);
    out << YAML::Key << "overlap_grad_reduce" << YAML::Value << st.overlap_grad_reduce;
    out << YAML::Key << "tokens" << YAML::Value << round_trip_text(st.tokens);
    if (st.batch_in_sequences) {
      out << YAML::Key << "global_batch_sequences" << YAML::Value
          << std::llround(st.global_batch_tokens / st.shape.seq_len);
    } else {
      out << YAML::Key << "global_batch_tokens" << YAML::Value << round_trip_text(st.global_batch_tokens);
    }
    out << YAML::Key << "lr" << YAML::Value << round_trip_text(st.lr);
    out << YAML::Key << "warmup_fraction" << YAML::Value << round_trip_text(st.warmup_fraction);
    if (st.recompute) out << YAML::Key << "recompute" << YAML::Value << to_string(*st.recompute);
    if (st.parallel) {
      const ParallelLayout& p = *st.parallel;
      out << YAML::Key << "parallel" << YAML::Value << YAML::Flow << YAML::BeginMap;
      out << YAML::Key << "tp" << YAML::Value << p.tp;
      out << YAML::Key << "pp" << YAML::Value << p.pp;
      out << YAML::Key << "dp" << YAML::Value << p.dp;
      out << YAML::Key << "micro_batch" << YAML::Value << p.micro_batch;
      out << YAML::Key << "interleave" << YAML::Value << p.interleave;
      out << YAML::Key << "sequence_parallel" << YAML::Value << p.sequence_parallel;
      out << YAML::Key << "distributed_optimizer" << YAML::Value << p.distributed_optimizer;
      if (p.fully_sharded) out << YAML::Key << "fully_sharded" << YAML::Value << true;
      if (p.shard_ranks > 0) out << YAML::Key << "shard_ranks" << YAML::Value << p.shard_ranks;
      if (uneven_stages(p)) out << YAML::Key << "pp_layers" << YAML::Value << YAML::Flow << p.stage_layers;
      out << YAML::EndMap;
    }
    if (st.throughput_tflops_per_gpu) {
      out << YAML::Key << "throughput" << YAML::Value << YAML::Flow << YAML::BeginMap;
      out << YAML::Key << "tflops_per_gpu" << YAML::Value << round_trip_text(*st.throughput_tflops_per_gpu);
      out << YAML::EndMap;
    }
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace sprout::planner
