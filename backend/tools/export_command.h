// SPDX-License-Identifier: GPL-3.0-or-later
// `sprout-train export --checkpoint DIR --format hf --out DIR`: a checkpoint
// as a Hugging Face model directory (export/hf_export.h).
#pragma once

#include <CLI/CLI.hpp>

#include "export/hf_export.h"

namespace sprout::train_cli {

struct ExportArgs {
  backend::HfExportOptions options;
  std::string format = "hf";
};

void add_export_command(CLI::App& app, ExportArgs& args);
int run_export(const ExportArgs& args);

}  // namespace sprout::train_cli
