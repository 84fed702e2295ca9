// SPDX-License-Identifier: GPL-3.0-or-later
// `sprout-train prepare` with SentencePiece (docs/backend.md "Data"): a BPE
// model trained on the input (deterministic), written beside the data with
// its SHA-256 in tokenizer.json; an existing model reused; a model that does
// not load, or a record whose model was replaced, is bad input.
#include <gtest/gtest.h>

#include <filesystem>

#include "data/corpus.h"
#include "data/indexed_dataset.h"
#include "data/sentencepiece_tokenizer.h"
#include "data/sha256.h"
#include "data/token_shard.h"
#include "data/tokenizer.h"
#include "sanitizer_build.h"
#include "sprout/planner/base/file_io.h"
#include "sprout/planner/base/input_error.h"
#include "test_paths.h"
#include "tiny_growth_run.h"

namespace sprout::backend {
namespace {
namespace fs = std::filesystem;

class SentencePiece : public ::testing::Test {
 protected:
  void SetUp() override {
    if (sprout::test::kAddressSanitizer) GTEST_SKIP() << sprout::test::kNoSentencePieceUnderSanitizers;
  }
  static void SetUpTestSuite() {
    dir_ = sprout::test::make_temp_dir("sentencepiece");
    test::write_tiny_corpus(dir_ + "/corpus.txt");
  }
  static PrepareOptions options(const std::string& out) {
    PrepareOptions o;
    o.inputs = {dir_ + "/corpus.txt"};
    o.out_dir = dir_ + "/" + out;
    o.tokenizer = "sentencepiece";
    o.vocab = 64;
    return o;
  }
  static inline std::string dir_;
};

TEST_F(SentencePiece, TrainsABpeModelAndRecordsIt) {
  const PreparedCorpus c = prepare_corpus(options("trained"));
  EXPECT_EQ(c.tokenizer, "sentencepiece");
  EXPECT_EQ(c.vocab, 64);
  const std::string model = planner::read_file(dir_ + "/trained/" + kTokenizerModelName);
  const std::optional<TokenizerRecord> r = read_tokenizer_record(dir_ + "/trained");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->name, "sentencepiece");
  EXPECT_EQ(r->vocab, 64);
  EXPECT_EQ(r->eod, 2);  // SentencePiece's </s>
  EXPECT_EQ(r->model_sha256, sha256_hex(model));
  // BPE pieces compress the text: fewer tokens than bytes, every one < 64,
  // and one end-of-document token after the document.
  const TokenShard train(c.train_path);
  EXPECT_LT(c.train_tokens + c.validation_tokens, static_cast<int64_t>(fs::file_size(dir_ + "/corpus.txt")) / 2);
  EXPECT_EQ(train.vocab(), 64u);
  // Deterministic: the same input trains the same model.
  prepare_corpus(options("again"));
  EXPECT_EQ(planner::read_file(dir_ + "/again/" + kTokenizerModelName), model);
}

TEST_F(SentencePiece, AnExistingModelIsReusedForMegatronData) {
  prepare_corpus(options("first"));
  PrepareOptions o = options("reused");
  o.vocab = 0;
  o.tokenizer_model = dir_ + "/first/" + kTokenizerModelName;
  o.format = "megatron";
  const PreparedCorpus c = prepare_corpus(o);
  const IndexedDataset data(c.prefix);
  EXPECT_EQ(data.document_count(), 1);  // one text file, one document
  std::vector<int64_t> last(1);
  data.read(0, data.sequence_length(0) - 1, 1, last.data());
  EXPECT_EQ(last[0], 2);  // the end-of-document token closes it
  EXPECT_EQ(read_tokenizer_record(dir_ + "/reused")->model_sha256,
            read_tokenizer_record(dir_ + "/first")->model_sha256);
}

TEST_F(SentencePiece, BadModelsAndOptionsAreInputErrorsAndWriteNothing) {
  planner::write_file_atomically(dir_ + "/not-a-model", "hello");
  PrepareOptions o = options("bad-model");
  o.tokenizer_model = dir_ + "/not-a-model";
  try {
    prepare_corpus(o);
    ADD_FAILURE();
  } catch (const planner::InputError& e) {
    EXPECT_EQ(e.field(), "tokenizer_model");
    EXPECT_EQ(e.where().file, dir_ + "/not-a-model");
  }
  EXPECT_FALSE(fs::exists(o.out_dir));
  o = options("too-many-pieces");
  o.vocab = 100000;
  try {
    prepare_corpus(o);
    ADD_FAILURE();
  } catch (const planner::InputError& e) {
    EXPECT_EQ(e.field(), "vocab");
    EXPECT_NE(std::string(e.what()).find("Vocabulary size too high"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(o.out_dir));
  o = options("no-vocab");
  o.vocab = 0;
  EXPECT_THROW(prepare_corpus(o), planner::InputError);
  EXPECT_FALSE(fs::exists(o.out_dir));
}

TEST_F(SentencePiece, AReplacedModelFileIsCaughtByItsHash) {
  prepare_corpus(options("replaced"));
  prepare_corpus(options("other"));  // the same corpus: the same model, so change it by hand
  std::string model = planner::read_file(dir_ + "/replaced/" + kTokenizerModelName);
  model.back() ^= 1;
  planner::write_file_atomically(dir_ + "/replaced/" + kTokenizerModelName, model);
  try {
    read_tokenizer_record(dir_ + "/replaced");
    ADD_FAILURE();
  } catch (const planner::InputError& e) {
    EXPECT_EQ(e.field(), "model_sha256");
    EXPECT_NE(std::string(e.what()).find("tokenizer.json"), std::string::npos);
  }
}

}  // namespace
}  // namespace sprout::backend
