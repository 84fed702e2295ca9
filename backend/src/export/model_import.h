// SPDX-License-Identifier: GPL-3.0-or-later
// init_from (docs/formats.md): the first stage starts from a trained model
// instead of random weights. The source is a sprout run or checkpoint
// directory, or a Hugging Face model in a layout sprout can express
// (hf_layout.h): a directory holding config.json and model.safetensors, or a
// .safetensors file with config.json beside it. Read one tensor at a time.
#pragma once

#include <string>

#include "export/safetensors.h"
#include "model/gpt_model.h"

namespace sprout::backend {

// Overwrites every parameter of `model` with the source's. Throws
// planner::InputError: at the source and `field` when its shape differs from
// the model's (naming both) or it is missing, at the source's file and field
// when it is incomplete or malformed (a safetensors header that lies about
// sizes included).
void load_init_from(GptModel& model, const std::string& source, const std::string& field);

// Every check of load_init_from for a model of `shape` (the source's files,
// headers, config and shape), reading no tensor: run before a run directory
// is written, so bad input leaves nothing behind.
void check_init_from(const planner::ModelShape& shape, const std::string& source, const std::string& field);

// The safetensors header of `path`, validated (parse_safetensors_header),
// reading no more of the file than the header.
SafetensorsHeader read_safetensors_header(const std::string& path);

}  // namespace sprout::backend
