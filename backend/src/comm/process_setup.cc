// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/backend/process_setup.h"

#include <dlfcn.h>
#include <malloc.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>

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

namespace {

// c10d logs its socket errors through glog (Debian's LibTorch is built with
// it) on stderr, multi-line; sprout reports a failed collective or rendezvous
// as one line of its own. glog reads $GLOG_minloglevel only when it is
// loaded, but compares every message with its flag: set the flag in this
// process (3: fatal only), unless the user set the variable. A LibTorch
// without glog (PyTorch's wheels) has no such symbol and logs through c10.
void quiet_glog() {
  if (std::getenv("GLOG_minloglevel") != nullptr) return;
  void* glog = ::dlopen("libglog.so.1", RTLD_NOW | RTLD_NOLOAD);  // only when already loaded
  if (glog == nullptr) return;
  if (auto* level = static_cast<std::int32_t*>(::dlsym(glog, "_ZN3fLI17FLAGS_minloglevelE"))) *level = 3;
  ::dlclose(glog);
}

}  // namespace

void ensure_load_time_settings(char** argv) {
  quiet_glog();
  // libgomp reads its wait policy when it is loaded, and has no call to change it.
  if (!shares_node_with_other_ranks(process_variable) || std::getenv("OMP_WAIT_POLICY") != nullptr) return;
  ::setenv("OMP_WAIT_POLICY", "PASSIVE", 0);
  ::execv("/proc/self/exe", argv);  // on failure: carry on, only slower
}

void keep_freed_memory() {
  mallopt(M_MMAP_THRESHOLD, 32 << 20);  // glibc's maximum on 64-bit
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
}

}  // namespace sprout::backend
