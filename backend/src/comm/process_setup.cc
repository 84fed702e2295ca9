// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/backend/process_setup.h"

#include <malloc.h>
#include <unistd.h>

#include <cstdlib>
#include <utility>
#include <vector>

#include "sprout/planner/base/input_error.h"

namespace sprout::backend {

bool shares_node_with_other_ranks(const EnvironmentLookup& env) {
  try {
    // The first host of a Slurm node list only names rank 0: not asked here.
    const Rendezvous r = rendezvous_from_environment(env, [](const std::string&) { return "localhost"; });
    return r.local_world_size > 1;
  } catch (const planner::InputError&) {
    return false;  // the trainer reports the variable when it reads it
  }
}

void ensure_load_time_settings(char** argv) {
  std::vector<std::pair<const char*, const char*>> settings = {{"GLOG_minloglevel", "3"}};
  if (shares_node_with_other_ranks(process_variable)) settings.emplace_back("OMP_WAIT_POLICY", "PASSIVE");
  bool changed = false;
  for (const auto& [name, value] : settings) {
    if (std::getenv(name) != nullptr) continue;
    ::setenv(name, value, 0);
    changed = true;
  }
  if (changed) ::execv("/proc/self/exe", argv);  // on failure: carry on, only slower or noisier
}

void keep_freed_memory() {
  mallopt(M_MMAP_THRESHOLD, 32 << 20);  // glibc's maximum on 64-bit
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
}

}  // namespace sprout::backend
