// SPDX-License-Identifier: GPL-3.0-or-later
#include "comm/gloo_communicator.h"

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/version.h>

#include <cstdlib>

#include "comm/c10d_store.h"

namespace sprout::backend {
namespace {

// libtorch 1.x: ProcessGroupGloo is a c10d::ProcessGroup; 2.x split the
// process group from its backends and ProcessGroupGloo became a c10d::Backend
// (same collective signatures). Holding the base type keeps both building.
#if TORCH_VERSION_MAJOR >= 2
using GlooBase = c10d::Backend;
#else
using GlooBase = c10d::ProcessGroup;
#endif

// Which network device Gloo binds: GLOO_SOCKET_IFNAME as PyTorch reads it;
// loopback when rank 0 is on this machine's loopback (local runs, tests);
// else the address this host's name resolves to.
std::shared_ptr<::gloo::transport::Device> gloo_device(const Rendezvous& r) {
  if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME"); ifname != nullptr && *ifname != '\0') {
    return c10d::ProcessGroupGloo::createDeviceForInterface(ifname);
  }
  if (is_loopback_address(r.master_addr)) return c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1");
  return c10d::ProcessGroupGloo::createDefaultDevice();
}

void require_dense_cpu(const std::vector<torch::Tensor>& tensors) {
  for (const auto& t : tensors) {
    if (!t.is_contiguous() || !t.device().is_cpu()) {
      throw std::invalid_argument("Gloo collectives need contiguous CPU tensors");
    }
  }
}

class GlooCommunicator;

class PendingGloo final : public PendingCollective {
 public:
  PendingGloo(const GlooCommunicator& comm, std::string op, std::vector<c10::intrusive_ptr<c10d::Work>> works)
      : comm_(comm), op_(std::move(op)), works_(std::move(works)) {}
  void wait() override;

 private:
  const GlooCommunicator& comm_;
  std::string op_;
  std::vector<c10::intrusive_ptr<c10d::Work>> works_;
};

class GlooCommunicator final : public Communicator {
 public:
  // `name` tells groups apart in messages ("" for the world).
  GlooCommunicator(int rank, int world_size, const c10::intrusive_ptr<c10d::Store>& store,
                   std::shared_ptr<::gloo::transport::Device> device, std::chrono::milliseconds timeout,
                   std::string name)
      : rank_(rank),
        world_size_(world_size),
        timeout_(timeout),
        store_(store),
        device_(std::move(device)),
        name_(std::move(name)) {
    auto options = c10d::ProcessGroupGloo::Options::create(timeout);
    options->devices.push_back(device_);
    try {
      group_ = c10::make_intrusive<c10d::ProcessGroupGloo>(store, rank_, world_size_, options);
    } catch (const std::exception& e) {
      throw CollectiveError(failure("connecting the Gloo mesh", e));
    }
  }

  int rank() const override { return rank_; }
  int world_size() const override { return world_size_; }
  std::string backend_name() const override { return "gloo"; }

  void all_reduce_sum(std::vector<torch::Tensor>& tensors) override { start_all_reduce_sum(tensors)->wait(); }

  std::unique_ptr<PendingCollective> start_all_reduce_sum(std::vector<torch::Tensor>& tensors) override {
    require_dense_cpu(tensors);
    // c10d's vector argument means "one tensor per local device"; ours means
    // independent tensors, so each gets its own collective (queued in order).
    return start("all_reduce", tensors, [&](std::vector<torch::Tensor>& one) {
      c10d::AllreduceOptions o;
      o.reduceOp = c10d::ReduceOp::SUM;
      return group_->allreduce(one, o);
    });
  }

  void all_reduce_max(std::vector<torch::Tensor>& tensors) override {
    require_dense_cpu(tensors);
    start("all_reduce", tensors, [&](std::vector<torch::Tensor>& one) {
      c10d::AllreduceOptions o;
      o.reduceOp = c10d::ReduceOp::MAX;
      return group_->allreduce(one, o);
    })->wait();
  }

  std::unique_ptr<PendingCollective> start_send(const torch::Tensor& tensor, int peer, int tag) override {
    std::vector<torch::Tensor> one = {tensor};
    require_dense_cpu(one);
    return start("send", one, [&](std::vector<torch::Tensor>& t) { return group_->send(t, peer, tag); });
  }

  std::unique_ptr<PendingCollective> start_recv(torch::Tensor& tensor, int peer, int tag) override {
    std::vector<torch::Tensor> one = {tensor};
    require_dense_cpu(one);
    return start("recv", one, [&](std::vector<torch::Tensor>& t) { return group_->recv(t, peer, tag); });
  }

  std::unique_ptr<Communicator> split(const std::vector<int>& members, const std::string& name) override {
    const int index = member_index(*this, members);
    if (members.size() == 1) return std::make_unique<SingleProcessCommunicator>();
    // Its own key space in the run's store (as torch.distributed.new_group).
    auto store = c10::make_intrusive<c10d::PrefixStore>("sprout/group/" + name, store_);
    return std::make_unique<GlooCommunicator>(index, static_cast<int>(members.size()), store, device_, timeout_, name);
  }

  void broadcast(std::vector<torch::Tensor>& tensors, int root) override {
    require_dense_cpu(tensors);
    start("broadcast", tensors, [&](std::vector<torch::Tensor>& one) {
      c10d::BroadcastOptions o;
      o.rootRank = root;
      return group_->broadcast(one, o);
    })->wait();
  }

  void barrier() override {
    // A one-element all-reduce: ProcessGroupGloo::barrier ignores the group's
    // timeout in some versions; an all-reduce always honours it.
    std::vector<torch::Tensor> t = {torch::zeros({1})};
    all_reduce_sum(t);
  }

  std::string failure(const std::string& op, const std::exception& e) const {
    return collective_failure(name_.empty() ? op : op + " in group " + name_, rank_, world_size_, "gloo",
                              one_line_cause(e), timeout_);
  }

 private:
  template <typename Launch>
  std::unique_ptr<PendingCollective> start(const std::string& op, std::vector<torch::Tensor>& tensors, Launch launch) {
    std::vector<c10::intrusive_ptr<c10d::Work>> works;
    try {
      for (auto& t : tensors) {
        std::vector<torch::Tensor> one = {t};
        works.push_back(launch(one));
      }
    } catch (const std::exception& e) {
      throw CollectiveError(failure(op, e));
    }
    return std::make_unique<PendingGloo>(*this, op, std::move(works));
  }

  int rank_;
  int world_size_;
  std::chrono::milliseconds timeout_;
  c10::intrusive_ptr<c10d::Store> store_;
  std::shared_ptr<::gloo::transport::Device> device_;
  std::string name_;
  c10::intrusive_ptr<GlooBase> group_;
};

void PendingGloo::wait() {
  try {
    for (auto& w : works_) w->wait();
  } catch (const std::exception& e) {
    throw CollectiveError(comm_.failure(op_, e));
  }
}

}  // namespace

std::unique_ptr<Communicator> make_gloo_communicator(const Rendezvous& r, const c10::intrusive_ptr<c10d::Store>& store,
                                                     std::chrono::milliseconds timeout) {
  return std::make_unique<GlooCommunicator>(r.rank, r.world_size, store, gloo_device(r), timeout, "");
}

}  // namespace sprout::backend
