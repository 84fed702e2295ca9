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
std::vector<double> replica_counters(const RunState& state) {
  const RunCounters& c = state.counters;
  return {static_cast<double>(c.global_step), static_cast<double>(c.stage_index), static_cast<double>(c.step_in_stage),
          static_cast<double>(c.sequences_consumed), static_cast<double>(state.optimizer.step)};
}

CheckpointState checkpoint_state_of(const RunState& st) {
  CheckpointState out{st.counters,       st.model.shape(), st.model.settings().init_std, st.model.settings().dropout,
                      st.optimizer.step, std::nullopt};
  if (st.ramp)
    out.ramp = CheckpointState::Ramp{st.ramp->from, st.ramp->grow_steps, st.ramp->steps_done, st.ramp->new_layer};
  return out;
}

nlohmann::json checkpoint_state_json(const RunState& st) { return checkpoint_state_to_json(checkpoint_state_of(st)); }

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

RunState from_checkpoint(const CheckpointData& data, const std::string& dir) {
  std::map<std::string, torch::Tensor> tensors(data.tensors.begin(), data.tensors.end());
  // Whole tensors, or (a tensor/pipeline-parallel checkpoint) assembled from
  // the slices in the ranks' shards.
  return run_state_from(parse_checkpoint_state(data.state_json, checkpoint_state_path(dir)),
                        [&](const std::string& name, const ParameterSpec& spec, const planner::ModelShape& shape) {
                          return checkpoint_tensor(tensors, name, spec, shape);
                        });
}

RunState run_state_from(const CheckpointState& state, const CheckpointTensorSource& tensor) {
  GptSettings settings{state.shape, state.init_std, state.dropout};
  auto specs = gpt_parameter_specs(settings.shape);
  std::vector<torch::Tensor> params;
  AdamWState opt;
  opt.step = state.adam_step;
  for (const auto& spec : specs) {
    torch::Tensor p = tensor("param/" + spec.name, spec, settings.shape);
    if (p.defined() && p.sizes() != torch::IntArrayRef(storage_sizes(spec, settings.shape))) {
      throw std::runtime_error("checkpoint tensor " + spec.name + " has the wrong shape");
    }
    params.push_back(p.defined() ? p.set_requires_grad(true) : p);
    opt.moments.push_back({tensor("adam.exp_avg/" + spec.name, spec, settings.shape),
                           tensor("adam.exp_avg_sq/" + spec.name, spec, settings.shape)});
  }
  std::optional<GrowthRamp> ramp;
  if (state.ramp) {
    GrowthRamp r;
    r.from = state.ramp->from;
    r.to = settings.shape;
    r.grow_steps = state.ramp->grow_steps;
    r.steps_done = state.ramp->steps_done;
    r.new_layer = state.ramp->new_layer;
    ramp = r;
  }
  return {state.counters, GptModel(settings, std::move(specs), std::move(params)), std::move(opt), ramp};
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
