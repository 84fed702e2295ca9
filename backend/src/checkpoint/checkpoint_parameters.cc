// SPDX-License-Identifier: GPL-3.0-or-later
#include "checkpoint/checkpoint_parameters.h"

#include <nlohmann/json.hpp>

#include <filesystem>

#include "checkpoint/checkpoint.h"
#include "parallel/model_partition.h"
#include "sprout/planner/base/file_io.h"
#include "sprout/planner/base/input_error.h"
#include "sprout/planner/runs/telemetry_record.h"

namespace sprout::backend {

CheckpointParameters::CheckpointParameters(const std::string& dir) {
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".bin") continue;
    for (auto& r : index_tensor_archive(entry.path().string())) records_.emplace(r.name, std::move(r));
  }
  const std::string state_path = checkpoint_state_path(dir);
  const CheckpointState state = parse_checkpoint_state(planner::read_file(state_path), state_path);
  shape_ = state.shape;
  if (state.ramp) {
    throw planner::InputError({dir, 0, 0}, "checkpoint",
                              "the model is inside a growth ramp (MSG masks active): use a checkpoint after it");
  }
  for (auto& spec : gpt_parameter_specs(shape_)) specs_.emplace(spec.name, std::move(spec));
}

torch::Tensor CheckpointParameters::get(const std::string& name) const {
  const std::string full = "param/" + name;
  std::map<std::string, torch::Tensor> parts;
  // The whole tensor, or its slices "param/NAME#AXIS:BEGIN:END" (model_partition.h).
  for (auto it = records_.lower_bound(full); it != records_.end() && it->first.rfind(full, 0) == 0; ++it) {
    if (it->first == full || it->first[full.size()] == '#') parts.emplace(it->first, read_archive_record(it->second));
  }
  return checkpoint_tensor(parts, full, specs_.at(name), shape_).to(torch::kFloat32).contiguous();
}

std::string resolve_checkpoint_dir(const std::string& path, const std::string& field) {
  if (!std::filesystem::is_directory(path)) throw planner::InputError({path, 0, 0}, field, "no such directory");
  const std::string checkpoints = path + "/checkpoints";
  if (!std::filesystem::is_directory(checkpoints)) {
    const std::string problem = checkpoint_problem(path);
    if (!problem.empty()) throw planner::InputError({path, 0, 0}, field, problem);
    return path;
  }
  const auto all = list_checkpoints(checkpoints);
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    if (checkpoint_problem(it->second).empty()) return it->second;
  }
  throw planner::InputError({path, 0, 0}, field, "no complete checkpoint under checkpoints/");
}

}  // namespace sprout::backend
