// SPDX-License-Identifier: GPL-3.0-or-later
// What every export (Slurm, Kubernetes, Megatron-LM) writes alike: safe
// comment text, the generation time, the node geometry and the prediction
// header. Private to planner/src/export.
#pragma once

#include <string>

#include "sprout/planner/cost/estimate.h"
#include "sprout/planner/export/cluster_export.h"
#include "sprout/planner/plan/plan.h"

namespace sprout::planner {

// Text that goes into a `#` comment line: no newlines or control characters.
std::string comment_safe(const std::string& s);

std::string utc_now();  // 2024-01-01T00:00:00Z

struct Geometry {
  int nodes = 0;
  int gpus_per_node = 0;
  int tasks = 0;
};

// Nodes x GPUs per node from the options (or the hardware profile); throws
// InputError when they do not multiply to the plan's GPUs.
Geometry geometry_of(const Plan& plan, const ExportOptions& o);

// The cluster, the predicted totals and one line per stage, each line
// starting with `prefix` ("# ").
std::string prediction_lines(const Plan& plan, const PlanEstimate& e, const std::string& prefix);

// The files of one export: written atomically into the (absolute) output
// directory, each path recorded in the result; scripts made executable.
class ExportWriter {
 public:
  ExportWriter(const std::string& out_dir, ExportResult& result);
  const std::string& dir() const { return dir_; }
  void write(const std::string& file, const std::string& text, bool executable = false);

 private:
  std::string dir_;
  ExportResult& result_;
};

// The image `--container` should name (README.md "Container").
inline constexpr const char* kContainerImageNote =
    "an image with sprout-train on PATH, built from the repository's Containerfile "
    "(or sprout.def for Apptainer; README.md \"Container\")";

}  // namespace sprout::planner
