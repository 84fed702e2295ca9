// SPDX-License-Identifier: GPL-3.0-or-later
#include "search/schedule_graph.h"

#include <boost/graph/adjacency_list.hpp>

#include <algorithm>
#include <iterator>

#include "sprout/planner/loss/growth_loss.h"

namespace sprout::planner {
namespace {

constexpr size_t kProgressEvery = 64;  // vertices between progress calls

enum class EdgeKind { kStart, kTrain, kGrow, kFinish };

struct VertexInfo {};
struct EdgeInfo {
  int index = 0;
  EdgeKind kind = EdgeKind::kTrain;
  int from_shape = -1;
  int to_shape = -1;
  double tokens = 0;
  Costs costs;  // of training the tokens, or of the growth transition
};
using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS, VertexInfo, EdgeInfo>;

// A partial schedule at a vertex.
struct Label {
  double cost_usd = 0;
  double seconds = 0;
  double co2e_kg = 0;
  int shape = -1;
  LossState loss;
  int stages = 0;
  double stage_tokens = 0;  // in the current stage
  bool at_sink = false;
  long long previous = -1;  // the label it was extended from (index into the trail)
  int edge = -1;            // by this edge
};

// How a kept label was reached: all the paths need, 12 bytes a label.
struct Step {
  long long previous;
  int edge;
};

class ExtendLabel {
 public:
  explicit ExtendLabel(const ScheduleGraphProblem& p) : p_(&p) {}

  bool operator()(const EdgeInfo& edge, Label& next, const Label& prev) const {
    const ScheduleGraphProblem& p = *p_;
    next = prev;
    switch (edge.kind) {
      case EdgeKind::kStart:
        next.shape = edge.to_shape;
        next.loss = start_training(p.shapes[edge.to_shape]->params);
        next.stages = 1;
        return true;
      case EdgeKind::kTrain: {
        add(edge.costs, next);
        next.loss = train_tokens(p.loss, prev.loss, edge.tokens);
        next.stage_tokens += edge.tokens;
        return within_limits(next);
      }
      case EdgeKind::kGrow:
        if (prev.stage_tokens < p.min_stage_tokens || prev.stages >= p.max_stages) return false;
        add(edge.costs, next);
        next.shape = edge.to_shape;
        next.loss = grow_to(p.loss, prev.loss, p.shapes[edge.to_shape]->params);
        next.stages += 1;
        next.stage_tokens = 0;
        return within_limits(next);
      case EdgeKind::kFinish:
        if (prev.stage_tokens < p.min_stage_tokens) return false;
        // At the sink only the four objectives matter.
        next.at_sink = true;
        next.stages = 0;
        next.stage_tokens = 0;
        next.loss.grown = false;
        return true;
    }
    return false;
  }

 private:
  static void add(const Costs& c, Label& l) {
    l.cost_usd += c.cost_usd;
    l.seconds += c.seconds;
    l.co2e_kg += c.co2e_kg;
  }
  bool within_limits(const Label& l) const {
    return l.cost_usd <= p_->budget_usd && l.seconds <= p_->deadline_s && l.co2e_kg <= p_->max_co2e_kg;
  }
  const ScheduleGraphProblem* p_;
};

// a dominates b (both at the same vertex): no worse in cost, time and CO2e,
// no further behind on the loss curve, and no less free to go on.
class DominatesLabel {
 public:
  explicit DominatesLabel(const ScheduleGraphProblem& p) : p_(&p) {}

  bool operator()(const Label& a, const Label& b) const {
    if (a.cost_usd > b.cost_usd || a.seconds > b.seconds || a.co2e_kg > b.co2e_kg) return false;
    if (a.loss.effective_tokens < b.loss.effective_tokens) return false;
    if (a.at_sink) return true;
    // Later tokens count with the growth efficiency on a grown model.
    if (token_rate(a) < token_rate(b)) return false;
    const bool can_grow = a.shape + 1 < static_cast<int>(p_->shapes.size());
    if (can_grow && a.stages > b.stages) return false;
    return std::min(a.stage_tokens, p_->min_stage_tokens) >= std::min(b.stage_tokens, p_->min_stage_tokens);
  }

 private:
  double token_rate(const Label& l) const { return l.loss.grown ? p_->loss.growth_token_efficiency : 1.0; }
  const ScheduleGraphProblem* p_;
};

// Keeps the labels no other label of the list dominates (the first of equal
// ones). Sorted by cost, a label can only be dominated by one before it.
// On one cluster, cost, time and CO2e all scale with GPU-seconds, so within a
// class of labels that agree on everything but the objectives (stages, grown,
// ramp progress), the kept label with the most effective tokens dominates a
// later one if any kept label of the class does; it is checked first, and
// the class bests of the other classes after it. Only when the objectives do
// not scale together does a label fall back to a scan of all kept ones.
void keep_pareto_set(std::vector<Label>& labels, const DominatesLabel& dominates, double min_stage_tokens) {
  // Sort small keys, not the labels themselves.
  struct Key {
    double cost_usd;
    double effective_tokens;
    size_t index;
  };
  std::vector<Key> keys(labels.size());
  for (size_t i = 0; i < labels.size(); ++i) {
    keys[i] = {labels[i].cost_usd, labels[i].loss.effective_tokens, i};
  }
  std::sort(keys.begin(), keys.end(), [](const Key& a, const Key& b) {
    if (a.cost_usd != b.cost_usd) return a.cost_usd < b.cost_usd;
    return a.effective_tokens > b.effective_tokens;
  });
  struct ClassBest {
    int stages;
    bool grown;
    double ramp_tokens;
    size_t best;  // index into `kept`
  };
  std::vector<ClassBest> classes;
  std::vector<Label> kept;
  for (const Key& key : keys) {
    const Label& l = labels[key.index];
    const double ramp = std::min(l.stage_tokens, min_stage_tokens);
    ClassBest* own = nullptr;
    bool dominated = false;
    for (ClassBest& c : classes) {
      if (c.stages == l.stages && c.grown == l.loss.grown && c.ramp_tokens == ramp) own = &c;
      if (dominates(kept[c.best], l)) {
        dominated = true;
        break;
      }
    }
    if (!dominated && own && kept[own->best].loss.effective_tokens >= l.loss.effective_tokens) {
      // Same class, further along, but not cheaper in time or CO2e.
      for (size_t k = 0; k < kept.size() && !dominated; ++k) dominated = dominates(kept[k], l);
    }
    if (dominated) continue;
    if (!own) {
      classes.push_back({l.stages, l.loss.grown, ramp, kept.size()});
    } else if (l.loss.effective_tokens > kept[own->best].loss.effective_tokens) {
      own->best = kept.size();
    }
    kept.push_back(l);
  }
  labels = std::move(kept);
}

// At most `limit` of the sink's labels (sorted by cost): the quarter furthest
// along the loss curve, and the rest evenly spread over the cost range. More
// than the single best is kept because the ranking refills each schedule's
// budget afterwards, which can reorder the near-best ones.
std::vector<size_t> thin_out(const std::vector<Label>& labels, size_t limit) {
  std::vector<size_t> out;
  if (labels.size() <= limit || limit < 2) {
    for (size_t i = 0; i < labels.size(); ++i) out.push_back(i);
    return out;
  }
  std::vector<size_t> by_tokens(labels.size());
  for (size_t i = 0; i < labels.size(); ++i) by_tokens[i] = i;
  const size_t best_kept = std::max<size_t>(1, limit / 4);
  std::partial_sort(by_tokens.begin(), by_tokens.begin() + best_kept, by_tokens.end(), [&](size_t a, size_t b) {
    return labels[a].loss.effective_tokens > labels[b].loss.effective_tokens;
  });
  out.assign(by_tokens.begin(), by_tokens.begin() + best_kept);
  const size_t spread = std::max<size_t>(2, limit - best_kept);
  for (size_t k = 0; k < spread; ++k) out.push_back(k * (labels.size() - 1) / (spread - 1));
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

GraphSchedule to_schedule(const std::vector<Step>& trail, const std::vector<EdgeInfo>& edges, long long last) {
  std::vector<const EdgeInfo*> path;  // from the sink back to the source
  for (long long l = last; l >= 0 && trail[l].edge >= 0; l = trail[l].previous) {
    path.push_back(&edges[trail[l].edge]);
  }
  GraphSchedule s;
  for (auto it = path.rbegin(); it != path.rend(); ++it) {
    const EdgeInfo& e = **it;
    switch (e.kind) {
      case EdgeKind::kStart:
      case EdgeKind::kGrow:
        s.stages.push_back({static_cast<size_t>(e.to_shape), 0});
        break;
      case EdgeKind::kTrain:
        s.stages.back().tokens += e.tokens;
        break;
      case EdgeKind::kFinish:
        break;
    }
  }
  return s;
}

}  // namespace

ScheduleGraphResult search_schedule_graph(const ScheduleGraphProblem& p, const std::function<bool(double)>& progress) {
  const size_t shapes = p.shapes.size();
  const size_t points = p.grid.size();
  Graph g(2 + shapes * points);
  const auto source = boost::vertex(0, g);
  const auto sink = boost::vertex(1, g);
  auto at = [&](size_t s, size_t j) { return boost::vertex(2 + s * points + j, g); };
  std::vector<EdgeInfo> edges;
  auto connect = [&](auto from, auto to, EdgeKind kind, size_t from_shape, size_t to_shape, double tokens) {
    Costs costs;
    if (kind == EdgeKind::kTrain) {
      const ShapeCost& shape = *p.shapes[from_shape];
      costs = scaled(shape.per_iteration, tokens / shape.batch_tokens);
    } else if (kind == EdgeKind::kGrow) {
      costs = p.transition[from_shape][to_shape];
    }
    edges.push_back(EdgeInfo{static_cast<int>(edges.size()), kind, static_cast<int>(from_shape),
                             static_cast<int>(to_shape), tokens, costs});
    boost::add_edge(from, to, edges.back(), g);
  };
  const size_t target = shapes - 1;
  for (size_t s = 0; s < shapes; ++s) {
    connect(source, at(s, 0), EdgeKind::kStart, s, s, 0);
    for (size_t j = 0; j + 1 < points; ++j) {
      connect(at(s, j), at(s, j + 1), EdgeKind::kTrain, s, s, p.grid[j + 1] - p.grid[j]);
    }
    for (size_t j = 1; j < points; ++j) {
      if (p.grid[j] < p.min_stage_tokens) continue;
      for (size_t t : p.grows_to[s]) connect(at(s, j), at(t, j), EdgeKind::kGrow, s, t, 0);
    }
  }
  for (size_t j = 1; j < points; ++j) connect(at(target, j), sink, EdgeKind::kFinish, target, target, 0);

  // Multi-objective label setting (Martins 1984) in topological order: when a
  // vertex is reached, every path into it has been extended to it, so its
  // labels are pruned to their Pareto set once and then extended along its
  // out-edges. Boost's r_c_shortest_paths does the same with a priority queue,
  // but re-checks dominance pairwise and allocates a shared_ptr per label:
  // 30 s on the 101B / $100K case (6 grid points per doubling) against 0.4 s
  // here, for the same labels and front. The order is grid point by grid
  // point, shapes by size within one (train edges go to the next point, grow
  // edges to a larger shape at the same point), so only two grid points'
  // labels are ever waiting.
  std::vector<Graph::vertex_descriptor> order = {source};
  for (size_t j = 0; j < points; ++j) {
    for (size_t s = 0; s < shapes; ++s) order.push_back(at(s, j));
  }
  order.push_back(sink);
  const ExtendLabel extend(p);
  const DominatesLabel dominates(p);
  std::vector<std::vector<Label>> pending(boost::num_vertices(g));
  std::vector<Step> trail;  // of every label that survived its vertex
  pending[source].push_back(Label{});
  ScheduleGraphResult out;
  out.vertices = static_cast<long long>(boost::num_vertices(g));
  out.edges = static_cast<long long>(edges.size());
  for (size_t i = 0; i < order.size(); ++i) {
    if (progress && i % kProgressEvery == 0 && !progress(static_cast<double>(i) / order.size())) {
      out.cancelled = true;
      return out;
    }
    const auto v = order[i];
    std::vector<Label> labels = std::move(pending[v]);
    pending[v] = {};
    keep_pareto_set(labels, dominates, p.min_stage_tokens);
    const long long first = static_cast<long long>(trail.size());
    for (const Label& l : labels) trail.push_back({l.previous, l.edge});
    if (v == sink) {
      for (size_t l : thin_out(labels, p.max_schedules)) {
        out.schedules.push_back(to_schedule(trail, edges, first + static_cast<long long>(l)));
      }
      continue;
    }
    for (auto [e, end] = boost::out_edges(v, g); e != end; ++e) {
      const EdgeInfo& edge = g[*e];
      // No reserve: a vertex has many in-edges (the sink one per grid point),
      // and an exact reserve per edge copied its labels again for each,
      // quadratic in them; push_back grows geometrically.
      std::vector<Label>& into = pending[boost::target(*e, g)];
      for (size_t l = 0; l < labels.size(); ++l) {
        Label next;
        if (!extend(edge, next, labels[l])) continue;
        next.previous = first + static_cast<long long>(l);
        next.edge = edge.index;
        into.push_back(next);
        ++out.labels;
      }
    }
  }
  return out;
}

}  // namespace sprout::planner
