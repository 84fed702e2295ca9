// SPDX-License-Identifier: GPL-3.0-or-later
// CSV parsing by fast-cpp-csv-parser (Debian libfccp-dev): quoting, header
// lookup by column name, comments, CRLF and the UTF-8 BOM of real downloads.
// trace_layout.h tells which columns to read.
#include "sprout/simulator/carbon/carbon_trace.h"

// The header's bounded strncpy of file names trips GCC 12's truncation
// warning where it is inlined into this file; the truncation is intended.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wstringop-truncation"
#endif
#define CSV_IO_NO_THREAD
#include <fmt/format.h>
#include <libfccp/csv.h>

#include <charconv>
#include <cmath>
#include <numeric>

#include "sprout/planner/base/file_io.h"
#include "sprout/planner/base/input_error.h"
#include "trace_layout.h"

namespace sprout::simulator {

const char* to_string(TraceColumn column) { return planner::EnumNames<TraceColumn>::name(column); }

double CarbonTrace::mean_g_co2e_per_kwh() const {
  if (g_co2e_per_kwh.empty()) return 0;
  return std::accumulate(g_co2e_per_kwh.begin(), g_co2e_per_kwh.end(), 0.0) /
         static_cast<double>(g_co2e_per_kwh.size());
}

namespace {

// WattTime's MOER is in lbs CO2 per MWh: x 453.59237 g/lb (the international
// avoirdupois pound) / 1000 kWh/MWh.
constexpr double kGramsPerKwhPerLbsPerMwh = 453.59237 / 1000;

using Reader = io::CSVReader<2, io::trim_chars<' ', '\t'>, io::double_quote_escape<',', '"'>, io::throw_on_overflow,
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

// One data row: its time and value, where they stand in the file.
struct TraceRow {
  unsigned line = 0;
  int time_col = 0, value_col = 0;  // 1-based; 0 when unknown
  std::string when;
  planner::UnixSeconds seconds = 0;
  double value = 0;
};

class TraceRows {
 public:
  TraceRows(const std::string& text, const std::string& name, const TraceLayout& layout)
      : name_(name), layout_(layout), raw_(text), reader_(name, text.data(), text.data() + text.size()) {
    try {
      reader_.read_header(io::ignore_extra_column, layout.time_column, layout.value_column);
    } catch (const io::error::base& e) {
      fail(reader_.get_file_line(), 0, "header", e.what());
    }
    header_line_ = reader_.get_file_line();
  }

  [[noreturn]] void fail(unsigned line, int col, const std::string& field, const std::string& reason) const {
    throw planner::InputError({name_, static_cast<int>(line), col}, field, reason);
  }
  unsigned header_line() const { return header_line_; }

  // The next row, checked: a UTC timestamp and a finite, non-negative number.
  bool next(TraceRow& row) {
    char *when = nullptr, *value = nullptr;
    try {
      if (!reader_.read_row(when, value)) return false;
    } catch (const io::error::too_few_columns&) {
      fail(reader_.get_file_line(), 0, "row", "too few fields");
    } catch (const io::error::too_many_columns&) {
      fail(reader_.get_file_line(), 0, "row", "too many fields");
    } catch (const io::error::escaped_string_not_closed&) {
      fail(reader_.get_file_line(), 0, "row", "a quoted field is not closed");
    } catch (const io::error::base& e) {
      fail(reader_.get_file_line(), 0, "row", e.what());
    }
    row.line = reader_.get_file_line();
    // Column of a field: the timestamp's place in the raw line plus the
    // field's offset from it in the reader's line buffer.
    const std::string_view raw_line = raw_.line(row.line);
    const size_t when_at = raw_line.find(when);
    auto column_of = [&](const char* field) {
      return when_at == std::string_view::npos ? 0 : static_cast<int>(when_at + (field - when)) + 1;
    };
    row.time_col = column_of(when);
    row.value_col = column_of(value);
    row.when = when;
    const std::string& time_field = layout_.time_column;
    const planner::ParsedTimestamp t = planner::parse_utc_timestamp(when);
    if (t.problem == planner::TimestampProblem::kNotUtc) {
      fail(row.line, row.time_col, time_field, fmt::format("'{}' is not in UTC", when));
    }
    if (t.problem != planner::TimestampProblem::kNone) {
      fail(row.line, row.time_col, time_field,
           fmt::format("'{}' is not a timestamp (expected e.g. 2023-01-01 00:00:00)", when));
    }
    row.seconds = t.seconds;
    const std::string_view v(value);
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), row.value);
    if (v.empty()) fail(row.line, row.value_col, layout_.value_field, "empty value");
    if (ec != std::errc() || end != v.data() + v.size() || !std::isfinite(row.value)) {
      fail(row.line, row.value_col, layout_.value_field, fmt::format("'{}' is not a number", v));
    }
    if (row.value < 0) fail(row.line, row.value_col, layout_.value_field, fmt::format("{} is negative", v));
    return true;
  }

 private:
  std::string name_;
  const TraceLayout& layout_;
  RawLines raw_;
  Reader reader_;
  unsigned header_line_ = 0;
};

// Electricity Maps: one row per hour, on the hour, without gaps.
void read_hourly(TraceRows& rows, const TraceLayout& layout, CarbonTrace& trace) {
  TraceRow row;
  planner::UnixSeconds previous = 0;
  const std::string& field = layout.time_column;
  while (rows.next(row)) {
    if (row.seconds % kTraceStepSeconds != 0) {
      rows.fail(row.line, row.time_col, field, fmt::format("'{}' is not on the hour", row.when));
    }
    if (!trace.g_co2e_per_kwh.empty()) {
      if (row.seconds <= previous) {
        rows.fail(row.line, row.time_col, field,
                  fmt::format("'{}' is not after the previous row ({}): timestamps must increase", row.when,
                              planner::format_utc_timestamp(previous)));
      }
      if (row.seconds != previous + kTraceStepSeconds) {
        rows.fail(
            row.line, row.time_col, field,
            fmt::format("gap of {} hours after {}: the trace must be hourly without gaps",
                        (row.seconds - previous) / kTraceStepSeconds - 1, planner::format_utc_timestamp(previous)));
      }
    } else {
      trace.start_unix_s = row.seconds;
    }
    previous = row.seconds;
    trace.g_co2e_per_kwh.push_back(row.value);
  }
}

// WattTime: a point every few minutes; each hour's value is the mean of
// its points (an hour without any is a gap), converted to g/kWh.
void read_moer_points(TraceRows& rows, const TraceLayout& layout, CarbonTrace& trace) {
  TraceRow row;
  planner::UnixSeconds previous = 0, hour = 0;
  double sum = 0;
  int count = 0;
  auto close_hour = [&] {
    if (count > 0) trace.g_co2e_per_kwh.push_back(sum / count * kGramsPerKwhPerLbsPerMwh);
    sum = 0;
    count = 0;
  };
  const std::string& field = layout.time_column;
  bool first = true;
  while (rows.next(row)) {
    const planner::UnixSeconds this_hour = row.seconds - row.seconds % kTraceStepSeconds;
    if (first) {
      trace.start_unix_s = hour = this_hour;
      first = false;
    } else if (row.seconds <= previous) {
      rows.fail(row.line, row.time_col, field,
                fmt::format("'{}' is not after the previous row ({}): timestamps must increase", row.when,
                            planner::format_utc_timestamp(previous)));
    } else if (this_hour != hour) {
      if (this_hour != hour + kTraceStepSeconds) {
        rows.fail(row.line, row.time_col, field,
                  fmt::format("gap of {} hours after {}: the trace must cover every hour",
                              (this_hour - hour) / kTraceStepSeconds - 1, planner::format_utc_timestamp(previous)));
      }
      close_hour();
      hour = this_hour;
    }
    previous = row.seconds;
    sum += row.value;
    ++count;
  }
  close_hour();
}

}  // namespace

CarbonTrace parse_carbon_trace(const std::string& text, const std::string& name, TraceColumn column) {
  CarbonTrace trace;
  trace.source_file = name;
  trace.column = column;
  const TraceLayout layout = detect_trace_layout(text, name, column);
  TraceRows rows(text, name, layout);
  if (layout.format == TraceFormat::kWattTimeMoer) {
    read_moer_points(rows, layout, trace);
  } else {
    read_hourly(rows, layout, trace);
  }
  if (trace.g_co2e_per_kwh.empty()) rows.fail(rows.header_line(), 0, layout.value_field, "the trace has no rows");
  return trace;
}

CarbonTrace load_carbon_trace(const std::string& path, TraceColumn column) {
  return parse_carbon_trace(planner::read_file(path), path, column);
}

}  // namespace sprout::simulator
