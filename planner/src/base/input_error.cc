// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/planner/base/input_error.h"

#include <fmt/format.h>

#include <utility>

namespace sprout::planner {

std::string format_input_error(const SourceLocation& where, const std::string& field, const std::string& reason) {
  std::string out = where.file.empty() ? std::string("<input>") : where.file;
  if (where.line > 0) {
    out += ":" + std::to_string(where.line);
    if (where.column > 0) out += ":" + std::to_string(where.column);
  }
  out += ": ";
  if (!field.empty()) out += field + ": ";
  out += reason;
  // One line, always: a value quoted in the reason (a YAML block scalar, a
  // telemetry line, a parser's message) may hold line breaks or other control
  // characters, shown escaped.
  std::string line;
  for (const char c : out) {
    if (c == '\n') {
      line += "\\n";
    } else if (c == '\r') {
      line += "\\r";
    } else if (static_cast<unsigned char>(c) < 0x20 && c != '\t') {
      line += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
    } else {
      line += c;
    }
  }
  return line;
}

InputError::InputError(SourceLocation where, std::string field, std::string reason)
    : std::runtime_error(format_input_error(where, field, reason)),
      where_(std::move(where)),
      field_(std::move(field)),
      reason_(std::move(reason)) {}

void throw_file_error(const std::string& path, const std::string& field, const std::string& reason) {
  throw InputError({path, 0, 0}, field, reason);
}

}  // namespace sprout::planner
