// SPDX-License-Identifier: GPL-3.0-or-later
// `sprout-train export --format hf`: a trained sprout checkpoint as a Hugging
// Face model directory (docs/backend.md "Export"): model.safetensors and
// config.json in the layout hf_layout.h picks. Tensors are read from the
// checkpoint one parameter at a time (a tensor-parallel parameter assembled
// from its slices), converted and written, never the whole model at once.
#pragma once

#include <string>
#include <vector>

namespace sprout::backend {

struct HfExportOptions {
  std::string checkpoint;  // a run directory (its newest complete checkpoint) or one checkpoint directory
  std::string out_dir;
  // The prepared data's directory (its tokenizer.json): with a SentencePiece
  // tokenizer, tokenizer.model and tokenizer_config.json are written too.
  // "": RUN/data when --checkpoint is a run directory that has one.
  std::string data_dir;
};

// Writes model.safetensors and config.json (and the tokenizer files) into out_dir (created); returns
// the paths written. Throws planner::InputError for a missing or incomplete
// checkpoint, a model mid-growth-ramp, or a shape with no Hugging Face
// layout; nothing is written then.
std::vector<std::string> export_hf(const HfExportOptions& options);

}  // namespace sprout::backend
