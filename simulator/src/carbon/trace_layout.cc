// SPDX-License-Identifier: GPL-3.0-or-later
#include "trace_layout.h"

#include <algorithm>
#include <optional>
#include <vector>

#include "sprout/planner/base/input_error.h"

namespace sprout::simulator {
namespace {

constexpr const char* kDatetime = "Datetime (UTC)";
constexpr const char* kDirectField = "Carbon Intensity gCO2eq/kWh (direct)";
constexpr const char* kLifeCycleField = "Carbon Intensity gCO2eq/kWh (LCA)";

// The header: the first line that is neither empty nor a '#' comment, BOM
// removed, with its 1-based line number.
std::pair<std::string, int> header_line(const std::string& text) {
  size_t begin = text.rfind("\xEF\xBB\xBF", 0) == 0 ? 3 : 0;
  int number = 1;
  while (begin < text.size()) {
    size_t end = text.find('\n', begin);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(begin, end - begin);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty() && line[0] != '#') return {line, number};
    begin = end + 1;
    ++number;
  }
  return {"", number};
}

// Comma-separated, double quotes around fields that hold commas, "" inside.
std::vector<std::string> split_csv(const std::string& line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (c == '"' && quoted && i + 1 < line.size() && line[i + 1] == '"') {
      fields.back() += '"';
      ++i;
    } else if (c == '"') {
      quoted = !quoted;
    } else if (c == ',' && !quoted) {
      fields.emplace_back();
    } else {
      fields.back() += c;
    }
  }
  for (auto& f : fields) {
    const size_t a = f.find_first_not_of(" \t"), b = f.find_last_not_of(" \t");
    f = a == std::string::npos ? "" : f.substr(a, b - a + 1);
  }
  return fields;
}

// Lower case, the subscript two (U+2082) as "2": the spellings compare equal.
std::string canonical(const std::string& column) {
  std::string out;
  for (size_t i = 0; i < column.size(); ++i) {
    if (column.compare(i, 3, "\u2082") == 0) {
      out += '2';
      i += 2;
    } else {
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(column[i])));
    }
  }
  return out;
}

std::optional<std::string> find_column(const std::vector<std::string>& columns,
                                       std::initializer_list<const char*> spellings) {
  for (const auto& c : columns) {
    for (const char* s : spellings) {
      if (canonical(c) == s) return c;
    }
  }
  return std::nullopt;
}

}  // namespace

TraceLayout detect_trace_layout(const std::string& text, const std::string& name, TraceColumn column) {
  const auto [line, number] = header_line(text);
  const std::string value_field = column == TraceColumn::kDirect ? kDirectField : kLifeCycleField;
  auto fail = [&, number = number](int col, const std::string& field, const std::string& reason) {
    throw planner::InputError({name, number, col}, field, reason);
  };
  if (line.empty()) {
    fail(0, "header", "empty file: expected the header `" + std::string(kDatetime) + "," + value_field + ",...`");
  }
  const std::vector<std::string> columns = split_csv(line);

  const auto point_time = find_column(columns, {"point_time"});
  const auto value = find_column(columns, {"value"});
  if (point_time && value) {
    if (column != TraceColumn::kDirect) {
      fail(1, "value", "WattTime's MOER is an operating (direct) emission rate: there is no life-cycle column");
    }
    return {TraceFormat::kWattTimeMoer, *point_time, *value, "value"};
  }

  const auto datetime = find_column(columns, {"datetime (utc)"});
  const auto direct = find_column(columns, {"carbon intensity gco2eq/kwh (direct)"});
  const auto life_cycle =
      find_column(columns, {"carbon intensity gco2eq/kwh (life cycle)", "carbon intensity gco2eq/kwh (lca)"});
  if (datetime || direct || life_cycle) {
    if (!datetime) fail(1, kDatetime, "missing column");
    const auto& wanted = column == TraceColumn::kDirect ? direct : life_cycle;
    if (!wanted) fail(1, value_field, "missing column");
    return {TraceFormat::kElectricityMaps, *datetime, *wanted, value_field};
  }

  std::string found;
  for (const auto& c : columns) found += (found.empty() ? "`" : ", `") + c + "`";
  throw planner::InputError({name, number, 1}, "header",
                            "not a carbon trace layout sprout knows; columns found: " + found +
                                "; expected Electricity Maps (`Datetime (UTC)`, `Carbon intensity gCO\u2082eq/kWh "
                                "(direct)` or `(Life cycle)`; older exports `(LCA)`) or WattTime (`point_time`, "
                                "`value`)");
}

}  // namespace sprout::simulator
