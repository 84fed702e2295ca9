// SPDX-License-Identifier: GPL-3.0-or-later
// Token and batch counts as the plan table shows them (245.37B, 4.72M) and
// reads them back: "245.37B", "245.37e9" and "245370000000" are one value.
#pragma once

#include <QString>
#include <optional>

namespace sprout::gui {

// At most two decimals after K, M, B or T, trailing zeros dropped: 245.37B,
// 4.7M, 800K; below a million in full where K would round it: 4096, 32768.
QString format_count(double value);
// The shortest such text that reads back as exactly `value` (what the editor
// starts from, so that confirming it unchanged changes nothing).
QString exact_count_text(double value);

// A count typed by a user: a number, optionally with an exponent and one of
// the suffixes K (k), M, B (b, G), T (t). On failure `value` is empty and
// `error` says why in words a user can act on.
struct ParsedCount {
  std::optional<double> value;
  QString error;
};
ParsedCount parse_count(const QString& text);

}  // namespace sprout::gui
