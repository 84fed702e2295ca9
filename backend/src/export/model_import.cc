// SPDX-License-Identifier: GPL-3.0-or-later
#include "export/model_import.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "checkpoint/checkpoint_parameters.h"
#include "export/hf_layout.h"
#include "export/safetensors.h"
#include "sprout/planner/base/file_io.h"
#include "sprout/planner/base/input_error.h"
#include "sprout/planner/runs/telemetry_record.h"

namespace sprout::backend {
namespace {

namespace fs = std::filesystem;

// Rotary/xPos models have no parameter per position: another seq_len is the same model.
bool same_parameters(planner::ModelShape a, planner::ModelShape b) {
  if (a.position != planner::PositionEmbedding::kLearned) a.seq_len = b.seq_len;
  return planner::model_shape_to_json(a) == planner::model_shape_to_json(b);
}

void check_shape(const planner::ModelShape& source_shape, const planner::ModelShape& shape, const std::string& source,
                 const std::string& field) {
  if (same_parameters(source_shape, shape)) return;
  planner::throw_file_error(
      source, field,
      fmt::format("{} has shape {}, but the first stage's is {}", source,
                  planner::model_shape_to_json(source_shape).dump(), planner::model_shape_to_json(shape).dump()));
}

void assign(GptModel& model, const std::string& name, const torch::Tensor& value) {
  torch::NoGradGuard no_grad;
  torch::Tensor& p = model.parameters()[model.index_of(name)];
  p.copy_(value.reshape(p.sizes()).to(p.device(), p.scalar_type()));
}

torch::Tensor read_hf_tensor(const std::string& path, const SafetensorsHeader& h, const SafetensorsEntry& e) {
  static const std::map<std::string, torch::ScalarType> kTypes = {
      {"F32", torch::kFloat32}, {"BF16", torch::kBFloat16}, {"F16", torch::kFloat16}, {"F64", torch::kFloat64}};
  const auto type = kTypes.find(e.dtype);
  if (type == kTypes.end())
    planner::throw_file_error(path, "tensors." + e.name + ".dtype", e.dtype + " is not a floating-point weight");
  torch::Tensor t = torch::empty(e.shape, type->second);
  std::ifstream in(path, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(h.data_start + e.begin));
  in.read(static_cast<char*>(t.data_ptr()), static_cast<std::streamsize>(e.end - e.begin));
  if (!in) planner::throw_file_error(path, "tensors." + e.name, "cannot read its bytes");
  return t.to(torch::kFloat32);
}

// Checks the source against `shape` and, with a model, loads it (else reads no tensor).
void load_hf(const planner::ModelShape& expected, GptModel* model, const std::string& dir, const std::string& file,
             const std::string& field) {
  const std::string config_path = dir + "/config.json";
  nlohmann::json config;
  try {
    config = nlohmann::json::parse(planner::read_file(config_path));
  } catch (const nlohmann::json::exception& e) {
    planner::throw_file_error(config_path, "config", std::string("not valid JSON: ") + e.what());
  }
  const planner::ModelShape shape = shape_from_hf_config(config, config_path);
  check_shape(shape, expected, config_path, field);
  const SafetensorsHeader h = read_safetensors_header(file);
  std::map<std::string, const SafetensorsEntry*> entries;
  for (const auto& e : h.tensors) entries[e.name] = &e;
  for (const HfTensorRule& rule : hf_tensor_rules(hf_layout_of(shape, config_path), shape)) {
    const auto it = entries.find(rule.hf_name);
    if (it == entries.end()) planner::throw_file_error(file, "tensors." + rule.hf_name, "missing");
    if (it->second->shape != rule.hf_shape) {
      planner::throw_file_error(file, "tensors." + rule.hf_name + ".shape",
                                fmt::format("{} where config.json implies {}", nlohmann::json(it->second->shape).dump(),
                                            nlohmann::json(rule.hf_shape).dump()));
    }
    if (!model) continue;
    torch::Tensor t = read_hf_tensor(file, h, *it->second);
    if (rule.transposed) t = t.t();
    int64_t row = 0;
    for (const auto& part : rule.sprout_parts) {
      const int64_t rows = model->get(part).size(0);
      assign(*model, part, t.narrow(0, row, rows));
      row += rows;
    }
  }
}

}  // namespace

SafetensorsHeader read_safetensors_header(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) planner::throw_file_error(path, "file", "cannot open");
  const auto file_bytes = static_cast<uint64_t>(in.tellg());
  in.seekg(0);
  std::string head(std::min<uint64_t>(file_bytes, 8), '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  if (head.size() == 8) {
    uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(head[static_cast<size_t>(i)]);
    // Read the header only when the prefix is plausible; the parser names what is wrong otherwise.
    if (n <= kSafetensorsMaxHeaderBytes && n <= file_bytes - 8) {
      head.resize(8 + n);
      in.read(head.data() + 8, static_cast<std::streamsize>(n));
    }
  }
  return parse_safetensors_header({head.data(), head.size()}, file_bytes, path);
}

namespace {

void import_model(const planner::ModelShape& shape, GptModel* model, const std::string& source,
                  const std::string& field) {
  if (fs::is_regular_file(source)) {
    const std::string dir = fs::path(source).parent_path().string();
    return load_hf(shape, model, dir.empty() ? "." : dir, source, field);
  }
  if (fs::is_directory(source) && fs::exists(source + "/model.safetensors")) {
    return load_hf(shape, model, source, source + "/model.safetensors", field);
  }
  if (!fs::exists(source)) planner::throw_file_error(source, field, "no such file or directory");
  const CheckpointParameters params(resolve_checkpoint_dir(source, field));
  check_shape(params.shape(), shape, source, field);
  if (!model) return;
  for (const auto& spec : model->specs()) assign(*model, spec.name, params.get(spec.name));
}

}  // namespace

void check_init_from(const planner::ModelShape& shape, const std::string& source, const std::string& field) {
  import_model(shape, nullptr, source, field);
}

void load_init_from(GptModel& model, const std::string& source, const std::string& field) {
  import_model(model.shape(), &model, source, field);
}

}  // namespace sprout::backend
