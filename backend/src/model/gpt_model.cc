// SPDX-License-Identifier: GPL-3.0-or-later
#include "model/gpt_model.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <stdexcept>

namespace sprout::backend {

GptModel::GptModel(GptSettings settings, std::vector<ParameterSpec> specs, std::vector<torch::Tensor> tensors)
    : settings_(std::move(settings)), specs_(std::move(specs)), tensors_(std::move(tensors)) {
  if (specs_.size() != tensors_.size()) throw std::invalid_argument("GptModel: specs and tensors differ in count");
  for (size_t i = 0; i < specs_.size(); ++i) index_.emplace(specs_[i].name, i);
}

size_t GptModel::index_of(const std::string& name) const {
  auto it = index_.find(name);
  if (it == index_.end()) throw std::out_of_range("no parameter named " + name);
  return it->second;
}

bool GptModel::contains(const std::string& name) const { return index_.count(name) > 0; }

int64_t GptModel::parameter_count() const {
  int64_t n = 0;
  for (const auto& t : tensors_) n += t.numel();
  return n;
}

at::Generator make_cpu_generator(uint64_t seed) { return at::make_generator<at::CPUGeneratorImpl>(seed); }

double normal_init_std(const ParameterSpec& spec, const GptSettings& settings) {
  // GPT-2 (Radford et al. 2019): scale the weights of residual-stream
  // projections by 1/sqrt(N) with N = 2 layers residual additions.
  if (spec.init == Init::kNormalResidual) return settings.init_std / std::sqrt(2.0 * settings.shape.layers);
  return settings.init_std;
}

torch::Tensor init_parameter(const ParameterSpec& spec, const GptSettings& settings, at::Generator& generator,
                             torch::Device device) {
  const auto sizes = storage_sizes(spec, settings.shape);
  auto cpu = torch::TensorOptions().dtype(torch::kFloat32);
  torch::Tensor t;
  switch (spec.init) {
    case Init::kOnes:
      t = torch::ones(sizes, cpu);
      break;
    case Init::kZeros:
      t = torch::zeros(sizes, cpu);
      break;
    case Init::kNormal:
    case Init::kNormalResidual: {
      // Drawn on the CPU generator so a model is identical on every device.
      t = at::normal(0.0, normal_init_std(spec, settings), sizes, generator, cpu);
      break;
    }
  }
  return t.to(device).set_requires_grad(true);
}

GptModel make_gpt(const GptSettings& settings, at::Generator& generator, torch::Device device) {
  auto specs = gpt_parameter_specs(settings.shape);
  std::vector<torch::Tensor> tensors;
  tensors.reserve(specs.size());
  for (const auto& spec : specs) tensors.push_back(init_parameter(spec, settings, generator, device));
  return GptModel(settings, std::move(specs), std::move(tensors));
}

}  // namespace sprout::backend
