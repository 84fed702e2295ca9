// SPDX-License-Identifier: GPL-3.0-or-later
// The `sprout simulate --format json` document: `stages[]` and `total`, each
// with p10/p50/p90 (and mean) objects for days, gpu_hours, cost_usd,
// energy_kwh, co2e_kg, plus failures_expected, checkpoint_interval_min and
// overheads{}; docs/simulator.md lists every field.
#pragma once

#include <nlohmann/json.hpp>

#include "sprout/simulator/iteration/iteration_schedule.h"
#include "sprout/simulator/run/simulation.h"

namespace sprout::simulator {

nlohmann::json to_json(const Percentiles& p);
// {days, gpu_hours, cost_usd, energy_kwh, co2e_kg, embodied_co2e_kg}, each a
// Percentiles object: the bands of `sprout simulate` and `sprout search`.
nlohmann::json to_json(const MetricBands& bands);
nlohmann::json to_json(const Overheads& o);
nlohmann::json to_json(const RunTimeline& timeline, bool with_events);
nlohmann::json to_json(const IterationSchedule& schedule);  // the Gantt chart of one iteration
nlohmann::json to_json(const SimulationReport& report, bool with_timeline_events = false);

}  // namespace sprout::simulator
