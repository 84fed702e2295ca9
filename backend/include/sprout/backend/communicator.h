// SPDX-License-Identifier: GPL-3.0-or-later
// The collective operations the training loop needs, behind one interface.
// The loop never asks how many processes there are beyond world_size(); a
// data-parallel run plugs in a Gloo or NCCL implementation (issue #6) and
// tensor/pipeline groups build on the same calls (issue #10).
#pragma once

#include <torch/types.h>

#include <memory>
#include <vector>

namespace sprout::backend {

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int world_size() const = 0;
  // In place: every rank ends with the element-wise sum over all ranks.
  virtual void all_reduce_sum(std::vector<torch::Tensor>& tensors) = 0;
  // In place: every rank ends with `root`'s values.
  virtual void broadcast(std::vector<torch::Tensor>& tensors, int root) = 0;
  virtual void barrier() = 0;
};

// One process holds everything: the collectives are identities.
class SingleProcessCommunicator final : public Communicator {
 public:
  int rank() const override { return 0; }
  int world_size() const override { return 1; }
  void all_reduce_sum(std::vector<torch::Tensor>&) override {}
  void broadcast(std::vector<torch::Tensor>&, int) override {}
  void barrier() override {}
};

// Averages the gradients of `parameters` over all ranks (sum, then divide:
// Gloo has no AVG). Parameters without a gradient get a zero one first so
// every rank reduces the same list.
void average_gradients(Communicator& comm, std::vector<torch::Tensor>& parameters);

// Mean of a scalar over all ranks.
double average_scalar(Communicator& comm, double value);

}  // namespace sprout::backend
