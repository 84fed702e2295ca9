// SPDX-License-Identifier: GPL-3.0-or-later
#include "parallel/part_regrowth.h"

#include <numeric>
#include <optional>
#include <set>

#include "model/growth.h"
#include "model/growth_init.h"
#include "parallel/tensor_sharding.h"

namespace sprout::backend {
namespace {

using planner::ModelShape;

constexpr int kKinds = kPartTensorKinds;  // the parameter, then its two Adam moments

// The part of the split axis a rank at TP position `tp_rank` holds (the
// whole axis when tp = 1); nothing for a replicated parameter.
std::optional<AxisRange> held_range(const ParameterSpec& spec, const ModelShape& shape, const StageLayout& layout,
                                    int tp_rank) {
  const auto axis = tensor_parallel_axis(spec);
  if (!axis) return std::nullopt;
  if (layout.tp == 1) return AxisRange{0, logical_sizes(spec, shape)[*axis]};
  return tensor_parallel_range(spec, shape, layout.tp, tp_rank);
}

// What a rank has of an old tensor (flag bits): kCounts, it is the one
// copy that counts (counts_parameter, counts_moments); kHas, it holds it
// (any replica: the data-parallel ranks', the tensor-parallel ranks' copies
// of a replicated parameter, which the run keeps bitwise equal).
constexpr int32_t kCounts = 1;
constexpr int32_t kHas = 2;

// flags[(rank * old parameters + o) * kKinds + kind] for every rank (one
// small all-reduce: under ZeRO-1 only the owner knows it keeps a moment).
std::vector<int32_t> old_tensor_flags(Communicator& world, const ModelPart& part, const RankShare& share,
                                      size_t old_parameters, torch::Device device) {
  torch::Tensor flags =
      torch::zeros({static_cast<int64_t>(world.world_size() * old_parameters * kKinds)}, torch::kInt32);
  auto* f = flags.data_ptr<int32_t>();
  for (size_t j = 0; j < part.model.size(); ++j) {
    for (int kind = 0; kind < kKinds; ++kind) {
      if (!part_tensor(part, j, kind).defined()) continue;
      f[(static_cast<size_t>(world.rank()) * old_parameters + part.full_index[j]) * kKinds + kind] =
          kHas | (counts_part_tensor(part, j, kind, share) ? kCounts : 0);
    }
  }
  std::vector<torch::Tensor> t = {flags.to(device)};
  world.all_reduce_sum(t);
  flags = t.front().to(torch::kCPU).contiguous();
  return {flags.data_ptr<int32_t>(), flags.data_ptr<int32_t>() + flags.numel()};
}

// One block of an old tensor going to a rank that holds the grown (or
// re-cut) one: `overlap` of the split axis (nothing: the whole tensor).
struct Transfer {
  int from = 0;
  int to = 0;
  int kind = 0;
  std::optional<AxisRange> overlap;
};

// The view of `held` (a rank's tensor of logical sizes `held_sizes`, its
// split axis starting at `held_begin`) that the block of the old tensor
// (logical sizes `old_sizes`) cut to `overlap` covers: leading on every
// axis (MSG's old block), `overlap` on the split one.
torch::Tensor block_view(const torch::Tensor& held, const std::vector<int64_t>& held_sizes, int64_t held_begin,
                         const std::vector<int64_t>& old_sizes, const std::optional<size_t>& axis,
                         const std::optional<AxisRange>& overlap) {
  torch::Tensor v = held.view(held_sizes);
  for (size_t d = 0; d < held_sizes.size(); ++d) {
    const auto dim = static_cast<int64_t>(d);
    v = axis && d == *axis ? v.narrow(dim, overlap->begin - held_begin, overlap->size())
                           : v.narrow(dim, 0, old_sizes[d]);
  }
  return v;
}

struct Boundary {
  const std::vector<ParameterSpec>& old_specs;
  const ModelShape& from;
  const ModelShape& to;
  const StageLayout& old_layout;
  const StageLayout& new_layout;
  std::vector<RankShare> old_shares, new_shares;  // every rank's
  std::vector<int32_t> flags;
  size_t old_parameters = 0;

  bool flagged(int rank, size_t o, int kind, int32_t flag) const {
    return (flags[(static_cast<size_t>(rank) * old_parameters + o) * kKinds + static_cast<size_t>(kind)] & flag) != 0;
  }
};

// Every block old parameter `o` sends for new parameter `spec`, in one
// order on every rank. A rank that has all the old values its new slice
// takes copies them itself; the others get them from the ranks that count them.
std::vector<Transfer> transfers_for(const Boundary& b, const ParameterSpec& spec, size_t o) {
  std::vector<Transfer> out;
  const ParameterSpec& old_spec = b.old_specs[o];
  const auto axis = tensor_parallel_axis(spec);
  for (int kind = 0; kind < kKinds; ++kind) {
    for (const RankShare& dest : b.new_shares) {
      if (!dest.holds(spec, b.to)) continue;
      const int d = dest.world_rank();
      const auto wanted = held_range(spec, b.to, b.new_layout, dest.position().tp);
      if (b.flagged(d, o, kind, kHas)) {
        if (!axis) {
          out.push_back({d, d, kind, std::nullopt});
          continue;
        }
        const AxisRange had =
            *held_range(old_spec, b.from, b.old_layout, b.old_shares[static_cast<size_t>(d)].position().tp);
        const AxisRange needed{wanted->begin, std::min(wanted->end, logical_sizes(old_spec, b.from)[*axis])};
        if (needed.size() <= 0) continue;  // the new slice lies beyond the old block: all new entries
        if (had.begin <= needed.begin && needed.end <= had.end) {
          out.push_back({d, d, kind, needed});
          continue;
        }
      }
      for (const RankShare& source : b.old_shares) {
        if (!b.flagged(source.world_rank(), o, kind, kCounts)) continue;
        std::optional<AxisRange> overlap;
        if (axis) {
          const AxisRange had = *held_range(old_spec, b.from, b.old_layout, source.position().tp);
          overlap = AxisRange{std::max(had.begin, wanted->begin), std::min(had.end, wanted->end)};
          if (overlap->size() <= 0) continue;
        }
        out.push_back({source.world_rank(), dest.world_rank(), kind, overlap});
      }
    }
  }
  return out;
}

}  // namespace

ModelPart regrow_model_part(Communicator& world, const ModelPart& old_part, const RankShare& old_share,
                            const GptSettings& to, const RankShare& new_share, uint64_t seed, const std::string& name) {
  torch::NoGradGuard no_grad;
  const ModelShape& from = old_part.model.shape();
  const bool grows = !same_shape(from, to.shape);
  if (grows) check_growth(from, to.shape);
  const std::vector<ParameterSpec> old_specs = gpt_parameter_specs(from);
  const std::vector<ParameterSpec> new_specs = gpt_parameter_specs(to.shape);
  std::vector<std::optional<size_t>> sources(new_specs.size());
  if (grows) {
    sources = growth_sources(from, to.shape);
  } else {
    std::iota(sources.begin(), sources.end(), size_t{0});
  }
  const torch::Device device =
      old_part.model.size() > 0 ? old_part.model.parameters().front().device() : torch::Device(torch::kCPU);
  Boundary b{old_specs, from, to.shape, old_share.layout(), new_share.layout(), {}, {}, {}, old_specs.size()};
  for (int r = 0; r < world.world_size(); ++r) {
    b.old_shares.emplace_back(old_share.layout(), r);
    b.new_shares.emplace_back(new_share.layout(), r);
  }
  b.flags = old_tensor_flags(world, old_part, old_share, old_specs.size(), device);
  std::vector<std::vector<Transfer>> transfers(new_specs.size());
  std::set<int> peers;
  const int me = world.rank();
  for (size_t n = 0; n < new_specs.size(); ++n) {
    if (!sources[n]) continue;
    transfers[n] = transfers_for(b, new_specs[n], *sources[n]);
    for (const Transfer& t : transfers[n]) {
      if (t.from == me && t.to != me) peers.insert(t.to);
      if (t.to == me && t.from != me) peers.insert(t.from);
    }
  }
  std::vector<int> members(static_cast<size_t>(world.world_size()));
  std::iota(members.begin(), members.end(), 0);
  const std::unique_ptr<Communicator> exchange = world.split(members, name);
  exchange->connect_peers({peers.begin(), peers.end()});

  std::vector<size_t> local_of(old_specs.size(), SIZE_MAX);
  for (size_t j = 0; j < old_part.full_index.size(); ++j) local_of[old_part.full_index[j]] = j;
  std::vector<ParameterSpec> specs;
  std::vector<torch::Tensor> tensors;
  std::vector<size_t> index;
  AdamWState optimizer;
  optimizer.step = old_part.optimizer.step;
  int tag = 0;
  for (size_t n = 0; n < new_specs.size(); ++n) {
    const ParameterSpec& spec = new_specs[n];
    const auto axis = tensor_parallel_axis(spec);
    const bool held = new_share.holds(spec, to.shape);
    const auto range = held_range(spec, to.shape, new_share.layout(), new_share.position().tp);
    const std::vector<int64_t> sizes = slice_logical_sizes(spec, to.shape, range.value_or(AxisRange{}));
    torch::Tensor values[kKinds];
    if (held) {
      std::optional<LogicalBlock> block;
      if (range) block = LogicalBlock{*axis, range->begin, range->end};
      values[0] = grows ? grown_parameter_init(spec, n, to, seed, block).to(device)
                        : torch::zeros(storage_of(spec.axes, sizes),
                                       torch::TensorOptions().dtype(torch::kFloat32).device(device));
      values[1] = torch::zeros_like(values[0]);
      values[2] = torch::zeros_like(values[0]);
    }
    // This parameter's blocks: all sent and received at once, then placed.
    std::vector<std::unique_ptr<PendingCollective>> pending;
    std::vector<std::pair<torch::Tensor, torch::Tensor>> arriving;  // (buffer, where it goes)
    std::vector<torch::Tensor> leaving;
    if (sources[n]) {
      const size_t o = *sources[n];
      const ParameterSpec& old_spec = old_specs[o];
      const std::vector<int64_t> old_sizes = logical_sizes(old_spec, from);
      for (const Transfer& t : transfers[n]) {
        const int this_tag = tag++;
        if (t.from != me && t.to != me) continue;
        torch::Tensor source_view, dest_view;
        if (t.from == me) {
          const auto had = held_range(old_spec, from, old_share.layout(), old_share.position().tp);
          source_view = block_view(part_tensor(old_part, local_of[o], t.kind),
                                   slice_logical_sizes(old_spec, from, had.value_or(AxisRange{})), had ? had->begin : 0,
                                   old_sizes, axis, t.overlap);
        }
        if (t.to == me) {
          dest_view = block_view(values[t.kind], sizes, range ? range->begin : 0, old_sizes, axis, t.overlap);
        }
        if (t.from == me && t.to == me) {
          dest_view.copy_(source_view);
        } else if (t.from == me) {
          leaving.push_back(source_view.contiguous());
          pending.push_back(exchange->start_send(leaving.back(), t.to, this_tag));
        } else {
          arriving.emplace_back(torch::empty(dest_view.sizes(), dest_view.options()), dest_view);
          pending.push_back(exchange->start_recv(arriving.back().first, t.from, this_tag));
        }
      }
    }
    for (auto& p : pending) p->wait();
    for (auto& [buffer, dest] : arriving) dest.copy_(buffer);
    if (!held) continue;
    specs.push_back(spec);
    tensors.push_back(values[0].set_requires_grad(true));
    index.push_back(n);
    optimizer.moments.push_back({values[1], values[2]});
  }
  const size_t count = tensors.size();
  return {GptModel(to, std::move(specs), std::move(tensors)), std::move(index), std::move(optimizer),
          replicated_sharding(count)};
}

}  // namespace sprout::backend
