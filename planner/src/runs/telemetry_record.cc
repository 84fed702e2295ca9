// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/planner/runs/telemetry_record.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "sprout/planner/runs/json_field_reader.h"

namespace sprout::planner {
namespace {

std::variant<std::string, long long> stage_of(const JsonFieldReader& r, const nlohmann::json& j) {
  if (!j.contains("stage")) r.fail("stage", "missing");
  const auto& v = j["stage"];
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return v.get<long long>();
  r.fail("stage", v.dump() + " is neither a stage name nor a 0-based index into plan.yaml's stages");
}

nlohmann::json spike_to_json(const SpikeTelemetry& s) {
  auto finite_or_null = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(); };
  return {{"step", s.step}, {"loss", finite_or_null(s.loss)}, {"mean", s.mean},
          {"std", s.std},   {"z", finite_or_null(s.z)},       {"action", s.action}};
}

SpikeTelemetry spike_from_json(const nlohmann::json& j) {
  auto number_or_nan = [&](const char* key) {
    return j.at(key).is_null() ? std::numeric_limits<double>::quiet_NaN() : j.at(key).get<double>();
  };
  SpikeTelemetry s;
  s.step = j.at("step").get<long long>();
  s.loss = number_or_nan("loss");
  s.mean = j.at("mean").get<double>();
  s.std = j.at("std").get<double>();
  s.z = number_or_nan("z");
  s.action = j.at("action").get<std::string>();
  if (s.action != "skip" && s.action != "rollback") throw std::invalid_argument("action is neither skip nor rollback");
  return s;
}

PipelineTelemetry pipeline_from_json(const nlohmann::json& p) {
  PipelineTelemetry t;
  t.schedule = p.at("schedule").get<std::string>();
  t.stages = p.at("stages").get<int>();
  t.chunks = p.at("chunks").get<int>();
  t.micro_batches = p.at("micro_batches").get<int>();
  t.forward_s = p.at("forward_s").get<std::vector<double>>();
  t.backward_s = p.at("backward_s").get<std::vector<double>>();
  t.p2p_s = p.at("p2p_s").get<double>();
  t.bubble_fraction = p.at("bubble_fraction").get<double>();
  auto series = [&](const char* key) {
    return p.contains(key) ? std::optional(p.at(key).get<std::vector<double>>()) : std::nullopt;
  };
  t.forward_op_s = series("forward_op_s");
  t.backward_op_s = series("backward_op_s");
  t.forward_p2p_op_s = series("forward_p2p_op_s");
  t.backward_p2p_op_s = series("backward_p2p_op_s");
  if (t.forward_op_s.has_value() != t.backward_op_s.has_value() ||
      t.forward_p2p_op_s.has_value() != t.backward_p2p_op_s.has_value()) {
    throw std::invalid_argument("the forward and the backward op times come in pairs");
  }
  return t;
}

nlohmann::json pipeline_to_json(const PipelineTelemetry& t) {
  nlohmann::json p = {{"schedule", t.schedule},   {"stages", t.stages},
                      {"chunks", t.chunks},       {"micro_batches", t.micro_batches},
                      {"forward_s", t.forward_s}, {"backward_s", t.backward_s},
                      {"p2p_s", t.p2p_s},         {"bubble_fraction", t.bubble_fraction}};
  if (t.forward_op_s) p["forward_op_s"] = *t.forward_op_s;
  if (t.backward_op_s) p["backward_op_s"] = *t.backward_op_s;
  if (t.forward_p2p_op_s) p["forward_p2p_op_s"] = *t.forward_p2p_op_s;
  if (t.backward_p2p_op_s) p["backward_p2p_op_s"] = *t.backward_p2p_op_s;
  return p;
}

template <typename T>
void put(nlohmann::json& j, const char* key, const std::optional<T>& value) {
  if (value) j[key] = *value;
}

void put_text(nlohmann::json& j, const char* key, const std::string& value) {
  if (!value.empty()) j[key] = value;
}

}  // namespace

nlohmann::json model_shape_to_json(const ModelShape& s) {
  nlohmann::json j = {{"layers", s.layers},
                      {"hidden", s.hidden},
                      {"heads", s.heads},
                      {"kv_heads", s.kv_heads},
                      {"ffn_hidden", s.ffn_hidden},
                      {"vocab", s.vocab},
                      {"seq_len", s.seq_len},
                      {"activation", to_string(s.activation)},
                      {"tied_embeddings", s.tied_embeddings}};
  // Written when not the default, so the records of learned-position
  // LayerNorm models stay as they were (and read back the same).
  if (s.position != PositionEmbedding::kLearned) j["position_embedding"] = to_string(s.position);
  if (s.norm != Norm::kLayerNorm) j["norm"] = to_string(s.norm);
  return j;
}

namespace {

// An enum field by its name (EnumNames); `fallback` when the key is absent
// (files written before the field existed).
template <class E>
E enum_field(const JsonFieldReader& r, const char* key, std::optional<E> fallback = std::nullopt) {
  const std::optional<std::string> text = fallback ? r.optional_text(key) : r.required_text(key);
  if (!text) return *fallback;
  if (auto value = EnumNames<E>::parse(*text)) return *value;
  r.fail(key, EnumNames<E>::not_one_of(*text));
}

}  // namespace

ModelShape model_shape_from_json(const JsonFieldReader& r) {
  // Every size a positive int: a cast of a number beyond int's range is undefined.
  auto size = [&](const char* key) { return static_cast<int>(r.count(key, 1, std::numeric_limits<int>::max())); };
  ModelShape s;
  s.layers = size("layers");
  s.hidden = size("hidden");
  s.heads = size("heads");
  s.kv_heads = size("kv_heads");
  s.ffn_hidden = size("ffn_hidden");
  s.vocab = size("vocab");
  s.seq_len = size("seq_len");
  s.activation = enum_field<Activation>(r, "activation");
  s.position = enum_field<PositionEmbedding>(r, "position_embedding", PositionEmbedding::kLearned);
  s.norm = enum_field<Norm>(r, "norm", Norm::kLayerNorm);
  s.tied_embeddings = r.boolean("tied_embeddings");
  return s;
}

ModelShape model_shape_from_json(const nlohmann::json& j) {
  if (!j.is_object()) throw std::invalid_argument("expected a JSON object, got " + j.dump());
  try {
    return model_shape_from_json(JsonFieldReader(j, {}, ""));
  } catch (const InputError& e) {
    throw std::invalid_argument(e.field() + ": " + e.reason());
  }
}

nlohmann::json telemetry_to_json(const TelemetryRecord& r) {
  nlohmann::json j = nlohmann::json::object();
  put_text(j, "time", r.time);
  j["step"] = r.step;
  std::visit([&](const auto& stage) { j["stage"] = stage; }, r.stage);
  put(j, "stage_index", r.stage_index);
  if (r.rank_count > 0) j["rank_count"] = r.rank_count;
  j["tokens"] = r.tokens;
  put(j, "model_flops", r.model_flops);
  put(j, "energy_j", r.energy_j);
  put_text(j, "energy_source", r.energy_source);
  put_text(j, "event", r.event);
  put(j, "loss", r.loss);
  put(j, "lr", r.lr);
  put(j, "grad_norm", r.grad_norm);
  put(j, "tokens_per_s", r.tokens_per_s);
  put(j, "tflops_per_gpu", r.tflops_per_gpu);
  put(j, "compute_s", r.compute_s);
  put(j, "wait_s", r.wait_s);
  put(j, "reduce_s", r.reduce_s);
  put(j, "optimizer_s", r.optimizer_s);
  put(j, "exposed_comm_s", r.exposed_comm_s);
  put(j, "mask", r.mask);
  if (r.pipeline) j["pipeline"] = pipeline_to_json(*r.pipeline);
  if (r.recompute) j["recompute"] = to_string(*r.recompute);
  put(j, "activation_peak_bytes", r.activation_peak_bytes);
  put(j, "peak_memory_bytes", r.peak_memory_bytes);
  put(j, "val_loss", r.val_loss);
  if (r.from) j["from"] = model_shape_to_json(*r.from);
  if (r.to) j["to"] = model_shape_to_json(*r.to);
  put(j, "grow_steps", r.grow_steps);
  put(j, "val_loss_before", r.val_loss_before);
  put(j, "val_loss_after", r.val_loss_after);
  put(j, "train_loss_before", r.train_loss_before);
  put(j, "path", r.path);
  if (r.resume_bytes_read) j["resume_bytes_read"] = *r.resume_bytes_read;
  if (r.rank_peak_memory_bytes) j["rank_peak_memory_bytes"] = *r.rank_peak_memory_bytes;
  if (r.rank_steady_memory_bytes) j["rank_steady_memory_bytes"] = *r.rank_steady_memory_bytes;
  if (r.spike) j["spike"] = spike_to_json(*r.spike);
  if (r.provenance) j["provenance"] = provenance_to_json(*r.provenance);
  return j;
}

TelemetryRecord telemetry_from_json(const nlohmann::json& j, const SourceLocation& where) {
  const JsonFieldReader r(j, where, "telemetry.");
  if (!j.is_object()) r.fail("line", "expected a JSON object");
  TelemetryRecord rec;
  rec.time = r.text("time");
  rec.step = r.count("step");
  rec.stage = stage_of(r, j);
  rec.stage_index = r.optional_count("stage_index");
  rec.rank_count = static_cast<int>(r.optional_count("rank_count", 1, 1 << 24).value_or(0));
  rec.tokens = r.number("tokens");
  rec.model_flops = r.optional_number("model_flops");
  rec.energy_j = r.optional_number("energy_j");
  rec.energy_source = r.text("energy_source");
  rec.event = r.text("event");
  // A training-step record always carries its loss.
  rec.loss = rec.event.empty() ? std::optional<double>(r.number("loss")) : r.optional_number("loss");
  rec.lr = r.optional_number("lr");
  rec.grad_norm = r.optional_number("grad_norm");
  rec.tokens_per_s = r.optional_number("tokens_per_s");
  rec.tflops_per_gpu = r.optional_number("tflops_per_gpu");
  rec.compute_s = r.optional_number("compute_s");
  rec.wait_s = r.optional_number("wait_s");
  rec.reduce_s = r.optional_number("reduce_s");
  rec.optimizer_s = r.optional_number("optimizer_s");
  rec.exposed_comm_s = r.optional_number("exposed_comm_s");
  rec.mask = r.optional_number("mask");
  rec.pipeline = r.optional_object("pipeline", pipeline_from_json);
  if (const auto recompute = r.optional_text("recompute")) {
    rec.recompute = EnumNames<Recompute>::parse(*recompute, where, "telemetry.recompute");
  }
  rec.activation_peak_bytes = r.optional_count("activation_peak_bytes");
  rec.peak_memory_bytes = r.optional_count("peak_memory_bytes");
  rec.val_loss = r.optional_number("val_loss");
  rec.from = r.optional_object("from", model_shape_from_json);
  rec.to = r.optional_object("to", model_shape_from_json);
  rec.grow_steps = r.optional_count("grow_steps");
  rec.val_loss_before = r.optional_number("val_loss_before");
  rec.val_loss_after = r.optional_number("val_loss_after");
  rec.train_loss_before = r.optional_number("train_loss_before");
  rec.path = r.optional_text("path");
  // Byte counts, one per rank.
  auto per_rank = [&](const char* key) -> std::optional<std::vector<double>> {
    if (!j.contains(key)) return std::nullopt;
    const auto& v = j[key];
    if (!v.is_array() || !std::all_of(v.begin(), v.end(),
                                      [](const auto& x) { return x.is_number() && x.template get<double>() >= 0; })) {
      r.fail(key, "expected an array of byte counts (>= 0), one per rank");
    }
    return v.get<std::vector<double>>();
  };
  rec.resume_bytes_read = per_rank("resume_bytes_read");
  rec.rank_peak_memory_bytes = per_rank("rank_peak_memory_bytes");
  rec.rank_steady_memory_bytes = per_rank("rank_steady_memory_bytes");
  rec.spike = r.optional_object("spike", spike_from_json);
  rec.provenance = r.optional_object("provenance", provenance_from_json);
  return rec;
}

}  // namespace sprout::planner
