// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/planner/base/utc_time.h"

#include <fmt/format.h>

#include <charconv>
#include <chrono>

namespace sprout::planner {
namespace {

// Reads exactly `digits` decimal digits at `pos`.
bool read_digits(std::string_view s, size_t& pos, int digits, int& out) {
  if (pos + digits > s.size()) return false;
  auto [end, ec] = std::from_chars(s.data() + pos, s.data() + pos + digits, out);
  if (ec != std::errc() || end != s.data() + pos + digits) return false;
  pos += digits;
  return true;
}

bool expect(std::string_view s, size_t& pos, char c) {
  if (pos >= s.size() || s[pos] != c) return false;
  ++pos;
  return true;
}

}  // namespace

ParsedTimestamp parse_utc_timestamp(std::string_view s) {
  using namespace std::chrono;
  ParsedTimestamp out;
  out.problem = TimestampProblem::kMalformed;
  size_t pos = 0;
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (!read_digits(s, pos, 4, y) || !expect(s, pos, '-') || !read_digits(s, pos, 2, mo) || !expect(s, pos, '-') ||
      !read_digits(s, pos, 2, d)) {
    return out;
  }
  if (pos < s.size() && (s[pos] == 'T' || s[pos] == ' ')) {
    ++pos;
    if (!read_digits(s, pos, 2, h) || !expect(s, pos, ':') || !read_digits(s, pos, 2, mi)) return out;
    if (pos < s.size() && s[pos] == ':') {
      ++pos;
      if (!read_digits(s, pos, 2, sec)) return out;
      if (pos < s.size() && s[pos] == '.') {  // fractional seconds
        ++pos;
        double scale = 0.1;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
          out.fraction_s += scale * (s[pos] - '0');
          scale /= 10;
          ++pos;
        }
      }
    }
  }
  const year_month_day date{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  if (!date.ok() || h > 23 || mi > 59 || sec > 60) {
    out.fraction_s = 0;
    return out;
  }
  const std::string_view zone = s.substr(pos);
  if (!(zone.empty() || zone == "Z" || zone == "+00:00" || zone == "+0000" || zone == "-00:00")) {
    const bool offset = (zone[0] == '+' || zone[0] == '-') && zone.size() >= 3;
    out.problem = offset ? TimestampProblem::kNotUtc : TimestampProblem::kMalformed;
    return out;
  }
  out.seconds = sys_days{date}.time_since_epoch() / std::chrono::seconds(1) + h * 3600LL + mi * 60LL + sec;
  out.problem = TimestampProblem::kNone;
  return out;
}

std::string format_utc_timestamp(UnixSeconds seconds) {
  using namespace std::chrono;
  const sys_seconds t{std::chrono::seconds(seconds)};
  const sys_days day = floor<days>(t);
  const year_month_day date{day};
  const hh_mm_ss<std::chrono::seconds> tod{t - day};
  return fmt::format("{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}Z", static_cast<int>(date.year()),
                     static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()), tod.hours().count(),
                     tod.minutes().count(), tod.seconds().count());
}

}  // namespace sprout::planner
