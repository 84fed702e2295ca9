// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/backend/process_setup.h"

#include <malloc.h>
#include <unistd.h>

#include <cstdlib>

namespace sprout::backend {

void ensure_passive_openmp_wait(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") != nullptr) return;
  ::setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
  ::execv("/proc/self/exe", argv);  // on failure: carry on, only slower
}

void keep_freed_memory() {
  mallopt(M_MMAP_THRESHOLD, 32 << 20);  // glibc's maximum on 64-bit
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
}

}  // namespace sprout::backend
