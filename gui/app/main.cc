// SPDX-License-Identifier: GPL-3.0-or-later
// sprout-gui [PLAN.yaml ...]: the first plan opens for editing, the others
// join the comparison.
#include <QApplication>
#include <QCommandLineParser>
#include <QLabel>
#include <cstdio>

#include "sprout/gui/chart_box.h"
#include "sprout/gui/compare_tab.h"
#include "sprout/gui/main_window.h"
#include "sprout/planner/base/version.h"

int main(int argc, char** argv) {
  QApplication::setHighDpiScaleFactorRoundingPolicy(Qt::HighDpiScaleFactorRoundingPolicy::PassThrough);
  QApplication app(argc, argv);
  QApplication::setOrganizationName("sprout");
  QApplication::setApplicationName("sprout-gui");
  // `sprout-gui --version` prints "sprout-gui 0.2.0 (commit abc1234)", as the other programs.
  const std::string version = sprout::planner::version_line("sprout-gui");
  QApplication::setApplicationVersion(QString::fromStdString(version.substr(version.find(' ') + 1)));
  QCommandLineParser parser;
  parser.setApplicationDescription("Budget, compare and export growth-training plans");
  parser.addHelpOption();
  parser.addVersionOption();
  parser.addPositionalArgument("plans", "Plan files: the first is edited, the rest compared", "[PLAN.yaml...]");
  QCommandLineOption run_option("run", "Open a sprout-train run directory over the prediction", "RUN_DIR");
  QCommandLineOption render_option("render",
                                   "Render the window (with --run: the run tab) to FILE (.png or .svg) "
                                   "and exit; works offscreen (QT_QPA_PLATFORM=offscreen)",
                                   "FILE");
  parser.addOption(run_option);
  parser.addOption(render_option);
  parser.process(app);

  sprout::gui::MainWindow window;
  const QStringList files = parser.positionalArguments();
  for (int i = 0; i < files.size(); ++i) {
    if (i == 0) {
      window.open_plan(files[i]);
    } else {
      QString error;
      if (!window.compare_tab()->add_plan_file(files[i], &error)) window.show_message(error, true);
    }
  }
  if (parser.isSet(run_option)) window.open_run(parser.value(run_option));
  if (parser.isSet(render_option)) {
    window.resize(1280, 800);
    window.show();
    QApplication::processEvents();
    QString error;
    if (!sprout::gui::save_widget(&window, parser.value(render_option), &error)) {
      fprintf(stderr, "error: %s\n", qPrintable(error));
      return 1;
    }
    // A plan or run the planner rejected is an input error (message bar).
    return window.message_bar()->property("isError").toBool() ? 2 : 0;
  }
  window.show();
  return app.exec();
}
