// SPDX-License-Identifier: GPL-3.0-or-later
#include "parallel/model_partition.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <stdexcept>

#include "parallel/gradient_buckets.h"
#include "parallel/tensor_sharding.h"

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

torch::Tensor part_tensor(const ModelPart& part, size_t j, int kind) {
  if (kind == 0) return part.model.parameters()[j].detach();
  const AdamWMoments& m = part.optimizer.moments[j];
  return kind == 1 ? m.exp_avg : m.exp_avg_sq;
}

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
  const size_t n = tensors.size();
  return {GptModel(full.settings(), std::move(specs), std::move(tensors)), std::move(index), std::move(opt),
          replicated_sharding(n)};
}

namespace {

bool counts_on(const ParameterSpec& spec, const planner::ModelShape& shape, const RankShare& share, int dp_rank) {
  return share.position().dp == dp_rank && (share.position().tp == 0 || tensor_parallel_split(spec, share)) &&
         !share.holds_tied_copy(spec, shape);
}

}  // namespace

bool counts_parameter(const ParameterSpec& spec, const planner::ModelShape& shape, const RankShare& share) {
  return counts_on(spec, shape, share, 0);
}

bool counts_moments(const ModelPart& part, size_t i, const RankShare& share) {
  const int owner = part.sharding.owner[i];
  return counts_on(part.model.specs()[i], part.model.shape(), share, owner == kReplicated ? 0 : owner);
}

namespace {

constexpr const char* kKinds[3] = {"param/", "adam.exp_avg/", "adam.exp_avg_sq/"};

// "#AXIS:BEGIN:END" of this rank's slice of `spec`, "" when it holds all of it.
std::string slice_suffix(const ParameterSpec& spec, const planner::ModelShape& shape, const RankShare& share) {
  if (!tensor_parallel_split(spec, share)) return "";
  const AxisRange r = tensor_parallel_range(spec, shape, share.layout().tp, share.position().tp);
  return fmt::format("#{}:{}:{}", *tensor_parallel_axis(spec), r.begin, r.end);
}

}  // namespace

NamedTensors checkpoint_shard(const ModelPart& part, const RankShare& share) {
  NamedTensors out;
  for (size_t j = 0; j < part.model.size(); ++j) {
    const ParameterSpec& spec = part.model.specs()[j];
    const std::string suffix = slice_suffix(spec, part.model.shape(), share);
    for (int k = 0; k < kPartTensorKinds; ++k) {
      if (counts_part_tensor(part, j, k, share)) {
        out.emplace_back(kKinds[k] + spec.name + suffix, part_tensor(part, j, k).to(torch::kCPU));
      }
    }
  }
  return out;
}

nlohmann::json checkpoint_shard_index(const GptModel& full, const StageLayout& layout) {
  nlohmann::json index = nlohmann::json::object();
  for (int r = 0; r < layout.world_size(); ++r) {
    const RankShare share(layout, r);
    for (const ParameterSpec& spec : full.specs()) {
      if (!share.holds(spec, full.shape()) || !counts_parameter(spec, full.shape(), share)) continue;
      const std::string suffix = slice_suffix(spec, full.shape(), share);
      for (const char* kind : kKinds) {
        nlohmann::json& e = index[kind + spec.name];
        e["sizes"] = storage_sizes(spec, full.shape());
        e["slices"].push_back(kind + spec.name + suffix);
      }
    }
  }
  return index;
}

namespace {

struct CheckpointSlice {
  std::string record;
  AxisRange range;
};

// The slices NAME#AXIS:BEGIN:END of `name` among `records`, checked to
// cover the split axis (extent `extent`) exactly once.
std::vector<CheckpointSlice> covering_slices(const std::vector<std::string>& records, const std::string& name,
                                             size_t axis, int64_t extent) {
  std::vector<CheckpointSlice> out;
  std::vector<int> covered(static_cast<size_t>(extent), 0);
  const std::string prefix = name + "#";
  for (const std::string& record : records) {
    if (record.rfind(prefix, 0) != 0) continue;
    long long a = -1, begin = -1, end = -1;
    if (std::sscanf(record.c_str() + prefix.size(), "%lld:%lld:%lld", &a, &begin, &end) != 3 ||
        a != static_cast<long long>(axis) || begin < 0 || end > extent || begin >= end) {
      throw std::runtime_error("checkpoint tensor " + record + ": not a slice of " + name);
    }
    out.push_back({record, {begin, end}});
    for (long long u = begin; u < end; ++u) covered[static_cast<size_t>(u)] += 1;
  }
  const auto once = std::count(covered.begin(), covered.end(), 1);
  if (once != extent) {
    throw std::runtime_error(
        fmt::format("checkpoint tensor {}: its slices cover {} of {} units exactly once (a shard "
                    "is missing or overlaps)",
                    name, once, extent));
  }
  return out;
}

}  // namespace

void check_checkpoint_records_cover(const std::vector<std::string>& records, const std::string& name,
                                    const ParameterSpec& spec, const planner::ModelShape& shape) {
  if (std::find(records.begin(), records.end(), name) != records.end()) return;
  const auto axis = tensor_parallel_axis(spec);
  if (!axis) throw std::runtime_error("checkpoint lacks tensor " + name);
  covering_slices(records, name, *axis, logical_sizes(spec, shape)[*axis]);
}

std::vector<std::string> checkpoint_records_of(const std::vector<std::string>& records, const std::string& name) {
  std::vector<std::string> out;
  for (auto it = std::lower_bound(records.begin(), records.end(), name); it != records.end() && it->rfind(name, 0) == 0;
       ++it) {
    if (it->size() == name.size() || (*it)[name.size()] == '#') out.push_back(*it);
  }
  return out;
}

torch::Tensor checkpoint_tensor_part(const std::vector<std::string>& records,
                                     const std::function<torch::Tensor(const std::string&)>& read,
                                     const std::string& name, const ParameterSpec& spec,
                                     const planner::ModelShape& shape, const AxisRange& range) {
  const auto axis = tensor_parallel_axis(spec);
  const std::vector<int64_t> logical = logical_sizes(spec, shape);
  const bool whole = !axis || range.size() == 0;
  check_checkpoint_records_cover(records, name, spec, shape);
  if (std::find(records.begin(), records.end(), name) != records.end()) {
    torch::Tensor t = read(name);
    return whole ? t : slice_logical(t, spec.axes, logical, *axis, range);
  }
  const int64_t extent = logical[*axis];
  const AxisRange want = whole ? AxisRange{0, extent} : range;
  const std::vector<CheckpointSlice> slices = covering_slices(records, name, *axis, extent);
  std::vector<int64_t> sizes = logical;
  sizes[*axis] = want.size();
  torch::Tensor out = torch::empty(sizes, torch::kFloat32);
  const auto dim = static_cast<int64_t>(*axis);
  for (const CheckpointSlice& s : slices) {
    const int64_t begin = std::max(s.range.begin, want.begin);
    const int64_t end = std::min(s.range.end, want.end);
    if (begin >= end) continue;  // not read: another rank's
    std::vector<int64_t> piece = logical;
    piece[*axis] = s.range.size();
    out.narrow(dim, begin - want.begin, end - begin)
        .copy_(read(s.record).reshape(piece).narrow(dim, begin - s.range.begin, end - begin));
  }
  return out.reshape(slice_storage_sizes(spec, shape, want));
}

torch::Tensor checkpoint_tensor(const std::map<std::string, torch::Tensor>& tensors, const std::string& name,
                                const ParameterSpec& spec, const planner::ModelShape& shape) {
  std::vector<std::string> names;  // the map is sorted: `name` and its slices follow each other
  for (auto it = tensors.lower_bound(name); it != tensors.end() && it->first.rfind(name, 0) == 0; ++it) {
    names.push_back(it->first);
  }
  return checkpoint_tensor_part(
      checkpoint_records_of(names, name), [&](const std::string& n) { return tensors.at(n); }, name, spec, shape,
      AxisRange{});
}

void assemble_full_model(Communicator& world, const ModelPart& part, const RankShare& share, GptModel& full,
                         AdamWState& full_optimizer) {
  torch::NoGradGuard no_grad;
  const auto& shape = full.shape();
  // One flat buffer: every parameter, then every first and second moment.
  // Sizes come from the specs: `full` may hold no tensors (released_full_model).
  std::vector<std::vector<int64_t>> sizes;
  std::vector<int64_t> offset;
  int64_t elements = 0;
  for (const ParameterSpec& spec : full.specs()) {
    sizes.push_back(storage_sizes(spec, shape));
    offset.push_back(elements);
    int64_t n = 1;
    for (int64_t d : sizes.back()) n *= d;
    elements += n;
  }
  torch::Tensor flat = torch::zeros({3 * elements}, torch::kFloat32);
  auto region = [&](size_t i, int which) {
    const int64_t n = (i + 1 < offset.size() ? offset[i + 1] : elements) - offset[i];
    return flat.narrow(0, which * elements + offset[i], n).view(sizes[i]);
  };
  for (size_t j = 0; j < part.model.size(); ++j) {
    const size_t i = part.full_index[j];
    const ParameterSpec& spec = full.specs()[i];
    for (int which = 0; which < kPartTensorKinds; ++which) {
      if (!counts_part_tensor(part, j, which, share)) continue;
      torch::Tensor view = slice_view(region(i, which), spec, shape, share);
      view.copy_(part_tensor(part, j, which).to(torch::kCPU).view(view.sizes()));
    }
  }
  std::vector<torch::Tensor> bits = {flat.view(torch::kInt32)};
  world.all_reduce_sum(bits);
  const torch::Device device = part.model.parameters().front().device();
  std::vector<torch::Tensor> params;
  full_optimizer.moments.resize(full.size());
  for (size_t i = 0; i < full.size(); ++i) {
    params.push_back(region(i, 0).clone().to(device).set_requires_grad(true));
    full_optimizer.moments[i] = {region(i, 1).clone().to(device), region(i, 2).clone().to(device)};
  }
  full_optimizer.step = part.optimizer.step;
  full = GptModel(full.settings(), full.specs(), std::move(params));
}

// One bucket of the replicated parameters, one all-reduce.
void sum_sequence_parallel_gradients(ModelPart& part, Communicator& tensor) {
  GradientBuckets replicated;
  replicated.parameters.emplace_back();
  for (size_t i = 0; i < part.model.size(); ++i) {
    if (!tensor_parallel_axis(part.model.specs()[i])) replicated.parameters.back().push_back(i);
  }
  if (!replicated.parameters.back().empty()) sum_gradients(tensor, part.model.parameters(), replicated);
}

GptModel released_full_model(const GptModel& full, AdamWState& full_optimizer) {
  for (auto& m : full_optimizer.moments) m = AdamWMoments{};
  return GptModel(full.settings(), full.specs(), std::vector<torch::Tensor>(full.size()));
}

}  // namespace sprout::backend
