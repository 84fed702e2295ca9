// SPDX-License-Identifier: GPL-3.0-or-later
// Text output helpers shared by the `sprout` commands: aligned tables, CSV,
// human-readable numbers.
#pragma once

#include <string>
#include <vector>

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

// 1.65e10 -> "16.5B", 2.4537e11 -> "245.4B", 3.2e6 -> "3.2M"
std::string human_count(double value);
// Fixed decimals, thousands separators for large values: 99256.3 -> "99,256"
std::string human_number(double value, int decimals = 0);
std::string percent(double fraction, int decimals = 1);
// Seconds as "21.54 d", "3.2 h", "12.5 min" or "42.0 s".
std::string human_duration(double seconds);
std::string human_energy_kwh(double kwh);  // "41.9 MWh", "12.30 kWh", "250.0 Wh"
std::string human_mass_kg(double kg);      // "24.4 t", "3.20 kg", "12.0 g"
std::string human_usd(double usd);         // "$95,201", "$12.34", "$0.0021"
std::string human_hours(double hours);     // "95,201", "12.3", "0.0042"
std::string csv_quote(const std::string& field);

}  // namespace sprout::cli
