// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/planner/io/yaml_fields.h"

#include <fmt/format.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "sprout/planner/base/file_io.h"
#include "sprout/planner/base/utf8.h"

namespace sprout::planner {

SourceLocation location_of(const YAML::Node& node, const std::string& file) {
  if (!node.IsDefined()) return {file, 0, 0};
  const YAML::Mark m = node.Mark();
  if (m.line < 0) return {file, 0, 0};
  return {file, m.line + 1, m.column + 1};
}

YAML::Node load_yaml_string(const std::string& text, const std::string& name) {
  try {
    YAML::Node root = YAML::Load(text);
    if (!root.IsDefined() || root.IsNull()) {
      throw InputError({name, 1, 1}, "", "file is empty (expected a YAML mapping)");
    }
    return root;
  } catch (const YAML::ParserException& e) {
    throw InputError({name, e.mark.line + 1, e.mark.column + 1}, "", "malformed YAML: " + e.msg);
  } catch (const YAML::Exception& e) {
    throw InputError({name, e.mark.line + 1, e.mark.column + 1}, "", "YAML error: " + e.msg);
  }
}

YAML::Node load_yaml_file(const std::string& path) { return load_yaml_string(read_file(path), path); }

std::string round_trip_text(double v) { return fmt::format("{}", v); }

std::optional<double> parse_finite_number(const std::string& text) {
  if (text.empty()) return std::nullopt;
  const char* begin = text.c_str();
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(begin, &end);
  if (end == begin) return std::nullopt;
  while (*end == ' ' || *end == '\t') ++end;
  if (*end != '\0') return std::nullopt;
  if (errno == ERANGE || !std::isfinite(v)) return std::nullopt;
  // strtod accepts "nan"/"inf"/hex; YAML's ".nan"/".inf" fail above already.
  for (const char* c = begin; *c; ++c) {
    if (*c == 'n' || *c == 'N' || *c == 'i' || *c == 'I' || *c == 'x' || *c == 'X') {
      return std::nullopt;
    }
  }
  return v;
}

YamlFields::YamlFields(const YAML::Node& node, std::string file, std::string path)
    : node_(node), file_(std::move(file)), path_(std::move(path)) {
  if (!node_.IsMap()) {
    throw InputError(planner::location_of(node_, file_), path_.empty() ? "<top level>" : path_,
                     "expected a mapping of key: value");
  }
  std::map<std::string, int> seen;
  for (const auto& kv : node_) {
    std::string key = kv.first.Scalar();
    if (first_invalid_utf8(key)) {
      throw InputError(planner::location_of(kv.first, file_), path_.empty() ? "<top level>" : path_,
                       "a key is not valid UTF-8");
    }
    if (++seen[key] > 1) {
      throw InputError(planner::location_of(kv.first, file_), field_name(key), "duplicate key");
    }
  }
}

std::string YamlFields::field_name(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }

SourceLocation YamlFields::location_of(const std::string& key) const {
  for (const auto& kv : node_) {
    if (kv.first.Scalar() == key) return planner::location_of(kv.second, file_);
  }
  return planner::location_of(node_, file_);
}

void YamlFields::fail(const std::string& key, const std::string& reason) const {
  throw InputError(location_of(key), field_name(key), reason);
}

void YamlFields::fail_here(const std::string& reason) const {
  throw InputError(planner::location_of(node_, file_), path_.empty() ? "<top level>" : path_, reason);
}

bool YamlFields::has(const std::string& key) const {
  for (const auto& kv : node_) {
    if (kv.first.Scalar() == key) return true;
  }
  return false;
}

YAML::Node YamlFields::scalar(const std::string& key) {
  used_.insert(key);
  for (const auto& kv : node_) {
    if (kv.first.Scalar() == key) {
      if (!kv.second.IsScalar()) fail(key, "expected a single value, not a list or mapping");
      return kv.second;
    }
  }
  fail(key, "missing (required)");
}

std::optional<double> YamlFields::optional_number(const std::string& key, double min, double max) {
  if (!has(key)) {
    used_.insert(key);
    return std::nullopt;
  }
  return number(key, min, max);
}

double YamlFields::number(const std::string& key, double min, double max) {
  const YAML::Node n = scalar(key);
  auto v = parse_finite_number(n.Scalar());
  if (!v) fail(key, "'" + n.Scalar() + "' is not a finite number");
  if (*v < min || *v > max) {
    std::ostringstream msg;
    msg << n.Scalar() << " is out of range [" << min << ", " << max << "]";
    fail(key, msg.str());
  }
  return *v;
}

long long YamlFields::integer(const std::string& key, long long min, long long max) {
  double v = number(key, static_cast<double>(min), static_cast<double>(max));
  if (v != std::floor(v)) fail(key, "must be a whole number, got " + scalar(key).Scalar());
  return static_cast<long long>(v);
}

std::optional<long long> YamlFields::optional_integer(const std::string& key, long long min, long long max) {
  if (!has(key)) {
    used_.insert(key);
    return std::nullopt;
  }
  return integer(key, min, max);
}

std::optional<std::vector<long long>> YamlFields::optional_integer_list(const std::string& key, long long min,
                                                                        long long max) {
  used_.insert(key);
  if (!has(key)) return std::nullopt;
  const YAML::Node list = child(key);
  if (!list.IsSequence() || list.size() == 0) fail(key, "expected a non-empty list of whole numbers");
  std::vector<long long> out;
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string entry = field_name(key) + "[" + std::to_string(i) + "]";
    const SourceLocation at = planner::location_of(list[i], file_);
    const auto v = list[i].IsScalar() ? parse_finite_number(list[i].Scalar()) : std::nullopt;
    if (!v || *v != std::floor(*v)) throw InputError(at, entry, "expected a whole number");
    if (*v < static_cast<double>(min) || *v > static_cast<double>(max)) {
      std::ostringstream msg;
      msg << list[i].Scalar() << " is out of range [" << min << ", " << max << "]";
      throw InputError(at, entry, msg.str());
    }
    out.push_back(static_cast<long long>(*v));
  }
  return out;
}

std::string YamlFields::text(const std::string& key) {
  const YAML::Node n = scalar(key);
  if (n.Scalar().empty()) fail(key, "must not be empty");
  if (const auto bad = first_invalid_utf8(n.Scalar())) {
    fail(key, "is not valid UTF-8 (byte " + std::to_string(*bad + 1) + " of the value)");
  }
  return n.Scalar();
}

std::optional<std::string> YamlFields::optional_text(const std::string& key) {
  if (!has(key)) {
    used_.insert(key);
    return std::nullopt;
  }
  return text(key);
}

bool YamlFields::boolean(const std::string& key) {
  const std::string s = scalar(key).Scalar();
  if (s == "true" || s == "yes" || s == "on") return true;
  if (s == "false" || s == "no" || s == "off") return false;
  fail(key, "'" + s + "' is not true or false");
}

std::optional<bool> YamlFields::optional_boolean(const std::string& key) {
  if (!has(key)) {
    used_.insert(key);
    return std::nullopt;
  }
  return boolean(key);
}

std::string YamlFields::choice(const std::string& key, const std::vector<std::string>& allowed) {
  std::string v = text(key);
  for (const auto& a : allowed) {
    if (a == v) return v;
  }
  std::string list;
  for (const auto& a : allowed) list += (list.empty() ? "" : " | ") + a;
  fail(key, "'" + v + "' is not one of " + list);
}

std::optional<std::string> YamlFields::optional_choice(const std::string& key,
                                                       const std::vector<std::string>& allowed) {
  if (!has(key)) {
    used_.insert(key);
    return std::nullopt;
  }
  return choice(key, allowed);
}

YAML::Node YamlFields::child(const std::string& key) {
  used_.insert(key);
  for (const auto& kv : node_) {
    if (kv.first.Scalar() == key) return kv.second;
  }
  fail(key, "missing (required)");
}

std::optional<YAML::Node> YamlFields::optional_child(const std::string& key) {
  if (!has(key)) {
    used_.insert(key);
    return std::nullopt;
  }
  return child(key);
}

void YamlFields::finish() const {
  for (const auto& kv : node_) {
    const std::string key = kv.first.Scalar();
    if (!used_.count(key)) {
      throw InputError(planner::location_of(kv.first, file_), field_name(key), "unknown key");
    }
  }
}

}  // namespace sprout::planner
