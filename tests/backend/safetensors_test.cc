// SPDX-License-Identifier: GPL-3.0-or-later
// safetensors (export/safetensors.h): the writer's files follow the format
// (aligned header, contiguous offsets, metadata), and a header that lies about
// sizes, offsets or dtypes is refused as bad input naming the file and the
// field, as is any mutation of a valid file (never another exception).
#include "export/safetensors.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "sprout/planner/base/file_io.h"
#include "sprout/planner/base/input_error.h"
#include "test_paths.h"

namespace sprout::backend {
namespace {

std::string floats(std::vector<float> v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
}

std::string with_header(const std::string& json, const std::string& data) {
  std::string out(8, '\0');
  const uint64_t n = json.size();
  std::memcpy(out.data(), &n, 8);  // x86-64 and aarch64 are little-endian, as the format is
  return out + json + data;
}

SafetensorsHeader parse(const std::string& bytes) {
  return parse_safetensors_header({bytes.data(), bytes.size()}, bytes.size(), "m.safetensors");
}

// The InputError's message for `bytes`, "" when it parses.
std::string refusal(const std::string& bytes) {
  try {
    parse(bytes);
  } catch (const planner::InputError& e) {
    return e.what();
  }
  return "";
}

TEST(Safetensors, WrittenFilesFollowTheFormatAndReadBack) {
  const std::string path = sprout::test::make_temp_dir("safetensors") + "/m.safetensors";
  write_safetensors(path,
                    {{"b",
                      "F32",
                      {2, 3},
                      [] {
                        return floats({1, 2, 3, 4, 5, 6});
                      }},
                     {"a", "F32", {1}, [] { return floats({7}); }}},
                    {{"format", "pt"}});
  const std::string bytes = planner::read_file(path);
  const SafetensorsHeader h = parse(bytes);
  EXPECT_EQ(h.data_start % 8, 0u);
  ASSERT_EQ(h.tensors.size(), 2u);
  EXPECT_EQ(h.tensors[0].name, "b");  // in written order: offsets [0, 24), [24, 28)
  EXPECT_EQ(h.tensors[0].shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(h.tensors[1].begin, 24u);
  EXPECT_EQ(h.tensors[1].end, 28u);
  EXPECT_EQ(h.metadata.at("format"), "pt");
  EXPECT_EQ(bytes.substr(h.data_start + 24), floats({7}));
}

TEST(Safetensors, AHeaderThatLiesIsRefusedNamingTheField) {
  const std::string data = floats({1, 2});
  const std::string good = R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  EXPECT_EQ(refusal(with_header(good, data)), "");
  auto expect_field = [&](const std::string& bytes, const std::string& field) {
    const std::string why = refusal(bytes);
    EXPECT_NE(why.find("m.safetensors"), std::string::npos) << why;
    EXPECT_NE(why.find(field), std::string::npos) << why;
  };
  std::string long_prefix = with_header(good, data);
  long_prefix[0] = static_cast<char>(0xff);  // N beyond the file
  expect_field(long_prefix, "header length");
  expect_field("abc", "header length");
  expect_field(with_header(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", data),
               "tensors.w.data_offsets");
  expect_field(with_header(R"({"w":{"dtype":"Q7","shape":[2],"data_offsets":[0,8]}})", data), "tensors.w.dtype");
  expect_field(with_header(R"({"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", data), "tensors.w.shape");
  expect_field(with_header(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", data),
               "tensors.w.data_offsets");
  expect_field(with_header(R"({"w":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,8]}})", data),
               "tensors.w.data_offsets");
  expect_field(with_header(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                           R"("v":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})",
                           data),
               "data_offsets");                                    // overlap
  expect_field(with_header(good, data + "xxxx"), "data_offsets");  // bytes past the last tensor
  expect_field(with_header(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"__metadata__":{"k":1}})", data),
               "__metadata__.k");
  expect_field(with_header(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]})", data), "header");
}

TEST(Safetensors, MutatedFilesFailOnlyAsBadInput) {
  const std::string good = with_header(
      R"({"a":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
      std::string(12, '\x01'));
  std::mt19937 rng(7);
  for (int i = 0; i < 3000; ++i) {
    std::string bytes = good;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) bytes[rng() % bytes.size()] = static_cast<char>(rng() % 256);
    if (rng() % 4 == 0) bytes.resize(rng() % bytes.size());
    try {
      parse(bytes);
    } catch (const planner::InputError&) {
    }
  }
}

}  // namespace
}  // namespace sprout::backend
