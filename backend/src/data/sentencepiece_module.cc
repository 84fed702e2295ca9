// SPDX-License-Identifier: GPL-3.0-or-later
// libsprout_sentencepiece.so: SentencePiece (Kudo and Richardson 2018) behind
// a C interface (sentencepiece_module.h says why it is a module of its own).
#include "data/sentencepiece_module.h"

#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unordered_map>
#include <vector>

namespace {

char* copy_of(const std::string& s) {
  char* out = static_cast<char*>(std::malloc(s.size() + 1));
  std::memcpy(out, s.data(), s.size());
  out[s.size()] = '\0';
  return out;
}

// SentencePiece's status text without its source location ("src/x.cc(12) [cond] reason" -> "reason").
int fail(const sentencepiece::util::Status& status, char** error) {
  std::string text = status.ToString();
  if (const size_t bracket = text.find("] "); bracket != std::string::npos) text = text.substr(bracket + 2);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  *error = copy_of(text.empty() ? "failed" : text);
  return 1;
}

class Sentences : public sentencepiece::SentenceIterator {
 public:
  Sentences(const char* const* sentences, const size_t* lengths, size_t count)
      : sentences_(sentences), lengths_(lengths), count_(count) {
    load();
  }
  bool done() const override { return at_ >= count_; }
  void Next() override {
    ++at_;
    load();
  }
  const std::string& value() const override { return value_; }
  sentencepiece::util::Status status() const override { return {}; }

 private:
  void load() {
    if (at_ < count_) value_.assign(sentences_[at_], lengths_[at_]);
  }
  const char* const* sentences_;
  const size_t* lengths_;
  size_t count_, at_ = 0;
  std::string value_;
};

}  // namespace

extern "C" {

int sprout_spm_train(const char* const* sentences, const size_t* lengths, size_t count, int64_t vocab, unsigned seed,
                     char** model, size_t* model_size, char** error) {
  sentencepiece::SetRandomGeneratorSeed(seed);
  Sentences input(sentences, lengths, count);
  std::string serialized;
  const std::unordered_map<std::string, std::string> args = {
      {"model_type", "bpe"},
      {"vocab_size", std::to_string(vocab)},
      {"character_coverage", "1.0"},  // keep every character of a small corpus
      {"num_threads", "1"},
      {"minloglevel", "2"}};  // errors only: the reason comes back in the status
  const sentencepiece::util::Status status = sentencepiece::SentencePieceTrainer::Train(args, &input, &serialized);
  if (!status.ok()) return fail(status, error);
  *model = static_cast<char*>(std::malloc(serialized.size()));
  std::memcpy(*model, serialized.data(), serialized.size());
  *model_size = serialized.size();
  return 0;
}

void* sprout_spm_load(const char* model, size_t model_size, char** error) {
  auto* processor = new sentencepiece::SentencePieceProcessor();
  const sentencepiece::util::Status status = processor->LoadFromSerializedProto(std::string_view(model, model_size));
  if (status.ok()) return processor;
  delete processor;
  fail(status, error);
  return nullptr;
}

int sprout_spm_encode(void* processor, const char* text, size_t size, int32_t** ids, size_t* count, char** error) {
  std::vector<int> out;
  const sentencepiece::util::Status status =
      static_cast<sentencepiece::SentencePieceProcessor*>(processor)->Encode(std::string_view(text, size), &out);
  if (!status.ok()) return fail(status, error);
  *ids = static_cast<int32_t*>(std::malloc(std::max<size_t>(1, out.size()) * sizeof(int32_t)));
  for (size_t i = 0; i < out.size(); ++i) (*ids)[i] = out[i];
  *count = out.size();
  return 0;
}

int sprout_spm_piece_size(void* processor) {
  return static_cast<sentencepiece::SentencePieceProcessor*>(processor)->GetPieceSize();
}

int sprout_spm_eos_id(void* processor) {
  return static_cast<sentencepiece::SentencePieceProcessor*>(processor)->eos_id();
}

void sprout_spm_free_processor(void* processor) {
  delete static_cast<sentencepiece::SentencePieceProcessor*>(processor);
}

void sprout_spm_free(void* buffer) { std::free(buffer); }
}
