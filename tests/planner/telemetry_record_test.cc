// SPDX-License-Identifier: GPL-3.0-or-later
// The one telemetry record type (telemetry_record.h): every line of the
// recorded runs in tests/data/runs reads and writes back unchanged, for
// every record kind, and bad lines name their field.
#include "sprout/planner/runs/telemetry_record.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "test_paths.h"

namespace sprout::planner {
namespace {

namespace fs = std::filesystem;

const SourceLocation kWhere{"telemetry.jsonl", 7, 0};

std::string telemetry_error(const std::string& line) {
  try {
    telemetry_from_json(nlohmann::json::parse(line), kWhere);
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

TEST(TelemetryRecord, EveryRecordedLineRoundTrips) {
  std::map<std::string, int> kinds;  // event ("" for steps) -> lines
  int exact = 0;
  for (const auto& entry : fs::directory_iterator(test::source_path("tests/data/runs"))) {
    const fs::path path = entry.path() / "telemetry.jsonl";
    if (!fs::exists(path)) continue;
    std::ifstream in(path);
    int number = 0;
    for (std::string line; std::getline(in, line);) {
      ++number;
      nlohmann::json j;
      try {
        j = nlohmann::json::parse(line);
      } catch (const nlohmann::json::parse_error&) {
        continue;  // the cut-off last line of a run still writing (in-progress)
      }
      const TelemetryRecord r = telemetry_from_json(j, {path.string(), number, 0});
      const nlohmann::json back = telemetry_to_json(r);
      EXPECT_EQ(back, j) << path << ":" << number;
      // Lines sprout-train wrote (compact, as nlohmann dumps them) come back
      // byte for byte; generate_runs.py's lines have Python's spacing.
      if (line.find(", ") == std::string::npos) {
        EXPECT_EQ(back.dump(), line) << path << ":" << number;
        ++exact;
      }
      ++kinds[r.event];
    }
  }
  for (const char* kind : {"", "eval", "grow", "checkpoint"}) EXPECT_GT(kinds[kind], 0) << "event '" << kind << "'";
  EXPECT_GT(exact, 100);
}

// The kinds no recorded run holds: a resume, a pipelined step, a step with memory figures.
TEST(TelemetryRecord, ResumeAndPipelineRecordsRoundTripByteForByte) {
  const std::string resume =
      R"({"energy_j":10.5,"energy_source":"rapl","event":"resume","model_flops":3.5,"rank_count":2,)"
      R"("resume_bytes_read":[1000.0,2000.0],"stage":"wide","stage_index":1,"step":12,)"
      R"("time":"2026-01-02T03:04:05.678Z","tokens":6144.0})";
  // A growth's peak on every rank, and a stage's steady state on every rank.
  const std::string grow_peaks =
      R"({"event":"grow","peak_memory_bytes":3000,"rank_peak_memory_bytes":[3000.0,2500.0],"stage":"deep",)"
      R"("step":16,"tokens":1.0})";
  const std::string steady =
      R"({"event":"eval","rank_steady_memory_bytes":[2000.0,1800.0],"stage":"wide","step":16,"tokens":1.0,)"
      R"("val_loss":2.5})";
  const std::string pipelined =
      R"({"compute_s":0.5,"energy_j":1.0,"energy_source":"model","grad_norm":1.25,"loss":3.5,"lr":0.001,)"
      R"("mask":0.5,"model_flops":2.0,"optimizer_s":0.01,"pipeline":{"backward_op_s":[0.2,0.2],)"
      R"("backward_p2p_op_s":[0.0,0.0],"backward_s":[0.2,0.2],"bubble_fraction":0.125,"chunks":1,)"
      R"("forward_op_s":[0.1,0.1],"forward_p2p_op_s":[0.0,0.0],"forward_s":[0.1,0.1],"micro_batches":1,)"
      R"("p2p_s":0.001,"schedule":"1F1B","stages":2},"rank_count":2,"reduce_s":0.02,"stage":"deep",)"
      R"("stage_index":2,"step":20,"tflops_per_gpu":0.5,"time":"2026-01-02T03:04:05.678Z","tokens":10240.0,)"
      R"("tokens_per_s":100.0,"wait_s":0.003})";
  const std::string memory =
      R"({"activation_peak_bytes":123456789,"energy_j":1.0,"energy_source":"model","loss":3.5,)"
      R"("peak_memory_bytes":987654321,"recompute":"selective","stage":"deep","step":21,"tokens":10752.0})";
  for (const std::string& line : {resume, pipelined, memory, grow_peaks, steady}) {
    EXPECT_EQ(telemetry_to_json(telemetry_from_json(nlohmann::json::parse(line), kWhere)).dump(), line);
  }
  const TelemetryRecord p = telemetry_from_json(nlohmann::json::parse(pipelined), kWhere);
  ASSERT_TRUE(p.pipeline);
  EXPECT_EQ(p.pipeline->stages, 2);
  EXPECT_EQ(p.pipeline->forward_op_s->size(), 2u);
  const TelemetryRecord m = telemetry_from_json(nlohmann::json::parse(memory), kWhere);
  EXPECT_EQ(m.recompute, Recompute::kSelective);
  EXPECT_EQ(m.activation_peak_bytes, 123456789);
  EXPECT_EQ(m.peak_memory_bytes, 987654321);
  EXPECT_EQ(telemetry_from_json(nlohmann::json::parse(grow_peaks), kWhere).rank_peak_memory_bytes,
            (std::vector<double>{3000, 2500}));
}

TEST(TelemetryRecord, UnknownKeysAreIgnoredAndAStageMayBeAnIndex) {
  const TelemetryRecord r = telemetry_from_json(
      nlohmann::json::parse(R"({"step": 5, "stage": 1, "tokens": 100, "loss": 4.5, "future_field": [1, 2]})"), kWhere);
  EXPECT_EQ(std::get<long long>(r.stage), 1);
  EXPECT_EQ(r.rank_count, 0);  // not logged
  EXPECT_FALSE(telemetry_to_json(r).contains("future_field"));
}

TEST(TelemetryRecord, BadLinesNameTheLineAndTheField) {
  EXPECT_EQ(telemetry_error("[1]"), "telemetry.jsonl:7: telemetry.line: expected a JSON object");
  EXPECT_EQ(telemetry_error(R"({"stage": "s", "tokens": 1, "loss": 1})"), "telemetry.jsonl:7: telemetry.step: missing");
  EXPECT_EQ(telemetry_error(R"({"step": 1, "stage": 1.5, "tokens": 1, "loss": 1})"),
            "telemetry.jsonl:7: telemetry.stage: 1.5 is neither a stage name nor a 0-based index into plan.yaml's "
            "stages");
  EXPECT_EQ(telemetry_error(R"({"step": 1, "stage": "s", "tokens": "many", "loss": 1})"),
            "telemetry.jsonl:7: telemetry.tokens: expected a number, got \"many\"");
  EXPECT_EQ(telemetry_error(R"({"step": 1, "stage": "s", "tokens": 1})"), "telemetry.jsonl:7: telemetry.loss: missing");
  EXPECT_EQ(telemetry_error(R"({"step": 1, "stage": "s", "tokens": 1, "loss": -1})"),
            "telemetry.jsonl:7: telemetry.loss: -1 is not a finite number >= 0");
  EXPECT_EQ(telemetry_error(R"({"step": 1, "stage": "s", "tokens": 1, "event": "checkpoint", "path": 3})"),
            "telemetry.jsonl:7: telemetry.path: expected a string, got 3");
  EXPECT_EQ(telemetry_error(R"({"step": 1, "stage": "s", "tokens": 1, "loss": 1, "recompute": "some"})"),
            "telemetry.jsonl:7: telemetry.recompute: 'some' is not one of none | selective | full");
  EXPECT_NE(telemetry_error(R"({"step": 1, "stage": "s", "tokens": 1, "loss": 1, "pipeline": {"stages": 2}})")
                .find("telemetry.jsonl:7: telemetry.pipeline: "),
            std::string::npos);
  EXPECT_EQ(telemetry_error(
                R"({"step": 1, "stage": "s", "tokens": 1, "event": "eval", "rank_steady_memory_bytes": [1, "x"]})"),
            "telemetry.jsonl:7: telemetry.rank_steady_memory_bytes: expected an array of byte counts (>= 0), one per "
            "rank");
  EXPECT_EQ(telemetry_error(
                R"({"step": 1, "stage": "s", "tokens": 1, "event": "eval", "rank_steady_memory_bytes": [1, -2]})"),
            "telemetry.jsonl:7: telemetry.rank_steady_memory_bytes: expected an array of byte counts (>= 0), one per "
            "rank");
  EXPECT_NE(telemetry_error(R"({"step": 1, "stage": "s", "tokens": 1, "event": "grow", "from": {"layers": 1}})")
                .find("telemetry.jsonl:7: telemetry.from: "),
            std::string::npos);
}

// A count beyond long long's range was cast (undefined behaviour under UBSan).
TEST(TelemetryRecord, CountsBeyondTwoToThe53AreRefused) {
  EXPECT_EQ(telemetry_error(R"({"step": 1e300, "stage": "s", "tokens": 1, "loss": 1})"),
            "telemetry.jsonl:7: telemetry.step: 1e+300 is too large for a count (at most 9.0072e+15)");
  EXPECT_NE(telemetry_error(R"({"step": 1, "stage": "s", "tokens": 1, "loss": 1, "rank_count": 1e10})")
                .find("telemetry.rank_count: 10000000000.0 is too large for a count"),
            std::string::npos);
}

TEST(TelemetryRecord, ModelShapeJsonRoundTrips) {
  ModelShape s{2, 64, 4, 2, 192, 256, 32, Activation::kSwiglu, PositionEmbedding::kXpos, false, Norm::kRmsNorm};
  const ModelShape back = model_shape_from_json(model_shape_to_json(s));
  EXPECT_EQ(model_shape_to_json(back), model_shape_to_json(s));
  EXPECT_EQ(back.activation, Activation::kSwiglu);
  EXPECT_EQ(back.position, PositionEmbedding::kXpos);
  EXPECT_EQ(back.norm, Norm::kRmsNorm);
  nlohmann::json bad = model_shape_to_json(s);
  bad["activation"] = "relu";
  EXPECT_THROW(model_shape_from_json(bad), std::invalid_argument);
  bad = model_shape_to_json(s);
  bad["norm"] = "batchnorm";
  EXPECT_THROW(model_shape_from_json(bad), std::invalid_argument);
  // Sizes are positive ints: casting 1e20 to int would be undefined behaviour.
  auto error_of_shape = [&](const char* key, const nlohmann::json& value) {
    nlohmann::json j = model_shape_to_json(s);
    j[key] = value;
    try {
      (void)model_shape_from_json(j);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_EQ(error_of_shape("layers", 1e20), "layers: 1e+20 is too large for a count (at most 2147483647)");
  EXPECT_EQ(error_of_shape("hidden", 0), "hidden: 0 is not a finite number >= 1");
  EXPECT_EQ(error_of_shape("heads", 2.5), "heads: 2.5 is not a whole number");
  EXPECT_EQ(error_of_shape("tied_embeddings", 1), "tied_embeddings: expected true or false, got 1");
  // Checkpoints written before positions and norms were recorded: learned, LayerNorm.
  nlohmann::json older = model_shape_to_json(s);
  older.erase("position_embedding");
  older.erase("norm");
  const ModelShape old_shape = model_shape_from_json(older);
  EXPECT_EQ(old_shape.position, PositionEmbedding::kLearned);
  EXPECT_EQ(old_shape.norm, Norm::kLayerNorm);
}

}  // namespace
}  // namespace sprout::planner
