// SPDX-License-Identifier: GPL-3.0-or-later
// A checkpoint's tensor archive (tensor_archive.h), read whole as a resume
// reads it and record by record as a shard-local resume does. Its documented
// answer to a bad file is std::runtime_error naming the file (InputError is
// one); anything else escaping (c10::Error, std::bad_alloc) aborts. LibTorch
// is linked uninstrumented: ASan and UBSan watch sprout's reader.
#include <stdexcept>

#include "checkpoint/tensor_archive.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static sprout::fuzz::MemoryFile file;
  const std::string_view bytes = sprout::fuzz::bytes_of(data, size);
  const std::string path = file.hold(bytes);
  return sprout::fuzz::expect_only_input_errors([&] {
    try {
      (void)sprout::backend::parse_tensor_archive(std::string(bytes), path);
    } catch (const std::runtime_error&) {
    }
    try {
      for (const auto& record : sprout::backend::index_tensor_archive(path)) {
        (void)sprout::backend::read_archive_record(record);
      }
    } catch (const std::runtime_error&) {
    }
  });
}
