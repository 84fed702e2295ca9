// SPDX-License-Identifier: GPL-3.0-or-later
#include "checkpoint/shard_local_resume.h"

#include "checkpoint/checkpoint.h"
#include "parallel/model_partition.h"
#include "parallel/tensor_sharding.h"
#include "sprout/planner/runs/telemetry_record.h"

namespace sprout::backend {
namespace {

constexpr const char* kKinds[3] = {"param/", "adam.exp_avg/", "adam.exp_avg_sq/"};

std::vector<std::string> names_of(const std::map<std::string, ArchiveRecord>& records) {
  std::vector<std::string> out;
  for (const auto& [name, record] : records) out.push_back(name);
  return out;
}

// `part` (slice `range` of the split axis) inside a full-size tensor of
// zeros: what partition_model cuts the rank's slice from.
torch::Tensor inside_zeros(const torch::Tensor& part, const ParameterSpec& spec, const planner::ModelShape& shape,
                           const AxisRange& range) {
  const auto axis = static_cast<int64_t>(*tensor_parallel_axis(spec));
  torch::Tensor full = torch::zeros(logical_sizes(spec, shape), part.dtype());
  full.narrow(axis, range.begin, range.size()).copy_(part.reshape(slice_logical_sizes(spec, shape, range)));
  return full.reshape(storage_sizes(spec, shape));
}

}  // namespace

std::optional<RunState> load_rank_part(const std::string& dir, const ResumeShareChooser& share_for) {
  const CheckpointState state = read_checkpoint_state(dir);
  const std::optional<RankShare> share = share_for(state);
  if (!share) return std::nullopt;
  const std::map<std::string, ArchiveRecord> records = index_checkpoint(dir);
  const std::vector<std::string> names = names_of(records);
  const StageLayout& layout = share->layout();
  RunState st =
      run_state_from(state, [&](const std::string& name, const ParameterSpec& spec, const planner::ModelShape& shape) {
        if (!share->holds(spec, shape)) return torch::Tensor();
        const bool split = layout.tp > 1 && tensor_parallel_axis(spec).has_value();
        const AxisRange range =
            split ? tensor_parallel_range(spec, shape, layout.tp, share->position().tp) : AxisRange{};
        torch::Tensor part = checkpoint_tensor_part(
            checkpoint_records_of(names, name),
            [&](const std::string& record) { return read_checkpoint_record(records.at(record)); }, name, spec, shape,
            range);
        return split ? inside_zeros(part, spec, shape, range) : part;
      });
  st.model_is_rank_part = true;
  return st;
}

void check_checkpoint_covers(const std::string& dir, const planner::ModelShape& shape) {
  const std::vector<std::string> names = names_of(index_checkpoint(dir));
  for (const ParameterSpec& spec : gpt_parameter_specs(shape)) {
    for (const char* kind : kKinds) {
      const std::string name = kind + spec.name;
      check_checkpoint_records_cover(checkpoint_records_of(names, name), name, spec, shape);
    }
  }
}

}  // namespace sprout::backend
