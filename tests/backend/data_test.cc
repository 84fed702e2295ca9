// SPDX-License-Identifier: GPL-3.0-or-later
// Token shards (docs/formats.md "Token shards"), the prepare step and the
// counter-based sampler.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "data/batch_sampler.h"
#include "data/corpus.h"
#include "data/token_shard.h"
#include "sprout/planner/base/file_io.h"
#include "sprout/planner/base/input_error.h"
#include "test_paths.h"

namespace sprout::backend {
namespace {

std::string shard_bytes(const std::string& path) { return planner::read_file(path); }

TEST(TokenShard, RoundTripsAndUsesUint16ForSmallVocabularies) {
  const std::string dir = sprout::test::make_temp_dir("shard");
  write_token_shard(dir + "/a.bin", {1, 2, 255, 0}, 256);
  EXPECT_EQ(shard_bytes(dir + "/a.bin").size(), kShardHeaderBytes + 4 * 2);
  TokenShard s = read_token_shard(dir + "/a.bin");
  EXPECT_EQ(s.vocab, 256u);
  EXPECT_TRUE(torch::equal(s.tokens, torch::tensor({1, 2, 255, 0}, torch::kInt32)));
  write_token_shard(dir + "/b.bin", {70000, 3}, 100256 * 2);
  EXPECT_EQ(shard_bytes(dir + "/b.bin").size(), kShardHeaderBytes + 2 * 4);
  EXPECT_EQ(read_token_shard(dir + "/b.bin").tokens[0].item<int>(), 70000);
}

// Every way the header can be wrong names the field.
TEST(TokenShard, CorruptHeadersAreInputErrorsNamingTheField) {
  const std::string dir = sprout::test::make_temp_dir("shard-bad");
  write_token_shard(dir + "/good.bin", {1, 2, 3, 4}, 256);
  const std::string good = shard_bytes(dir + "/good.bin");
  auto expect_field = [&](std::string bytes, const std::string& field) {
    planner::write_file_atomically(dir + "/bad.bin", bytes);
    try {
      read_token_shard(dir + "/bad.bin");
      ADD_FAILURE() << "no error for " << field;
    } catch (const planner::InputError& e) {
      EXPECT_EQ(e.field(), field) << e.what();
      EXPECT_NE(std::string(e.what()).find("bad.bin"), std::string::npos);
    }
  };
  std::string b = good;
  b[0] = 'X';
  expect_field(b, "magic");
  b = good;
  b[8] = 2;
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
  try {
    read_token_shard(dir + "/missing.bin");
    ADD_FAILURE();
  } catch (const planner::InputError& e) {
    EXPECT_EQ(e.field(), "data");
  }
}

TEST(TokenShard, UnigramEntropyOfKnownDistributions) {
  const std::string dir = sprout::test::make_temp_dir("entropy");
  write_token_shard(dir + "/u.bin", {0, 1, 0, 1, 0, 1, 0, 1}, 256);
  EXPECT_NEAR(unigram_entropy_nats(read_token_shard(dir + "/u.bin")), std::log(2.0), 1e-12);
  write_token_shard(dir + "/v.bin", {0, 0, 0, 1}, 256);  // p = 3/4, 1/4
  EXPECT_NEAR(unigram_entropy_nats(read_token_shard(dir + "/v.bin")), -(0.75 * std::log(0.75) + 0.25 * std::log(0.25)),
              1e-12);
}

TEST(Prepare, ByteTokensAndADeterministicChunkSplit) {
  const std::string dir = sprout::test::make_temp_dir("prepare");
  std::string text;
  for (int i = 0; i < 100; ++i) text += static_cast<char>('a' + i % 26);
  planner::write_file_atomically(dir + "/in.txt", text);
  PrepareOptions o;
  o.inputs = {dir + "/in.txt"};
  o.out_dir = dir + "/out";
  o.chunk_bytes = 10;
  o.validation_every = 4;  // chunks 3 and 7 (bytes 30..39, 70..79) go to validation
  PreparedCorpus c = prepare_corpus(o);
  EXPECT_EQ(c.train_tokens, 80);
  EXPECT_EQ(c.validation_tokens, 20);
  TokenShard val = read_token_shard(c.validation_path);
  EXPECT_EQ(val.tokens[0].item<int>(), 'a' + 30 % 26);
  EXPECT_EQ(val.tokens[10].item<int>(), 'a' + 70 % 26);
  const std::string first = shard_bytes(c.train_path);
  prepare_corpus(o);
  EXPECT_EQ(shard_bytes(c.train_path), first);  // deterministic
  o.inputs = {dir + "/nope.txt"};
  EXPECT_THROW(prepare_corpus(o), planner::InputError);
}

TEST(Prepare, ReadsGzipCompressedText) {
  const std::string dir = sprout::test::make_temp_dir("gz");
  planner::write_file_atomically(dir + "/t.txt", "hello gzip world\n");
  ASSERT_EQ(std::system(("gzip -k " + dir + "/t.txt").c_str()), 0);
  EXPECT_EQ(read_text(dir + "/t.txt.gz"), "hello gzip world\n");
}

TEST(BatchSampler, DependsOnlyOnTheSequenceNumbers) {
  const std::string dir = sprout::test::make_temp_dir("sampler");
  std::vector<uint32_t> toks;
  for (int i = 0; i < 1000; ++i) toks.push_back(static_cast<uint32_t>(i % 251));
  write_token_shard(dir + "/s.bin", toks, 256);
  TokenShard s = read_token_shard(dir + "/s.bin");
  TokenBatch whole = training_batch(s, 16, 42, 10, 4, torch::kCPU);
  TokenBatch tail = training_batch(s, 16, 42, 12, 2, torch::kCPU);
  EXPECT_TRUE(torch::equal(whole.inputs.slice(0, 2, 4), tail.inputs));  // resume = same windows
  EXPECT_TRUE(torch::equal(whole.inputs.slice(1, 1, 16), whole.targets.slice(1, 0, 15)));
  EXPECT_FALSE(torch::equal(training_batch(s, 16, 43, 10, 4, torch::kCPU).inputs, whole.inputs));
  EXPECT_THROW(training_batch(s, 999, 1, 0, 1, torch::kCPU), planner::InputError);
}

}  // namespace
}  // namespace sprout::backend
