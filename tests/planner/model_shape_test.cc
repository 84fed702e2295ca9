// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/planner/model/model_shape.h"

#include <gtest/gtest.h>

namespace sprout::planner {
namespace {

ModelShape gpt(int l, int h, int a, int v = 51200, int s = 2048) {
  ModelShape m;
  m.layers = l;
  m.hidden = h;
  m.heads = a;
  m.kv_heads = a;
  m.ffn_hidden = 4 * h;
  m.vocab = v;
  m.seq_len = s;
  return m;
}

// Narayanan et al. 2021 (arXiv 2104.04473) eq. 2: N = 12 l h^2 (1 + 13/(12 h) + (V + s)/(12 l h)) (+ 2h final LN).
TEST(ModelShape, ParameterCountMatchesNarayananFormula) {
  for (auto m : {gpt(48, 6144, 64), gpt(96, 12288, 96), gpt(80, 10240, 80, 100256), gpt(2, 64, 4, 256, 128)}) {
    const double l = m.layers, h = m.hidden, V = m.vocab, s = m.seq_len;
    const double reference = 12 * l * h * h * (1 + 13 / (12 * h) + (V + s) / (12 * l * h)) + 2 * h;
    EXPECT_NEAR(parameter_count(m), reference, 1e-9 * reference);
  }
}

TEST(ModelShape, Gpt3Has175BillionParameters) {
  // GPT-3 175B: 96 layers, hidden 12288, vocab 50257, context 2048.
  EXPECT_NEAR(parameter_count(gpt(96, 12288, 96, 50257)) / 1e9, 174.6, 0.5);
}

// Narayanan et al. 2021 eq. 3, with full recompute: 96 B s l h^2 (1 + s/(6h) + V/(16 l h)).
TEST(ModelShape, HardwareFlopsWithFullRecomputeIsNarayananEquation3) {
  for (auto m : {gpt(48, 6144, 64), gpt(105, 20480, 128), gpt(80, 10240, 80, 100256)}) {
    const double l = m.layers, h = m.hidden, V = m.vocab, s = m.seq_len;
    const double per_token = 96 * l * h * h * (1 + s / (6 * h) + V / (16 * l * h));
    EXPECT_NEAR(hardware_flops_per_token(m, Recompute::kFull), per_token, 1e-9 * per_token);
  }
}

TEST(ModelShape, ModelFlopsCountEachMatmulThreeTimes) {
  auto m = gpt(40, 5760, 80, 100256);
  const double l = m.layers, h = m.hidden, V = m.vocab, s = m.seq_len;
  // 72 l h^2 (1 + s/(6h)) + 6 h V: the logits are forward + 2 backward GEMMs.
  const double expected = 72 * l * h * h * (1 + s / (6 * h)) + 6 * h * V;
  EXPECT_NEAR(model_flops_per_token(m), expected, 1e-9 * expected);
  // MFU never counts recomputation; HFU does.
  EXPECT_EQ(hardware_flops_per_token(m, Recompute::kNone), model_flops_per_token(m));
  EXPECT_NEAR(hardware_flops_per_token(m, Recompute::kSelective) - model_flops_per_token(m), l * 4 * s * h, 1.0);
}

TEST(ModelShape, GroupedQueryAttentionShrinksOnlyKeyValueProjections) {
  auto mha = gpt(32, 4096, 32);
  auto gqa = mha;
  gqa.kv_heads = 8;  // 4 query heads per KV head
  const double h = 4096, d = 128;
  // K and V projections go from h x h to h x (8 * 128) each.
  EXPECT_NEAR(parameters_per_layer(mha) - parameters_per_layer(gqa), 2 * h * (h - 8 * d) + 2 * (h - 8 * d), 1e-6);
  EXPECT_NEAR(layer_forward_flops_per_token(mha) - layer_forward_flops_per_token(gqa), 2 * 2 * h * (h - 8 * d), 1e-3);
  // The attention core is the same: every query head still sees all keys.
  EXPECT_EQ(attention_core_forward_flops_per_token(mha), attention_core_forward_flops_per_token(gqa));
}

TEST(ModelShape, SwigluHasThreeMatricesAndLlamaWidth) {
  auto m = gpt(32, 4096, 32, 32000, 4096);
  m.activation = Activation::kSwiglu;
  m.ffn_hidden = default_ffn_hidden(4096, Activation::kSwiglu);
  EXPECT_EQ(m.ffn_hidden, 11008);  // Llama-7B's intermediate size
  m.tied_embeddings = false;
  m.position = PositionEmbedding::kRotary;
  // With LayerNorms (2h each) instead of Llama's RMSNorms: 0.26M more.
  EXPECT_NEAR(parameter_count(m) / 1e9, 6.74, 0.01);
  // Llama-7B exactly (Touvron et al. 2023; Hugging Face's count, 6,738,415,616): RMSNorm has h gains, no bias.
  m.norm = Norm::kRmsNorm;
  EXPECT_EQ(parameter_count(m), 6738415616.0);
  EXPECT_EQ(norm_parameters(m), 4096.0);
  EXPECT_NEAR(layer_forward_flops_per_token(m),
              2 * 4096.0 * 3 * 4096 + 2 * 4096.0 * 4096 + 6 * 4096.0 * 11008 + 4 * 4096.0 * 4096, 1);
}

TEST(ModelShape, RmsNormSavesTheBiasOfEveryNormAndNoFlops) {
  auto ln = gpt(4, 256, 4);
  auto rms = ln;
  rms.norm = Norm::kRmsNorm;
  // Two norms per block and the final one, each h biases fewer.
  EXPECT_EQ(parameter_count(ln) - parameter_count(rms), (2 * 4 + 1) * 256.0);
  EXPECT_EQ(model_flops_per_token(ln), model_flops_per_token(rms));  // matmul FLOPs only
  // Rotary and xPos have no parameters (no [seq_len, h] table) and cost the same.
  auto rotary = ln, xpos = ln;
  rotary.position = PositionEmbedding::kRotary;
  xpos.position = PositionEmbedding::kXpos;
  EXPECT_EQ(parameter_count(ln) - parameter_count(rotary), 256.0 * ln.seq_len);
  EXPECT_EQ(parameter_count(rotary), parameter_count(xpos));
  EXPECT_EQ(model_flops_per_token(rotary), model_flops_per_token(xpos));
}

TEST(ModelShape, DefaultFfnWidthForGeluIsFourTimesHidden) {
  EXPECT_EQ(default_ffn_hidden(10240, Activation::kGelu), 40960);
}

}  // namespace
}  // namespace sprout::planner
