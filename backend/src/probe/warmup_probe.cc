// SPDX-License-Identifier: GPL-3.0-or-later
#include "probe/warmup_probe.h"

#include <sys/mman.h>

#include <cstring>
#include <stdexcept>
#include <vector>

#include "device/autocast.h"
#include "device/stopwatch.h"
#include "model/adamw.h"
#include "model/gpt_model.h"
#include "probe/probe_medians.h"
#include "step/gpt_forward.h"

namespace sprout::backend {

double first_step_extra_seconds(const std::string& dtype, torch::Device device) {
  // The GEMM shapes of a real layer (hidden 128, FFN 512: one-time kernel
  // generation can depend on a GEMM's shape class) on 64 tokens, so the
  // step touches few fresh pages (about 4 MB in all).
  planner::ModelShape shape;
  shape.layers = 2;
  shape.hidden = 128;
  shape.heads = shape.kv_heads = 8;
  shape.ffn_hidden = 512;
  shape.vocab = 256;
  shape.seq_len = 32;
  at::Generator generator = make_cpu_generator(11);
  GptModel model = make_gpt({shape, 0.02, 0.0}, generator, device);
  AdamWState optimizer = make_adamw_state(model.parameters());
  const std::vector<bool> decay(model.size(), true);
  const auto token_options = torch::TensorOptions().dtype(torch::kLong).device(device);
  const torch::Tensor tokens = torch::randint(shape.vocab, {2, shape.seq_len + 1}, token_options);
  const torch::Tensor inputs = tokens.slice(1, 0, shape.seq_len), targets = tokens.slice(1, 1);
  ForwardContext context;
  context.training = true;
  auto step_seconds = [&] {
    return device_seconds(device, [&] {
      torch::Tensor loss;
      {
        AutocastGuard autocast(dtype == "bf16", device);
        loss = gpt_loss(model, inputs, targets, context);
      }
      loss.backward();
      clip_grad_norm(model.parameters(), 1.0);
      adamw_step(model.parameters(), decay, optimizer, AdamWSettings{}, 1e-4);
    });
  };
  const double first = step_seconds();
  std::vector<double> later;
  for (int i = 0; i < kProbeSweeps; ++i) later.push_back(step_seconds());
  return std::max(0.0, first - median_of(std::move(later)));
}

double fresh_memory_gb_per_s(long long bytes) {
  std::vector<double> rates;
  for (int i = 0; i < kProbeSweeps; ++i) {
    void* region =
        mmap(nullptr, static_cast<size_t>(bytes), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (region == MAP_FAILED) throw std::runtime_error("cannot map " + std::to_string(bytes) + " bytes to time");
    const auto start = Clock::now();
    std::memset(region, 1, static_cast<size_t>(bytes));
    const double seconds = seconds_since(start);
    munmap(region, static_cast<size_t>(bytes));
    rates.push_back(static_cast<double>(bytes) / seconds / 1e9);
  }
  return median_of(std::move(rates));
}

void map_heap_once(long long bytes) {
  constexpr long long kBlock = 16LL << 20;  // under the 32 MiB mmap threshold: from the heap
  std::vector<torch::Tensor> blocks;
  for (long long mapped = 0; mapped < bytes; mapped += kBlock) blocks.push_back(torch::zeros({kBlock / 4}));
}

}  // namespace sprout::backend
