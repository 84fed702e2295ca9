// SPDX-License-Identifier: GPL-3.0-or-later
// sprout-gui [PLAN.yaml ...]: the first plan opens for editing, the others
// join the comparison.
#include <QApplication>
#include <QCommandLineParser>

#include "sprout/gui/compare_tab.h"
#include "sprout/gui/main_window.h"

int main(int argc, char** argv) {
  QApplication::setHighDpiScaleFactorRoundingPolicy(Qt::HighDpiScaleFactorRoundingPolicy::PassThrough);
  QApplication app(argc, argv);
  QApplication::setOrganizationName("sprout");
  QApplication::setApplicationName("sprout-gui");
  QApplication::setApplicationVersion("0.1.0");
  QCommandLineParser parser;
  parser.setApplicationDescription("Budget, compare and export growth-training plans");
  parser.addHelpOption();
  parser.addVersionOption();
  parser.addPositionalArgument("plans", "Plan files: the first is edited, the rest compared", "[PLAN.yaml...]");
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
  window.show();
  return app.exec();
}
