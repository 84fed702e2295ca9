// SPDX-License-Identifier: GPL-3.0-or-later
// The planner's UTF-8 strings as Qt's.
#pragma once

#include <QString>
#include <string>

namespace sprout::gui {

inline QString to_qstring(const std::string& s) { return QString::fromStdString(s); }

}  // namespace sprout::gui
