// SPDX-License-Identifier: GPL-3.0-or-later
// Text output helpers shared by the `sprout` commands: aligned tables, CSV,
// human-readable numbers.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "sprout/planner/base/enum_names.h"
#include "sprout/planner/base/format_units.h"

namespace sprout::cli {

// What a command prints (--format); most commands offer table, json and csv.
enum class Format { kTable, kJson, kCsv, kMarkdown };

}  // namespace sprout::cli

namespace sprout::planner {
template <>
struct EnumNameTable<cli::Format> {
  static constexpr EnumName<cli::Format> entries[] = {{cli::Format::kTable, "table"},
                                                      {cli::Format::kJson, "json"},
                                                      {cli::Format::kCsv, "csv"},
                                                      {cli::Format::kMarkdown, "markdown"}};
};
}  // namespace sprout::planner

namespace sprout::cli {

// --format, one of `allowed`.
inline const std::vector<Format> kTableJsonCsv = {Format::kTable, Format::kJson, Format::kCsv};
CLI::Option* add_format_option(CLI::App& cmd, Format& format, const std::vector<Format>& allowed = kTableJsonCsv);

class TextTable {
 public:
  explicit TextTable(std::vector<std::string> header);
  void add_row(std::vector<std::string> row);
  void add_separator();
  std::string render() const;      // columns aligned, numbers right-aligned
  std::string render_csv() const;  // RFC 4180 quoting

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;  // empty row = separator
};

using planner::human_count;
using planner::human_duration;
using planner::human_energy_kwh;
using planner::human_hours;
using planner::human_mass_kg;
using planner::human_number;
using planner::human_usd;
using planner::percent;
std::string csv_quote(const std::string& field);

}  // namespace sprout::cli
