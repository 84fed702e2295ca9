// SPDX-License-Identifier: GPL-3.0-or-later
#include "step/recompute.h"

#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/custom_function.h>

#include <optional>

#include "device/autocast.h"

namespace sprout::backend {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// What the backward pass needs besides the saved inputs: the piece and the
// autocast state its first run had. Held in the autograd context as a capsule.
struct PieceToRerun : torch::CustomClassHolder {
  ForwardPiece piece;
  size_t input_count = 0;
  torch::Device device = torch::kCPU;
  bool autocast = false;
};

// Inputs not requiring a gradient stay as they are; the others become new
// leaves on the same storage, so the re-run's graph ends at them.
std::vector<torch::Tensor> detached_leaves(const variable_list& saved, size_t count) {
  std::vector<torch::Tensor> out;
  out.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    const torch::Tensor& t = saved[i];
    out.push_back(t.requires_grad() ? t.detach().requires_grad_(true) : t);
  }
  return out;
}

class Recomputed : public torch::autograd::Function<Recomputed> {
 public:
  // Runs under no-grad (Function::apply); keeps the inputs and parameters
  // (saved variables: an in-place change before the backward is an error).
  static variable_list forward(AutogradContext* ctx, const c10::intrusive_ptr<PieceToRerun>& rerun,
                               torch::TensorList inputs, torch::TensorList parameters) {
    std::vector<torch::Tensor> saved = inputs.vec();
    saved.insert(saved.end(), parameters.begin(), parameters.end());
    ctx->save_for_backward(saved);
    ctx->saved_data["rerun"] = c10::IValue::make_capsule(rerun);
    return rerun->piece(inputs.vec());
  }

  // The incoming gradients: one per output. Returns one per forward argument
  // (the piece's slot gets none), inputs first, then parameters.
  static variable_list backward(AutogradContext* ctx, variable_list output_gradients) {
    const auto rerun = c10::static_intrusive_pointer_cast<PieceToRerun>(ctx->saved_data["rerun"].toCapsule());
    const variable_list saved = ctx->get_saved_variables();
    std::vector<torch::Tensor> inputs = detached_leaves(saved, rerun->input_count);
    variable_list outputs;
    {
      torch::AutoGradMode grad_mode(true);
      // Re-enter the forward's autocast unless it is on already.
      std::optional<AutocastGuard> autocast;
      if (rerun->autocast && !autocast_enabled(rerun->device)) autocast.emplace(true, rerun->device);
      outputs = rerun->piece(inputs);
    }
    // What to differentiate: the outputs that carry a gradient, with respect
    // to the inputs that need one and every parameter.
    variable_list roots, root_gradients, wrt;
    for (size_t i = 0; i < outputs.size(); ++i) {
      if (outputs[i].requires_grad()) {
        roots.push_back(outputs[i]);
        root_gradients.push_back(output_gradients[i]);
      }
    }
    std::vector<size_t> wrt_index;  // position among inputs then parameters
    for (size_t i = 0; i < saved.size(); ++i) {
      const torch::Tensor& t = i < inputs.size() ? inputs[i] : saved[i];
      if (t.requires_grad()) {
        wrt.push_back(t);
        wrt_index.push_back(i);
      }
    }
    variable_list result(1 + saved.size());  // [0]: the piece, no gradient
    if (roots.empty() || wrt.empty()) return result;
    const variable_list grads = torch::autograd::grad(roots, wrt, root_gradients, /*retain_graph=*/false,
                                                      /*create_graph=*/false, /*allow_unused=*/true);
    for (size_t k = 0; k < wrt.size(); ++k) result[1 + wrt_index[k]] = grads[k];
    return result;
  }
};

}  // namespace

std::vector<torch::Tensor> run_recomputed(const ForwardPiece& piece, const std::vector<torch::Tensor>& inputs,
                                          const std::vector<torch::Tensor>& parameters) {
  auto rerun = c10::make_intrusive<PieceToRerun>();
  rerun->piece = piece;
  rerun->input_count = inputs.size();
  rerun->device = inputs.empty() ? torch::Device(torch::kCPU) : inputs.front().device();
  rerun->autocast = autocast_enabled(rerun->device);
  return Recomputed::apply(rerun, torch::TensorList(inputs), torch::TensorList(parameters));
}

}  // namespace sprout::backend
