// SPDX-License-Identifier: GPL-3.0-or-later
// A fuzz target without libFuzzer: feeds every file of the folders given on
// the command line to LLVMFuzzerTestOneInput once. The normal build runs each
// target so over its seed corpus and the inputs that once crashed it
// (tests/fuzz/regressions/<target>/): a regression aborts, and the ctest fails.
// With `--mutations=N` first, each seed is also fed N mutated copies (a fixed
// pseudo-random sequence, the same every run): binary formats, whose readers
// trust length fields, get their boundaries probed in every build.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "sprout/planner/base/file_io.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

void feed(const std::string& bytes) {
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}

// Values at the edges of the integer widths a length or count field takes.
constexpr uint64_t kEdgeValues[] = {0,          1,          2,          7,          8,          0x7f,
                                    0x80,       0xff,       0x7fff,     0xffff,     0x10000,    0x7fffffff,
                                    0x80000000, 0xffffffff, 1ull << 32, 1ull << 62, 1ull << 63, ~0ull};

// One mutation, libFuzzer's basic ones: a bit flipped, an edge value written
// over 1/2/4/8 bytes, a cut, a chunk erased or repeated.
void mutate_once(std::string& s, std::mt19937_64& rng) {
  auto below = [&](size_t n) { return n == 0 ? size_t{0} : static_cast<size_t>(rng() % n); };
  switch (rng() % 5) {
    case 0:
      if (!s.empty()) s[below(s.size())] ^= static_cast<char>(1u << (rng() % 8));
      break;
    case 1: {
      const size_t width = size_t{1} << (rng() % 4);
      if (s.size() < width) break;
      const uint64_t value = kEdgeValues[below(std::size(kEdgeValues))] - (rng() % 2);
      std::memcpy(s.data() + below(s.size() - width + 1), &value, width);
      break;
    }
    case 2:
      s.resize(below(s.size() + 1));
      break;
    case 3: {
      const size_t at = below(s.size() + 1);
      s.erase(at, below(s.size() - at + 1));
      break;
    }
    default: {
      const size_t at = below(s.size() + 1);
      s.insert(at, s.substr(at, 1 + below(64)));
      break;
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  int first_folder = 1;
  long mutations = 0;
  if (argc > 1 && std::string_view(argv[1]).starts_with("--mutations=")) {
    mutations = std::stol(argv[1] + std::strlen("--mutations="));
    first_folder = 2;
  }
  std::vector<std::string> files;
  for (int i = first_folder; i < argc; ++i) {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(argv[i], ec)) {
      if (entry.is_regular_file()) files.push_back(entry.path().string());
    }
  }
  std::sort(files.begin(), files.end());
  std::mt19937_64 rng(20261205);
  for (const auto& file : files) {
    std::fprintf(stderr, "%s\n", file.c_str());
    const std::string bytes = sprout::planner::read_file(file);
    feed(bytes);
    for (long m = 0; m < mutations; ++m) {
      std::string mutated = bytes;
      for (uint64_t k = 1 + rng() % 4; k > 0; --k) mutate_once(mutated, rng);
      feed(mutated);
    }
  }
  std::printf("%zu inputs replayed (%ld mutations of each), none crashed\n", files.size(), mutations);
  return files.empty() ? 1 : 0;
}
