// SPDX-License-Identifier: GPL-3.0-or-later
// `sprout profile`'s measuring half, in a module of its own
// (libsprout_profile_probe.so, backend/tools/profile_probe_module.cc) that the
// CLI dlopen()s for that command only: linked into `sprout`, LibTorch was
// loaded by every command (`sprout --version`: 0.6 s instead of 0.01 s here;
// seconds with a CUDA LibTorch). Header only on the CLI's side: it uses the
// types, the module has the code. Both sides are one build, so C++ types
// cross; a module of another build is refused by its stamp.
#pragma once

#include <fmt/format.h>

#include <string>

#include "sprout/backend/hardware_probe.h"
#include "sprout/planner/base/version.h"

namespace sprout::backend {

struct ProfileProbeModule {
  const char* build_stamp;               // profile_probe_build_stamp() of the module's build
  void (*prepare_process)(char** argv);  // process_setup.h's settings; may re-execute the program
  ProbeResult (*probe)(const ProbeOptions& options);
};

// The version, commit and the layout of the types that cross: the CLI loads
// only a module whose stamp is its own.
inline std::string profile_probe_build_stamp() {
  return fmt::format("{} {} options {} result {}", planner::sprout_version(), planner::sprout_commit(),
                     sizeof(ProbeOptions), sizeof(ProbeResult));
}

}  // namespace sprout::backend

// The module's one exported symbol.
extern "C" const sprout::backend::ProfileProbeModule* sprout_profile_probe_module();
