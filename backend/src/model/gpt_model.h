// SPDX-License-Identifier: GPL-3.0-or-later
// A GPT decoder as plain data: its shape and its parameters by name, in the
// order gpt_parameter_specs gives. No module objects: forward, growth,
// optimizer and checkpoint are free functions over this value, so any of
// them can address (and later shard) one parameter at a time.
#pragma once

#include <ATen/core/Generator.h>
#include <torch/types.h>

#include <string>
#include <unordered_map>
#include <vector>

#include "model/parameter_layout.h"
#include "sprout/planner/model/model_shape.h"

namespace sprout::backend {

struct GptSettings {
  planner::ModelShape shape;
  double init_std = 0.02;  // the plan's init_std (FLM-101B used 1.6e-2 after muP search)
  double dropout = 0.0;
};

class GptModel {
 public:
  GptModel(GptSettings settings, std::vector<ParameterSpec> specs, std::vector<torch::Tensor> tensors);

  const GptSettings& settings() const { return settings_; }
  const planner::ModelShape& shape() const { return settings_.shape; }
  const std::vector<ParameterSpec>& specs() const { return specs_; }
  std::vector<torch::Tensor>& parameters() { return tensors_; }
  const std::vector<torch::Tensor>& parameters() const { return tensors_; }
  size_t size() const { return tensors_.size(); }

  // Throws std::out_of_range naming the parameter when it does not exist.
  size_t index_of(const std::string& name) const;
  const torch::Tensor& get(const std::string& name) const { return tensors_[index_of(name)]; }
  bool contains(const std::string& name) const;

  int64_t parameter_count() const;

 private:
  GptSettings settings_;
  std::vector<ParameterSpec> specs_;
  std::vector<torch::Tensor> tensors_;
  std::unordered_map<std::string, size_t> index_;  // name -> position
};

// Fresh random model (weights N(0, init_std), residual projections scaled by
// 1/sqrt(2 layers) as GPT-2 does, gains 1, biases 0), on `device`.
GptModel make_gpt(const GptSettings& settings, at::Generator& generator, torch::Device device = torch::kCPU);

// The standard deviation of a kNormal or kNormalResidual parameter's draws.
double normal_init_std(const ParameterSpec& spec, const GptSettings& settings);

// One freshly initialised tensor for `spec` (used by make_gpt and by growth
// for the new entries).
torch::Tensor init_parameter(const ParameterSpec& spec, const GptSettings& settings, at::Generator& generator,
                             torch::Device device);

// A CPU generator seeded deterministically (std::mt19937-based Philox-free
// CPUGeneratorImpl, identical across runs and libtorch versions).
at::Generator make_cpu_generator(uint64_t seed);

}  // namespace sprout::backend
