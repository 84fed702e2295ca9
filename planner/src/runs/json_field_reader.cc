// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/planner/runs/json_field_reader.h"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace sprout::planner {
namespace {

// A bound as people read it: whole numbers below 1e15 exactly, others shortened.
std::string shortest(double m) {
  if (m == std::floor(m) && std::fabs(m) < 1e15) return std::to_string(static_cast<long long>(m));
  std::ostringstream s;
  s << m;
  return s.str();
}

}  // namespace

JsonFieldReader::JsonFieldReader(const nlohmann::json& j, SourceLocation where, std::string prefix)
    : j_(j), where_(std::move(where)), prefix_(std::move(prefix)) {}

void JsonFieldReader::fail(const std::string& field, const std::string& reason) const {
  throw InputError(where_, prefix_ + field, reason);
}

std::optional<double> JsonFieldReader::optional_number(const char* field, double min) const {
  if (!has(field)) return std::nullopt;
  const auto& v = j_[field];
  if (!v.is_number()) fail(field, "expected a number, got " + v.dump());
  const double x = v.get<double>();
  if (!std::isfinite(x) || x < min) fail(field, v.dump() + " is not a finite number >= " + shortest(min));
  return x;
}

double JsonFieldReader::number(const char* field, double min) const {
  auto v = optional_number(field, min);
  if (!v) fail(field, "missing");
  return *v;
}

std::optional<long long> JsonFieldReader::optional_count(const char* field, double min, double max) const {
  const auto v = optional_number(field, min);
  if (v && *v > max) fail(field, j_[field].dump() + " is too large for a count (at most " + shortest(max) + ")");
  if (v && *v != std::floor(*v)) fail(field, j_[field].dump() + " is not a whole number");
  return v ? std::optional<long long>(static_cast<long long>(*v)) : std::nullopt;
}

long long JsonFieldReader::count(const char* field, double min, double max) const {
  const auto v = optional_count(field, min, max);
  if (!v) fail(field, "missing");
  return *v;
}

std::optional<std::string> JsonFieldReader::optional_text(const char* field) const {
  if (!has(field)) return std::nullopt;
  if (!j_[field].is_string()) fail(field, "expected a string, got " + j_[field].dump());
  return j_[field].get<std::string>();
}

std::string JsonFieldReader::required_text(const char* field) const {
  auto v = optional_text(field);
  if (!v) fail(field, "missing");
  return *v;
}

bool JsonFieldReader::boolean(const char* field) const {
  if (!has(field)) fail(field, "missing");
  if (!j_[field].is_boolean()) fail(field, "expected true or false, got " + j_[field].dump());
  return j_[field].get<bool>();
}

template <typename T, typename IsElement>
std::vector<T> JsonFieldReader::array_of(const char* field, IsElement is_element, const char* expected) const {
  if (!has(field)) fail(field, "missing");
  const auto& v = j_[field];
  if (!v.is_array() || !std::all_of(v.begin(), v.end(), is_element)) fail(field, expected);
  return v.get<std::vector<T>>();
}

std::vector<double> JsonFieldReader::numbers(const char* field) const {
  return array_of<double>(
      field, [](const nlohmann::json& x) { return x.is_number() && std::isfinite(x.get<double>()); },
      "expected an array of finite numbers");
}

std::vector<bool> JsonFieldReader::booleans(const char* field) const {
  return array_of<bool>(
      field, [](const nlohmann::json& x) { return x.is_boolean(); }, "expected an array of true and false");
}

JsonFieldReader JsonFieldReader::nested(const nlohmann::json& j, const std::string& field) const {
  return JsonFieldReader(j, where_, prefix_ + field + ".");
}

}  // namespace sprout::planner
