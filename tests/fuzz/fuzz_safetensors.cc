// SPDX-License-Identifier: GPL-3.0-or-later
// A safetensors file's header, read as `sprout-train import` and the HF
// export check read it: the input is the whole file (length prefix, JSON,
// tensor bytes), parse_safetensors_header sees its head and its size.
#include <span>

#include "export/safetensors.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view file = sprout::fuzz::bytes_of(data, size);
  return sprout::fuzz::expect_only_input_errors([&] {
    const auto header = sprout::backend::parse_safetensors_header(std::span<const char>(file.data(), file.size()), size,
                                                                  "fuzz.safetensors");
    // Every entry the parser accepted lies inside the file: a reader copies
    // [data_start + begin, data_start + end) without checking again.
    for (const auto& t : header.tensors) {
      if (t.begin > t.end || header.data_start + t.end > size) {
        std::fprintf(stderr, "accepted tensor %s runs past the file\n", t.name.c_str());
        std::abort();
      }
    }
  });
}
