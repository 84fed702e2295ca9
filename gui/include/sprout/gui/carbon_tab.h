// SPDX-License-Identifier: GPL-3.0-or-later
// Where the electricity comes from: the current plan's emissions in every
// region profile (annual-mean grid intensity x PUE).
#pragma once

#include <QWidget>
#include <utility>
#include <vector>

namespace sprout::gui {

class ChartBox;
class PlanDocument;

class CarbonTab : public QWidget {
  Q_OBJECT

 public:
  explicit CarbonTab(PlanDocument* document, QWidget* parent = nullptr);
  // (region, operational tCO2e) for the current plan, in profile order.
  const std::vector<std::pair<QString, double>>& by_region() const { return by_region_; }
  ChartBox* chart() const { return chart_; }

 private:
  void refresh();
  PlanDocument* document_;
  ChartBox* chart_;
  std::vector<std::pair<QString, double>> by_region_;
};

}  // namespace sprout::gui
