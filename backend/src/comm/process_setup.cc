// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/backend/process_setup.h"

#include <malloc.h>
#include <unistd.h>

#include <cstdlib>
#include <utility>

namespace sprout::backend {

void ensure_load_time_settings(char** argv) {
  bool changed = false;
  for (const auto& [name, value] : {std::pair{"OMP_WAIT_POLICY", "PASSIVE"}, std::pair{"GLOG_minloglevel", "3"}}) {
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
