// SPDX-License-Identifier: GPL-3.0-or-later
// The plan file (docs/formats.md "Plan"): parsed and validated once, here.
#include "sprout/planner/io/plan_loader.h"

#include <fmt/format.h>

#include <cmath>
#include <filesystem>

#include "sprout/planner/base/referenced_input.h"
#include "sprout/planner/base/units.h"
#include "sprout/planner/base/utf8.h"
#include "sprout/planner/io/yaml_fields.h"
#include "sprout/planner/model/growth.h"

namespace sprout::planner {
namespace {

// Keys that may appear in `model:` (defaults for every stage) and in a stage.
struct ShapeFields {
  std::optional<long long> layers, hidden, heads, kv_heads, ffn_hidden, vocab, seq_len;
  std::optional<Activation> activation;
  std::optional<PositionEmbedding> position;
  std::optional<Norm> norm;
  std::optional<AttentionKernel> attention;
  std::optional<Framework> framework;
  std::optional<bool> tied_embeddings, overlap_grad_reduce;
  std::optional<double> dropout, init_std;
  SourceLocation attention_at;  // where `attention` was given
};

ShapeFields read_shape_fields(YamlFields& f) {
  ShapeFields s;
  s.layers = f.optional_integer("layers", 1, 100000);
  s.hidden = f.optional_integer("hidden", 1, 10000000);
  s.heads = f.optional_integer("heads", 1, 100000);
  s.kv_heads = f.optional_integer("kv_heads", 1, 100000);
  s.ffn_hidden = f.optional_integer("ffn_hidden", 1, 100000000);
  s.vocab = f.optional_integer("vocab", 2, 100000000);
  s.seq_len = f.optional_integer("seq_len", 1, 100000000);
  s.activation = f.optional_enum<Activation>("activation");
  s.position = f.optional_enum<PositionEmbedding>("position_embedding");
  s.norm = f.optional_enum<Norm>("norm");
  s.attention = f.optional_enum<AttentionKernel>("attention");
  s.framework = f.optional_enum<Framework>("framework");
  if (s.attention) s.attention_at = f.location_of("attention");
  s.tied_embeddings = f.optional_boolean("tied_embeddings");
  s.overlap_grad_reduce = f.optional_boolean("overlap_grad_reduce");
  s.dropout = f.optional_number("dropout", 0, 0.99);
  s.init_std = f.optional_number("init_std", 1e-8, 10);
  return s;
}

template <typename T>
std::optional<T> pick(const std::optional<T>& stage, const std::optional<T>& model) {
  return stage ? stage : model;
}

// The global batch: exactly one of `global_batch_tokens` and
// `global_batch_sequences` (FLM-101B and Megatron-LM state batches in
// sequences). Returns tokens: everything downstream works in tokens, and the
// GUI edits the plan's own YAML, so the key the plan used is kept there.
double read_global_batch_tokens(YamlFields& f, int seq_len) {
  const bool in_tokens = f.has("global_batch_tokens");
  if (in_tokens && f.has("global_batch_sequences")) {
    f.fail("global_batch_sequences", "give either global_batch_tokens or global_batch_sequences, not both");
  }
  if (in_tokens) return f.number("global_batch_tokens", 1, 1e12);
  if (!f.has("global_batch_sequences")) {
    f.fail("global_batch_tokens", "missing (required: global_batch_tokens or global_batch_sequences)");
  }
  return static_cast<double>(f.integer("global_batch_sequences", 1, 1LL << 30)) * seq_len;
}

// Uneven pipeline stages: `pp_layers: [5, 6, ..., 6, 5]` (one count per
// stage), or `first_stage_layers` / `last_stage_layers` with the other stages
// sharing the rest evenly (Megatron-LM's --decoder-first/last-pipeline-num-layers).
std::vector<int> read_stage_layers(YamlFields& f, int pp, int layers) {
  const auto listed = f.optional_integer_list("pp_layers", 1, 100000);
  const auto first = f.optional_integer("first_stage_layers", 1, 100000);
  const auto last = f.optional_integer("last_stage_layers", 1, 100000);
  if (listed && (first || last)) {
    f.fail(first ? "first_stage_layers" : "last_stage_layers", "give pp_layers or first/last_stage_layers, not both");
  }
  if (listed) {
    if (static_cast<int>(listed->size()) != pp) {
      f.fail("pp_layers", fmt::format("has {} entries but pp={}", listed->size(), pp));
    }
    long long sum = 0;
    for (long long n : *listed) sum += n;
    if (sum != layers) f.fail("pp_layers", fmt::format("sum to {} but the stage has layers={}", sum, layers));
    return std::vector<int>(listed->begin(), listed->end());
  }
  if (!first && !last) return {};
  const char* key = first ? "first_stage_layers" : "last_stage_layers";
  if (pp < 2) f.fail(key, "needs pp >= 2");
  const int fixed = static_cast<int>(first.value_or(0) + last.value_or(0));
  const int open_stages = pp - (first ? 1 : 0) - (last ? 1 : 0);
  const int rest = layers - fixed;
  if (open_stages == 0 ? rest != 0 : (rest < open_stages || rest % open_stages != 0)) {
    f.fail(key, fmt::format("leaves {} layers for the other {} stages of pp={} (layers={}): they must split evenly, "
                            "at least one layer each (or give every stage's count in pp_layers)",
                            rest, open_stages, pp, layers));
  }
  return split_layers(layers, pp, static_cast<int>(first.value_or(0)), static_cast<int>(last.value_or(0)));
}

ParallelLayout read_layout(YamlFields& f, int layers) {
  ParallelLayout p;
  p.tp = static_cast<int>(f.integer("tp", 1, 1 << 20));
  p.pp = static_cast<int>(f.integer("pp", 1, 1 << 20));
  p.dp = static_cast<int>(f.integer("dp", 1, 1 << 24));
  p.micro_batch = static_cast<int>(f.optional_integer("micro_batch", 1, 1 << 20).value_or(1));
  p.interleave = static_cast<int>(f.optional_integer("interleave", 1, 1024).value_or(1));
  p.sequence_parallel = f.optional_boolean("sequence_parallel").value_or(p.tp > 1);
  p.distributed_optimizer = f.optional_boolean("distributed_optimizer").value_or(p.dp > 1);
  p.fully_sharded = f.optional_boolean("fully_sharded").value_or(false);
  p.shard_ranks = static_cast<int>(f.optional_integer("shard_ranks", 1, 1 << 24).value_or(0));
  if (p.shard_ranks > 0 && !p.fully_sharded) f.fail("shard_ranks", "needs fully_sharded: true");
  if (p.fully_sharded) p.distributed_optimizer = true;
  p.stage_layers = read_stage_layers(f, p.pp, layers);
  if (!uneven_stages(p)) p.stage_layers.clear();  // an even list is the default split
  if (uneven_stages(p) && p.interleave > 1) {
    f.fail("interleave", "uneven pipeline stages with interleave > 1 are not modelled (use interleave: 1)");
  }
  f.finish();
  return p;
}

// A data path as the plan names it: relative to the plan's folder.
std::string data_path_of(const std::string& path, const std::string& plan_file) {
  if (path.empty() || std::filesystem::path(path).is_absolute()) return path;
  return (std::filesystem::path(plan_file).parent_path() / path).lexically_normal().string();
}

// `init_from` (docs/formats.md): the trained model the first stage starts
// from, relative to the plan's folder. Kept absolute so that a plan written
// elsewhere (the GUI, sprout-train's run copy) still names the same model.
std::string read_init_from(YamlFields& f, int stage_index) {
  const std::optional<std::string> given = f.optional_text("init_from");
  if (!given) return "";
  if (stage_index > 0) {
    f.fail("init_from", "only the first stage starts from a trained model (later stages grow from the one before)");
  }
  if (given->empty()) f.fail("init_from", "empty path (a sprout run or checkpoint, or a Hugging Face model)");
  const std::string path = std::filesystem::absolute(data_path_of(*given, f.file())).lexically_normal().string();
  if (!std::filesystem::exists(path)) f.fail("init_from", path + ": no such file or directory");
  return path;
}

Stage read_stage(const YAML::Node& node, const std::string& file, int index, const ShapeFields& model,
                 const Plan& plan) {
  const std::string path = fmt::format("stages[{}]", index);
  YamlFields f(node, file, path);
  Stage st;
  st.field_path = path;
  st.location = location_of(node, file);
  st.name = f.optional_text("name").value_or(fmt::format("stage{}", index + 1));
  ShapeFields own = read_shape_fields(f);

  // A shape key must come from the stage or from `model:`.
  auto need = [&](const std::optional<long long>& v, const char* key) -> long long {
    if (!v) f.fail(key, "missing (set it in the stage or in model:)");
    return *v;
  };
  ModelShape& s = st.shape;
  s.layers = static_cast<int>(need(pick(own.layers, model.layers), "layers"));
  s.hidden = static_cast<int>(need(pick(own.hidden, model.hidden), "hidden"));
  s.heads = static_cast<int>(need(pick(own.heads, model.heads), "heads"));
  s.vocab = static_cast<int>(need(pick(own.vocab, model.vocab), "vocab"));
  s.seq_len = static_cast<int>(need(pick(own.seq_len, model.seq_len), "seq_len"));
  s.kv_heads = static_cast<int>(pick(own.kv_heads, model.kv_heads).value_or(s.heads));
  s.activation = pick(own.activation, model.activation).value_or(Activation::kGelu);
  s.position = pick(own.position, model.position).value_or(PositionEmbedding::kLearned);
  s.tied_embeddings = pick(own.tied_embeddings, model.tied_embeddings).value_or(true);
  s.norm = pick(own.norm, model.norm).value_or(Norm::kLayerNorm);
  s.ffn_hidden =
      static_cast<int>(pick(own.ffn_hidden, model.ffn_hidden).value_or(default_ffn_hidden(s.hidden, s.activation)));
  st.attention = pick(own.attention, model.attention).value_or(AttentionKernel::kStandard);
  st.framework = pick(own.framework, model.framework).value_or(Framework::kMegatronLm);
  st.attention_location = own.attention ? own.attention_at : model.attention ? model.attention_at : st.location;
  st.dropout = pick(own.dropout, model.dropout).value_or(0.0);
  st.init_std = pick(own.init_std, model.init_std).value_or(0.02);
  st.overlap_grad_reduce = pick(own.overlap_grad_reduce, model.overlap_grad_reduce).value_or(true);

  // Shape consistency, reported at the first of `keys` this stage sets (else
  // at the stage's name: the value came from model:).
  auto blame = [&](std::initializer_list<const char*> keys) -> std::string {
    for (const char* k : keys) {
      if (f.has(k)) return k;
    }
    return "name";
  };
  if (s.hidden % s.heads != 0) {
    f.fail(blame({"heads", "hidden"}), fmt::format("heads={} does not divide hidden={}", s.heads, s.hidden));
  }
  if (s.kv_heads > s.heads || s.heads % s.kv_heads != 0) {
    f.fail(blame({"kv_heads", "heads"}), fmt::format("kv_heads={} must divide heads={}", s.kv_heads, s.heads));
  }
  if (rotates_queries_and_keys(s.position) && s.head_dim() % 2 != 0) {
    f.fail(blame({"heads", "hidden", "position_embedding"}),
           fmt::format("position_embedding {} rotates pairs of dimensions: the head size hidden/heads={} must be even",
                       to_string(s.position), s.head_dim()));
  }

  st.tokens = f.number("tokens", 1, 1e16);
  st.global_batch_tokens = read_global_batch_tokens(f, s.seq_len);
  st.batch_in_sequences = !f.has("global_batch_tokens");
  if (st.global_batch_tokens < s.seq_len) {
    f.fail("global_batch_tokens",
           fmt::format("{} is less than one sequence (seq_len={})", st.global_batch_tokens, s.seq_len));
  }
  if (st.tokens < st.global_batch_tokens) {
    f.fail("tokens", fmt::format("{} is less than one global batch ({} tokens)", st.tokens, st.global_batch_tokens));
  }
  st.lr = f.number("lr", 1e-12, 10);
  st.warmup_fraction = f.optional_number("warmup_fraction", 0, 1).value_or(0.01);
  st.recompute = f.optional_enum<Recompute>("recompute");
  if (auto node = f.optional_child("parallel")) {
    YamlFields pf(*node, file, path + ".parallel");
    ParallelLayout layout = read_layout(pf, s.layers);
    layout.recompute = st.recompute.value_or(Recompute::kNone);
    if (!st.recompute) st.recompute = layout.recompute;
    // `--gpus N` on the command line rescales data parallelism and keeps the
    // stage's TP and PP; it is an error when N is not a multiple of tp*pp.
    if (plan.cluster.gpus != layout.gpus() && plan.cluster.gpus % (layout.tp * layout.pp) == 0 &&
        plan.gpus_overridden) {
      layout.dp = plan.cluster.gpus / (layout.tp * layout.pp);
      layout.distributed_optimizer = layout.dp > 1 && layout.distributed_optimizer;
    }
    if (auto problem = layout_problem(layout, s, plan.cluster.gpus)) {
      throw InputError(location_of(*node, file), path + ".parallel", *problem);
    }
    const double sequences = std::round(st.global_batch_tokens / s.seq_len);
    if (sequences < static_cast<double>(layout.dp) * layout.micro_batch) {
      throw InputError(location_of(*node, file), path + ".parallel",
                       fmt::format("a global batch of {} sequences cannot feed dp={} x micro_batch={}", sequences,
                                   layout.dp, layout.micro_batch));
    }
    st.parallel = layout;
    st.parallel_location = location_of(*node, file);
  }
  if (auto node = f.optional_child("throughput")) {
    YamlFields tf(*node, file, path + ".throughput");
    st.throughput_tflops_per_gpu = tf.number("tflops_per_gpu", 1e-9, 1e6);
    tf.finish();
  }
  if (auto node = f.optional_child("grow")) {
    YamlFields gf(*node, file, path + ".grow");
    GrowSpec g;
    g.width = gf.optional_boolean("width").value_or(false);
    g.depth = gf.optional_boolean("depth").value_or(false);
    g.grow_steps = gf.optional_integer("grow_steps", 0, 100000000).value_or(kDefaultGrowSteps);
    gf.finish();
    if (!g.width && !g.depth) gf.fail_here("say what grows: width: true and/or depth: true");
    st.grow = g;
  }
  st.init_from = read_init_from(f, index);
  f.finish();
  return st;
}

// Growth between consecutive stages is inferred from the shapes and must agree
// with what the stage's `grow:` declares.
void check_growth(const Plan& plan, const YAML::Node& stages, const std::string& file) {
  for (size_t i = 0; i < plan.stages.size(); ++i) {
    const Stage& st = plan.stages[i];
    YamlFields f(stages[i], file, fmt::format("stages[{}]", i));
    if (i == 0) {
      if (st.grow) f.fail("grow", "the first stage has nothing to grow from");
      continue;
    }
    const Stage& prev = plan.stages[i - 1];
    GrowthCheck g = infer_growth(prev.shape, st.shape);
    if (g.problem) {
      std::string key = f.has(g.problem_field) ? g.problem_field : "name";
      f.fail(key, "cannot grow from stage '" + prev.name + "': " + g.problem_field + " " + *g.problem);
    }
    if (g.kind.any() && !st.grow) {
      f.fail("name", "the shape grows (" + describe(g.kind) + ") from stage '" + prev.name +
                         "' but the stage has no grow: {" + describe(g.kind) + ": true}");
    }
    if (st.grow) {
      if (st.grow->width != g.kind.width || st.grow->depth != g.kind.depth) {
        GrowthKind said{st.grow->width, st.grow->depth};
        f.fail("grow", "says " + describe(said) + " but the shape change from stage '" + prev.name + "' is " +
                           describe(g.kind));
      }
    }
  }
}

// `data`: one path, or a blend [{path, weight}, ...]; `data_split`: Megatron's
// train / validation / test weights (1 to 3 numbers, missing ones 0).
void read_training_data(YamlFields& f, TrainingSettings& t) {
  if (std::optional<YAML::Node> data = f.optional_child("data")) {
    if (data->IsScalar()) {
      if (first_invalid_utf8(data->Scalar())) f.fail("data", "the path is not valid UTF-8");
      t.data = data_path_of(data->Scalar(), f.file());
    } else if (data->IsSequence() && data->size() > 0) {
      for (size_t i = 0; i < data->size(); ++i) {
        YamlFields entry((*data)[i], f.file(), fmt::format("training.data[{}]", i));
        t.data_blend.push_back({data_path_of(entry.text("path"), f.file()), entry.number("weight", 1e-12, 1e12)});
        entry.finish();
      }
    } else if (!data->IsNull()) {
      f.fail("data", "a path, or a blend: a non-empty list of {path, weight}");
    }
  }
  if (std::optional<YAML::Node> split = f.optional_child("data_split")) {
    std::vector<double> weights;
    for (size_t i = 0; split->IsSequence() && i < split->size(); ++i) {
      const std::optional<double> w = (*split)[i].IsScalar() ? parse_finite_number((*split)[i].Scalar()) : std::nullopt;
      if (!w || *w < 0) f.fail("data_split", "weights must be numbers >= 0");
      weights.push_back(*w);
    }
    if (weights.empty() || weights.size() > 3)
      f.fail("data_split", "a list of 1 to 3 weights: train, validation, test");
    weights.resize(3, 0.0);
    if (weights[0] <= 0 || weights[1] <= 0) {
      f.fail("data_split", "the train and validation weights must be > 0 (sprout-train evaluates on validation)");
    }
    t.data_split = weights;
  }
  t.eod_mask_loss = f.optional_boolean("eod_mask_loss").value_or(t.eod_mask_loss);
}

std::optional<SpikeSettings> read_spike(YamlFields& training) {
  const std::optional<YAML::Node> node = training.optional_child("spike");
  if (!node) return std::nullopt;
  YamlFields f(*node, training.file(), "training.spike");
  SpikeSettings s;
  s.z = f.optional_number("z", 1e-3, 1e6).value_or(s.z);
  s.window = f.optional_integer("window", 2, 1000000).value_or(s.window);
  s.action = f.optional_enum<SpikeAction>("action").value_or(s.action);
  f.finish();
  return s;
}

void read_training(const YAML::Node& node, const std::string& file, TrainingSettings& t) {
  YamlFields f(node, file, "training");
  t.seed = f.optional_integer("seed", 0, (1LL << 62)).value_or(t.seed);
  read_training_data(f, t);
  t.spike = read_spike(f);
  t.eval_every_steps = f.optional_integer("eval_every_steps", 1, 1LL << 40).value_or(t.eval_every_steps);
  t.eval_batches = f.optional_integer("eval_batches", 1, 1LL << 20).value_or(t.eval_batches);
  t.checkpoint_every_steps =
      f.optional_integer("checkpoint_every_steps", 1, 1LL << 40).value_or(t.checkpoint_every_steps);
  t.keep_checkpoints = f.optional_integer("keep_checkpoints", 1, 1000).value_or(t.keep_checkpoints);
  t.log_every_steps = f.optional_integer("log_every_steps", 1, 1LL << 40).value_or(t.log_every_steps);
  t.grad_clip = f.optional_number("grad_clip", 0, 1e6).value_or(t.grad_clip);
  t.weight_decay = f.optional_number("weight_decay", 0, 10).value_or(t.weight_decay);
  t.beta1 = f.optional_number("beta1", 0, 0.999999).value_or(t.beta1);
  t.beta2 = f.optional_number("beta2", 0, 0.999999).value_or(t.beta2);
  t.min_lr_fraction = f.optional_number("min_lr_fraction", 0, 1).value_or(t.min_lr_fraction);
  t.device = f.optional_choice("device", {"auto", "cpu", "cuda"}).value_or(t.device);
  t.dtype = f.optional_choice("dtype", {"fp32", "bf16"}).value_or(t.dtype);
  t.threads = f.optional_integer("threads", 0, 4096).value_or(t.threads);
  t.collective_timeout_s = f.optional_integer("collective_timeout_s", 1, static_cast<long long>(kSecondsPerDay))
                               .value_or(t.collective_timeout_s);
  f.finish();
  for (const auto& kv : node) t.key_locations[kv.first.Scalar()] = location_of(kv.second, file);
}

Plan parse_plan(const YAML::Node& root, const std::string& file, const ClusterOverrides& ov) {
  YamlFields f(root, file, "");
  Plan plan;
  plan.source_file = file;
  plan.name = f.text("name");
  plan.notes = f.optional_text("notes").value_or("");
  const auto dirs = profile_search_dirs(file);

  std::string hardware = ov.hardware ? *ov.hardware : f.text("hardware");
  SourceLocation hw_at = ov.hardware ? SourceLocation{"--hardware", 0, 0} : f.location_of("hardware");
  if (ov.hardware) f.optional_text("hardware");
  const std::string hardware_file = resolve_profile(hardware, "hardware", dirs, hw_at, "hardware");
  plan.cluster.hardware = load_referenced(hw_at, "hardware", [&] { return load_hardware_profile(hardware_file); });

  plan.cluster.gpus = static_cast<int>(f.integer("gpus", 1, 10000000));
  if (ov.gpus) {
    plan.cluster.gpus = *ov.gpus;
    plan.gpus_overridden = true;
  }

  std::string region = ov.region ? *ov.region : f.text("region");
  SourceLocation region_at = ov.region ? SourceLocation{"--region", 0, 0} : f.location_of("region");
  if (ov.region) f.optional_text("region");
  const std::string region_file = resolve_profile(region, "regions", dirs, region_at, "region");
  plan.cluster.region = load_referenced(region_at, "region", [&] { return load_region_profile(region_file); });

  // Price: --price, else the plan's number, else its price list's entry for
  // this hardware, else the hardware profile's default.
  auto price = f.optional_number("price_usd_per_gpu_hour", 0, 1e4);
  if (auto list_name = f.optional_text("price_list")) {
    const SourceLocation list_at = f.location_of("price_list");
    const std::string list_file = resolve_profile(*list_name, "prices", dirs, list_at, "price_list");
    const PriceList list = load_referenced(list_at, "price_list", [&] { return load_price_list(list_file); });
    auto it = list.usd_per_gpu_hour.find(plan.cluster.hardware.name);
    if (it == list.usd_per_gpu_hour.end()) {
      f.fail("price_list", "'" + list.name + "' has no price for hardware '" + plan.cluster.hardware.name + "'");
    }
    if (!price) price = it->second;
  }
  plan.cluster.price_usd_per_gpu_hour = ov.price_usd_per_gpu_hour
                                            ? *ov.price_usd_per_gpu_hour
                                            : price.value_or(plan.cluster.hardware.price_usd_per_gpu_hour);
  plan.cluster.power_model = f.optional_enum<PowerModel>("power_model").value_or(PowerModel::kTdp);
  if (ov.power_model) plan.cluster.power_model = *ov.power_model;

  ShapeFields model;
  if (auto node = f.optional_child("model")) {
    YamlFields mf(*node, file, "model");
    model = read_shape_fields(mf);
    mf.finish();
  }
  if (auto node = f.optional_child("training")) read_training(*node, file, plan.training);
  // A profile measured in several precisions predicts with the plan's.
  plan.cluster.hardware = plan.cluster.hardware.for_dtype(plan.training.dtype);

  YAML::Node stages = f.child("stages");
  if (!stages.IsSequence() || stages.size() == 0) {
    throw InputError(location_of(stages, file), "stages", "expected a non-empty list of stages");
  }
  f.finish();
  for (size_t i = 0; i < stages.size(); ++i) {
    plan.stages.push_back(read_stage(stages[i], file, static_cast<int>(i), model, plan));
  }
  check_growth(plan, stages, file);
  return plan;
}

}  // namespace

Plan load_plan(const std::string& path, const ClusterOverrides& overrides) {
  return parse_plan(load_yaml_file(path), path, overrides);
}

Plan load_plan_from_string(const std::string& yaml, const std::string& name, const ClusterOverrides& overrides) {
  return parse_plan(load_yaml_string(yaml, name), name, overrides);
}

}  // namespace sprout::planner
