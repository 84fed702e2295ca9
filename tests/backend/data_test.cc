// SPDX-License-Identifier: GPL-3.0-or-later
// Token shards (docs/formats.md "Token shards") read through mmap, the
// prepare step (byte-level and SentencePiece tokenizers, tokenizer
// records) and the counter-based sampler of the shard format.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "data/batch_sampler.h"
#include "data/corpus.h"
#include "data/sha256.h"
#include "data/shard_source.h"
#include "data/token_shard.h"
#include "data/tokenizer.h"
#include "expect_input_error.h"
#include "sprout/planner/base/file_io.h"
#include "sprout/planner/base/input_error.h"
#include "test_paths.h"

namespace sprout::backend {
namespace {

std::string shard_bytes(const std::string& path) { return planner::read_file(path); }

std::vector<int64_t> all_tokens(const TokenShard& s) {
  std::vector<int64_t> out(static_cast<size_t>(s.size()));
  s.read(0, s.size(), out.data());
  return out;
}

using test::expect_input_error;

TEST(TokenShard, RoundTripsAndUsesUint16ForSmallVocabularies) {
  const std::string dir = sprout::test::make_temp_dir("shard");
  write_token_shard(dir + "/a.bin", {1, 2, 255, 0}, 256);
  EXPECT_EQ(shard_bytes(dir + "/a.bin").size(), kShardHeaderBytes + 4 * 2);
  TokenShard s(dir + "/a.bin");
  EXPECT_EQ(s.vocab(), 256u);
  EXPECT_EQ(all_tokens(s), (std::vector<int64_t>{1, 2, 255, 0}));
  EXPECT_EQ(s.token_counts()[255], 1);
  write_token_shard(dir + "/b.bin", {70000, 3}, 100256 * 2);
  EXPECT_EQ(shard_bytes(dir + "/b.bin").size(), kShardHeaderBytes + 2 * 4);
  EXPECT_EQ(TokenShard(dir + "/b.bin").token(0), 70000);
}

// Every way the header can be wrong names the field.
TEST(TokenShard, CorruptHeadersAreInputErrorsNamingTheField) {
  const std::string dir = sprout::test::make_temp_dir("shard-bad");
  write_token_shard(dir + "/good.bin", {1, 2, 3, 4}, 256);
  const std::string good = shard_bytes(dir + "/good.bin");
  auto expect_field = [&](std::string bytes, const std::string& field) {
    planner::write_file_atomically(dir + "/bad.bin", bytes);
    expect_input_error([&] { TokenShard s(dir + "/bad.bin"); }, field, "bad.bin");
  };
  std::string b = good;
  b[0] = 'X';
  expect_field(b, "magic");
  b = good;
  b[8] = 9;
  expect_field(b, "version");
  b = good;
  b[12] = 3;
  expect_field(b, "token_bytes");
  expect_field(good.substr(0, good.size() - 1), "count");  // truncated
  expect_field(good.substr(0, 10), "header");
  b = good;
  b[kShardHeaderBytes] = 0x01;
  b[kShardHeaderBytes + 1] = 0x01;  // token 257 >= vocab 256
  expect_field(b, "tokens");
  expect_input_error([&] { TokenShard s(dir + "/missing.bin"); }, "data", "missing.bin");
}

// Version 2 headers hold a CRC-32 of the rest of the file (docs/formats.md
// "Token shards"): one flipped byte anywhere is refused naming the file, and a
// version 1 shard (no CRC) still reads.
TEST(TokenShard, AFlippedByteFailsTheCrcAndVersionOneStillReads) {
  const std::string dir = sprout::test::make_temp_dir("shard-crc");
  write_token_shard(dir + "/good.bin", {1, 2, 3, 4}, 256);
  const std::string good = shard_bytes(dir + "/good.bin");
  for (size_t at : {size_t{16}, kShardCrcOffset, kShardHeaderBytes, good.size() - 2}) {
    std::string b = good;
    b[at] = static_cast<char>(b[at] ^ 0x01);  // a token stays < vocab, the vocab stays valid
    planner::write_file_atomically(dir + "/flipped.bin", b);
    expect_input_error([&] { TokenShard s(dir + "/flipped.bin"); }, "crc32", "flipped.bin");
  }
  std::string v1 = good;
  v1[8] = 1;
  std::fill(v1.begin() + kShardCrcOffset, v1.begin() + kShardCrcOffset + 4, '\0');
  planner::write_file_atomically(dir + "/v1.bin", v1);
  EXPECT_EQ(all_tokens(TokenShard(dir + "/v1.bin")), (std::vector<int64_t>{1, 2, 3, 4}));
}

TEST(TokenShard, UnigramEntropyOfKnownDistributions) {
  const std::string dir = sprout::test::make_temp_dir("entropy");
  write_token_shard(dir + "/u.bin", {0, 1, 0, 1, 0, 1, 0, 1}, 256);
  EXPECT_NEAR(unigram_entropy_nats(TokenShard(dir + "/u.bin").token_counts()), std::log(2.0), 1e-12);
  write_token_shard(dir + "/v.bin", {0, 0, 0, 1}, 256);  // p = 3/4, 1/4
  EXPECT_NEAR(unigram_entropy_nats(TokenShard(dir + "/v.bin").token_counts()),
              -(0.75 * std::log(0.75) + 0.25 * std::log(0.25)), 1e-12);
}

TEST(Prepare, ByteTokensAndADeterministicChunkSplit) {
  const std::string dir = sprout::test::make_temp_dir("prepare");
  std::string text;
  for (int i = 0; i < 100; ++i) text += static_cast<char>('a' + i % 26);
  planner::write_file_atomically(dir + "/in.txt", text);
  PrepareOptions o;
  o.inputs = {dir + "/in.txt"};
  o.out_dir = dir + "/out";
  o.chunk_tokens = 10;
  o.validation_every = 4;  // chunks 3 and 7 (bytes 30..39, 70..79) go to validation
  PreparedCorpus c = prepare_corpus(o);
  EXPECT_EQ(c.train_tokens, 80);
  EXPECT_EQ(c.validation_tokens, 20);
  TokenShard val(c.validation_path);
  EXPECT_EQ(val.token(0), 'a' + 30 % 26);
  EXPECT_EQ(val.token(10), 'a' + 70 % 26);
  const std::string first = shard_bytes(c.train_path);
  prepare_corpus(o);
  EXPECT_EQ(shard_bytes(c.train_path), first);  // deterministic
  const std::optional<TokenizerRecord> record = read_tokenizer_record(o.out_dir);
  ASSERT_TRUE(record);
  EXPECT_EQ(record->name, "bytes");
  EXPECT_EQ(record->vocab, 256);
  EXPECT_FALSE(record->eod);
  o.inputs = {dir + "/nope.txt"};
  EXPECT_THROW(prepare_corpus(o), planner::InputError);
}

TEST(Prepare, ReadsGzipCompressedText) {
  const std::string dir = sprout::test::make_temp_dir("gz");
  planner::write_file_atomically(dir + "/t.txt", "hello gzip world\n");
  ASSERT_EQ(std::system(("gzip -k " + dir + "/t.txt").c_str()), 0);
  EXPECT_EQ(read_text(dir + "/t.txt.gz"), "hello gzip world\n");
}

// Shards prepared by an earlier sprout-train (corpus.json, no tokenizer.json)
// still name their tokenizer.
TEST(TokenizerRecord, OlderCorpusJsonCountsAsByteLevel) {
  const std::string dir = sprout::test::make_temp_dir("old-corpus");
  planner::write_file_atomically(dir + "/corpus.json", R"({"tokenizer": "bytes", "vocab": 256})");
  const std::optional<TokenizerRecord> r = read_tokenizer_record(dir);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->name, "bytes");
  EXPECT_FALSE(read_tokenizer_record(sprout::test::make_temp_dir("no-record")));
  EXPECT_TRUE(vocabulary_fits(256, *r));
  EXPECT_FALSE(vocabulary_fits(257, *r));
  TokenizerRecord sp{.name = "sentencepiece", .vocab = 1000, .eod = 2, .model = "m", .model_sha256 = "", .path = ""};
  EXPECT_TRUE(vocabulary_fits(1024, sp));  // padded to a multiple of 128, as Megatron-LM pads
  EXPECT_FALSE(vocabulary_fits(1152, sp));
  EXPECT_FALSE(vocabulary_fits(999, sp));
}

// FIPS 180-2 appendix B's examples.
TEST(Sha256, KnownDigests) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(sha256_hex(std::string(1000000, 'a')), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

// The shard sampler reads from the mapping exactly the windows the earlier
// in-memory sampler took: position splitmix64(splitmix64(seed) ^ n) mod
// (tokens - seq_len - 1), so byte-level runs are bit-identical.
TEST(BatchSampler, ShardWindowsAreTheCounterHashPositions) {
  const std::string dir = sprout::test::make_temp_dir("sampler");
  std::vector<uint32_t> toks;
  for (int i = 0; i < 1000; ++i) toks.push_back(static_cast<uint32_t>(i % 251));
  write_token_shard(dir + "/train.bin", toks, 256);
  write_token_shard(dir + "/val.bin", toks, 256);
  TrainingData data;
  data.source =
      std::make_unique<ShardTokenSource>(TokenShard(dir + "/train.bin"), TokenShard(dir + "/val.bin"), 42, 16);
  TokenBatch whole = training_batch(data, 16, 10, 4, torch::kCPU);
  for (int64_t i = 0; i < 4; ++i) {
    const uint64_t start = splitmix64(splitmix64(42) ^ static_cast<uint64_t>(10 + i)) % (1000 - 16 - 1);
    EXPECT_EQ(whole.inputs[i][0].item<int64_t>(), static_cast<int64_t>(toks[start])) << i;
    EXPECT_EQ(whole.targets[i][15].item<int64_t>(), static_cast<int64_t>(toks[start + 16])) << i;
  }
  TokenBatch tail = training_batch(data, 16, 12, 2, torch::kCPU);
  EXPECT_TRUE(torch::equal(whole.inputs.slice(0, 2, 4), tail.inputs));  // resume = same windows
  EXPECT_TRUE(torch::equal(whole.inputs.slice(1, 1, 16), whole.targets.slice(1, 0, 15)));
  TrainingData other;
  other.source =
      std::make_unique<ShardTokenSource>(TokenShard(dir + "/train.bin"), TokenShard(dir + "/val.bin"), 43, 16);
  EXPECT_FALSE(torch::equal(training_batch(other, 16, 10, 4, torch::kCPU).inputs, whole.inputs));
  // Validation: windows spread evenly, stride (tokens - seq_len - 1) / count.
  TokenBatch v = validation_batch(data, 16, 0, 3, 3, torch::kCPU);
  EXPECT_EQ(v.inputs[2][0].item<int64_t>(), static_cast<int64_t>(toks[2 * ((1000 - 17) / 3)]));
  expect_input_error([&] { ShardTokenSource s(TokenShard(dir + "/train.bin"), TokenShard(dir + "/val.bin"), 1, 999); },
                     "count", "train.bin");
}

// eod_mask_loss: a target whose input is the end-of-document token carries no loss.
TEST(BatchSampler, TheEndOfDocumentMaskLeavesOutTargetsAfterIt) {
  const std::string dir = sprout::test::make_temp_dir("eod-mask");
  std::vector<uint32_t> toks;
  for (int i = 0; i < 200; ++i) toks.push_back(i % 10 == 9 ? 7 : static_cast<uint32_t>(10 + i % 10));
  write_token_shard(dir + "/train.bin", toks, 32);
  write_token_shard(dir + "/val.bin", toks, 32);
  TrainingData data;
  data.source = std::make_unique<ShardTokenSource>(TokenShard(dir + "/train.bin"), TokenShard(dir + "/val.bin"), 3, 16);
  data.loss_masked_eod = 7;
  const TokenBatch b = training_batch(data, 16, 0, 8, torch::kCPU);
  const torch::Tensor masked = b.targets.eq(kIgnoredTarget);
  EXPECT_TRUE(torch::equal(masked, b.inputs.eq(7)));
  EXPECT_GT(masked.sum().item<int64_t>(), 8);  // one or two per window of 16
}

}  // namespace
}  // namespace sprout::backend
