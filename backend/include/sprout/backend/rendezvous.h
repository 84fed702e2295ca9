// SPDX-License-Identifier: GPL-3.0-or-later
// How the processes of one run find each other, read from the variables the
// launcher sets (docs/backend.md "Distributed training"):
//   torchrun          RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT
//                     (without LOCAL_*: RANK and WORLD_SIZE when MASTER_ADDR is loopback)
//   Kubernetes        JOB_COMPLETION_INDEX (Indexed Job) is the rank; WORLD_SIZE,
//                     MASTER_ADDR (<job>-0.<service>, else from SPROUT_K8S_SERVICE),
//                     MASTER_PORT: the contract `sprout export --target k8s` writes
//   Slurm (srun)      SLURM_PROCID, SLURM_NTASKS, SLURM_LOCALID, SLURM_NODEID,
//                     SLURM_STEP_TASKS_PER_NODE; MASTER_ADDR, else the first host of
//                     SLURM_JOB_NODELIST (`scontrol show hostnames`); MASTER_PORT,
//                     else 29500 + SLURM_JOB_ID % 1000 (the exported script's rule)
// The first style whose key variable is set wins, in that order; none: one process.
#pragma once

#include <functional>
#include <optional>
#include <string>

namespace sprout::backend {

struct Rendezvous {
  std::string style = "single";  // single | torchrun | kubernetes | slurm
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;        // index on this node: the GPU a rank uses
  int local_world_size = 1;  // ranks on this node: they share its cores
  std::string master_addr;   // host of rank 0 (it serves the rendezvous store)
  int master_port = 0;
};

// Value of an environment variable, or nothing when unset.
using EnvironmentLookup = std::function<std::optional<std::string>(const std::string& name)>;
// The first host name of a Slurm node list such as "node[03-05],gpu7".
using NodeListFirstHost = std::function<std::string(const std::string& node_list)>;

// Throws planner::InputError ("environment: VARIABLE: reason") for a missing,
// malformed or inconsistent variable.
Rendezvous rendezvous_from_environment(const EnvironmentLookup& env, const NodeListFirstHost& first_host);

// This process's environment variable `name`.
std::optional<std::string> process_variable(const std::string& name);

// The same from this process's environment, with `scontrol show hostnames`.
Rendezvous rendezvous_from_process_environment();

// Runs `scontrol show hostnames LIST` and returns its first line; throws
// planner::InputError when scontrol fails or prints nothing.
std::string slurm_first_host(const std::string& node_list);

// "rank 1/4 (slurm)" for messages.
std::string describe(const Rendezvous& r);

// localhost, 127.x.y.z or ::1: rank 0 (and so every rank) is on this machine.
bool is_loopback_address(const std::string& host);

}  // namespace sprout::backend
