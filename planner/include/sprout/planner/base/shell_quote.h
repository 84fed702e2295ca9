// SPDX-License-Identifier: GPL-3.0-or-later
// Text for a POSIX shell command line (exported job scripts, scontrol calls).
#pragma once

#include <string>

namespace sprout::planner {

// POSIX shell single-quoting: safe for any string, including quotes, `$(...)`
// and newlines.
std::string shell_quote(const std::string& s);

}  // namespace sprout::planner
