// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/gui/count_text.h"

#include <QLocale>
#include <QRegularExpression>
#include <cmath>
#include <utility>

namespace sprout::gui {
namespace {

constexpr std::pair<double, char> kSuffixes[] = {{1e12, 'T'}, {1e9, 'B'}, {1e6, 'M'}, {1e3, 'K'}};

QString with_decimals(double value, int decimals, bool trim) {
  double size = 1;
  QString letter;
  for (const auto& [s, l] : kSuffixes) {
    if (std::fabs(value) >= s) {
      size = s;
      letter = QChar(l);
      break;
    }
  }
  QString digits = QString::number(value / size, 'f', decimals);
  if (trim && digits.contains('.')) {
    while (digits.endsWith('0')) digits.chop(1);
    if (digits.endsWith('.')) digits.chop(1);
  }
  return digits + letter;
}

bool reads_back(const QString& text, double value) { return parse_count(text).value == value; }

// Below a million a count is short enough to write in full when K would round it (4096, 32768).
bool plain_is_better(const QString& short_form, double value) {
  return std::fabs(value) < 1e6 && !reads_back(short_form, value);
}

QString plain(double value) { return QString::number(value, 'f', QLocale::FloatingPointShortest); }

}  // namespace

QString format_count(double value) {
  const QString short_form = with_decimals(value, 2, true);
  return plain_is_better(short_form, value) ? plain(value) : short_form;
}

QString exact_count_text(double value) {
  if (plain_is_better(with_decimals(value, 2, true), value)) return plain(value);
  for (int decimals = 0; decimals <= 15; ++decimals) {
    const QString text = with_decimals(value, decimals, true);
    if (parse_count(text).value == value) return text;
  }
  return QString::number(value, 'g', 17);
}

ParsedCount parse_count(const QString& text) {
  static const QRegularExpression kCount(R"(^\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*([kKMbBGtT]?)\s*$)");
  const QRegularExpressionMatch m = kCount.match(text);
  const QString hint = QStringLiteral("write it as 245.37B, 245.37e9 or 245370000000");
  if (!m.hasMatch()) return {std::nullopt, QString("\"%1\" is not a count: %2").arg(text.trimmed(), hint)};
  bool ok = false;
  double value = m.captured(1).toDouble(&ok);
  const QString suffix = m.captured(2).toUpper();
  for (const auto& [size, letter] : kSuffixes) {
    if (suffix == QChar(letter) || (letter == 'B' && suffix == "G")) value *= size;
  }
  if (!ok || !std::isfinite(value)) return {std::nullopt, QString("\"%1\" is out of range").arg(text.trimmed())};
  return {value, {}};
}

}  // namespace sprout::gui
