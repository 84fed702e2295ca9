// SPDX-License-Identifier: GPL-3.0-or-later
// Reads the fields of one JSON object that sprout wrote (a telemetry line, a
// checkpoint's state.json) and checks each one: every problem is an
// InputError naming the file, the line and `<prefix><field>` (docs/formats.md
// "Exit codes"), never a library's exception.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "sprout/planner/base/input_error.h"

namespace sprout::planner {

class JsonFieldReader {
 public:
  // `prefix` names the record kind in errors ("telemetry.", "state.").
  JsonFieldReader(const nlohmann::json& j, SourceLocation where, std::string prefix);

  [[noreturn]] void fail(const std::string& field, const std::string& reason) const;

  bool has(const char* field) const { return j_.contains(field) && !j_[field].is_null(); }

  // A finite number >= min.
  std::optional<double> optional_number(const char* field, double min = 0) const;
  double number(const char* field, double min = 0) const;

  // A count, cast to an integer: a number beyond `max` (2^53 by default, where
  // doubles stop counting exactly) is refused, as the cast of one beyond long
  // long's range is undefined (as fuzzing found in the Megatron-LM log reader).
  std::optional<long long> optional_count(const char* field, double min = 0, double max = 0x1p53) const;
  long long count(const char* field, double min = 0, double max = 0x1p53) const;

  std::string text(const char* field) const { return optional_text(field).value_or(""); }
  std::optional<std::string> optional_text(const char* field) const;
  std::string required_text(const char* field) const;

  bool boolean(const char* field) const;

  // An array of finite numbers (any sign) / of true and false.
  std::vector<double> numbers(const char* field) const;
  std::vector<bool> booleans(const char* field) const;

  // A nested object read by `parse`; its exceptions become this field's error.
  template <typename T, typename Parse>
  std::optional<T> optional_object(const char* field, Parse parse) const {
    if (!has(field)) return std::nullopt;
    try {
      return parse(j_[field]);
    } catch (const InputError&) {
      throw;  // already names its field (a nested reader's)
    } catch (const std::exception& e) {
      fail(field, e.what());
    }
  }
  template <typename T>
  std::optional<T> optional_object(const char* field, T (*parse)(const nlohmann::json&)) const {
    return optional_object<T, T (*)(const nlohmann::json&)>(field, parse);
  }

  // The same file and line, for an object nested in this one (`prefix.field.`).
  JsonFieldReader nested(const nlohmann::json& j, const std::string& field) const;

 private:
  // The elements of array `field` when every one passes `is_element`, else the error `expected`.
  template <typename T, typename IsElement>
  std::vector<T> array_of(const char* field, IsElement is_element, const char* expected) const;

  const nlohmann::json& j_;
  SourceLocation where_;
  std::string prefix_;
};

}  // namespace sprout::planner
