// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/planner/base/shell_quote.h"

namespace sprout::planner {

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";  // close the quote, an escaped quote, reopen
    } else {
      out += c;
    }
  }
  return out + "'";
}

}  // namespace sprout::planner
