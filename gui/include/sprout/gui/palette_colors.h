// SPDX-License-Identifier: GPL-3.0-or-later
// Colours taken from the widget palette, so a dark theme stays legible: tints
// of the palette's own base for error and success backgrounds (the text on
// them keeps the palette's text colour), charts in the matching Qt Charts
// theme. Nothing here names a fixed background colour with a fixed text colour.
#pragma once

#include <QChart>
#include <QColor>
#include <QPalette>
#include <QString>

namespace sprout::gui {

bool is_dark(const QPalette& palette);
// `a` moved `t` (0..1) of the way to `b`.
QColor blend(const QColor& a, const QColor& b, double t);
// WCAG 2 contrast ratio of two colours (1 to 21; 4.5 is readable text).
double contrast_ratio(const QColor& a, const QColor& b);

QColor error_background(const QPalette& palette);  // a red tint of the base
QColor muted_background(const QPalette& palette);  // a cell that cannot be edited
QColor error_text(const QPalette& palette);        // a red readable on the base
// Style sheet of a message label: tinted background, the palette's text.
QString message_style(const QPalette& palette, bool is_error);

// A new chart titled `title`, in the Qt Charts theme that matches the palette.
QChart* new_chart(const QString& title, const QPalette& palette);
// The colour charts mark growth with (red, lighter on a dark theme).
QColor growth_color(const QPalette& palette);

}  // namespace sprout::gui
