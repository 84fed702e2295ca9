// SPDX-License-Identifier: GPL-3.0-or-later
// A sprout-train run directory for the telemetry and summary targets: the
// recorded tiny-cpu run's plan.yaml and the head of its telemetry.jsonl, in a
// fresh folder under /tmp, with one file replaced by the fuzzer's bytes per input.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

#include "sprout/planner/base/file_io.h"

namespace sprout::fuzz {

class RunDirectory {
 public:
  RunDirectory() {
    char pattern[] = "/tmp/sprout-fuzz-run-XXXXXX";
    if (!mkdtemp(pattern)) std::abort();
    dir_ = pattern;
    // The head of the recorded telemetry (a seed of fuzz_telemetry): the whole
    // 44 kB log made the summary target read 10 inputs a second.
    const std::string source = SPROUT_SOURCE_DIR;
    planner::write_file_synced(dir_ + "/plan.yaml",
                               planner::read_file(source + "/tests/data/runs/tiny-cpu-recorded/plan.yaml"));
    planner::write_file_synced(dir_ + "/telemetry.jsonl",
                               planner::read_file(source + "/tests/fuzz/corpus/telemetry/tiny-cpu-head.jsonl"));
  }
  RunDirectory(const RunDirectory&) = delete;
  RunDirectory& operator=(const RunDirectory&) = delete;
  ~RunDirectory() { planner::remove_tree(dir_); }

  // Writes `name` (in place, no fsync: a fuzzer writes thousands a second).
  void put(const std::string& name, std::string_view bytes) const {
    std::FILE* f = std::fopen((dir_ + "/" + name).c_str(), "wb");
    if (!f || std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size() || std::fclose(f) != 0) std::abort();
  }
  const std::string& path() const { return dir_; }

 private:
  std::string dir_;
};

}  // namespace sprout::fuzz
