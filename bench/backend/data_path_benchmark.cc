// SPDX-License-Identifier: GPL-3.0-or-later
// data_path_benchmark PREFIX SEQ_LEN BATCH BATCHES VOCAB: opens a Megatron-LM
// indexed dataset as sprout-train does (every token checked, GPT sample
// indices built for BATCH x BATCHES training windows), then builds BATCHES
// training batches of BATCH windows, and prints one JSON object: the time to
// open, the tokens per second of batch building, and the process's resident
// memory (VmRSS after opening and at the end, VmHWM the peak; at the end also
// split into RssAnon, the process's own memory such as the sample indices,
// and RssFile, pages of the mapped dataset, which the kernel may drop at any
// time and which stay in its page cache either way). Run by
// bench/backend/data_path_memory.py (docs/backend.md "Data").
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <fstream>
#include <iostream>
#include <string>

#include "data/batch_sampler.h"
#include "data/megatron_source.h"

namespace {

using Clock = std::chrono::steady_clock;

// A field of /proc/self/status in MiB ("VmRSS", "VmHWM").
double status_mib(const std::string& field) {
  std::ifstream in("/proc/self/status");
  std::string key;
  double kib = 0;
  while (in >> key) {
    if (key == field + ":") {
      in >> kib;
      return kib / 1024.0;
    }
    std::getline(in, key);
  }
  return 0;
}

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

}  // namespace

int main(int argc, char** argv) {
  if (argc != 6) {
    std::cerr << "usage: data_path_benchmark PREFIX SEQ_LEN BATCH BATCHES VOCAB\n";
    return 2;
  }
  using namespace sprout::backend;
  const std::string prefix = argv[1];
  const int64_t seq_len = std::stoll(argv[2]), batch = std::stoll(argv[3]), batches = std::stoll(argv[4]);
  const int64_t vocab = std::stoll(argv[5]);
  const double rss_before_mib = status_mib("VmRSS");

  auto t = Clock::now();
  TrainingData data;
  data.source = std::make_unique<MegatronTokenSource>(std::make_shared<const IndexedDataset>(prefix),
                                                      MegatronSourceSpec{.split = {969, 30, 1},
                                                                         .seq_len = seq_len,
                                                                         .training_samples = batch * batches,
                                                                         .validation_samples = batch,
                                                                         .seed = 1234,
                                                                         .vocab = vocab});
  const double open_s = seconds_since(t);
  const double rss_open_mib = status_mib("VmRSS");

  t = Clock::now();
  int64_t checksum = 0;
  for (int64_t b = 0; b < batches; ++b) {
    const TokenBatch tb = training_batch(data, seq_len, b * batch, batch, torch::kCPU);
    checksum += tb.inputs[0][0].item<int64_t>();
  }
  const double sample_s = seconds_since(t);
  const nlohmann::json j = {{"prefix", prefix},
                            {"training_tokens", data.source->training_tokens()},
                            {"open_s", open_s},
                            {"batches", batches},
                            {"tokens", batches * batch * seq_len},
                            {"batch_s", sample_s / static_cast<double>(batches)},
                            {"tokens_per_s", static_cast<double>(batches * batch * seq_len) / sample_s},
                            {"rss_start_mib", rss_before_mib},
                            {"rss_after_open_mib", rss_open_mib},
                            {"rss_end_mib", status_mib("VmRSS")},
                            {"rss_peak_mib", status_mib("VmHWM")},
                            {"rss_anon_end_mib", status_mib("RssAnon")},
                            {"rss_file_end_mib", status_mib("RssFile")},
                            {"checksum", checksum}};
  std::cout << j.dump(2) << "\n";
  return 0;
}
