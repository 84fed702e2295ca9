// SPDX-License-Identifier: GPL-3.0-or-later
// NCCL reports a dead peer by never finishing: a collective is enqueued on
// the stream and waits on the GPU. So wait() polls the stream and NCCL's
// asynchronous error state, and aborts the communicator (which frees the
// stream) when the collective timeout passes.
#include "nccl_communicator.h"

#ifdef SPROUT_CUDA

#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <cuda_runtime.h>
#include <fmt/format.h>
#include <nccl.h>

#include <cstring>
#include <thread>

#include "c10d_store.h"

namespace sprout::backend {
namespace {

ncclDataType_t nccl_type(torch::ScalarType t) {
  switch (t) {
    case torch::kFloat: return ncclFloat32;
    case torch::kDouble: return ncclFloat64;
    case torch::kHalf: return ncclFloat16;
    case torch::kBFloat16: return ncclBfloat16;
    case torch::kInt: return ncclInt32;
    case torch::kLong: return ncclInt64;
    case torch::kByte: return ncclUint8;
    default: throw std::invalid_argument(fmt::format("NCCL cannot reduce tensors of type {}", c10::toString(t)));
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
  PendingNccl(NcclCommunicator& comm, std::string op, std::vector<Staged> staged, cudaEvent_t done)
      : comm_(comm), op_(std::move(op)), staged_(std::move(staged)), done_(done) {}
  ~PendingNccl() override {
    if (done_ != nullptr) cudaEventDestroy(done_);
  }
  void wait() override;

 private:
  NcclCommunicator& comm_;
  std::string op_;
  std::vector<Staged> staged_;
  cudaEvent_t done_;
};

class NcclCommunicator final : public Communicator {
 public:
  // `name` tells groups apart (their unique ids live under it in the store).
  NcclCommunicator(int rank, int world_size, const c10::intrusive_ptr<c10d::Store>& store, int device_index,
                   std::chrono::milliseconds timeout, std::string name)
      : rank_(rank), world_size_(world_size), device_(torch::kCUDA, static_cast<c10::DeviceIndex>(device_index)),
        timeout_(timeout), store_(store), name_(std::move(name)) {
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
        throw CollectiveError(collective_failure("NCCL rendezvous", rank_, world_size_, "nccl", one_line_cause(e),
                                                 timeout_));
      }
      if (bytes.size() != sizeof(id.internal)) throw CollectiveError("NCCL rendezvous: malformed unique id");
      std::memcpy(id.internal, bytes.data(), bytes.size());
    }
    check(ncclCommInitRank(&comm_, world_size_, id, rank_), "ncclCommInitRank");
  }

  ~NcclCommunicator() override {
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

  // NCCL pairs sends and receives by order between two ranks, not by tag:
  // the pipeline posts them in the same order on both sides.
  std::unique_ptr<PendingCollective> start_send(const torch::Tensor& tensor, int peer, int) override {
    std::vector<torch::Tensor> one = {tensor};
    return launch("send", one, [&](torch::Tensor& t, cudaStream_t stream) {
      return ncclSend(t.data_ptr(), static_cast<size_t>(t.numel()), nccl_type(t.scalar_type()), peer, comm_, stream);
    });
  }

  std::unique_ptr<PendingCollective> start_recv(torch::Tensor& tensor, int peer, int) override {
    std::vector<torch::Tensor> one = {tensor};
    return launch("recv", one, [&](torch::Tensor& t, cudaStream_t stream) {
      return ncclRecv(t.data_ptr(), static_cast<size_t>(t.numel()), nccl_type(t.scalar_type()), peer, comm_, stream);
    });
  }

  std::unique_ptr<Communicator> split(const std::vector<int>& members, const std::string& name) override {
    const int index = member_index(*this, members);
    if (members.size() == 1) return std::make_unique<SingleProcessCommunicator>();
    return std::make_unique<NcclCommunicator>(index, static_cast<int>(members.size()), store_, device_.index(),
                                              timeout_, name);
  }

  void broadcast(std::vector<torch::Tensor>& tensors, int root) override {
    launch("broadcast", tensors, [&](torch::Tensor& t, cudaStream_t stream) {
      return ncclBroadcast(t.data_ptr(), t.data_ptr(), static_cast<size_t>(t.numel()), nccl_type(t.scalar_type()),
                           root, comm_, stream);
    })->wait();
  }

  void barrier() override {
    std::vector<torch::Tensor> t = {torch::zeros({1}, torch::TensorOptions().device(device_))};
    all_reduce_sum(t);
  }

  // Polls until `done` fires, NCCL reports an error, or the timeout passes
  // (then the communicator is aborted so nothing waits on it any longer).
  void wait_for(cudaEvent_t done, const std::string& op) {
    const auto deadline = std::chrono::steady_clock::now() + timeout_;
    while (true) {
      const cudaError_t q = cudaEventQuery(done);
      if (q == cudaSuccess) return;
      if (q != cudaErrorNotReady) throw CollectiveError(failure(op, cudaGetErrorString(q)));
      ncclResult_t async = ncclSuccess;
      ncclCommGetAsyncError(comm_, &async);
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
    if (comm_ != nullptr && !aborted_) ncclCommAbort(comm_);
    aborted_ = true;
  }

  template <typename Op>
  std::unique_ptr<PendingCollective> launch(const std::string& op, std::vector<torch::Tensor>& tensors, Op nccl_op) {
    if (aborted_) throw CollectiveError(failure(op, "the communicator was aborted by an earlier failure"));
    c10::cuda::CUDAGuard guard(device_);
    cudaStream_t stream = c10::cuda::getCurrentCUDAStream(device_.index()).stream();
    std::vector<Staged> staged;
    for (auto& t : tensors) {
      if (!t.is_contiguous()) throw std::invalid_argument("NCCL collectives need contiguous tensors");
      staged.push_back({t, t.is_cuda() ? t : t.to(device_)});
    }
    check(ncclGroupStart(), "ncclGroupStart");
    for (auto& s : staged) check(nccl_op(s.device, stream), op.c_str());
    check(ncclGroupEnd(), "ncclGroupEnd");
    cudaEvent_t done = nullptr;
    cudaEventCreateWithFlags(&done, cudaEventDisableTiming);
    cudaEventRecord(done, stream);
    return std::make_unique<PendingNccl>(*this, op, std::move(staged), done);
  }

  int rank_;
  int world_size_;
  torch::Device device_;
  std::chrono::milliseconds timeout_;
  c10::intrusive_ptr<c10d::Store> store_;
  std::string name_;
  ncclComm_t comm_ = nullptr;
  bool aborted_ = false;
};

void PendingNccl::wait() {
  comm_.wait_for(done_, op_);
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
