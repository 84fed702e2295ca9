// SPDX-License-Identifier: GPL-3.0-or-later
// Text output helpers shared by the `sprout` commands: aligned tables, CSV,
// human-readable numbers.
#pragma once

#include <string>
#include <vector>

#include "sprout/planner/base/format_units.h"

namespace sprout::cli {

enum class Format { kTable, kJson, kCsv };
Format parse_format(const std::string& name);  // throws InputError for unknown names
inline const std::vector<std::string> kFormatNames = {"table", "json", "csv"};

class TextTable {
 public:
  explicit TextTable(std::vector<std::string> header);
  void add_row(std::vector<std::string> row);
  void add_separator();
  std::string render() const;     // columns aligned, numbers right-aligned
  std::string render_csv() const; // RFC 4180 quoting

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
