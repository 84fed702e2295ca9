// SPDX-License-Identifier: GPL-3.0-or-later
#include "export/hf_export.h"

#include <filesystem>
#include <memory>

#include "checkpoint/checkpoint_parameters.h"
#include "data/tokenizer.h"
#include "export/hf_layout.h"
#include "export/safetensors.h"
#include "sprout/planner/base/file_io.h"

namespace sprout::backend {
namespace {

// One rule's tensor: its sprout parts concatenated (and transposed), as raw fp32 bytes.
std::string hf_tensor_bytes(const CheckpointParameters& params, const HfTensorRule& rule) {
  std::vector<torch::Tensor> parts;
  for (const auto& name : rule.sprout_parts) parts.push_back(params.get(name));
  torch::Tensor t = parts.size() == 1 ? parts[0] : at::cat(parts);
  if (rule.transposed) t = t.t();
  t = t.contiguous();
  return std::string(static_cast<const char*>(t.data_ptr()), static_cast<size_t>(t.numel()) * sizeof(float));
}

// The SentencePiece model of the data the run trained on, as Hugging Face
// loads it: tokenizer.model and a minimal tokenizer_config.json naming the
// SentencePiece-backed LlamaTokenizer (which reads tokenizer.model).
std::vector<std::string> write_tokenizer_files(const std::string& data_dir, const std::string& out_dir,
                                               int64_t seq_len) {
  if (data_dir.empty()) return {};
  const auto record = read_tokenizer_record(data_dir);
  if (!record || record->name != "sentencepiece") return {};
  const std::string model = out_dir + "/" + kTokenizerModelName, config = out_dir + "/tokenizer_config.json";
  planner::write_file_atomically(model, planner::read_file(data_dir + "/" + record->model));
  const nlohmann::ordered_json c = {{"tokenizer_class", "LlamaTokenizer"},
                                    {"model_max_length", seq_len},
                                    {"add_bos_token", false},
                                    {"add_eos_token", false},
                                    {"sprout_vocab", record->vocab},
                                    {"sprout_model_sha256", record->model_sha256}};
  planner::write_file_atomically(config, c.dump(2) + "\n");
  return {model, config};
}

}  // namespace

std::vector<std::string> export_hf(const HfExportOptions& options) {
  const std::string dir = resolve_checkpoint_dir(options.checkpoint, "--checkpoint");
  auto params = std::make_shared<const CheckpointParameters>(dir);
  const HfLayout layout = hf_layout_of(params->shape(), dir);
  std::vector<SafetensorsTensorSource> sources;
  for (auto& rule : hf_tensor_rules(layout, params->shape())) {
    sources.push_back({rule.hf_name, "F32", rule.hf_shape, [params, rule] { return hf_tensor_bytes(*params, rule); }});
  }
  std::filesystem::create_directories(options.out_dir);
  const std::string model = options.out_dir + "/model.safetensors", config = options.out_dir + "/config.json";
  write_safetensors(model, sources, {{"format", "pt"}});
  planner::write_file_atomically(config, hf_config(layout, params->shape()).dump(2) + "\n");
  std::string data_dir = options.data_dir;
  if (data_dir.empty() && std::filesystem::is_directory(options.checkpoint + "/data")) {
    data_dir = options.checkpoint + "/data";
  }
  std::vector<std::string> written = {model, config};
  for (auto& f : write_tokenizer_files(data_dir, options.out_dir, params->shape().seq_len)) written.push_back(f);
  return written;
}

}  // namespace sprout::backend
