// SPDX-License-Identifier: GPL-3.0-or-later
// Test helper: an enum's name table (sprout/planner/base/enum_names.h) covers
// every value, each name parses back to its value, and no name is used twice.
#pragma once

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "sprout/planner/base/enum_names.h"

namespace sprout::test {

template <class E>
void expect_round_trip(const std::vector<E>& every_value) {
  using Names = planner::EnumNames<E>;
  for (E value : every_value) {
    const std::string name = Names::name(value);
    EXPECT_NE(name, "?") << "value " << static_cast<int>(value) << " has no name";
    EXPECT_EQ(Names::parse(name), value) << name;
  }
  const std::vector<std::string> names = Names::names();
  EXPECT_EQ(std::set<std::string>(names.begin(), names.end()).size(), names.size()) << Names::list();
  EXPECT_FALSE(Names::parse("no-such-name"));
  EXPECT_NE(Names::not_one_of("no-such-name").find(Names::list()), std::string::npos);
}

}  // namespace sprout::test
