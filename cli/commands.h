// SPDX-License-Identifier: GPL-3.0-or-later
// Each `sprout` subcommand registers itself on the app. main.cc maps
// exceptions to exit codes: InputError -> 2, anything else -> 1.
#pragma once

#include <CLI/CLI.hpp>

namespace sprout::cli {

void add_plan_command(CLI::App& app);
void add_simulate_command(CLI::App& app);
void add_validate_command(CLI::App& app);
void add_export_command(CLI::App& app);
void add_compare_command(CLI::App& app);
// `argv`: the program's, for a re-execution with the settings LibTorch reads
// when it is loaded (sprout/backend/process_setup.h).
void add_profile_command(CLI::App& app, char** argv);
void add_search_command(CLI::App& app);
void add_fit_loss_command(CLI::App& app);

}  // namespace sprout::cli
