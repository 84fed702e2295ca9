// SPDX-License-Identifier: GPL-3.0-or-later
// What every fuzz target checks (docs/reliability.md "Fuzzing"): a parser
// given any bytes either returns or throws planner::InputError, which the CLI
// turns into exit 2 with `file:line:col: field: reason`. Any other exception
// escaping is a bug (the CLI would exit 1 with a library's internal message):
// the target aborts, and libFuzzer keeps the input as a crash.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>

#include "sprout/planner/base/input_error.h"

namespace sprout::fuzz {

inline std::string_view bytes_of(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

template <typename Parse>
int expect_only_input_errors(Parse parse) {
  try {
    parse();
  } catch (const planner::InputError& e) {
    // The documented answer; it must still be one line (the CLI prints it as is).
    if (std::string_view(e.what()).find('\n') != std::string_view::npos) {
      std::fprintf(stderr, "InputError of more than one line: %s\n", e.what());
      std::abort();
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "an exception other than InputError escaped: %s\n", e.what());
    std::abort();
  }
  return 0;
}

// For parsers that read only from a path: the input as a file in memory
// (memfd), read back through /proc/self/fd/N. Rewritten for every input.
class MemoryFile {
 public:
  MemoryFile() : fd_(memfd_create("sprout-fuzz", 0)) {
    if (fd_ < 0) std::abort();
  }
  MemoryFile(const MemoryFile&) = delete;
  MemoryFile& operator=(const MemoryFile&) = delete;
  ~MemoryFile() { close(fd_); }

  // Replaces the contents; returns the path to read them from.
  std::string hold(std::string_view bytes) {
    if (ftruncate(fd_, 0) != 0 || pwrite(fd_, bytes.data(), bytes.size(), 0) != static_cast<ssize_t>(bytes.size())) {
      std::abort();
    }
    return "/proc/self/fd/" + std::to_string(fd_);
  }

 private:
  int fd_;
};

}  // namespace sprout::fuzz
