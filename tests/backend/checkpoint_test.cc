// SPDX-License-Identifier: GPL-3.0-or-later
// Checkpoints: exact round trip, keep-last-K, and a truncated or corrupt
// newest checkpoint is detected and the previous one loaded; a load reads
// each file once; a shard-local read counts only what it reads and checks
// each record's CRC-32; a version 1 archive (no record CRC-32) is still read.
#include "checkpoint/checkpoint.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iostream>

#include "sprout/planner/base/file_io.h"
#include "test_paths.h"

namespace sprout::backend {
namespace {
namespace fs = std::filesystem;

// A state.json as the trainer writes it (read_checkpoint_state parses it), `v` its token count.
std::string state_text(float v) {
  CheckpointState state;
  state.counters.plan_fingerprint = "checkpoint-test";
  state.counters.stages = {StageRecord{"only"}};
  state.counters.tokens = v;
  state.shape = {1, 8, 2, 2, 32, 16, 4, planner::Activation::kGelu};
  state.init_std = 0.02;
  return checkpoint_state_to_json(state).dump(2) + "\n";
}

CheckpointData sample(float v) {
  return {{{"a", torch::full({3, 2}, v)},
           {"b", torch::arange(5, torch::kInt64)},
           {"c", torch::tensor({v}).to(torch::kBFloat16)}},
          state_text(v)};
}

TEST(Checkpoint, RoundTripsBitExactAndKeepsTheLastK) {
  const std::string dir = sprout::test::make_temp_dir("ckpt");
  for (int step = 1; step <= 4; ++step) write_checkpoint(dir, step * 10, sample(static_cast<float>(step) / 3), 2);
  auto all = list_checkpoints(dir);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].first, 30);
  EXPECT_EQ(all[1].first, 40);
  CheckpointSearch found = load_newest_checkpoint(dir);
  ASSERT_TRUE(found.newest);
  EXPECT_EQ(found.newest->step, 40);
  EXPECT_TRUE(found.rejected.empty());
  const CheckpointData want = sample(4.0f / 3);
  EXPECT_EQ(found.newest->data.state_json, want.state_json);
  ASSERT_EQ(found.newest->data.tensors.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(found.newest->data.tensors[i].first, want.tensors[i].first);
    EXPECT_TRUE(torch::equal(found.newest->data.tensors[i].second, want.tensors[i].second));
  }
  for (const auto& e : fs::directory_iterator(dir)) EXPECT_NE(e.path().filename().string().rfind(".tmp", 0), 0u);
}

TEST(Checkpoint, TruncatedCorruptOrUnfinishedNewestFallsBackToThePrevious) {
  const std::string dir = sprout::test::make_temp_dir("ckpt-bad");
  write_checkpoint(dir, 1, sample(1), 5);
  const std::string newest = write_checkpoint(dir, 2, sample(2), 5);
  const std::string tensors = newest + "/tensors.bin";

  fs::resize_file(tensors, fs::file_size(tensors) - 3);  // truncated
  CheckpointSearch found = load_newest_checkpoint(dir);
  ASSERT_TRUE(found.newest);
  EXPECT_EQ(found.newest->step, 1);
  ASSERT_EQ(found.rejected.size(), 1u);
  EXPECT_NE(found.rejected[0].find("truncated"), std::string::npos) << found.rejected[0];

  write_checkpoint(dir, 2, sample(2), 5);
  {
    std::fstream f(tensors, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(40);
    f.put('\x7f');  // same size, flipped byte
  }
  found = load_newest_checkpoint(dir);
  EXPECT_EQ(found.newest->step, 1);
  EXPECT_NE(found.rejected.at(0).find("CRC"), std::string::npos) << found.rejected[0];

  write_checkpoint(dir, 2, sample(2), 5);
  fs::remove(newest + "/DONE");  // crashed before the marker
  found = load_newest_checkpoint(dir);
  EXPECT_EQ(found.newest->step, 1);
  EXPECT_NE(checkpoint_problem(newest).find("DONE"), std::string::npos);

  fs::remove(dir + "/step-000000001/DONE");
  found = load_newest_checkpoint(dir);
  EXPECT_FALSE(found.newest);
  EXPECT_EQ(found.rejected.size(), 2u);
}

// docs/reliability.md "Verified files": every byte of every kind of file a
// resume reads (tensors.bin, state.json, a rank's optimizer shard, DONE),
// flipped one at a time, makes the checkpoint rejected with the file named,
// and the search falls back to the older complete one.
TEST(Checkpoint, EveryFlippedByteOfEveryFileIsRejectedNamingTheFile) {
  const std::string dir = sprout::test::make_temp_dir("ckpt-flip");
  SingleProcessCommunicator one;
  const NamedTensors shard = {{"adam.exp_avg/a", torch::full({2, 2}, 0.5f)}};
  write_checkpoint(one, dir, 1, sample(1), true, shard, 5);
  const std::string newest = write_checkpoint(one, dir, 2, sample(2), true, shard, 5);
  int flips = 0;
  for (const std::string file : {"tensors.bin", "state.json", "optimizer-rank-00000-of-00001.bin", "DONE"}) {
    const std::string path = newest + "/" + file;
    const std::string good = planner::read_file(path);
    ASSERT_FALSE(good.empty()) << file;
    for (size_t at = 0; at < good.size(); ++at, ++flips) {
      std::string bad = good;
      bad[at] = static_cast<char>(bad[at] ^ 0x01);
      planner::write_file_synced(path, bad);
      const CheckpointSearch found = load_newest_checkpoint(dir);
      ASSERT_TRUE(found.newest) << file << " byte " << at;
      ASSERT_EQ(found.newest->step, 1) << file << " byte " << at;
      ASSERT_EQ(found.rejected.size(), 1u);
      EXPECT_EQ(found.rejected[0].rfind("step-000000002: ", 0), 0u) << found.rejected[0];
      EXPECT_NE(found.rejected[0].find(file), std::string::npos) << file << " byte " << at << ": " << found.rejected[0];
    }
    planner::write_file_synced(path, good);
    EXPECT_EQ(checkpoint_problem(newest), "");
  }
  EXPECT_GT(flips, 400);
  std::cout << "[ flips    ] " << flips << " flipped bytes, each rejected naming its file\n";
  // The older one corrupt too: nothing to resume from (sprout-train exits 2).
  const std::string older_state = dir + "/step-000000001/state.json";
  std::string state = planner::read_file(older_state);
  state[0] = static_cast<char>(state[0] ^ 0x01);
  planner::write_file_synced(older_state, state);
  std::string done = planner::read_file(newest + "/DONE");
  done[done.size() / 2] = static_cast<char>(done[done.size() / 2] ^ 0x01);
  planner::write_file_synced(newest + "/DONE", done);
  const CheckpointSearch none = load_newest_checkpoint(dir);
  EXPECT_FALSE(none.newest);
  EXPECT_EQ(none.rejected.size(), 2u);
}

TEST(Checkpoint, ALoadReadsEachFileOnceItsCrcCheckIncluded) {
  const std::string dir = sprout::test::make_temp_dir("ckpt-bytes");
  const std::string written = write_checkpoint(dir, 5, sample(5), 2);
  uintmax_t on_disk = 0;
  for (const auto& e : fs::directory_iterator(written)) on_disk += fs::file_size(e.path());
  const long long before = checkpoint_bytes_read();
  const LoadedCheckpoint loaded = load_checkpoint(written);
  // DONE, tensors.bin and state.json, each once: the CRC is checked on the bytes that are parsed.
  EXPECT_EQ(static_cast<uintmax_t>(checkpoint_bytes_read() - before), on_disk);
  EXPECT_EQ(loaded.data.state_json, sample(5).state_json);
  const long long checked = checkpoint_bytes_read();
  EXPECT_EQ(checkpoint_problem(written), "");
  EXPECT_EQ(static_cast<uintmax_t>(checkpoint_bytes_read() - checked), on_disk);
}

TEST(Checkpoint, AShardLocalReadCountsWhatItReadsAndChecksEachRecordsCrc) {
  const std::string dir = sprout::test::make_temp_dir("ckpt-records");
  const std::string written = write_checkpoint(dir, 5, sample(5), 2);
  const long long before = checkpoint_bytes_read();
  EXPECT_EQ(checkpoint_state_to_json(read_checkpoint_state(written)).dump(2) + "\n", sample(5).state_json);
  const uintmax_t state_and_done = fs::file_size(written + "/state.json") + fs::file_size(written + "/DONE");
  EXPECT_EQ(static_cast<uintmax_t>(checkpoint_bytes_read() - before), state_and_done);
  const std::map<std::string, ArchiveRecord> records = index_checkpoint(written);
  ASSERT_EQ(records.size(), 3u);
  const long long indexed = checkpoint_bytes_read();
  // One record: its bytes alone, bit for bit.
  EXPECT_TRUE(torch::equal(read_checkpoint_record(records.at("a")), sample(5).tensors[0].second));
  EXPECT_EQ(checkpoint_bytes_read() - indexed, 3 * 2 * 4);
  // The index: DONE again (it lists the archives) and the headers, i.e. the archive less its records' data.
  EXPECT_EQ(static_cast<uintmax_t>(indexed - before - static_cast<long long>(state_and_done)),
            fs::file_size(written + "/DONE") + fs::file_size(written + "/tensors.bin") - (3 * 2 * 4 + 5 * 8 + 2));
  // A flipped byte in record b: reading b fails its CRC-32, reading a does not.
  std::string bytes = planner::read_file(written + "/tensors.bin");
  bytes[records.at("b").offset] ^= 0x01;
  planner::write_file_atomically(written + "/tensors.bin", bytes);
  EXPECT_NO_THROW(read_checkpoint_record(records.at("a")));
  try {
    read_checkpoint_record(records.at("b"));
    ADD_FAILURE() << "a corrupt record was read";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("tensor b fails its CRC-32 (corrupt)"), std::string::npos) << e.what();
  }
}

// "SPROUTTA" | version 1 | 1 record: "x", f32, `sizes`, `nbytes`, then `data`
// (version 1: no CRC-32).
std::string version_one_archive(const std::vector<int64_t>& sizes, uint64_t nbytes, const std::string& data) {
  std::string bytes = "SPROUTTA";
  auto put = [&bytes](auto v) { bytes.append(reinterpret_cast<const char*>(&v), sizeof(v)); };
  put(uint32_t{1});
  put(uint64_t{1});
  put(uint32_t{1});
  bytes += "x";
  put(uint8_t{0});
  put(static_cast<uint32_t>(sizes.size()));
  for (int64_t s : sizes) put(s);
  put(nbytes);
  return bytes + data;
}

TEST(Checkpoint, AVersionOneArchiveWithoutRecordCrcsIsStillRead) {
  const float data[] = {1.5f, -2.0f};
  const std::string bytes = version_one_archive({2}, 8, std::string(reinterpret_cast<const char*>(data), 8));
  const std::string path = sprout::test::make_temp_dir("archive-v1") + "/v1.bin";
  planner::write_file_atomically(path, bytes);
  const torch::Tensor want = torch::tensor({1.5f, -2.0f});
  const NamedTensors all = read_tensor_archive(path);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_TRUE(torch::equal(all[0].second, want));
  const std::vector<ArchiveRecord> records = index_tensor_archive(path);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_FALSE(records[0].crc32.has_value());
  EXPECT_TRUE(torch::equal(read_archive_record(records[0]), want));
}

// A corrupt record header (docs/reliability.md "Fuzzing"): a negative size, a
// size whose bytes overflow uint64, or bytes the file does not hold are
// refused as std::runtime_error naming the file, before anything is
// allocated (torch::empty threw c10::Error, or tried 4 TiB).
TEST(Checkpoint, ACorruptRecordHeaderIsRefusedBeforeAllocating) {
  const std::string dir = sprout::test::make_temp_dir("archive-corrupt");
  const std::pair<std::vector<int64_t>, uint64_t> bad[] = {
      {{-1}, 0}, {{int64_t{1} << 62, int64_t{1} << 62}, 0}, {{int64_t{1} << 40}, uint64_t{4} << 40}};
  for (const auto& [sizes, nbytes] : bad) {
    const std::string path = dir + "/bad.bin";
    planner::write_file_atomically(path, version_one_archive(sizes, nbytes, std::string(8, '\0')));
    EXPECT_THROW(read_tensor_archive(path), std::runtime_error) << sizes[0];
    EXPECT_THROW(index_tensor_archive(path), std::runtime_error) << sizes[0];
  }
}

}  // namespace
}  // namespace sprout::backend
