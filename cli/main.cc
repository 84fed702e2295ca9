// SPDX-License-Identifier: GPL-3.0-or-later
// The `sprout` command: parse arguments, call the libraries, print.
// Exit codes (docs/formats.md "Exit codes"): 0 ok, 2 bad input, 1 runtime failure.
#include <CLI/CLI.hpp>

#include <iostream>
#include <string>

#include "commands.h"
#include "sprout/planner/base/input_error.h"
#include "sprout/planner/base/version.h"

int main(int argc, char** argv) {
  CLI::App app{"sprout: plan, simulate, run and check growth training of large language models"};
  app.require_subcommand(1);
  app.set_version_flag("--version", sprout::planner::version_line("sprout"));
  sprout::cli::add_plan_command(app);
  sprout::cli::add_simulate_command(app);
  sprout::cli::add_validate_command(app);
  sprout::cli::add_export_command(app);
  sprout::cli::add_compare_command(app);
  sprout::cli::add_profile_command(app, argv);
  sprout::cli::add_search_command(app);
  sprout::cli::add_fit_loss_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;  // bad command line is bad input
  } catch (const sprout::planner::InputError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
