// SPDX-License-Identifier: GPL-3.0-or-later
#include "checkpoint/run_state.h"

#include <fmt/format.h>

#include <cmath>
#include <iterator>
#include <map>
#include <stdexcept>

#include "parallel/model_partition.h"
#include "sprout/planner/base/units.h"
#include "sprout/planner/runs/telemetry_record.h"

namespace sprout::backend {
namespace {

// 2: dropout masks derived per micro-batch (no generator state); optimizer
// moments may live in per-rank shard files.
constexpr int kStateFormat = 2;

nlohmann::json number_or_null(double v) { return std::isnan(v) ? nlohmann::json() : nlohmann::json(v); }
double number_from(const nlohmann::json& j) {
  return j.is_null() ? std::numeric_limits<double>::quiet_NaN() : j.get<double>();
}

}  // namespace

void count_step(RunCounters& c, long long sequences, double tokens, double model_flops, double loss) {
  c.global_step += 1;
  c.step_in_stage += 1;
  c.sequences_consumed += sequences;
  c.tokens += tokens;
  c.model_flops += model_flops;
  c.last_train_loss = loss;
  StageRecord& stage = c.stages[c.stage_index];
  stage.steps += 1;
  stage.tokens += tokens;
  stage.model_flops += model_flops;
  stage.final_train_loss = loss;
}

std::vector<double> replica_counters(const RunState& state) {
  const RunCounters& c = state.counters;
  return {static_cast<double>(c.global_step), static_cast<double>(c.stage_index), static_cast<double>(c.step_in_stage),
          static_cast<double>(c.sequences_consumed), static_cast<double>(state.optimizer.step)};
}

nlohmann::json stage_record_json(const StageRecord& r, int rank_count) {
  return {{"name", r.name},
          {"steps", r.steps},
          {"tokens", r.tokens},
          {"wall_seconds", r.wall_seconds},
          {"gpu_hours", r.wall_seconds / planner::kSecondsPerHour * rank_count},
          {"energy_kwh", r.energy_j / 3.6e6},
          {"model_flops", r.model_flops},
          {"final_train_loss", number_or_null(r.final_train_loss)},
          {"final_val_loss", number_or_null(r.final_val_loss)},
          {"done", r.done}};
}

nlohmann::json checkpoint_state_json(const RunState& st) {
  const RunCounters& c = st.counters;
  nlohmann::json j;
  j["format"] = kStateFormat;
  j["plan_fingerprint"] = c.plan_fingerprint;
  j["global_step"] = c.global_step;
  j["stage_index"] = c.stage_index;
  j["step_in_stage"] = c.step_in_stage;
  j["sequences_consumed"] = c.sequences_consumed;
  j["tokens"] = c.tokens;
  j["model_flops"] = c.model_flops;
  j["energy_j"] = c.energy_j;
  j["last_train_loss"] = number_or_null(c.last_train_loss);
  if (!c.recent_losses.empty()) j["recent_losses"] = c.recent_losses;
  j["shape"] = planner::model_shape_to_json(st.model.shape());
  j["init_std"] = st.model.settings().init_std;
  j["dropout"] = st.model.settings().dropout;
  j["adam_step"] = st.optimizer.step;
  if (st.ramp) {
    j["ramp"] = {{"from", planner::model_shape_to_json(st.ramp->from)},
                 {"grow_steps", st.ramp->grow_steps},
                 {"steps_done", st.ramp->steps_done},
                 {"new_layer", st.ramp->new_layer}};
  }
  for (const auto& r : c.stages) {
    nlohmann::json s = stage_record_json(r, 1);
    s["energy_j"] = r.energy_j;
    j["stages"].push_back(s);
  }
  return j;
}

CheckpointData to_checkpoint(const RunState& st, bool with_moments) {
  CheckpointData d;
  d.state_json = checkpoint_state_json(st).dump(2) + "\n";
  const auto& specs = st.model.specs();
  for (size_t i = 0; i < specs.size(); ++i) d.tensors.emplace_back("param/" + specs[i].name, st.model.parameters()[i]);
  if (with_moments) {
    NamedTensors moments = optimizer_shard(st);
    std::move(moments.begin(), moments.end(), std::back_inserter(d.tensors));
  }
  return d;
}

NamedTensors optimizer_shard(const RunState& st) {
  NamedTensors out;
  const auto& specs = st.model.specs();
  for (size_t i = 0; i < specs.size(); ++i) {
    const AdamWMoments& m = st.optimizer.moments[i];
    if (!m.exp_avg.defined()) continue;
    out.emplace_back("adam.exp_avg/" + specs[i].name, m.exp_avg);
    out.emplace_back("adam.exp_avg_sq/" + specs[i].name, m.exp_avg_sq);
  }
  return out;
}

std::string checkpoint_plan_fingerprint(const CheckpointData& data) {
  return nlohmann::json::parse(data.state_json).at("plan_fingerprint").get<std::string>();
}

RunState from_checkpoint(const CheckpointData& data) {
  std::map<std::string, torch::Tensor> tensors(data.tensors.begin(), data.tensors.end());
  // Whole tensors, or (a tensor/pipeline-parallel checkpoint) assembled from
  // the slices in the ranks' shards.
  return run_state_from_json(nlohmann::json::parse(data.state_json),
                             [&](const std::string& name, const ParameterSpec& spec, const planner::ModelShape& shape) {
                               return checkpoint_tensor(tensors, name, spec, shape);
                             });
}

RunState run_state_from_json(const nlohmann::json& j, const CheckpointTensorSource& tensor) {
  if (j.at("format") != kStateFormat) {
    throw std::runtime_error(
        fmt::format("checkpoint state format {} is not {} (written by another sprout-train version)",
                    j.at("format").dump(), kStateFormat));
  }
  GptSettings settings{planner::model_shape_from_json(j.at("shape")), j.at("init_std"), j.at("dropout")};
  auto specs = gpt_parameter_specs(settings.shape);
  std::vector<torch::Tensor> params;
  AdamWState opt;
  opt.step = j.at("adam_step");
  for (const auto& spec : specs) {
    torch::Tensor p = tensor("param/" + spec.name, spec, settings.shape);
    if (p.defined() && p.sizes() != torch::IntArrayRef(storage_sizes(spec, settings.shape))) {
      throw std::runtime_error("checkpoint tensor " + spec.name + " has the wrong shape");
    }
    params.push_back(p.defined() ? p.set_requires_grad(true) : p);
    opt.moments.push_back({tensor("adam.exp_avg/" + spec.name, spec, settings.shape),
                           tensor("adam.exp_avg_sq/" + spec.name, spec, settings.shape)});
  }

  RunCounters c;
  c.plan_fingerprint = j.at("plan_fingerprint");
  c.global_step = j.at("global_step");
  c.stage_index = j.at("stage_index");
  c.step_in_stage = j.at("step_in_stage");
  c.sequences_consumed = j.at("sequences_consumed");
  c.tokens = j.at("tokens");
  c.model_flops = j.at("model_flops");
  c.energy_j = j.at("energy_j");
  c.last_train_loss = number_from(j.at("last_train_loss"));
  if (j.contains("recent_losses")) c.recent_losses = j.at("recent_losses").get<std::vector<double>>();
  for (const auto& s : j.at("stages")) {
    StageRecord r;
    r.name = s.at("name");
    r.steps = s.at("steps");
    r.tokens = s.at("tokens");
    r.wall_seconds = s.at("wall_seconds");
    r.energy_j = s.at("energy_j");
    r.model_flops = s.at("model_flops");
    r.final_train_loss = number_from(s.at("final_train_loss"));
    r.final_val_loss = number_from(s.at("final_val_loss"));
    r.done = s.at("done");
    c.stages.push_back(r);
  }

  std::optional<GrowthRamp> ramp;
  if (j.contains("ramp")) {
    GrowthRamp r;
    r.from = planner::model_shape_from_json(j["ramp"].at("from"));
    r.to = settings.shape;
    r.grow_steps = j["ramp"].at("grow_steps");
    r.steps_done = j["ramp"].at("steps_done");
    r.new_layer = j["ramp"].at("new_layer").get<std::vector<bool>>();
    ramp = r;
  }
  return {std::move(c), GptModel(settings, std::move(specs), std::move(params)), std::move(opt), ramp};
}

RunState fresh_run_state(const planner::Plan& plan, const std::string& plan_fingerprint, torch::Device device) {
  const planner::Stage& first = plan.stages.front();
  at::Generator init = make_cpu_generator(static_cast<uint64_t>(plan.training.seed));
  GptModel model = make_gpt({first.shape, first.init_std, first.dropout}, init, device);
  AdamWState opt = make_adamw_state(model.parameters());
  RunCounters c;
  c.plan_fingerprint = plan_fingerprint;
  for (const auto& st : plan.stages) c.stages.push_back(StageRecord{st.name});
  return {c, std::move(model), std::move(opt), std::nullopt};
}

void move_to_device(RunState& state, torch::Device device) {
  std::vector<torch::Tensor> moved;
  // Undefined tensors (a rank's part after a shard-local resume) stay so.
  for (auto& p : state.model.parameters()) {
    moved.push_back(p.defined() ? p.detach().to(device).set_requires_grad(true) : p);
  }
  state.model = GptModel(state.model.settings(), state.model.specs(), std::move(moved));
  for (auto& m : state.optimizer.moments) {
    if (m.exp_avg.defined()) m.exp_avg = m.exp_avg.to(device);
    if (m.exp_avg_sq.defined()) m.exp_avg_sq = m.exp_avg_sq.to(device);
  }
}

}  // namespace sprout::backend
