// SPDX-License-Identifier: GPL-3.0-or-later
// Bad input is reported as one line, `file:line:col: field: what is wrong`
// (docs/formats.md "Exit codes"), and the CLI exits with status 2.
#pragma once

#include <stdexcept>
#include <string>

namespace sprout::planner {

// Where in an input file a value came from. Lines and columns are 1-based;
// 0 means unknown (e.g. a file that could not be opened at all).
struct SourceLocation {
  std::string file;
  int line = 0;
  int column = 0;
};

class InputError : public std::runtime_error {
 public:
  InputError(SourceLocation where, std::string field, std::string reason);

  const SourceLocation& where() const { return where_; }
  const std::string& field() const { return field_; }
  const std::string& reason() const { return reason_; }

 private:
  SourceLocation where_;
  std::string field_;
  std::string reason_;
};

// An InputError about a whole file (a binary file, or one whose header is
// wrong: no line to point at).
[[noreturn]] void throw_file_error(const std::string& path, const std::string& field, const std::string& reason);

// "file:line:col: field: reason" with the parts that are known.
std::string format_input_error(const SourceLocation& where, const std::string& field, const std::string& reason);

}  // namespace sprout::planner
