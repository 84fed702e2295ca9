// SPDX-License-Identifier: GPL-3.0-or-later
// Strict reading of YAML mappings: every key must be known, every number
// finite and in range, and every error names file, line, column and field.
// Used by the plan, profile and loss-model loaders (and by other libraries'
// YAML inputs) so that all of them reject bad input the same way.
#pragma once

#include <yaml-cpp/yaml.h>

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "sprout/planner/base/enum_names.h"
#include "sprout/planner/base/input_error.h"

namespace sprout::planner {

// Parses a whole YAML file (YAML::Load, never LoadAll: yaml-cpp 0.7's LoadAll
// can loop forever on some inputs). Throws InputError for a missing file or a
// syntax error.
YAML::Node load_yaml_file(const std::string& path);
YAML::Node load_yaml_string(const std::string& text, const std::string& name);

// Reads one YAML mapping. Call the getters for every key the format knows,
// then finish(): a key nobody asked for is an error ("unknown key").
class YamlFields {
 public:
  // `path` is the dotted field path of this mapping ("stages[1].parallel").
  YamlFields(const YAML::Node& node, std::string file, std::string path);

  bool has(const std::string& key) const;

  double number(const std::string& key, double min, double max);
  std::optional<double> optional_number(const std::string& key, double min, double max);
  // Integers may be written as 40, 4.0e1 or 101e9 but must be whole numbers.
  long long integer(const std::string& key, long long min, long long max);
  std::optional<long long> optional_integer(const std::string& key, long long min, long long max);
  // A list of whole numbers ([5, 6, 6, 5]); an entry out of range is
  // reported at the entry ("key[3]").
  std::optional<std::vector<long long>> optional_integer_list(const std::string& key, long long min, long long max);
  std::string text(const std::string& key);
  std::optional<std::string> optional_text(const std::string& key);
  bool boolean(const std::string& key);
  std::optional<bool> optional_boolean(const std::string& key);
  // One of `allowed`; the error lists them.
  std::string choice(const std::string& key, const std::vector<std::string>& allowed);
  std::optional<std::string> optional_choice(const std::string& key, const std::vector<std::string>& allowed);
  // One of the names of enum E (base/enum_names.h); the error lists them.
  template <class E>
  std::optional<E> optional_enum(const std::string& key) {
    const std::optional<std::string> name = optional_choice(key, EnumNames<E>::names());
    if (!name) return std::nullopt;
    return EnumNames<E>::parse(*name);
  }
  // A nested mapping or sequence, marked as used.
  YAML::Node child(const std::string& key);
  std::optional<YAML::Node> optional_child(const std::string& key);

  // Throws for the first key that no getter asked for.
  void finish() const;

  [[noreturn]] void fail(const std::string& key, const std::string& reason) const;
  [[noreturn]] void fail_here(const std::string& reason) const;
  SourceLocation location_of(const std::string& key) const;
  std::string field_name(const std::string& key) const;
  const std::string& file() const { return file_; }
  const std::string& path() const { return path_; }

 private:
  YAML::Node scalar(const std::string& key);
  YAML::Node node_;
  std::string file_;
  std::string path_;
  std::set<std::string> used_;
};

SourceLocation location_of(const YAML::Node& node, const std::string& file);

// Parses a YAML scalar as a finite double ("nan", "inf", ".nan" rejected).
std::optional<double> parse_finite_number(const std::string& text);

// The shortest text that parses back to the same double (what the writers emit).
std::string round_trip_text(double v);

}  // namespace sprout::planner
