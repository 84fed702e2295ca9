// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/gui/palette_colors.h"

#include <QGraphicsLayout>
#include <algorithm>
#include <cmath>

namespace sprout::gui {
namespace {

// Relative luminance, WCAG 2.x definition (sRGB channels linearised).
double luminance(const QColor& c) {
  auto channel = [](double v) { return v <= 0.03928 ? v / 12.92 : std::pow((v + 0.055) / 1.055, 2.4); };
  return 0.2126 * channel(c.redF()) + 0.7152 * channel(c.greenF()) + 0.0722 * channel(c.blueF());
}

const QColor kRed(220, 40, 40);
const QColor kGreen(40, 160, 70);

}  // namespace

bool is_dark(const QPalette& palette) { return palette.color(QPalette::Base).lightnessF() < 0.5; }

QColor blend(const QColor& a, const QColor& b, double t) {
  t = std::clamp(t, 0.0, 1.0);
  return QColor::fromRgbF(static_cast<float>(a.redF() + (b.redF() - a.redF()) * t),
                          static_cast<float>(a.greenF() + (b.greenF() - a.greenF()) * t),
                          static_cast<float>(a.blueF() + (b.blueF() - a.blueF()) * t));
}

double contrast_ratio(const QColor& a, const QColor& b) {
  const double la = luminance(a), lb = luminance(b);
  return (std::max(la, lb) + 0.05) / (std::min(la, lb) + 0.05);
}

QColor error_background(const QPalette& palette) { return blend(palette.color(QPalette::Base), kRed, 0.25); }

QColor muted_background(const QPalette& palette) {
  return blend(palette.color(QPalette::Base), palette.color(QPalette::Text), 0.08);
}

QColor error_text(const QPalette& palette) {
  // Dark red on a light base, light red on a dark one.
  return is_dark(palette) ? blend(kRed, Qt::white, 0.45) : blend(kRed, Qt::black, 0.3);
}

QString message_style(const QPalette& palette, bool is_error) {
  const QColor background = is_error ? error_background(palette) : blend(palette.color(QPalette::Base), kGreen, 0.2);
  return QString("QLabel { background: %1; color: %2; padding: 6px; border-radius: 3px; }")
      .arg(background.name(), palette.color(QPalette::Text).name());
}

QChart* new_chart(const QString& title, const QPalette& palette) {
  auto* chart = new QChart;
  chart->setTheme(is_dark(palette) ? QChart::ChartThemeDark : QChart::ChartThemeLight);
  chart->setTitle(title);
  chart->setAnimationOptions(QChart::NoAnimation);
  // The room goes to the plot, labels and legend, not to frames around them.
  chart->layout()->setContentsMargins(0, 0, 0, 0);
  chart->setMargins(QMargins(8, 8, 28, 8));  // the right: half the last x label
  chart->setBackgroundRoundness(0);
  return chart;
}

QColor growth_color(const QPalette& palette) { return is_dark(palette) ? blend(kRed, Qt::white, 0.3) : kRed; }

}  // namespace sprout::gui
