// SPDX-License-Identifier: GPL-3.0-or-later
#include "data/sentencepiece_tokenizer.h"

#include <dlfcn.h>
#include <fmt/format.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "data/sentencepiece_module.h"
#include "sprout/planner/base/input_error.h"
#include "sprout/planner/base/private_module.h"

namespace sprout::backend {
namespace {

// SPROUT_SENTENCEPIECE_MODULE: where the build put it (backend/CMakeLists.txt).
const planner::PrivateModule kModule{"libsprout_sentencepiece.so", "SentencePiece", "SPROUT_SENTENCEPIECE_MODULE",
                                     SPROUT_SENTENCEPIECE_MODULE};

// The module's functions (sentencepiece_module.h), loaded once.
struct Module {
  decltype(&sprout_spm_train) train;
  decltype(&sprout_spm_load) load;
  decltype(&sprout_spm_encode) encode;
  decltype(&sprout_spm_piece_size) piece_size;
  decltype(&sprout_spm_eos_id) eos_id;
  decltype(&sprout_spm_free_processor) free_processor;
  decltype(&sprout_spm_free) free;
};

template <typename F>
F symbol(void* handle, const char* name) {
  return reinterpret_cast<F>(planner::module_symbol(handle, kModule, name));
}

Module load_module() {
#if defined(SPROUT_ADDRESS_SANITIZER)
  // AddressSanitizer's runtime aborts the process on an RTLD_DEEPBIND dlopen
  // (google/sanitizers issue 611), and without it the two protobufs clash:
  // a sanitizer build (make test-sanitize) cannot hold SentencePiece.
  throw std::runtime_error(
      fmt::format("cannot load {} in a build with AddressSanitizer (it needs RTLD_DEEPBIND, "
                  "which the sanitizer runtime refuses)",
                  kModule.file_name));
#endif
  // Local and deep-bound: its protobuf neither joins the process's symbols
  // nor binds to LibTorch's.
  void* handle = planner::open_private_module(kModule, RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
  return {symbol<decltype(&sprout_spm_train)>(handle, "sprout_spm_train"),
          symbol<decltype(&sprout_spm_load)>(handle, "sprout_spm_load"),
          symbol<decltype(&sprout_spm_encode)>(handle, "sprout_spm_encode"),
          symbol<decltype(&sprout_spm_piece_size)>(handle, "sprout_spm_piece_size"),
          symbol<decltype(&sprout_spm_eos_id)>(handle, "sprout_spm_eos_id"),
          symbol<decltype(&sprout_spm_free_processor)>(handle, "sprout_spm_free_processor"),
          symbol<decltype(&sprout_spm_free)>(handle, "sprout_spm_free")};
}

const Module& module() {
  static const Module m = load_module();
  return m;
}

// The module's error message, freed.
std::string take_error(char* error) {
  std::string text = error ? error : "failed";
  module().free(error);
  return text;
}

class SentencePieceTokenizer : public Tokenizer {
 public:
  // Throws InputError {where, field, ...} when `model` is not a usable model.
  SentencePieceTokenizer(std::string model, const std::string& where, const std::string& field)
      : model_(std::move(model)) {
    char* error = nullptr;
    processor_ = module().load(model_.data(), model_.size(), &error);
    if (!processor_) throw planner::InputError({where, 0, 0}, field, "not a SentencePiece model: " + take_error(error));
    if (module().eos_id(processor_) < 0) {
      module().free_processor(processor_);
      throw planner::InputError({where, 0, 0}, field,
                                "the model has no end-of-sentence piece for the end of a document");
    }
  }
  ~SentencePieceTokenizer() override { module().free_processor(processor_); }
  SentencePieceTokenizer(const SentencePieceTokenizer&) = delete;
  SentencePieceTokenizer& operator=(const SentencePieceTokenizer&) = delete;

  std::vector<uint32_t> encode(std::string_view text) const override {
    int32_t* ids = nullptr;
    size_t count = 0;
    char* error = nullptr;
    if (module().encode(processor_, text.data(), text.size(), &ids, &count, &error) != 0) {
      throw std::runtime_error("SentencePiece cannot encode the text: " + take_error(error));
    }
    std::vector<uint32_t> out(ids, ids + count);
    module().free(ids);
    return out;
  }

  TokenizerRecord record() const override {
    TokenizerRecord r;
    r.name = "sentencepiece";
    r.vocab = module().piece_size(processor_);
    r.eod = module().eos_id(processor_);
    return r;
  }
  const std::string& model_bytes() const override { return model_; }

 private:
  std::string model_;
  void* processor_ = nullptr;
};

// SentencePiece samples sentences with its own generator; a fixed seed (and
// one thread) makes the trained model the same on every run.
constexpr unsigned kTrainingSeed = 1234;

}  // namespace

std::unique_ptr<Tokenizer> load_sentencepiece(const std::string& model_path) {
  std::ifstream in(model_path, std::ios::binary);
  if (!in) throw planner::InputError({model_path, 0, 0}, "tokenizer_model", "cannot open the file");
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return std::make_unique<SentencePieceTokenizer>(bytes.str(), model_path, "tokenizer_model");
}

std::unique_ptr<Tokenizer> train_sentencepiece(const std::vector<std::string>& documents, int64_t vocab) {
  // One sentence per non-empty line of the documents.
  std::vector<const char*> sentences;
  std::vector<size_t> lengths;
  for (const std::string& d : documents) {
    for (size_t at = 0; at < d.size();) {
      const size_t end = std::min(d.find('\n', at), d.size());
      if (end > at) {
        sentences.push_back(d.data() + at);
        lengths.push_back(end - at);
      }
      at = end + 1;
    }
  }
  char* model = nullptr;
  size_t model_size = 0;
  char* error = nullptr;
  if (module().train(sentences.data(), lengths.data(), sentences.size(), vocab, kTrainingSeed, &model, &model_size,
                     &error) != 0) {
    throw planner::InputError({"--vocab", 0, 0}, "vocab", take_error(error));
  }
  std::string bytes(model, model_size);
  module().free(model);
  return std::make_unique<SentencePieceTokenizer>(std::move(bytes), "--vocab", "vocab");
}

}  // namespace sprout::backend
