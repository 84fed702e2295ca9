// SPDX-License-Identifier: GPL-3.0-or-later
// tests/backend/hf_numpy_forward.py from a test: the loss of an independent
// NumPy forward (no LibTorch, no code shared with the writer) of a model
// exported with `sprout-train export --format hf`.
#pragma once

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>

#include "test_paths.h"

namespace sprout::backend::test {

// Debian's python3 (python3-numpy), else whichever python3 comes first; "" when none has NumPy.
inline std::string numpy_python() {
  for (const char* p : {"/usr/bin/python3", "python3"}) {
    if (sprout::test::run_command(std::string(p) + " -c 'import numpy'").exit_code == 0) return p;
  }
  return "";
}

// The script's answer ({"loss", "windows", "layout"}) for the export in
// `model_dir` on `windows` validation windows of `seq_len` tokens of
// `val_shard`; null (and a test failure) when the script fails.
inline nlohmann::json numpy_forward(const std::string& python, const std::string& model_dir,
                                    const std::string& val_shard, int windows, int seq_len) {
  const auto r = sprout::test::run_command(
      python + " " + sprout::test::source_path("tests/backend/hf_numpy_forward.py") + " " + model_dir + " " +
      val_shard + " " + std::to_string(windows) + " " + std::to_string(seq_len));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.exit_code == 0 ? nlohmann::json::parse(r.out) : nlohmann::json();
}

}  // namespace sprout::backend::test
