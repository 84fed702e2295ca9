// SPDX-License-Identifier: GPL-3.0-or-later
// sprout fit-loss RUN_DIR... --out LOSSMODEL.yaml [--holdout RUN|none]
//                 [--skip-fraction F] [--name NAME] [--format table|json]
// A loss model from sprout-train runs (muScaling, FLM-101B), with its error
// on a held-out run; `sprout search --loss-model` uses it. docs/search.md.
#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <optional>

#include "commands.h"
#include "loss_model_json.h"
#include "output.h"
#include "sprout/planner/io/loss_model_file.h"
#include "sprout/planner/runs/run_loss_fit.h"

namespace sprout::cli {
namespace {

struct FitLossOptions {
  std::vector<std::string> run_dirs;
  std::string out;
  std::optional<std::string> holdout;
  double skip_fraction = 0.1;
  std::string name;
  Format format = Format::kTable;
};

std::string fit_table(const planner::LossModel& m, const std::string& out) {
  std::string text = fmt::format("{}: {}\n  E {:.4g}, A {:.4g}, alpha {:.4g}, B {:.4g}, beta {:.4g}\n  {}\n", m.name,
                                 planner::describe_law(m), m.e, m.a, m.alpha, m.b, m.beta, m.source);
  text += fmt::format("growth token efficiency {:.3g}: {}\n", m.growth_token_efficiency, m.growth_source);
  const planner::LossFitSummary& f = *m.fit;
  if (f.held_out) {
    const auto& h = *f.held_out;
    text += fmt::format(
        "held-out run {} ({} parameters, {} tokens): predicted final loss {:.4f}, actual {:.4f}, "
        "error {:+.2f}%; rmse over its curve {:.4f}\n",
        h.run, human_count(h.params), human_count(h.tokens), h.predicted_loss, h.actual_loss, 100 * h.relative_error,
        h.curve_rmse);
  } else {
    text += "no run held out (--holdout none, or fewer than 3 from-scratch sizes)\n";
  }
  if (f.muscaling) {
    const auto& mu = *f.muscaling;
    text += fmt::format("muScaling L(N) = {:.4g} N^{:.4g} + {:.4g} over the proxies' final losses at ~{} tokens", mu.a,
                        mu.b, mu.c, human_count(mu.tokens));
    if (mu.held_out_predicted_loss) {
      text += fmt::format("; held-out prediction {:.4f} ({:+.2f}%)", *mu.held_out_predicted_loss,
                          100 * *mu.held_out_relative_error);
    }
    text += "\n";
  }
  return text + "wrote " + out + "\n";
}

void run_fit_loss(const FitLossOptions& o) {
  std::vector<planner::RunLossHistory> runs;
  for (const auto& dir : o.run_dirs) runs.push_back(planner::read_run_loss_history(dir));
  planner::LossFitOptions options;
  options.held_out_run = o.holdout;
  options.skip_fraction = o.skip_fraction;
  options.name = o.name;
  const planner::LossModel model = planner::fit_loss_model(runs, options);
  planner::write_loss_model(o.out, model);
  if (o.format == Format::kJson) {
    std::cout << nlohmann::json{{"loss_model", loss_model_json(model)}, {"out", o.out}}.dump(2) << "\n";
  } else {
    std::cout << fit_table(model, o.out);
  }
}

}  // namespace

void add_fit_loss_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("fit-loss", "Fit a loss model to sprout-train runs (for sprout search --loss-model)");
  auto o = std::make_shared<FitLossOptions>();
  cmd->add_option("runs", o->run_dirs, "sprout-train run directories (proxies at several widths, growth runs)")
      ->required();
  cmd->add_option("--out", o->out, "Loss-model file to write (YAML, atomically)")->required();
  cmd->add_option("--holdout", o->holdout,
                  "Run to hold out and predict (directory name), or none (default: the largest from-scratch run)");
  cmd->add_option("--skip-fraction", o->skip_fraction, "Leave out this first fraction of every stage (default 0.1)")
      ->check(CLI::Range(0.0, 0.9));
  cmd->add_option("--name", o->name, "Model name written into the file");
  add_format_option(*cmd, o->format, {Format::kTable, Format::kJson});
  cmd->callback([o] { run_fit_loss(*o); });
}

}  // namespace sprout::cli
