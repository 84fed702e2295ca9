// SPDX-License-Identifier: GPL-3.0-or-later
// sprout export PLAN.yaml --target slurm|k8s|megatron --out DIR [--nodes N --gpus-per-node G
//   --partition P --account A --time HH:MM:SS --container IMAGE --run-dir D --trainer CMD]
#include <iostream>
#include <memory>

#include "commands.h"
#include "enum_option.h"
#include "plan_options.h"
#include "sprout/planner/export/cluster_export.h"

namespace sprout::cli {

void add_export_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "export", "Write a Slurm batch script, Kubernetes manifests or Megatron-LM pretrain_gpt.py scripts for a plan");
  auto plan = std::make_shared<PlanOptionValues>();
  auto opts = std::make_shared<planner::ExportOptions>();
  add_plan_options(*cmd, *plan);
  add_enum_option(*cmd, "--target", opts->target, planner::EnumNames<planner::ExportTarget>::list())->required();
  cmd->add_option("--out", opts->out_dir, "Directory for the generated files")->required();
  cmd->add_option("--nodes", opts->nodes, "Nodes (default: GPUs / GPUs per node)")->check(CLI::PositiveNumber);
  cmd->add_option("--gpus-per-node", opts->gpus_per_node, "Tasks (GPUs) per node")->check(CLI::PositiveNumber);
  cmd->add_option("--partition", opts->partition, "Slurm partition");
  cmd->add_option("--account", opts->account, "Slurm account");
  cmd->add_option("--time", opts->time_limit, "Slurm time limit (HH:MM:SS or D-HH:MM:SS)");
  cmd->add_option("--container", opts->container_image,
                  "Container image with sprout-train (built from the Containerfile: README.md \"Container\")");
  cmd->add_option("--run-dir", opts->run_dir, "Run directory on the cluster");
  cmd->add_option("--trainer", opts->trainer, "sprout-train command on the cluster");
  cmd->add_option("--storage", opts->storage, "Kubernetes PVC size (default 100Gi)");
  cmd->add_option("--storage-class", opts->storage_class, "Kubernetes storage class");
  cmd->add_flag("--cpu-only", opts->cpu_only, "Request no GPUs (CPU clusters)");
  cmd->callback([plan, opts] {
    planner::Plan p = plan->load();
    planner::EstimateOptions eo;
    eo.with_scratch_baseline = false;
    planner::ExportResult r = planner::export_plan(p, planner::estimate_plan(p, eo), *opts);
    for (const auto& w : r.warnings) std::cerr << "warning: " << w << "\n";
    std::cout << r.summary << "\n";
    for (const auto& f : r.files) std::cout << "  wrote " << f << "\n";
  });
}

}  // namespace sprout::cli
