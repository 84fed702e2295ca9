// SPDX-License-Identifier: GPL-3.0-or-later
#include "export_command.h"

#include <iostream>

namespace sprout::train_cli {

void add_export_command(CLI::App& app, ExportArgs& a) {
  CLI::App* e =
      app.add_subcommand("export", "Write a checkpoint as a Hugging Face model (model.safetensors, config.json)");
  e->add_option("--checkpoint", a.options.checkpoint,
                "A run directory (its newest complete checkpoint) or a checkpoint")
      ->required();
  e->add_option("--format", a.format, "hf (GPT-2 or Llama layout, by the model's shape)")->check(CLI::IsMember({"hf"}));
  e->add_option("--out", a.options.out_dir, "Output directory")->required();
  e->add_option("--data", a.options.data_dir,
                "Prepared data directory whose SentencePiece tokenizer to ship (default: RUN/data if present)");
}

int run_export(const ExportArgs& a) {
  for (const std::string& path : backend::export_hf(a.options)) std::cout << path << "\n";
  return 0;
}

}  // namespace sprout::train_cli
