// SPDX-License-Identifier: GPL-3.0-or-later
#include "profile_probe_loader.h"

#include <dlfcn.h>

#include <stdexcept>

#include "sprout/planner/base/private_module.h"

namespace sprout::cli {
namespace {

// SPROUT_PROFILE_PROBE_MODULE: where the build put it (cli/CMakeLists.txt).
const planner::PrivateModule kModule{"libsprout_profile_probe.so", "sprout profile's LibTorch half",
                                     "SPROUT_PROFILE_PROBE_MODULE", SPROUT_PROFILE_PROBE_MODULE};

const backend::ProfileProbeModule& load() {
  void* handle = planner::open_private_module(kModule, RTLD_NOW | RTLD_LOCAL);
  using Entry = decltype(&sprout_profile_probe_module);
  const auto entry = reinterpret_cast<Entry>(planner::module_symbol(handle, kModule, "sprout_profile_probe_module"));
  const backend::ProfileProbeModule* module = entry();
  if (module->build_stamp != backend::profile_probe_build_stamp()) {
    throw std::runtime_error(kModule.file_name + " is of another build of sprout (" + module->build_stamp +
                             ", this sprout: " + backend::profile_probe_build_stamp() + "): install the two together");
  }
  return *module;
}

}  // namespace

const backend::ProfileProbeModule& profile_probe_module() {
  static const backend::ProfileProbeModule& module = load();
  return module;
}

}  // namespace sprout::cli
