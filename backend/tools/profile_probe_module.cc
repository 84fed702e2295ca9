// SPDX-License-Identifier: GPL-3.0-or-later
// libsprout_profile_probe.so: the hardware probe and the process settings it
// needs, for `sprout profile` (sprout/backend/profile_probe_module.h).
#include "sprout/backend/profile_probe_module.h"

#include "sprout/backend/process_setup.h"

namespace {

void prepare_process(char** argv) {
  // Measure LibTorch as sprout-train runs it.
  sprout::backend::ensure_load_time_settings(argv);
  sprout::backend::keep_freed_memory();
}

}  // namespace

extern "C" __attribute__((visibility("default"))) const sprout::backend::ProfileProbeModule*
sprout_profile_probe_module() {
  static const std::string stamp = sprout::backend::profile_probe_build_stamp();
  static const sprout::backend::ProfileProbeModule module{stamp.c_str(), &prepare_process,
                                                          &sprout::backend::probe_hardware};
  return &module;
}
