// SPDX-License-Identifier: GPL-3.0-or-later
// sprout's own shared modules, dlopen()ed by the one command that needs each:
// SentencePiece (its protobuf would clash with LibTorch's) and `sprout
// profile`'s LibTorch half (every other `sprout` command then starts without
// loading LibTorch). Installed in <prefix>/lib/sprout (Debian policy: a
// package's private modules in /usr/lib/<package>); a build tree finds them
// where the build put them.
#pragma once

#include <string>

namespace sprout::planner {

struct PrivateModule {
  std::string file_name;     // "libsprout_sentencepiece.so"
  std::string what;          // what it holds, for errors: "SentencePiece"
  std::string env_variable;  // a path in it wins over every other place
  std::string build_path;    // where the build put it; "" for none
};

// dlopen()s the first of these that exists, with `dlopen_flags`:
// $env_variable, beside the running program, ../lib/sprout of it,
// build_path. Throws
// std::runtime_error "cannot load FILE (WHAT; tried: PATH (dlerror) ...)"
// when none loads.
void* open_private_module(const PrivateModule& module, int dlopen_flags);

// The address of `symbol` in a handle open_private_module gave; throws
// std::runtime_error "FILE: no SYMBOL" when the module lacks it.
void* module_symbol(void* handle, const PrivateModule& module, const char* symbol);

}  // namespace sprout::planner
