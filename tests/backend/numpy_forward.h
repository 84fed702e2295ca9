// SPDX-License-Identifier: GPL-3.0-or-later
// tests/backend/hf_numpy_forward.py from a test: the loss of an independent
// NumPy forward (no LibTorch, no code shared with the writer) of a model
// exported with `sprout-train export --format hf`.
#pragma once

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <iomanip>
#include <iostream>
#include <string>

#include "sprout/planner/base/file_io.h"
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

// The NumPy forward of RUN-hf (the export of RUN) on the tiny test plans'
// validation set (eval_batches 2 x min(16, 512 / 32 sequences per step) = 32
// windows of 32 tokens of `val_shard`): its loss equals RUN's last evaluation
// within 1e-3 (printed after `what`). Returns the script's answer; null when
// no python3 has NumPy (the caller skips) or the script failed.
inline nlohmann::json expect_export_loss_equal(const std::string& run, const std::string& val_shard,
                                               const std::string& what) {
  const std::string python = numpy_python();
  if (python.empty()) return nullptr;
  const auto numpy = numpy_forward(python, run + "-hf", val_shard, 32, 32);
  if (numpy.is_null()) return numpy;
  const auto summary = nlohmann::json::parse(planner::read_file(run + "/summary.json"));
  const double sprout_loss = summary["total"]["final_val_loss"].get<double>();
  EXPECT_NEAR(numpy["loss"].get<double>(), sprout_loss, 1e-3) << "numpy " << numpy.dump() << " sprout " << sprout_loss;
  std::cout << std::setprecision(9) << what << ": sprout-train val loss " << sprout_loss
            << ", NumPy forward of the export " << numpy["loss"].get<double>() << "\n";
  return numpy;
}

}  // namespace sprout::backend::test
