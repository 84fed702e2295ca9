// SPDX-License-Identifier: GPL-3.0-or-later
// One QApplication for all GUI tests, on the offscreen platform unless the
// environment chooses one; settings go to a throw-away test location.
#include <gtest/gtest.h>

#include <QApplication>
#include <QStandardPaths>

int main(int argc, char** argv) {
  if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
  QStandardPaths::setTestModeEnabled(true);
  QApplication app(argc, argv);
  QApplication::setOrganizationName("sprout-tests");
  QApplication::setApplicationName("sprout-gui-tests");
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
