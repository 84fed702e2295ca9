// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/backend/communicator.h"

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

std::vector<double> sum_over_ranks(Communicator& comm, const std::vector<double>& values) {
  if (comm.world_size() == 1 || values.empty()) return values;
  std::vector<torch::Tensor> t = {torch::tensor(values, torch::kFloat64)};
  comm.all_reduce_sum(t);
  const double* p = t[0].data_ptr<double>();
  return std::vector<double>(p, p + values.size());
}

double average_scalar(Communicator& comm, double value) {
  return sum_over_ranks(comm, {value})[0] / comm.world_size();
}

bool any_rank(Communicator& comm, bool flag) { return sum_over_ranks(comm, {flag ? 1.0 : 0.0})[0] > 0; }

}  // namespace sprout::backend
