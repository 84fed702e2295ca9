// SPDX-License-Identifier: GPL-3.0-or-later
// `sprout export`: a plan as a Slurm batch script or Kubernetes manifests that
// launch sprout-train with one rank per GPU, survive preemption (checkpoint,
// exit, requeue, resume) and carry the planner's prediction in their header;
// or as Megatron-LM scripts (megatron_export.h). The GUI's export button
// calls the same function.
#pragma once

#include <string>
#include <vector>

#include "sprout/planner/base/enum_names.h"
#include "sprout/planner/cost/estimate.h"
#include "sprout/planner/plan/plan.h"

namespace sprout::planner {

// kMegatron: pretrain_gpt.py scripts for Megatron-LM (megatron_export.h).
enum class ExportTarget { kSlurm, kKubernetes, kMegatron };
template <>
struct EnumNameTable<ExportTarget> {
  static constexpr EnumName<ExportTarget> entries[] = {
      {ExportTarget::kSlurm, "slurm"}, {ExportTarget::kKubernetes, "k8s"}, {ExportTarget::kMegatron, "megatron"}};
};

struct ExportOptions {
  ExportTarget target = ExportTarget::kSlurm;
  std::string out_dir;                   // created if missing; files are written atomically
  int nodes = 0;                         // 0: ceil(gpus / gpus_per_node)
  int gpus_per_node = 0;                 // 0: the hardware profile's gpus_per_node (capped at gpus)
  std::string partition;                 // Slurm
  std::string account;                   // Slurm
  std::string time_limit;                // Slurm --time, e.g. 48:00:00 or 2-00:00:00; "" = cluster default
  std::string container_image;           // Slurm (pyxis --container-image) and Kubernetes (required there)
  std::string run_dir;                   // where the run writes; "" = <out_dir>/run (Slurm), /run (k8s)
  std::string trainer = "sprout-train";  // command on the cluster
  std::string storage = "100Gi";         // Kubernetes PVC size for the run directory
  std::string storage_class;             // Kubernetes; "" = cluster default
  int master_port = 29500;
  bool cpu_only = false;  // no GPUs requested (forced when the hardware has no GPUs)
};

struct ExportResult {
  std::vector<std::string> files;  // paths written
  int nodes = 0;
  int tasks = 0;                      // ranks = one per GPU
  std::string summary;                // one paragraph for the user
  std::vector<std::string> warnings;  // where the target runs the plan differently (stderr)
};

// Throws InputError for options that cannot work (GPU count not divisible by
// nodes, a layout sprout-train cannot run, a malformed time limit, k8s without
// an image) before anything is written.
ExportResult export_plan(const Plan& plan, const PlanEstimate& estimate, const ExportOptions& options);

// [A-Za-z0-9-] only, lower case, at most 50 chars, never empty (DNS-1123 label).
std::string name_slug(const std::string& s);

}  // namespace sprout::planner
