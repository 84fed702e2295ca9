// SPDX-License-Identifier: GPL-3.0-or-later
#include "comm/communicator.h"

#include <stdexcept>
#include <string>

namespace sprout::backend {
namespace {

class Done final : public PendingCollective {
 public:
  void wait() override {}
};

}  // namespace

std::unique_ptr<PendingCollective> SingleProcessCommunicator::start_all_reduce_sum(std::vector<torch::Tensor>&) {
  return std::make_unique<Done>();
}

std::unique_ptr<PendingCollective> SingleProcessCommunicator::start_send(const torch::Tensor&, int peer, int) {
  throw std::logic_error("send to rank " + std::to_string(peer) + " of a single process");
}

std::unique_ptr<PendingCollective> SingleProcessCommunicator::start_recv(torch::Tensor&, int peer, int) {
  throw std::logic_error("receive from rank " + std::to_string(peer) + " of a single process");
}

std::unique_ptr<Communicator> SingleProcessCommunicator::split(const std::vector<int>& members, const std::string&) {
  member_index(*this, members);
  return std::make_unique<SingleProcessCommunicator>();
}

int member_index(const Communicator& comm, const std::vector<int>& members) {
  int index = -1;
  for (size_t i = 0; i < members.size(); ++i) {
    if (members[i] < 0 || members[i] >= comm.world_size() || (i > 0 && members[i] <= members[i - 1])) {
      throw std::invalid_argument("group members must be ascending ranks of the communicator");
    }
    if (members[i] == comm.rank()) index = static_cast<int>(i);
  }
  if (index < 0) throw std::invalid_argument("rank " + std::to_string(comm.rank()) + " is not a member of the group");
  return index;
}

std::vector<double> sum_over_ranks(Communicator& comm, const std::vector<double>& values) {
  if (comm.world_size() == 1 || values.empty()) return values;
  std::vector<torch::Tensor> t = {torch::tensor(values, torch::kFloat64)};
  comm.all_reduce_sum(t);
  const double* p = t[0].data_ptr<double>();
  return std::vector<double>(p, p + values.size());
}

double average_scalar(Communicator& comm, double value) { return sum_over_ranks(comm, {value})[0] / comm.world_size(); }

bool any_rank(Communicator& comm, bool flag) { return sum_over_ranks(comm, {flag ? 1.0 : 0.0})[0] > 0; }

}  // namespace sprout::backend
