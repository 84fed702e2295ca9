// SPDX-License-Identifier: GPL-3.0-or-later
// NCCL reports a dead peer by never finishing: a collective is enqueued on
// the stream and waits on the GPU. So wait() polls the stream and NCCL's
// asynchronous error state, and aborts the communicator (which frees the
// stream) when the collective timeout passes.
#include "comm/nccl_communicator.h"

#ifdef SPROUT_CUDA

#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <cuda_runtime.h>
#include <fmt/format.h>
#include <nccl.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <set>
#include <thread>
#include <utility>

#include "comm/c10d_store.h"

namespace sprout::backend {
namespace {

ncclDataType_t nccl_type(torch::ScalarType t) {
  switch (t) {
    case torch::kFloat:
      return ncclFloat32;
    case torch::kDouble:
      return ncclFloat64;
    case torch::kHalf:
      return ncclFloat16;
    case torch::kBFloat16:
      return ncclBfloat16;
    case torch::kInt:
      return ncclInt32;
    case torch::kLong:
      return ncclInt64;
    case torch::kByte:
      return ncclUint8;
    default:
      throw std::invalid_argument(fmt::format("NCCL cannot reduce tensors of type {}", c10::toString(t)));
  }
}

class NcclCommunicator;

// CPU tensors (the trainer's few scalars) go through a device copy.
struct Staged {
  torch::Tensor user;    // what the caller passed
  torch::Tensor device;  // what NCCL works on
};

class PendingNccl final : public PendingCollective {
 public:
  // `nccl` is the NCCL communicator the operation runs on (the group's, or
  // a point-to-point channel's): its error state is what wait() polls.
  PendingNccl(NcclCommunicator& comm, ncclComm_t nccl, std::string op, std::vector<Staged> staged, cudaEvent_t done)
      : comm_(comm), nccl_(nccl), op_(std::move(op)), staged_(std::move(staged)), done_(done) {}
  ~PendingNccl() override {
    if (done_ != nullptr) cudaEventDestroy(done_);
  }
  void wait() override;

 private:
  NcclCommunicator& comm_;
  ncclComm_t nccl_;
  std::string op_;
  std::vector<Staged> staged_;
  cudaEvent_t done_;
};

class NcclCommunicator final : public Communicator {
 public:
  // `name` tells groups apart (their unique ids live under it in the store).
  NcclCommunicator(int rank, int world_size, const c10::intrusive_ptr<c10d::Store>& store, int device_index,
                   std::chrono::milliseconds timeout, std::string name)
      : rank_(rank),
        world_size_(world_size),
        device_(torch::kCUDA, static_cast<c10::DeviceIndex>(device_index)),
        timeout_(timeout),
        store_(store),
        name_(std::move(name)) {
    c10::cuda::CUDAGuard guard(device_);
    ncclUniqueId id;
    const std::string key = "sprout/nccl-unique-id/" + name_;
    if (rank_ == 0) {
      check(ncclGetUniqueId(&id), "ncclGetUniqueId");
      store->set(key, std::vector<uint8_t>(id.internal, id.internal + sizeof(id.internal)));
    } else {
      std::vector<uint8_t> bytes;
      try {
        bytes = store->get(key);  // waits up to the store's timeout
      } catch (const std::exception& e) {
        throw CollectiveError(
            collective_failure("NCCL rendezvous", rank_, world_size_, "nccl", one_line_cause(e), timeout_));
      }
      if (bytes.size() != sizeof(id.internal)) throw CollectiveError("NCCL rendezvous: malformed unique id");
      std::memcpy(id.internal, bytes.data(), bytes.size());
    }
    check(ncclCommInitRank(&comm_, world_size_, id, rank_), "ncclCommInitRank");
  }

  ~NcclCommunicator() override {
    for (auto* channels : {&sending_, &receiving_}) {
      for (auto& [peer, c] : *channels) {
        if (!aborted_) ncclCommDestroy(c.comm);
        cudaStreamDestroy(c.stream);
      }
    }
    if (comm_ != nullptr && !aborted_) ncclCommDestroy(comm_);
  }

  int rank() const override { return rank_; }
  int world_size() const override { return world_size_; }
  std::string backend_name() const override { return "nccl"; }

  void all_reduce_sum(std::vector<torch::Tensor>& tensors) override { start_all_reduce_sum(tensors)->wait(); }

  std::unique_ptr<PendingCollective> start_all_reduce_sum(std::vector<torch::Tensor>& tensors) override {
    return launch("all_reduce", tensors, [&](torch::Tensor& t, cudaStream_t stream) {
      return ncclAllReduce(t.data_ptr(), t.data_ptr(), static_cast<size_t>(t.numel()), nccl_type(t.scalar_type()),
                           ncclSum, comm_, stream);
    });
  }

  void all_reduce_max(std::vector<torch::Tensor>& tensors) override {
    launch("all_reduce", tensors, [&](torch::Tensor& t, cudaStream_t stream) {
      return ncclAllReduce(t.data_ptr(), t.data_ptr(), static_cast<size_t>(t.numel()), nccl_type(t.scalar_type()),
                           ncclMax, comm_, stream);
    })->wait();
  }

  // Point to point. NCCL pairs a send with a receive by their order between
  // two ranks (tags are ignored: the pipeline sends in the order the peer
  // receives, parallel_step.cc Sends and AheadReceives), and an operation holds its
  // stream until the peer posts the match. On one stream, a receive posted
  // ahead would hold back this rank's later sends, which the peer may be
  // waiting for before it sends what that receive waits for (1F1B's first
  // exchange). So each direction to a peer is a channel of its own, a
  // two-rank communicator with its own stream (PyTorch's ProcessGroupNCCL
  // opens one per pair and batches the exchanges of a step instead):
  // sends and receives progress independently, each in order, as on Gloo.
  // connect_peers() opens them.
  void connect_peers(const std::vector<int>& peers) override {
    c10::cuda::CUDAGuard guard(device_);
    // Directions in one order on every rank: by peer, then low -> high
    // before high -> low; the sender makes the unique id.
    std::vector<std::pair<int, int>> directions;  // (from, to)
    for (int peer : std::set<int>(peers.begin(), peers.end())) {
      if (peer == rank_ || peer < 0 || peer >= world_size_) {
        throw std::invalid_argument(
            fmt::format("NCCL point to point: rank {} cannot be a peer of rank {} of {}", peer, rank_, world_size_));
      }
      const int low = std::min(peer, rank_), high = std::max(peer, rank_);
      directions.push_back({low, high});
      directions.push_back({high, low});
    }
    auto key = [&](std::pair<int, int> d) {
      return fmt::format("sprout/nccl-unique-id/{}/p2p/{}-{}", name_, d.first, d.second);
    };
    std::vector<ncclUniqueId> ids(directions.size());
    for (size_t i = 0; i < directions.size(); ++i) {  // all sets before any get: no rank waits on a get
      if (directions[i].first != rank_) continue;
      check(ncclGetUniqueId(&ids[i]), "ncclGetUniqueId");
      const auto* id = reinterpret_cast<const uint8_t*>(ids[i].internal);
      store_->set(key(directions[i]), std::vector<uint8_t>(id, id + sizeof(ids[i].internal)));
    }
    for (size_t i = 0; i < directions.size(); ++i) {
      if (directions[i].first == rank_) continue;
      std::vector<uint8_t> bytes;
      try {
        bytes = store_->get(key(directions[i]));
      } catch (const std::exception& e) {
        throw CollectiveError(failure("NCCL point-to-point rendezvous", one_line_cause(e)));
      }
      if (bytes.size() != sizeof(ids[i].internal)) throw CollectiveError("NCCL rendezvous: malformed unique id");
      std::memcpy(ids[i].internal, bytes.data(), bytes.size());
    }
    // All of this rank's channels in one group: each connects once its peer
    // calls, and neighbours call at the same point (make_process_groups).
    std::vector<Channel> opened(directions.size());
    check(ncclGroupStart(), "ncclGroupStart");
    for (size_t i = 0; i < directions.size(); ++i) {
      check(ncclCommInitRank(&opened[i].comm, 2, ids[i], directions[i].first == rank_ ? 0 : 1), "ncclCommInitRank");
    }
    check(ncclGroupEnd(), "ncclGroupEnd (point-to-point channels)");
    for (size_t i = 0; i < directions.size(); ++i) {
      if (cudaStreamCreateWithFlags(&opened[i].stream, cudaStreamNonBlocking) != cudaSuccess) {
        throw CollectiveError(failure("cudaStreamCreate", "no stream for a point-to-point channel"));
      }
      auto& table = directions[i].first == rank_ ? sending_ : receiving_;
      table[directions[i].first == rank_ ? directions[i].second : directions[i].first] = opened[i];
    }
  }

  std::unique_ptr<PendingCollective> start_send(const torch::Tensor& tensor, int peer, int) override {
    std::vector<torch::Tensor> one = {tensor};
    const Channel& c = channel(sending_, peer, "send");
    return launch(
        "send", one,
        [&](torch::Tensor& t, cudaStream_t stream) {
          return ncclSend(t.data_ptr(), static_cast<size_t>(t.numel()), nccl_type(t.scalar_type()), 1, c.comm, stream);
        },
        &c);
  }

  std::unique_ptr<PendingCollective> start_recv(torch::Tensor& tensor, int peer, int) override {
    std::vector<torch::Tensor> one = {tensor};
    const Channel& c = channel(receiving_, peer, "recv");
    return launch(
        "recv", one,
        [&](torch::Tensor& t, cudaStream_t stream) {
          return ncclRecv(t.data_ptr(), static_cast<size_t>(t.numel()), nccl_type(t.scalar_type()), 0, c.comm, stream);
        },
        &c);
  }

  std::unique_ptr<Communicator> split(const std::vector<int>& members, const std::string& name) override {
    const int index = member_index(*this, members);
    if (members.size() == 1) return std::make_unique<SingleProcessCommunicator>();
    return std::make_unique<NcclCommunicator>(index, static_cast<int>(members.size()), store_, device_.index(),
                                              timeout_, name);
  }

  void broadcast(std::vector<torch::Tensor>& tensors, int root) override {
    launch("broadcast", tensors, [&](torch::Tensor& t, cudaStream_t stream) {
      return ncclBroadcast(t.data_ptr(), t.data_ptr(), static_cast<size_t>(t.numel()), nccl_type(t.scalar_type()), root,
                           comm_, stream);
    })->wait();
  }

  void barrier() override {
    std::vector<torch::Tensor> t = {torch::zeros({1}, torch::TensorOptions().device(device_))};
    all_reduce_sum(t);
  }

  // Polls until `done` fires, NCCL reports an error on `nccl`, or the
  // timeout passes (then every communicator is aborted so nothing waits on
  // one any longer).
  void wait_for(cudaEvent_t done, const std::string& op, ncclComm_t nccl) {
    const auto deadline = std::chrono::steady_clock::now() + timeout_;
    while (true) {
      const cudaError_t q = cudaEventQuery(done);
      if (q == cudaSuccess) return;
      if (q != cudaErrorNotReady) throw CollectiveError(failure(op, cudaGetErrorString(q)));
      ncclResult_t async = ncclSuccess;
      ncclCommGetAsyncError(nccl, &async);
      if (async != ncclSuccess) {
        abort();
        throw CollectiveError(failure(op, ncclGetErrorString(async)));
      }
      if (std::chrono::steady_clock::now() > deadline) {
        abort();
        throw CollectiveError(failure(op, "timed out"));
      }
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
  }

 private:
  std::string failure(const std::string& op, const std::string& cause) const {
    return collective_failure(op, rank_, world_size_, "nccl", cause, timeout_);
  }
  void check(ncclResult_t r, const char* what) const {
    if (r != ncclSuccess) throw CollectiveError(failure(what, ncclGetErrorString(r)));
  }
  void abort() {
    if (aborted_) return;
    for (auto* channels : {&sending_, &receiving_}) {
      for (auto& [peer, c] : *channels) ncclCommAbort(c.comm);
    }
    if (comm_ != nullptr) ncclCommAbort(comm_);
    aborted_ = true;
  }

  // One direction to one peer: a two-rank communicator (rank 0 sends) and
  // the stream its operations run on.
  struct Channel {
    ncclComm_t comm = nullptr;
    cudaStream_t stream = nullptr;
  };

  const Channel& channel(const std::map<int, Channel>& table, int peer, const char* op) const {
    const auto it = table.find(peer);
    if (it == table.end()) {
      throw std::logic_error(
          fmt::format("NCCL {} with rank {}: no point-to-point channel (connect_peers first)", op, peer));
    }
    return it->second;
  }

  // Enqueues nccl_op on every tensor (CPU ones staged through the device):
  // collectives on the current stream; a point-to-point operation on its
  // channel's stream, after the work already on the current stream (which
  // made or last used the tensor).
  template <typename Op>
  std::unique_ptr<PendingCollective> launch(const std::string& op, std::vector<torch::Tensor>& tensors, Op nccl_op,
                                            const Channel* p2p = nullptr) {
    if (aborted_) throw CollectiveError(failure(op, "the communicator was aborted by an earlier failure"));
    c10::cuda::CUDAGuard guard(device_);
    cudaStream_t current = c10::cuda::getCurrentCUDAStream(device_.index()).stream();
    std::vector<Staged> staged;
    for (auto& t : tensors) {
      if (!t.is_contiguous()) throw std::invalid_argument("NCCL collectives need contiguous tensors");
      staged.push_back({t, t.is_cuda() ? t : t.to(device_)});
    }
    cudaStream_t stream = current;
    if (p2p != nullptr) {
      stream = p2p->stream;
      cudaEvent_t ready = nullptr;
      cudaEventCreateWithFlags(&ready, cudaEventDisableTiming);
      cudaEventRecord(ready, current);
      cudaStreamWaitEvent(stream, ready, 0);
      cudaEventDestroy(ready);  // released once the wait has been enqueued
    }
    check(ncclGroupStart(), "ncclGroupStart");
    for (auto& s : staged) check(nccl_op(s.device, stream), op.c_str());
    check(ncclGroupEnd(), "ncclGroupEnd");
    if (p2p != nullptr) {
      // The tensors belong to the current stream's allocations: keep their
      // memory from reuse until the channel's stream is done with it (freed
      // early, as on an error path, it would otherwise be rewritten).
      const auto channel_stream = c10::cuda::getStreamFromExternal(stream, device_.index());
      for (auto& s : staged)
        c10::cuda::CUDACachingAllocator::recordStream(s.device.storage().data_ptr(), channel_stream);
    }
    cudaEvent_t done = nullptr;
    cudaEventCreateWithFlags(&done, cudaEventDisableTiming);
    cudaEventRecord(done, stream);
    return std::make_unique<PendingNccl>(*this, p2p != nullptr ? p2p->comm : comm_, op, std::move(staged), done);
  }

  int rank_;
  int world_size_;
  torch::Device device_;
  std::chrono::milliseconds timeout_;
  c10::intrusive_ptr<c10d::Store> store_;
  std::string name_;
  ncclComm_t comm_ = nullptr;
  std::map<int, Channel> sending_, receiving_;  // by peer
  bool aborted_ = false;
};

void PendingNccl::wait() {
  comm_.wait_for(done_, op_, nccl_);
  for (auto& s : staged_) {
    if (!s.user.is_cuda()) s.user.copy_(s.device);
  }
}

}  // namespace

std::unique_ptr<Communicator> make_nccl_communicator(const Rendezvous& r, const c10::intrusive_ptr<c10d::Store>& store,
                                                     int device_index, std::chrono::milliseconds timeout) {
  return std::make_unique<NcclCommunicator>(r.rank, r.world_size, store, device_index, timeout, "world");
}

}  // namespace sprout::backend

#endif  // SPROUT_CUDA
