// SPDX-License-Identifier: GPL-3.0-or-later
// `sprout-train prepare`: text or JSONL files -> token shards or a Megatron-LM dataset.
#pragma once

#include <CLI/CLI.hpp>

#include "data/corpus.h"

namespace sprout::train_cli {

struct PrepareArgs {
  backend::PrepareOptions options;
  bool json = false;
};

void add_prepare_command(CLI::App& app, PrepareArgs& args);
int run_prepare(PrepareArgs& args);

}  // namespace sprout::train_cli
