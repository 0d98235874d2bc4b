// Customer partitions (partition.h): every customer in exactly one
// partition, per-customer results on a partition equal to those on the
// whole, every input format, nothing half-written on failure.
#include "churnkit/partition.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "churnkit/features.h"
#include "churnkit/generator.h"
#include "churnkit/io.h"
#include "churnkit/labels.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace churnkit {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

// A fresh directory, removed at the end.
struct TempDir {
  fs::path path =
      fs::path(::testing::TempDir()) /
      ("partition_test_" + std::to_string(::getpid()) + "_" +
       ::testing::UnitTest::GetInstance()->current_test_info()->name());
  TempDir() {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
};

v1::GeneratorConfig Config() {
  v1::GeneratorConfig config;
  config.set_customers(240);
  config.set_seed(17);
  config.set_start_date("2024-01-01");
  config.set_end_date("2024-12-31");
  return config;
}

// Each customer's feature row and label as of `as_of`, by id.
std::map<std::string, std::string> RowsById(const Dataset& ds,
                                            UnixSeconds as_of) {
  const FeatureEngine engine =
      FeatureEngine::Create(*DefaultFeatureSet()).value();
  const FeatureMatrix m = engine.Compute(ds, as_of).value();
  const ChurnLabeler labeler =
      ChurnLabeler::Create(*DefaultChurnDefinition()).value();
  const std::vector<ChurnLabel> labels = labeler.Label(ds, as_of).value();
  std::map<std::string, std::string> out;
  for (size_t r = 0; r < m.num_rows(); ++r) {
    std::string bytes(reinterpret_cast<const char*>(m.row(r).data()),
                      m.num_cols() * sizeof(double));
    out[m.customer_ids[r]] = bytes;
  }
  for (size_t c = 0; c < ds.num_customers(); ++c) {
    const std::string id(ds.customer_id(static_cast<CustomerIndex>(c)));
    out[id] += labels[c].churned ? "|churned" : "|active";
    out[id] += std::to_string(static_cast<int>(labels[c].type));
  }
  return out;
}

void ExpectPartitionsEqualTheWhole(const v1::LoadOptions& whole,
                                   const v1::PartitionResult& parts) {
  const LoadResult all = LoadDataset(whole).value();
  const UnixSeconds as_of = *ParseTime("2024-10-01");
  const std::map<std::string, std::string> expected =
      RowsById(all.dataset, as_of);
  std::map<std::string, std::string> got;
  int64_t errors = 0;
  for (const v1::DataPartition& p : parts.parts()) {
    const LoadResult part = LoadDataset(p.load()).value();
    errors += part.report.total_errors();
    for (size_t c = 0; c < part.dataset.num_customers(); ++c) {
      EXPECT_EQ(
          PartitionOf(part.dataset.customer_id(static_cast<CustomerIndex>(c)),
                      parts.partitions()),
          p.index());
    }
    for (auto& [id, row] : RowsById(part.dataset, as_of)) {
      EXPECT_TRUE(got.emplace(id, row).second) << id << " in two partitions";
    }
  }
  EXPECT_EQ(got.size(), expected.size());
  EXPECT_TRUE(got == expected);  // bit for bit, every customer
  EXPECT_EQ(errors, all.report.total_errors());
}

TEST(PartitionOf, IsFnv1aModuloTheCount) {
  EXPECT_EQ(PartitionOf("c1", 1000), 857);  // FNV-1a 64 of "c1": ...600857
  EXPECT_EQ(PartitionOf("c1", 7), 1);
  EXPECT_EQ(PartitionOf("anything", 1), 0);
}

TEST(PartitionData, CsvDirectoryPartitionsEqualTheWhole) {
  TempDir dir;
  ASSERT_TRUE(Generate(Config(), v1::CSV, (dir.path / "data").string()).ok());
  v1::PartitionRequest request;
  request.mutable_input()->add_paths((dir.path / "data").string());
  request.set_partitions(3);
  request.set_out_dir((dir.path / "parts").string());
  absl::StatusOr<v1::PartitionResult> parts = PartitionData(request);
  ASSERT_TRUE(parts.ok()) << parts.status();
  EXPECT_EQ(parts->parts_size(), 3);
  EXPECT_TRUE(fs::exists(dir.path / "parts" / "partitions.textproto"));
  ExpectPartitionsEqualTheWhole(request.input(), *parts);
}

TEST(PartitionData, PbAndJsonlStreamsPartitionRecordByRecord) {
  TempDir dir;
  for (v1::Format format : {v1::PB, v1::JSONL}) {
    const fs::path data = dir.path / ("data" + std::to_string(format));
    ASSERT_TRUE(Generate(Config(), format, data.string()).ok());
    v1::PartitionRequest request;
    request.mutable_input()->add_paths(
        (data / (format == v1::PB ? "records.pb" : "records.jsonl")).string());
    request.set_partitions(4);
    request.set_out_dir(
        (dir.path / ("parts" + std::to_string(format))).string());
    absl::StatusOr<v1::PartitionResult> parts = PartitionData(request);
    ASSERT_TRUE(parts.ok()) << parts.status();
    EXPECT_EQ(parts->unrouted(), 0);
    ExpectPartitionsEqualTheWhole(request.input(), *parts);
  }
}

TEST(PartitionData, BadRowsStayReportedAndBadRequestsLeaveNothing) {
  TempDir dir;
  const fs::path data = dir.path / "data";
  fs::create_directories(data);
  std::ofstream(data / "customers.csv") << "id,name,industry,tier,signup_time\n"
                                           "c1,A,saas,A,2024-01-01\n"
                                           "c2,B,saas,B,2024-01-01\n";
  std::ofstream(data / "events.csv") << "customer_id,kind,time,amount\n"
                                        "c1,LOGIN,2024-03-01,0\n"
                                        ",ORDER,2024-03-02,5\n"
                                        "c2,ORDER,2024-03-03,-3\n";
  v1::PartitionRequest request;
  request.mutable_input()->add_paths(data.string());
  request.set_partitions(2);
  request.set_out_dir((dir.path / "parts").string());
  absl::StatusOr<v1::PartitionResult> parts = PartitionData(request);
  ASSERT_TRUE(parts.ok()) << parts.status();
  EXPECT_EQ(parts->unrouted(), 1);  // the event without a customer
  ExpectPartitionsEqualTheWhole(request.input(), *parts);

  // out_dir now holds partitions: refused, and left as it was.
  absl::StatusOr<v1::PartitionResult> again = PartitionData(request);
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_TRUE(fs::exists(dir.path / "parts" / "partitions.textproto"));

  const std::pair<std::string, std::string> bad[] = {
      {"partitions", "partitions: must be in 1..4096, got 0"},
      {"out_dir", "out_dir: required"},
      {"input", "input.paths: no input given"},
      {"missing", "no_such_dir"},
  };
  for (const auto& [what, fragment] : bad) {
    v1::PartitionRequest b = request;
    b.set_out_dir((dir.path / ("bad-" + what)).string());
    if (what == "partitions") b.set_partitions(0);
    if (what == "out_dir") b.clear_out_dir();
    if (what == "input") b.clear_input();
    if (what == "missing") {
      b.mutable_input()->set_paths(0, (dir.path / "no_such_dir").string());
    }
    absl::StatusOr<v1::PartitionResult> e = PartitionData(b);
    ASSERT_FALSE(e.ok()) << what;
    EXPECT_THAT(e.status().message(), HasSubstr(fragment)) << what;
    EXPECT_FALSE(fs::exists(dir.path / ("bad-" + what))) << what;
  }
  // No temporary directory is left behind.
  for (const auto& entry : fs::directory_iterator(dir.path)) {
    EXPECT_THAT(entry.path().filename().string(),
                ::testing::Not(HasSubstr(".partial-")));
  }
}

}  // namespace
}  // namespace churnkit
