// SPDX-License-Identifier: GPL-3.0-or-later
// The pure pieces behind readable charts and the plan table: nice ticks, tick
// labels with units, UTC time ticks, counts shown and typed, palette contrast.
#include "sprout/gui/nice_axis.h"

#include <gtest/gtest.h>

#include <QDateTime>
#include <QPalette>
#include <QTimeZone>

#include "gui_test_util.h"
#include "sprout/gui/count_text.h"
#include "sprout/gui/palette_colors.h"

namespace sprout::gui {
namespace {

QStringList labels(double min, double max, const AxisUnit& unit, int max_ticks) {
  return nice_axis(min, max, unit, max_ticks).labels;
}

long long utc_s(int y, int m, int d, int h = 0) {
  return QDateTime(QDate(y, m, d), QTime(h, 0), QTimeZone::utc()).toSecsSinceEpoch();
}

TEST(NiceTicks, StepsOfOneTwoOrFiveTimesAPowerOfTen) {
  const NiceScale budget = nice_ticks(0, 104998, 7);  // the budget chart's dollars, once 26249 / 52499 / 78748
  EXPECT_EQ(budget.lo, 0);
  EXPECT_EQ(budget.hi, 120000);
  EXPECT_EQ(budget.step, 20000);
  EXPECT_EQ(budget.ticks().size(), 7u);
  const NiceScale carbon = nice_ticks(0, 42.7 * 1.12, 6);  // the carbon chart's top, once 42.7
  EXPECT_EQ(carbon.hi, 50);
  EXPECT_EQ(carbon.step, 10);
  const NiceScale negative = nice_ticks(-3, 7, 6);
  EXPECT_EQ(negative.lo, -5);
  EXPECT_EQ(negative.hi, 10);
  EXPECT_EQ(negative.step, 5);
  const NiceScale small = nice_ticks(2.03, 2.75, 6);
  EXPECT_DOUBLE_EQ(small.step, 0.2);
  EXPECT_DOUBLE_EQ(small.lo, 2.0);
  EXPECT_DOUBLE_EQ(small.hi, 2.8);
}

TEST(NiceTicks, NothingToSpanStillGivesAnAxis) {
  const NiceScale zero = nice_ticks(0, 0, 6);
  EXPECT_EQ(zero.lo, 0);
  EXPECT_EQ(zero.hi, 1);
  const NiceScale one = nice_ticks(5, 5, 6);
  EXPECT_LT(one.lo, 5);
  EXPECT_GT(one.hi, 5);
  const NiceScale nan = nice_ticks(std::nan(""), 1, 6);
  EXPECT_EQ(nan.ticks().size(), 2u);
}

TEST(NiceAxis, LabelsWithSiSuffixesAndUnits) {
  EXPECT_EQ(labels(0, 104998, usd_unit(), 7), QStringList({"$0", "$20K", "$40K", "$60K", "$80K", "$100K", "$120K"}));
  EXPECT_EQ(labels(0, 1.6e6, count_unit(), 9),
            QStringList({"0", "200K", "400K", "600K", "800K", "1.0M", "1.2M", "1.4M", "1.6M"}));
  EXPECT_EQ(labels(0, 2.4, mass_unit(1000), 6), QStringList({"0.0 t", "0.5 t", "1.0 t", "1.5 t", "2.0 t", "2.5 t"}));
  EXPECT_EQ(labels(0, 47.8, mass_unit(1000), 6), QStringList({"0 t", "10 t", "20 t", "30 t", "40 t", "50 t"}));
  EXPECT_EQ(labels(2.03, 2.75, plain_unit(), 6), QStringList({"2.0", "2.2", "2.4", "2.6", "2.8"}));
  EXPECT_EQ(labels(0, 3.1e11, count_unit(), 5), QStringList({"0", "100B", "200B", "300B", "400B"}));
  EXPECT_EQ(labels(-3, 7, plain_unit(" d"), 6), QStringList({"-5 d", "0 d", "5 d", "10 d"}));
}

TEST(NiceAxis, OneUnitPerAxisChosenByItsLargestValue) {
  // Days on a days axis; hours when it spans less than a day.
  EXPECT_EQ(labels(0, 68.46, duration_unit(86400), 6), QStringList({"0 d", "20 d", "40 d", "60 d", "80 d"}));
  EXPECT_EQ(labels(0, 0.5, duration_unit(86400), 6), QStringList({"0 h", "5 h", "10 h", "15 h"}));
  // A tiny run's CO2e in kg reads in grams, its energy in Wh.
  EXPECT_EQ(labels(0, 0.000657, mass_unit(1), 6), QStringList({"0.0 g", "0.2 g", "0.4 g", "0.6 g", "0.8 g"}));
  EXPECT_EQ(labels(0, 0.0017, energy_unit(1), 5), QStringList({"0.0 Wh", "0.5 Wh", "1.0 Wh", "1.5 Wh", "2.0 Wh"}));
  EXPECT_EQ(unit_step_for(energy_unit(1000), 41.9).suffix, " MWh");
  // The ticks are nice in the unit shown, and the values stay in the data's unit.
  const AxisTicks seconds = nice_axis(0, 20 * 86400.0, duration_unit(1), 6);
  EXPECT_EQ(seconds.labels, QStringList({"0 d", "5 d", "10 d", "15 d", "20 d"}));
  EXPECT_EQ(seconds.values[1], 5 * 86400.0);
}

TEST(UtcTimeTicks, CalendarBoundariesInUtc) {
  const TimeTicks weeks = utc_time_ticks(utc_s(2023, 3, 1), utc_s(2023, 4, 15), 8);
  EXPECT_EQ(weeks.labels, QStringList({"Mar 6", "Mar 13", "Mar 20", "Mar 27", "Apr 3", "Apr 10"}));
  EXPECT_EQ(weeks.unix_s.front(), utc_s(2023, 3, 6));
  const TimeTicks year = utc_time_ticks(utc_s(2023, 1, 1), utc_s(2024, 1, 1), 8);
  EXPECT_EQ(year.labels,
            QStringList({"Jan 2023", "Mar 2023", "May 2023", "Jul 2023", "Sep 2023", "Nov 2023", "Jan 2024"}));
  const TimeTicks day = utc_time_ticks(utc_s(2023, 3, 1), utc_s(2023, 3, 2), 8);
  EXPECT_EQ(day.labels, QStringList({"Mar 1 00:00", "Mar 1 06:00", "Mar 1 12:00", "Mar 1 18:00", "Mar 2 00:00"}));
  const TimeTicks minutes = utc_time_ticks(utc_s(2023, 3, 1, 10) + 600, utc_s(2023, 3, 1, 10) + 1800, 8);
  EXPECT_EQ(minutes.labels, QStringList({"Mar 1 10:10", "Mar 1 10:30"}));
}

TEST(CountText, ShownWithSiSuffixes) {
  EXPECT_EQ(format_count(245.37e9), "245.37B");
  EXPECT_EQ(format_count(4.72e6), "4.72M");
  EXPECT_EQ(format_count(4.7e6), "4.7M");
  EXPECT_EQ(format_count(800e3), "800K");
  EXPECT_EQ(format_count(1.5e12), "1.5T");
  EXPECT_EQ(format_count(512), "512");
  EXPECT_EQ(format_count(4096), "4096");  // a batch of 4096 tokens is not "4.1K"
  EXPECT_EQ(format_count(32768), "32768");
  EXPECT_EQ(format_count(1500), "1.5K");
  EXPECT_EQ(format_count(245.374e9), "245.37B");
  // The editor starts from text that reads back exactly.
  EXPECT_EQ(exact_count_text(245.374e9), "245.374B");
  EXPECT_EQ(exact_count_text(245.37e9), "245.37B");
  EXPECT_EQ(exact_count_text(4096), "4096");
  EXPECT_EQ(exact_count_text(1.234567e6), "1.234567M");
}

TEST(CountText, TypedInEitherFormOrAsAPlainNumber) {
  for (const char* text : {"245.37B", "245.37e9", "245370000000", " 245.37 B ", "245.37b", "245.37G", "0.24537T"}) {
    const ParsedCount p = parse_count(text);
    ASSERT_TRUE(p.value.has_value()) << text << ": " << p.error.toStdString();
    EXPECT_DOUBLE_EQ(*p.value, 245.37e9) << text;
  }
  EXPECT_DOUBLE_EQ(*parse_count("4.72M").value, 4.72e6);
  EXPECT_DOUBLE_EQ(*parse_count("800k").value, 800e3);
  EXPECT_DOUBLE_EQ(*parse_count(exact_count_text(245.374e9)).value, 245.374e9);
  for (const char* bad : {"", "lots", "12Q", "1.2.3B", "4,72M", "245.37 BB", "m"}) {
    const ParsedCount p = parse_count(bad);
    EXPECT_FALSE(p.value.has_value()) << bad;
    EXPECT_NE(p.error.indexOf("is not a count"), -1) << p.error.toStdString();
    EXPECT_NE(p.error.indexOf("245.37B, 245.37e9 or 245370000000"), -1) << p.error.toStdString();
  }
  EXPECT_NE(parse_count("1e999").error.indexOf("out of range"), -1);
}

QPalette light_palette() {
  QPalette p;
  p.setColor(QPalette::Base, Qt::white);
  p.setColor(QPalette::Text, Qt::black);
  return p;
}

TEST(PaletteColors, ReadableOnLightAndDarkThemes) {
  EXPECT_NEAR(contrast_ratio(Qt::black, Qt::white), 21.0, 1e-9);
  using test_util::dark_palette;
  for (const QPalette& p : {light_palette(), dark_palette()}) {
    const QColor text = p.color(QPalette::Text);
    // WCAG AA for text: 4.5:1.
    EXPECT_GE(contrast_ratio(text, error_background(p)), 4.5);
    EXPECT_GE(contrast_ratio(text, muted_background(p)), 4.5);
    EXPECT_GE(contrast_ratio(error_text(p), p.color(QPalette::Base)), 4.5);
  }
  EXPECT_TRUE(is_dark(dark_palette()));
  EXPECT_FALSE(is_dark(light_palette()));
  EXPECT_NE(message_style(dark_palette(), true).indexOf(QColor(230, 230, 230).name()), -1);
  QChart* chart = new_chart("t", dark_palette());
  EXPECT_EQ(chart->theme(), QChart::ChartThemeDark);
  delete chart;
}

}  // namespace
}  // namespace sprout::gui
