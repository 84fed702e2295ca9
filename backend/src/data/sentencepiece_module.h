// SPDX-License-Identifier: GPL-3.0-or-later
// The C interface of libsprout_sentencepiece.so, the module that holds
// SentencePiece (sentencepiece_module.cc). Debian's libsentencepiece carries
// its own copy of protobuf and exports it; in a process that also has
// LibTorch's libprotobuf the two copies bind to each other and the process
// crashes while loading. So SentencePiece lives in a module of its own,
// dlopen()ed with RTLD_LOCAL | RTLD_DEEPBIND (sentencepiece_tokenizer.cc):
// its protobuf stays out of the process's symbol scope, and inside the
// module every call binds to its own copy. No LibTorch, no C++ types cross.
#pragma once

#include <cstddef>
#include <cstdint>

extern "C" {

// Every function that can fail returns 0 on success, else 1 and a message
// in *error (free it with sprout_spm_free).

// Trains a BPE model of `vocab` pieces on `count` sentences
// (deterministic: `seed`, one thread); *model gets the serialized model.
int sprout_spm_train(const char* const* sentences, const size_t* lengths, size_t count, int64_t vocab, unsigned seed,
                     char** model, size_t* model_size, char** error);
// A processor for a serialized model (nullptr and *error when it does not load).
void* sprout_spm_load(const char* model, size_t model_size, char** error);
// The ids of `text`; *ids is freed with sprout_spm_free.
int sprout_spm_encode(void* processor, const char* text, size_t size, int32_t** ids, size_t* count, char** error);
int sprout_spm_piece_size(void* processor);
int sprout_spm_eos_id(void* processor);  // -1: none
void sprout_spm_free_processor(void* processor);
void sprout_spm_free(void* buffer);
}
