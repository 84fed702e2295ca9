// SPDX-License-Identifier: GPL-3.0-or-later
// CSV parsing by fast-cpp-csv-parser (Debian libfccp-dev): quoting, header
// lookup by column name, comments, CRLF and the UTF-8 BOM of real downloads.
#include "sprout/simulator/carbon/carbon_trace.h"

// The header's bounded strncpy of file names trips GCC 12's truncation
// warning where it is inlined into this file; the truncation is intended.
#pragma GCC diagnostic ignored "-Wstringop-truncation"
#define CSV_IO_NO_THREAD
#include <fmt/format.h>
#include <libfccp/csv.h>

#include <charconv>
#include <cmath>
#include <numeric>

#include "sprout/planner/base/file_io.h"
#include "sprout/planner/base/input_error.h"

namespace sprout::simulator {

const char* to_string(TraceColumn column) { return planner::EnumNames<TraceColumn>::name(column); }

double CarbonTrace::mean_g_co2e_per_kwh() const {
  if (g_co2e_per_kwh.empty()) return 0;
  return std::accumulate(g_co2e_per_kwh.begin(), g_co2e_per_kwh.end(), 0.0) /
         static_cast<double>(g_co2e_per_kwh.size());
}

namespace {

constexpr const char* kDatetime = "Datetime (UTC)";
// Electricity Maps writes the subscript two (U+2082); hand-made files spell it "2".
constexpr const char* kDirectAscii = "Carbon Intensity gCO2eq/kWh (direct)";
constexpr const char* kDirectUnicode = "Carbon Intensity gCO\u2082eq/kWh (direct)";
constexpr const char* kLcaAscii = "Carbon Intensity gCO2eq/kWh (LCA)";
constexpr const char* kLcaUnicode = "Carbon Intensity gCO\u2082eq/kWh (LCA)";

using Reader = io::CSVReader<5, io::trim_chars<' ', '\t'>, io::double_quote_escape<',', '"'>, io::throw_on_overflow,
                             io::single_and_empty_line_comment<'#'>>;

// Maps the reader's line numbers back to the raw text for column numbers.
class RawLines {
 public:
  explicit RawLines(const std::string& text) : text_(text) {
    starts_.push_back(0);
    for (size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '\n') starts_.push_back(i + 1);
    }
  }
  std::string_view line(unsigned number) const {  // 1-based
    if (number == 0 || number > starts_.size()) return {};
    const size_t begin = starts_[number - 1];
    const size_t end = number < starts_.size() ? starts_[number] : text_.size();
    return std::string_view(text_).substr(begin, end - begin);
  }

 private:
  const std::string& text_;
  std::vector<size_t> starts_;
};

}  // namespace

CarbonTrace parse_carbon_trace(const std::string& text, const std::string& name, TraceColumn column) {
  CarbonTrace trace;
  trace.source_file = name;
  trace.column = column;
  const RawLines raw(text);
  const std::string intensity_field = column == TraceColumn::kDirect ? kDirectAscii : kLcaAscii;
  auto fail = [&](unsigned line, int col, const std::string& field, const std::string& reason) {
    throw planner::InputError({name, static_cast<int>(line), col}, field, reason);
  };

  Reader reader(name, text.data(), text.data() + text.size());
  try {
    reader.read_header(io::ignore_extra_column | io::ignore_missing_column, kDatetime, kDirectAscii, kDirectUnicode,
                       kLcaAscii, kLcaUnicode);
  } catch (const io::error::header_missing&) {
    fail(1, 0, "header",
         "empty file: expected the header `" + std::string(kDatetime) + "," + intensity_field + ",...`");
  } catch (const io::error::base& e) {
    fail(reader.get_file_line(), 0, "header", e.what());
  }
  const unsigned header_line = reader.get_file_line();
  if (!reader.has_column(kDatetime)) fail(header_line, 1, kDatetime, "missing column");
  const char* ascii = column == TraceColumn::kDirect ? kDirectAscii : kLcaAscii;
  const char* unicode = column == TraceColumn::kDirect ? kDirectUnicode : kLcaUnicode;
  if (!reader.has_column(ascii) && !reader.has_column(unicode)) {
    fail(header_line, 1, intensity_field, "missing column");
  }

  planner::UnixSeconds previous = 0;
  while (true) {
    char *when = nullptr, *direct_a = nullptr, *direct_u = nullptr, *lca_a = nullptr, *lca_u = nullptr;
    try {
      if (!reader.read_row(when, direct_a, direct_u, lca_a, lca_u)) break;
    } catch (const io::error::too_few_columns&) {
      fail(reader.get_file_line(), 0, "row", "too few fields");
    } catch (const io::error::too_many_columns&) {
      fail(reader.get_file_line(), 0, "row", "too many fields");
    } catch (const io::error::escaped_string_not_closed&) {
      fail(reader.get_file_line(), 0, "row", "a quoted field is not closed");
    } catch (const io::error::base& e) {
      fail(reader.get_file_line(), 0, "row", e.what());
    }
    const unsigned line = reader.get_file_line();
    const char* value = column == TraceColumn::kDirect ? (direct_a ? direct_a : direct_u) : (lca_a ? lca_a : lca_u);
    // Column of a field: the timestamp's place in the raw line plus the
    // field's offset from it in the reader's line buffer.
    const std::string_view raw_line = raw.line(line);
    const size_t when_at = raw_line.find(when);
    auto column_of = [&](const char* field) {
      if (when_at == std::string_view::npos) return 0;
      return static_cast<int>(when_at + (field - when)) + 1;
    };

    const planner::ParsedTimestamp t = planner::parse_utc_timestamp(when);
    if (t.problem == planner::TimestampProblem::kNotUtc) {
      fail(line, column_of(when), kDatetime, fmt::format("'{}' is not in UTC", when));
    }
    if (t.problem != planner::TimestampProblem::kNone) {
      fail(line, column_of(when), kDatetime,
           fmt::format("'{}' is not a timestamp (expected e.g. 2023-01-01 00:00:00)", when));
    }
    if (t.seconds % kTraceStepSeconds != 0) {
      fail(line, column_of(when), kDatetime, fmt::format("'{}' is not on the hour", when));
    }
    if (!trace.g_co2e_per_kwh.empty()) {
      if (t.seconds <= previous) {
        fail(line, column_of(when), kDatetime,
             fmt::format("'{}' is not after the previous row ({}): timestamps must increase", when,
                         planner::format_utc_timestamp(previous)));
      }
      if (t.seconds != previous + kTraceStepSeconds) {
        fail(line, column_of(when), kDatetime,
             fmt::format("gap of {} hours after {}: the trace must be hourly without gaps",
                         (t.seconds - previous) / kTraceStepSeconds - 1, planner::format_utc_timestamp(previous)));
      }
    } else {
      trace.start_unix_s = t.seconds;
    }
    previous = t.seconds;

    const std::string_view v(value);
    double g = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), g);
    if (v.empty()) fail(line, column_of(value), intensity_field, "empty value");
    if (ec != std::errc() || end != v.data() + v.size() || !std::isfinite(g)) {
      fail(line, column_of(value), intensity_field, fmt::format("'{}' is not a number", v));
    }
    if (g < 0) fail(line, column_of(value), intensity_field, fmt::format("{} is negative", v));
    trace.g_co2e_per_kwh.push_back(g);
  }
  if (trace.g_co2e_per_kwh.empty()) fail(header_line, 0, intensity_field, "the trace has no rows");
  return trace;
}

CarbonTrace load_carbon_trace(const std::string& path, TraceColumn column) {
  return parse_carbon_trace(planner::read_file(path), path, column);
}

}  // namespace sprout::simulator
