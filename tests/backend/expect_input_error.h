// SPDX-License-Identifier: GPL-3.0-or-later
// What the data tests share: bad input is a planner::InputError naming the
// field and the file.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "sprout/planner/base/input_error.h"

namespace sprout::backend::test {

// Expects `f` to throw planner::InputError naming `field` and `file_part`.
template <typename F>
void expect_input_error(F f, const std::string& field, const std::string& file_part) {
  try {
    f();
    ADD_FAILURE() << "no error for " << field;
  } catch (const planner::InputError& e) {
    EXPECT_EQ(e.field(), field) << e.what();
    EXPECT_NE(std::string(e.what()).find(file_part), std::string::npos) << e.what();
  }
}

}  // namespace sprout::backend::test
