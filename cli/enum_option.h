// SPDX-License-Identifier: GPL-3.0-or-later
// Command-line flags whose value is one of an enum's names (the enum's one
// table, planner/base/enum_names.h): CLI11 checks the spelling against the
// names ("--power-model: foo not in {tdp,typical}", exit 2), then the flag
// sets the enum.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>
#include <vector>

#include "sprout/planner/base/enum_names.h"

namespace sprout::cli {

// Only the `allowed` values (all of the enum's names when empty).
template <class E>
CLI::Option* add_enum_option(CLI::App& cmd, const std::string& flag, E& target, const std::string& help,
                             const std::vector<E>& allowed = {}) {
  std::vector<std::string> names;
  for (const E& value : allowed) names.emplace_back(planner::EnumNames<E>::name(value));
  if (allowed.empty()) names = planner::EnumNames<E>::names();
  return cmd
      .add_option_function<std::string>(
          flag, [&target](const std::string& name) { target = *planner::EnumNames<E>::parse(name); }, help)
      ->check(CLI::IsMember(names));
}

template <class E>
CLI::Option* add_enum_option(CLI::App& cmd, const std::string& flag, std::optional<E>& target,
                             const std::string& help) {
  return cmd
      .add_option_function<std::string>(
          flag, [&target](const std::string& name) { target = planner::EnumNames<E>::parse(name); }, help)
      ->check(CLI::IsMember(planner::EnumNames<E>::names()));
}

}  // namespace sprout::cli
