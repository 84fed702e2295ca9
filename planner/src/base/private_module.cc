// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/planner/base/private_module.h"

#include <dlfcn.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <vector>

#include "sprout/planner/base/data_dirs.h"

namespace sprout::planner {
namespace fs = std::filesystem;
namespace {

// Where `module` may be, in search order (private_module.h).
std::vector<std::string> module_candidates(const PrivateModule& module) {
  std::vector<std::string> out;
  if (const char* env = std::getenv(module.env_variable.c_str()); env && *env) out.emplace_back(env);
  if (const std::string program_dir = executable_dir(); !program_dir.empty()) {
    out.push_back((fs::path(program_dir) / module.file_name).string());
    out.push_back((fs::path(program_dir).parent_path() / "lib" / "sprout" / module.file_name).string());
  }
  if (!module.build_path.empty()) out.push_back(module.build_path);
  return out;
}

}  // namespace

void* open_private_module(const PrivateModule& module, int dlopen_flags) {
  std::string tried;
  for (const std::string& path : module_candidates(module)) {
    std::error_code ec;
    if (!fs::exists(path, ec)) continue;
    if (void* handle = ::dlopen(path.c_str(), dlopen_flags)) return handle;
    const char* why = ::dlerror();
    tried += " " + path + " (" + (why ? why : "dlopen failed") + ")";
  }
  throw std::runtime_error("cannot load " + module.file_name + " (" + module.what +
                           "; tried:" + (tried.empty() ? std::string(" none found") : tried) + ")");
}

void* module_symbol(void* handle, const PrivateModule& module, const char* symbol) {
  void* address = ::dlsym(handle, symbol);
  if (!address) throw std::runtime_error(module.file_name + ": no " + symbol);
  return address;
}

}  // namespace sprout::planner
