// SPDX-License-Identifier: GPL-3.0-or-later
// Megatron-LM indexed datasets (docs/formats.md "Megatron-LM indexed
// datasets"): every dtype read through mmap, bad files named by file and
// field, the GPT sample index (fixed-length windows across document
// boundaries, deterministic per seed), Megatron's split and its blending
// (proportions within 1% over 10k samples).
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <map>
#include <numeric>

#include "data/blend_index.h"
#include "data/blend_source.h"
#include "data/gpt_samples.h"
#include "data/indexed_dataset.h"
#include "data/indexed_dataset_writer.h"
#include "data/megatron_source.h"
#include "data/shard_source.h"
#include "expect_input_error.h"
#include "sprout/planner/base/file_io.h"
#include "sprout/planner/base/input_error.h"
#include "test_paths.h"

namespace sprout::backend {
namespace {
namespace fs = std::filesystem;

// Document d of `count` holds tokens stride d + 1, stride d + 2, ... (its
// length `length(d)`), so any token says where it came from.
std::string write_documents(const std::string& prefix, int count, int (*length)(int),
                            TokenDtype dtype = TokenDtype::kUint16, int stride = 100) {
  IndexedDatasetWriter w(prefix, dtype);
  for (int d = 0; d < count; ++d) {
    std::vector<uint32_t> tokens;
    for (int i = 0; i < length(d); ++i) tokens.push_back(static_cast<uint32_t>(stride * d + 1 + i));
    w.add_document(tokens);
  }
  w.finish();
  return prefix;
}

int length_of(int d) { return 3 + (d * 7) % 11; }

std::vector<int64_t> sequence(const IndexedDataset& data, int64_t i) {
  std::vector<int64_t> out(static_cast<size_t>(data.sequence_length(i)));
  data.read(i, 0, data.sequence_length(i), out.data());
  return out;
}

using test::expect_input_error;

TEST(IndexedDataset, ReadsEveryMegatronDtype) {
  const std::string dir = sprout::test::make_temp_dir("megatron-dtypes");
  for (int code = 1; code <= 8; ++code) {
    const TokenDtype dtype = *dtype_of_megatron_code(code);
    // stride 40: every token fits int8 too
    const std::string prefix = write_documents(dir + "/d" + std::to_string(code), 3, length_of, dtype, 40);
    const IndexedDataset data(prefix);
    EXPECT_EQ(data.dtype(), dtype);
    EXPECT_EQ(data.sequence_count(), 3);
    EXPECT_EQ(data.document_count(), 3);
    EXPECT_EQ(fs::file_size(prefix + ".bin"), (3 + 10 + 6) * token_bytes(dtype)) << dtype_name(dtype);
    EXPECT_EQ(sequence(data, 1), (std::vector<int64_t>{41, 42, 43, 44, 45, 46, 47, 48, 49, 50}));
    std::vector<int64_t> middle(2);
    data.read(2, 3, 2, middle.data());
    EXPECT_EQ(middle, (std::vector<int64_t>{84, 85})) << dtype_name(dtype);
  }
}

template <typename T>
void put(std::string& out, T v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof(T));
}

// An index packed here byte by byte as megatron/core/datasets/indexed_dataset.py
// writes one: two documents of 2 and 1 sequences, with the modes array of a
// multimodal dataset after the document indices.
TEST(IndexedDataset, ReadsAnIndexPackedByHandWithModes) {
  const std::string dir = sprout::test::make_temp_dir("megatron-packed");
  std::string bin, idx("MMIDIDX\0\0", 9);
  for (int32_t t : {5, 6, 7, 8, 9, 10}) put(bin, t);
  put<uint64_t>(idx, 1);
  put<uint8_t>(idx, 4);  // int32
  put<uint64_t>(idx, 3);
  put<uint64_t>(idx, 3);
  for (int32_t n : {2, 3, 1}) put(idx, n);
  for (int64_t p : {0, 8, 20}) put(idx, p);
  for (int64_t k : {0, 2, 3}) put(idx, k);
  for (int8_t m : {0, 1, 0}) put(idx, m);
  planner::write_file_atomically(dir + "/p.bin", bin);
  planner::write_file_atomically(dir + "/p.idx", idx);
  const IndexedDataset data(dir + "/p");
  EXPECT_EQ(data.document_count(), 2);
  EXPECT_EQ(sequence(data, 1), (std::vector<int64_t>{7, 8, 9}));
  EXPECT_EQ(sequence(data, 2), (std::vector<int64_t>{10}));
}

// Truncated, corrupt or inconsistent files: planner::InputError naming the
// file and the field (sprout-train exits 2 with it, nothing written).
TEST(IndexedDataset, BadFilesNameTheFileAndTheField) {
  const std::string dir = sprout::test::make_temp_dir("megatron-bad");
  const std::string good = write_documents(dir + "/good", 4, length_of);
  const std::string idx = planner::read_file(good + ".idx"), bin = planner::read_file(good + ".bin");
  auto with = [&](const std::string& i, const std::string& b) {
    planner::write_file_atomically(dir + "/bad.idx", i);
    planner::write_file_atomically(dir + "/bad.bin", b);
    return dir + "/bad";
  };
  auto expect = [&](const std::string& i, const std::string& b, const std::string& field, const std::string& file) {
    const std::string prefix = with(i, b);
    expect_input_error([&] { IndexedDataset d(prefix); }, field, file);
  };
  std::string i = idx;
  i[0] = 'X';
  expect(i, bin, "magic", "bad.idx");
  i = idx;
  i[9] = 2;
  expect(i, bin, "version", "bad.idx");
  i = idx;
  i[17] = 9;
  expect(i, bin, "dtype", "bad.idx");
  expect(idx.substr(0, 20), bin, "header", "bad.idx");
  expect(idx.substr(0, idx.size() - 3), bin, "sequence_count", "bad.idx");
  expect(idx, bin.substr(0, bin.size() - 2), "sequence_pointers", "bad.idx");  // a truncated .bin
  i = idx;
  const int64_t past = static_cast<int64_t>(bin.size());
  std::memcpy(i.data() + kMegatronIndexHeaderBytes + 4 * 4 + 8, &past, 8);  // sequence 1 starts past the end
  expect(i, bin, "sequence_pointers", "bad.idx");
  i = idx;
  const int64_t backwards = 9;
  std::memcpy(i.data() + kMegatronIndexHeaderBytes + 12 * 4, &backwards, 8);  // document index 0 must be 0
  expect(i, bin, "document_indices", "bad.idx");
  fs::remove(dir + "/bad.bin");
  expect_input_error([&] { IndexedDataset d(dir + "/bad"); }, "data", "bad.bin");
}

MegatronSourceSpec spec(int64_t seq_len, int64_t samples, int64_t vocab) {
  return {.split = {969, 30, 1},
          .seq_len = seq_len,
          .training_samples = samples,
          .validation_samples = 4,
          .seed = 7,
          .vocab = vocab};
}

TEST(IndexedDataset, ATokenOutsideTheVocabularyOrNotWholeIsNamed) {
  const std::string dir = sprout::test::make_temp_dir("megatron-tokens");
  const auto data = std::make_shared<const IndexedDataset>(write_documents(dir + "/v", 40, length_of));
  expect_input_error([&] { MegatronTokenSource s(data, spec(8, 10, 3000)); }, "tokens", "v.bin");
  const auto floats =
      std::make_shared<const IndexedDataset>(write_documents(dir + "/f", 40, length_of, TokenDtype::kFloat32));
  EXPECT_NO_THROW(MegatronTokenSource(floats, spec(8, 10, 4000)));
  std::string bin = planner::read_file(dir + "/f.bin");
  const float half = 1.5f;
  std::memcpy(bin.data() + 8, &half, 4);
  planner::write_file_atomically(dir + "/f.bin", bin);
  const auto fractional = std::make_shared<const IndexedDataset>(dir + "/f");
  expect_input_error([&] { MegatronTokenSource s(fractional, spec(8, 10, 4000)); }, "tokens", "f.bin");
  // A whole float beyond int64 (2^65): refused before it is cast, which would
  // be undefined behaviour (tests/fuzz/regressions/megatron_index/).
  const float huge = 36893488147419103232.0f;
  std::memcpy(bin.data() + 8, &huge, 4);
  planner::write_file_atomically(dir + "/f.bin", bin);
  const auto beyond = std::make_shared<const IndexedDataset>(dir + "/f");
  expect_input_error([&] { MegatronTokenSource s(beyond, spec(8, 10, 4000)); }, "tokens", "within int64");
}

// Megatron-LM's split: part k is [round(c_k n), round(c_{k+1} n)), Python's round.
TEST(MegatronSource, SplitsDocumentsAsMegatronDoes) {
  EXPECT_EQ(split_bookends({969, 30, 1}, 1000), (std::vector<int64_t>{0, 969, 999, 1000}));
  EXPECT_EQ(split_bookends({1, 1, 0}, 3), (std::vector<int64_t>{0, 2, 3, 3}));  // 1.5 rounds to even
  EXPECT_EQ(split_bookends({98, 2, 0}, 10), (std::vector<int64_t>{0, 10, 10, 10}));
}

// Every window is seq_len + 1 tokens that run on through a document and
// continue at the start of another; consecutive samples (in the unshuffled
// order) share one token; the shuffle depends only on the seed.
TEST(GptSamples, WindowsRunAcrossDocumentBoundariesDeterministically) {
  const std::string dir = sprout::test::make_temp_dir("gpt-samples");
  const auto data = std::make_shared<const IndexedDataset>(write_documents(dir + "/g", 30, length_of));
  const int64_t tokens = data->tokens_in(0, 30);
  const GptSampleSpec s{0, 30, 8, 100, 11};
  const GptSamples samples(data, s);
  const int64_t epochs = (100 * 8 + 1 + tokens - 1) / tokens;
  EXPECT_EQ(samples.epochs(), epochs);
  EXPECT_EQ(samples.size(), (epochs * tokens - 1) / 8);
  std::vector<int64_t> w(9);
  std::map<int64_t, int> first_tokens;
  for (int64_t k = 0; k < samples.size(); ++k) {
    samples.read(k, w);
    for (size_t i = 1; i < w.size(); ++i) {
      const bool next_in_document = w[i] == w[i - 1] + 1 && w[i] / 100 == w[i - 1] / 100;
      EXPECT_TRUE(next_in_document || w[i] % 100 == 1) << "window " << k << " at " << i;
    }
    first_tokens[w[0]] += 1;
  }
  // The shuffle is a permutation: windows start at distinct places of an epoch.
  EXPECT_GT(first_tokens.size(), static_cast<size_t>(samples.size() / epochs) - 1);
  const GptSamples again(data, s);
  std::vector<int64_t> v(9);
  for (int64_t k : {0, 5, 50}) {
    samples.read(k, w);
    again.read(k, v);
    EXPECT_EQ(w, v);
  }
  GptSampleSpec other = s;
  other.seed = 12;
  const GptSamples reshuffled(data, other);
  int same = 0;
  for (int64_t k = 0; k < 20; ++k) {
    samples.read(k, w);
    reshuffled.read(k, v);
    same += w == v;
  }
  EXPECT_LT(same, 5);
}

// Megatron-LM's greedy blending: after n samples each dataset's count is
// within one of weight x n.
TEST(BlendIndex, ProportionsWithinOnePercentOver10kSamples) {
  for (const std::vector<double>& weights : {std::vector<double>{0.7, 0.3}, std::vector<double>{5, 3, 2}}) {
    const BlendIndex index(weights, 10000);
    const double sum = std::accumulate(weights.begin(), weights.end(), 0.0);
    std::vector<int64_t> counts(weights.size(), 0);
    for (int64_t n = 0; n < 10000; ++n) {
      const auto [d, k] = index.at(n);
      EXPECT_EQ(k, counts[static_cast<size_t>(d)]) << n;  // each dataset's samples in order
      counts[static_cast<size_t>(d)] += 1;
      for (size_t e = 0; e < weights.size(); ++e) {
        ASSERT_LE(std::abs(static_cast<double>(counts[e]) - weights[e] / sum * static_cast<double>(n + 1)), 1.0 + 1e-9);
      }
    }
    for (size_t e = 0; e < weights.size(); ++e) {
      EXPECT_NEAR(static_cast<double>(counts[e]) / 10000, weights[e] / sum, 0.01);
      EXPECT_EQ(index.samples_of(static_cast<int>(e)), counts[e]);
    }
    EXPECT_EQ(index.at(10003), index.at(3));  // wraps
  }
}

// A blend of a Megatron dataset (tokens below 6000) and a token shard
// (tokens 6100 and up): 10k training windows come 70/30 (within 1%), each the
// window its dataset gives for its own sample number.
TEST(BlendSource, DrawsTheBlendedProportionsFromEachDataset) {
  const std::string dir = sprout::test::make_temp_dir("blend");
  const auto data = std::make_shared<const IndexedDataset>(write_documents(dir + "/m", 60, length_of));
  std::vector<uint32_t> toks;
  for (int i = 0; i < 5000; ++i) toks.push_back(static_cast<uint32_t>(6100 + i % 97));
  write_token_shard(dir + "/train.bin", toks, 6200);
  write_token_shard(dir + "/val.bin", toks, 6200);
  BlendIndex index({0.7, 0.3}, 10000);
  std::vector<std::unique_ptr<TokenSource>> parts;
  parts.push_back(std::make_unique<MegatronTokenSource>(data, spec(8, index.samples_of(0), 6200)));
  parts.push_back(
      std::make_unique<ShardTokenSource>(TokenShard(dir + "/train.bin"), TokenShard(dir + "/val.bin"), 3, 8));
  const MegatronTokenSource megatron(data, spec(8, index.samples_of(0), 6200));
  const BlendTokenSource blend(std::move(index), std::move(parts));
  std::vector<int64_t> w(9), direct(9);
  int64_t from_megatron = 0;
  for (int64_t n = 0; n < 10000; ++n) {
    blend.training_window(n, w);
    from_megatron += w[0] < 6100;
    const auto [d, k] = blend.source_of(n);
    EXPECT_EQ(d == 0, w[0] < 6100);
    if (d == 0 && n % 97 == 0) {
      megatron.training_window(k, direct);
      EXPECT_EQ(w, direct) << n;
    }
  }
  EXPECT_NEAR(static_cast<double>(from_megatron) / 10000, 0.7, 0.01);
}

}  // namespace
}  // namespace sprout::backend
