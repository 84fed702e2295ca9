// SPDX-License-Identifier: GPL-3.0-or-later
#include "output.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "enum_option.h"

namespace sprout::cli {

CLI::Option* add_format_option(CLI::App& cmd, Format& format, const std::vector<Format>& allowed) {
  std::string help;
  for (Format f : allowed) help += (help.empty() ? "" : " | ") + std::string(planner::EnumNames<Format>::name(f));
  return add_enum_option(cmd, "--format", format, help, allowed);
}

TextTable::TextTable(std::vector<std::string> header) : header_(std::move(header)) {}

void TextTable::add_row(std::vector<std::string> row) {
  row.resize(header_.size());
  rows_.push_back(std::move(row));
}

void TextTable::add_separator() { rows_.emplace_back(); }

static bool looks_numeric(const std::string& s) {
  if (s.empty()) return false;
  char c = s[0];
  return std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '+' || c == '$' || c == '.';
}

std::string TextTable::render() const {
  std::vector<size_t> width(header_.size(), 0);
  for (size_t i = 0; i < header_.size(); ++i) width[i] = header_[i].size();
  for (const auto& r : rows_) {
    for (size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
  }
  auto line = [&](const std::vector<std::string>& r, bool is_header) {
    std::string out;
    for (size_t i = 0; i < r.size(); ++i) {
      const bool right = !is_header && i > 0 && looks_numeric(r[i]);
      const std::string pad(width[i] - r[i].size(), ' ');
      out += right ? pad + r[i] : r[i] + pad;
      if (i + 1 < r.size()) out += "  ";
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out + "\n";
  };
  size_t total = 0;
  for (size_t w : width) total += w + 2;
  std::string out = line(header_, true);
  out += std::string(total > 2 ? total - 2 : 0, '-') + "\n";
  for (const auto& r : rows_) {
    out += r.empty() ? std::string(total > 2 ? total - 2 : 0, '-') + "\n" : line(r, false);
  }
  return out;
}

std::string csv_quote(const std::string& f) {
  if (f.find_first_of(",\"\n") == std::string::npos) return f;
  std::string out = "\"";
  for (char c : f) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string TextTable::render_csv() const {
  auto line = [](const std::vector<std::string>& r) {
    std::string out;
    for (size_t i = 0; i < r.size(); ++i) out += (i ? "," : "") + csv_quote(r[i]);
    return out + "\n";
  };
  std::string out = line(header_);
  for (const auto& r : rows_) {
    if (!r.empty()) out += line(r);
  }
  return out;
}

}  // namespace sprout::cli
