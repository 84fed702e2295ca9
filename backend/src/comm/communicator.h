// SPDX-License-Identifier: GPL-3.0-or-later
// The collective operations the training loop needs, behind one interface.
// The loop never asks how many processes there are beyond world_size(); a
// run plugs in Gloo (CPU) or NCCL (CUDA). Tensor-, pipeline- and
// data-parallel groups are communicators too, split from the world one
// (process_groups.h). docs/backend.md "Distributed training" has the failure
// semantics.
#pragma once

#include <torch/types.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace sprout::backend {

// A collective that failed: a peer died, or did not answer within the
// collective timeout. what() is one line naming the operation and the cause.
class CollectiveError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A collective in flight. wait() returns when its result is in the tensors
// it was started on, or throws CollectiveError.
class PendingCollective {
 public:
  virtual ~PendingCollective() = default;
  virtual void wait() = 0;
};

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int world_size() const = 0;
  virtual std::string backend_name() const = 0;  // "single" | "gloo" | "nccl"
  // In place: every rank ends with the element-wise sum over all ranks (each
  // tensor reduced on its own). Gloo and NCCL have no AVG on every
  // platform, so averaging is sum then divide (average_gradients).
  virtual void all_reduce_sum(std::vector<torch::Tensor>& tensors) = 0;
  // The same, returning at once; the tensors must stay alive until wait().
  virtual std::unique_ptr<PendingCollective> start_all_reduce_sum(std::vector<torch::Tensor>& tensors) = 0;
  // In place: every rank ends with the element-wise maximum over all ranks.
  virtual void all_reduce_max(std::vector<torch::Tensor>& tensors) = 0;
  // In place: every rank ends with `root`'s values.
  virtual void broadcast(std::vector<torch::Tensor>& tensors, int root) = 0;
  virtual void barrier() = 0;
  // Point to point (pipeline activations and gradients): `tensor` to or
  // from rank `peer` of this communicator; a send and a receive pair up by
  // `tag`. Both return at once; the tensor must stay alive until wait(),
  // after which a received tensor holds the data.
  virtual std::unique_ptr<PendingCollective> start_send(const torch::Tensor& tensor, int peer, int tag) = 0;
  virtual std::unique_ptr<PendingCollective> start_recv(torch::Tensor& tensor, int peer, int tag) = 0;
  // Opens what point-to-point messages with `peers` need, before the first
  // one. Collective: every rank that will exchange messages calls it at the
  // same point with its own peers. Gloo needs nothing; NCCL opens a channel
  // (communicator and stream) per direction, because it pairs messages by
  // order alone: a rank sends to each peer in the order the peer receives.
  virtual void connect_peers(const std::vector<int>& peers) { (void)peers; }
  // A communicator of the ranks `members` (ranks of this communicator,
  // ascending; rank i of the new one is members[i]). Every member calls it
  // with the same members and a `name` unique in the run; other ranks do not
  // call it. Connecting fails with CollectiveError after the timeout.
  virtual std::unique_ptr<Communicator> split(const std::vector<int>& members, const std::string& name) = 0;
};

// One process holds everything: the collectives are identities.
class SingleProcessCommunicator final : public Communicator {
 public:
  int rank() const override { return 0; }
  int world_size() const override { return 1; }
  std::string backend_name() const override { return "single"; }
  void all_reduce_sum(std::vector<torch::Tensor>&) override {}
  std::unique_ptr<PendingCollective> start_all_reduce_sum(std::vector<torch::Tensor>& tensors) override;
  void all_reduce_max(std::vector<torch::Tensor>&) override {}
  void broadcast(std::vector<torch::Tensor>&, int) override {}
  void barrier() override {}
  // There is no peer: a logic error.
  std::unique_ptr<PendingCollective> start_send(const torch::Tensor& tensor, int peer, int tag) override;
  std::unique_ptr<PendingCollective> start_recv(torch::Tensor& tensor, int peer, int tag) override;
  std::unique_ptr<Communicator> split(const std::vector<int>& members, const std::string& name) override;
};

// The position of this communicator's rank in `members`; throws
// std::invalid_argument when it is not a member or members is not ascending.
int member_index(const Communicator& comm, const std::vector<int>& members);

// Mean of a scalar over all ranks.
double average_scalar(Communicator& comm, double value);

// Element-wise sums over all ranks of a few doubles (one small all-reduce).
std::vector<double> sum_over_ranks(Communicator& comm, const std::vector<double>& values);

// True on every rank when `flag` is true on any rank.
bool any_rank(Communicator& comm, bool flag);

}  // namespace sprout::backend
