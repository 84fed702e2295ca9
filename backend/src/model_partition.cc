// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/backend/model_partition.h"

#include "sprout/backend/tensor_sharding.h"

namespace sprout::backend {
namespace {

bool tensor_parallel_split(const ParameterSpec& spec, const RankShare& share) {
  return share.layout().tp > 1 && tensor_parallel_axis(spec).has_value();
}

// The view of `full` (one parameter of `shape`) that this rank's slice fills.
torch::Tensor slice_view(const torch::Tensor& full, const ParameterSpec& spec, const planner::ModelShape& shape,
                         const RankShare& share) {
  if (!tensor_parallel_split(spec, share)) return full;
  const size_t axis = *tensor_parallel_axis(spec);
  const AxisRange range = tensor_parallel_range(spec, shape, share.layout().tp, share.position().tp);
  return full.view(logical_sizes(spec, shape)).narrow(static_cast<int64_t>(axis), range.begin, range.size());
}

torch::Tensor cut(const torch::Tensor& full, const ParameterSpec& spec, const planner::ModelShape& shape,
                  const RankShare& share) {
  return tensor_parallel_shard(full, spec, shape, share.layout().tp, share.position().tp).detach().clone();
}

}  // namespace

ModelPart partition_model(const GptModel& full, const AdamWState& full_optimizer, const RankShare& share) {
  const auto& shape = full.shape();
  std::vector<ParameterSpec> specs;
  std::vector<torch::Tensor> tensors;
  std::vector<size_t> index;
  AdamWState opt;
  opt.step = full_optimizer.step;
  for (size_t i = 0; i < full.size(); ++i) {
    const ParameterSpec& spec = full.specs()[i];
    if (!share.holds(spec, shape)) continue;
    specs.push_back(spec);
    tensors.push_back(cut(full.parameters()[i], spec, shape, share).set_requires_grad(true));
    index.push_back(i);
    const AdamWMoments& m = full_optimizer.moments[i];
    opt.moments.push_back({m.exp_avg.defined() ? cut(m.exp_avg, spec, shape, share) : torch::Tensor(),
                           m.exp_avg_sq.defined() ? cut(m.exp_avg_sq, spec, shape, share) : torch::Tensor()});
  }
  return {GptModel(full.settings(), std::move(specs), std::move(tensors)), std::move(index), std::move(opt)};
}

bool counts_parameter(const ModelPart& part, size_t i, const RankShare& share) {
  const ParameterSpec& spec = part.model.specs()[i];
  return share.position().dp == 0 && (share.position().tp == 0 || tensor_parallel_split(spec, share)) &&
         !share.holds_tied_copy(spec, part.model.shape());
}

void assemble_full_model(Communicator& world, const ModelPart& part, const RankShare& share, GptModel& full,
                         AdamWState& full_optimizer) {
  torch::NoGradGuard no_grad;
  const auto& shape = full.shape();
  // One flat buffer: every parameter, then every first and second moment.
  int64_t elements = 0;
  for (const auto& p : full.parameters()) elements += p.numel();
  torch::Tensor flat = torch::zeros({3 * elements}, torch::kFloat32);
  std::vector<int64_t> offset(full.size());
  for (size_t i = 0, at = 0; i < full.size(); at += static_cast<size_t>(full.parameters()[i].numel()), ++i) {
    offset[i] = static_cast<int64_t>(at);
  }
  auto region = [&](size_t i, int which) {
    const auto& p = full.parameters()[i];
    return flat.narrow(0, which * elements + offset[i], p.numel()).view(p.sizes());
  };
  for (size_t j = 0; j < part.model.size(); ++j) {
    if (!counts_parameter(part, j, share)) continue;
    const size_t i = part.full_index[j];
    const ParameterSpec& spec = full.specs()[i];
    const torch::Tensor sources[3] = {part.model.parameters()[j], part.optimizer.moments[j].exp_avg,
                                      part.optimizer.moments[j].exp_avg_sq};
    for (int which = 0; which < 3; ++which) {
      torch::Tensor view = slice_view(region(i, which), spec, shape, share);
      view.copy_(sources[which].detach().to(torch::kCPU).view(view.sizes()));
    }
  }
  std::vector<torch::Tensor> bits = {flat.view(torch::kInt32)};
  world.all_reduce_sum(bits);
  const torch::Device device = full.parameters().front().device();
  std::vector<torch::Tensor> params;
  for (size_t i = 0; i < full.size(); ++i) {
    params.push_back(region(i, 0).clone().to(device).set_requires_grad(true));
    full_optimizer.moments[i] = {region(i, 1).clone().to(device), region(i, 2).clone().to(device)};
  }
  full_optimizer.step = part.optimizer.step;
  full = GptModel(full.settings(), full.specs(), std::move(params));
}

}  // namespace sprout::backend
