// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/planner/io/loss_model_file.h"

#include <yaml-cpp/yaml.h>

#include "sprout/planner/base/file_io.h"
#include "sprout/planner/base/utf8.h"
#include "sprout/planner/io/yaml_fields.h"

namespace sprout::planner {
namespace {

constexpr double kMaxLoss = 1e3;    // nats; far above any language model's loss
constexpr double kMaxCount = 1e18;  // parameters or tokens

LossFitSummary::HeldOut read_held_out(YamlFields& f) {
  LossFitSummary::HeldOut h;
  h.run = f.text("run");
  h.params = f.number("params", 1, kMaxCount);
  h.tokens = f.number("tokens", 1, kMaxCount);
  h.predicted_loss = f.number("predicted_loss", 0, kMaxLoss);
  h.actual_loss = f.number("actual_loss", 0, kMaxLoss);
  h.relative_error = f.number("relative_error", -1, 1e6);
  h.curve_rmse = f.number("curve_rmse", 0, kMaxLoss);
  f.finish();
  return h;
}

LossFitSummary::MuScaling read_muscaling(YamlFields& f) {
  LossFitSummary::MuScaling m;
  m.a = f.number("a", 0, 1e12);
  m.b = f.number("b", -10, 0);
  m.c = f.number("c", 0, kMaxLoss);
  m.tokens = f.number("tokens", 1, kMaxCount);
  m.held_out_predicted_loss = f.optional_number("held_out_predicted_loss", 0, kMaxLoss);
  m.held_out_relative_error = f.optional_number("held_out_relative_error", -1, 1e6);
  f.finish();
  return m;
}

LossFitSummary read_fit(YamlFields& f) {
  LossFitSummary fit;
  YAML::Node runs = f.child("runs");
  if (!runs.IsSequence()) {
    throw InputError(location_of(runs, f.file()), f.field_name("runs"), "expected a list of run directories");
  }
  for (const auto& r : runs) {
    if (!r.IsScalar() || r.Scalar().empty() || first_invalid_utf8(r.Scalar())) {
      throw InputError(location_of(r, f.file()), f.field_name("runs"), "expected a run directory name (UTF-8 text)");
    }
    fit.runs.push_back(r.Scalar());
  }
  fit.points = f.integer("points", 0, 1LL << 40);
  fit.rmse = f.number("rmse", 0, kMaxLoss);
  if (auto node = f.optional_child("held_out")) {
    YamlFields hf(*node, f.file(), f.field_name("held_out"));
    fit.held_out = read_held_out(hf);
  }
  if (auto node = f.optional_child("muscaling")) {
    YamlFields mf(*node, f.file(), f.field_name("muscaling"));
    fit.muscaling = read_muscaling(mf);
  }
  fit.growth_points = f.optional_integer("growth_points", 0, 1LL << 40).value_or(0);
  fit.growth_rmse = f.optional_number("growth_rmse", 0, kMaxLoss).value_or(0);
  f.finish();
  return fit;
}

LossModel parse_loss_model(const YAML::Node& root, const std::string& file) {
  YamlFields f(root, file, "");
  LossModel m;
  m.name = f.text("name");
  m.source = f.optional_text("source").value_or("");
  f.optional_choice("law", {"chinchilla"});  // the only law so far
  m.e = f.number("E", 0, 100);
  m.a = f.number("A", 0, 1e12);
  m.b = f.number("B", 1e-12, 1e12);
  m.alpha = f.number("alpha", 1e-6, 3);
  m.beta = f.number("beta", 1e-6, 3);
  if (auto node = f.optional_child("growth")) {
    YamlFields gf(*node, file, "growth");
    m.growth_token_efficiency = gf.number("token_efficiency", 1e-3, 100);
    m.growth_source = gf.optional_text("source").value_or("");
    gf.finish();
  } else {
    const LossModel defaults = chinchilla_2022();
    m.growth_token_efficiency = defaults.growth_token_efficiency;
    m.growth_source = defaults.growth_source;
  }
  if (auto node = f.optional_child("fit")) {
    YamlFields ff(*node, file, "fit");
    m.fit = read_fit(ff);
  }
  f.finish();
  if (auto problem = loss_model_problem(m)) {
    f.fail(problem->field == "growth_token_efficiency" ? "growth" : problem->field, problem->reason);
  }
  return m;
}

}  // namespace

LossModel load_loss_model(const std::string& path) { return parse_loss_model(load_yaml_file(path), path); }

LossModel load_loss_model_from_string(const std::string& yaml, const std::string& name) {
  return parse_loss_model(load_yaml_string(yaml, name), name);
}

std::string loss_model_to_yaml(const LossModel& m) {
  YAML::Emitter out;
  out << YAML::Comment("sprout loss model: L(N, D) = E + A / N^alpha + B / D^beta (docs/search.md)");
  out << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << YAML::DoubleQuoted << m.name;
  if (!m.source.empty()) out << YAML::Key << "source" << YAML::Value << YAML::DoubleQuoted << m.source;
  out << YAML::Key << "law" << YAML::Value << "chinchilla";
  out << YAML::Key << "E" << YAML::Value << round_trip_text(m.e);
  out << YAML::Key << "A" << YAML::Value << round_trip_text(m.a);
  out << YAML::Key << "B" << YAML::Value << round_trip_text(m.b);
  out << YAML::Key << "alpha" << YAML::Value << round_trip_text(m.alpha);
  out << YAML::Key << "beta" << YAML::Value << round_trip_text(m.beta);
  out << YAML::Key << "growth" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "token_efficiency" << YAML::Value << round_trip_text(m.growth_token_efficiency);
  if (!m.growth_source.empty()) {
    out << YAML::Key << "source" << YAML::Value << YAML::DoubleQuoted << m.growth_source;
  }
  out << YAML::EndMap;
  if (m.fit) {
    const LossFitSummary& fit = *m.fit;
    out << YAML::Key << "fit" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "runs" << YAML::Value << YAML::BeginSeq;
    for (const auto& r : fit.runs) out << YAML::DoubleQuoted << r;
    out << YAML::EndSeq;
    out << YAML::Key << "points" << YAML::Value << fit.points;
    out << YAML::Key << "rmse" << YAML::Value << round_trip_text(fit.rmse);
    if (fit.held_out) {
      const auto& h = *fit.held_out;
      out << YAML::Key << "held_out" << YAML::Value << YAML::BeginMap;
      out << YAML::Key << "run" << YAML::Value << YAML::DoubleQuoted << h.run;
      out << YAML::Key << "params" << YAML::Value << round_trip_text(h.params);
      out << YAML::Key << "tokens" << YAML::Value << round_trip_text(h.tokens);
      out << YAML::Key << "predicted_loss" << YAML::Value << round_trip_text(h.predicted_loss);
      out << YAML::Key << "actual_loss" << YAML::Value << round_trip_text(h.actual_loss);
      out << YAML::Key << "relative_error" << YAML::Value << round_trip_text(h.relative_error);
      out << YAML::Key << "curve_rmse" << YAML::Value << round_trip_text(h.curve_rmse);
      out << YAML::EndMap;
    }
    if (fit.muscaling) {
      const auto& mu = *fit.muscaling;
      out << YAML::Key << "muscaling" << YAML::Value << YAML::BeginMap;
      out << YAML::Key << "a" << YAML::Value << round_trip_text(mu.a);
      out << YAML::Key << "b" << YAML::Value << round_trip_text(mu.b);
      out << YAML::Key << "c" << YAML::Value << round_trip_text(mu.c);
      out << YAML::Key << "tokens" << YAML::Value << round_trip_text(mu.tokens);
      if (mu.held_out_predicted_loss) {
        out << YAML::Key << "held_out_predicted_loss" << YAML::Value << round_trip_text(*mu.held_out_predicted_loss);
      }
      if (mu.held_out_relative_error) {
        out << YAML::Key << "held_out_relative_error" << YAML::Value << round_trip_text(*mu.held_out_relative_error);
      }
      out << YAML::EndMap;
    }
    out << YAML::Key << "growth_points" << YAML::Value << fit.growth_points;
    out << YAML::Key << "growth_rmse" << YAML::Value << round_trip_text(fit.growth_rmse);
    out << YAML::EndMap;
  }
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

void write_loss_model(const std::string& path, const LossModel& model) {
  write_file_atomically(path, loss_model_to_yaml(model));
}

}  // namespace sprout::planner
