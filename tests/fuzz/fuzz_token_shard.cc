// SPDX-License-Identifier: GPL-3.0-or-later
// A token shard (`sprout-train prepare` output, token_shard.h), read as a
// `data: shards:` source reads it: TokenShard checks the whole file, then
// its tokens are read back.
#include <algorithm>
#include <vector>

#include "data/token_shard.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static sprout::fuzz::MemoryFile file;
  const std::string path = file.hold(sprout::fuzz::bytes_of(data, size));
  return sprout::fuzz::expect_only_input_errors([&] {
    const sprout::backend::TokenShard shard(path);
    std::vector<int64_t> tokens(static_cast<size_t>(std::min<int64_t>(shard.size(), 1 << 16)));
    shard.read(0, static_cast<int64_t>(tokens.size()), tokens.data());
    for (int64_t t : tokens) {
      if (t < 0 || t >= shard.vocab()) {
        std::fprintf(stderr, "accepted token %lld outside the vocabulary %u\n", static_cast<long long>(t),
                     shard.vocab());
        std::abort();
      }
    }
  });
}
