// SPDX-License-Identifier: GPL-3.0-or-later
// A file another file names (a plan's hardware, region, price list, training
// data), loaded: whatever is wrong with it is reported where it is named, the
// file's own message kept ("plan.yaml:4:11: hardware:
// profiles/hardware/x.yaml:3:1: peak_tflops: ..."). An error already about
// the naming file itself passes unchanged.
#pragma once

#include <filesystem>
#include <string>

#include "sprout/planner/base/input_error.h"

namespace sprout::planner {

template <typename Load>
auto load_referenced(const SourceLocation& at, const std::string& field, Load load) -> decltype(load()) {
  try {
    return load();
  } catch (const InputError& e) {
    if (e.where().file == at.file) throw;
    throw InputError(at, field, e.what());
  } catch (const std::filesystem::filesystem_error& e) {
    throw InputError(at, field, e.path1().string() + ": " + e.code().message());
  }
}

}  // namespace sprout::planner
