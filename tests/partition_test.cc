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

#include "absl/strings/str_cat.h"
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
    const ChurnLabel& l = labels[c];
    out[id] += absl::StrCat(l.churned ? "|churned" : "|active", l.type, "|",
                            l.churn_time, "|", l.detected_time, "|",
                            l.last_activity, "|", l.reactivations);
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

// Partitions `input` (a CSV directory or a record file) into `out_dir`.
v1::PartitionRequest RequestFor(const fs::path& input, int partitions,
                                const fs::path& out_dir) {
  v1::PartitionRequest request;
  request.mutable_input()->add_paths(input.string());
  request.set_partitions(partitions);
  request.set_out_dir(out_dir.string());
  return request;
}

TEST(PartitionOf, IsFnv1aModuloTheCount) {
  EXPECT_EQ(PartitionOf("c1", 1000), 857);  // FNV-1a 64 of "c1": ...600857
  EXPECT_EQ(PartitionOf("c1", 7), 1);
  EXPECT_EQ(PartitionOf("anything", 1), 0);
}

TEST(PartitionData, CsvDirectoryPartitionsEqualTheWhole) {
  TempDir dir;
  ASSERT_TRUE(Generate(Config(), v1::CSV, (dir.path / "data").string()).ok());
  const v1::PartitionRequest request =
      RequestFor(dir.path / "data", 3, dir.path / "parts");
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

// Every event of a data set as text (customer, time, amount, key), sorted.
std::multiset<std::string> EventsOf(const Dataset& ds) {
  std::multiset<std::string> out;
  for (size_t c = 0; c < ds.num_customers(); ++c) {
    const auto customer = static_cast<CustomerIndex>(c);
    for (size_t e = ds.event_begin(customer); e < ds.event_end(customer); ++e) {
      out.insert(absl::StrCat(ds.customer_id(customer), " ",
                              ds.events().time[e], " ", ds.events().amount[e],
                              " [", ds.str(ds.events().key[e]), "]"));
    }
  }
  return out;
}

TEST(PartitionData, MappedTablesKeepTheirDelimitersAndQuotedFields) {
  TempDir dir;
  // CDNOW's layout: whitespace-separated, no header, columns by position.
  std::ofstream(dir.path / "orders.txt")
      << "c1 2024-01-05 2 30.5\n"
         "c2   2024-01-06\t1 12\n"
         "c3 2024-02-01 3 40\nc1 2024-03-01 1 9.99\n";
  // A semicolon table whose key holds the delimiter (quoted).
  std::ofstream(dir.path / "tickets.csv")
      << "customer_id;time;kind;amount;key\n"
         "c2;2024-02-10;TICKET;0;\"a;b\"\n"
         "c4;2024-02-11;TICKET;0;plain\n";
  v1::PartitionRequest request;
  v1::TableMapping* orders = request.mutable_input()->add_tables();
  orders->set_table(v1::EVENTS);
  orders->set_path((dir.path / "orders.txt").string());
  orders->set_delimiter("whitespace");
  orders->set_no_header(true);
  orders->set_implicit_customers(true);
  for (auto [field, index] : {std::pair{"customer_id", 0}, std::pair{"time", 1},
                              std::pair{"value", 2}, std::pair{"amount", 3}}) {
    v1::ColumnMapping* c = orders->add_columns();
    c->set_field(field);
    c->set_index(index);
  }
  v1::ColumnMapping* kind = orders->add_columns();
  kind->set_field("kind");
  kind->set_constant("ORDER");
  v1::TableMapping* tickets = request.mutable_input()->add_tables();
  tickets->set_table(v1::EVENTS);
  tickets->set_path((dir.path / "tickets.csv").string());
  tickets->set_delimiter(";");
  tickets->set_implicit_customers(true);
  request.set_partitions(3);
  request.set_out_dir((dir.path / "parts").string());
  absl::StatusOr<v1::PartitionResult> parts = PartitionData(request);
  ASSERT_TRUE(parts.ok()) << parts.status();
  EXPECT_EQ(parts->unrouted(), 0);
  const LoadResult all = LoadDataset(request.input()).value();
  ASSERT_EQ(all.report.total_errors(), 0);
  std::multiset<std::string> got;
  size_t customers = 0;
  for (const v1::DataPartition& p : parts->parts()) {
    const LoadResult part = LoadDataset(p.load()).value();
    EXPECT_EQ(part.report.total_errors(), 0);
    customers += part.dataset.num_customers();
    for (const std::string& e : EventsOf(part.dataset)) got.insert(e);
  }
  EXPECT_EQ(customers, all.dataset.num_customers());
  EXPECT_EQ(got, EventsOf(all.dataset));
  EXPECT_EQ(got.count("c2 1707523200 0 [a;b]"), 1u);
}

// A customer whose partition starts later than the whole data: its labels
// still count the silence from the whole's first event.
TEST(PartitionData, EveryPartitionObservesFromTheWholeHistoryStart) {
  TempDir dir;
  const std::string early = "early";
  std::string late = "late0";
  for (int k = 1; PartitionOf(late, 2) == PartitionOf(early, 2); ++k) {
    late = absl::StrCat("late", k);
  }
  const fs::path data = dir.path / "data";
  fs::create_directories(data);
  std::ofstream(data / "customers.csv")
      << "id,name,industry,tier,signup_time\n"
      << early << ",E,manufacturing,A,2023-01-01\n"
      << late << ",L,manufacturing,A,2023-01-01\n";
  std::ofstream events(data / "events.csv");
  // Rows the loader rejects do not count.
  events << "customer_id,kind,time\n"
         << late << ",BOGUS,2023-11-01\n"
         << late << ",LOGIN,1900-01-01\n";
  for (const char* t :
       {"2024-01-02", "2024-02-01", "2024-03-01", "2024-04-01", "2024-05-01",
        "2024-06-01", "2024-07-01", "2024-08-01", "2024-09-01", "2024-09-20"}) {
    events << early << ",LOGIN," << t << "\n";
  }
  events << late << ",LOGIN,2024-05-01\n" << late << ",LOGIN,2024-09-20\n";
  events.close();
  const v1::PartitionRequest request = RequestFor(data, 2, dir.path / "parts");
  absl::StatusOr<v1::PartitionResult> parts = PartitionData(request);
  ASSERT_TRUE(parts.ok()) << parts.status();
  EXPECT_EQ(parts->history_start(), "2024-01-02");
  for (const v1::DataPartition& p : parts->parts()) {
    EXPECT_EQ(p.load().history_start(), "2024-01-02");
  }
  ExpectPartitionsEqualTheWhole(request.input(), *parts);

  // The late customer's partition alone would not see the silence.
  v1::LoadOptions alone = parts->parts(PartitionOf(late, 2)).load();
  alone.clear_history_start();
  const LoadResult part = LoadDataset(alone).value();
  EXPECT_EQ(FormatTime(part.dataset.first_event_time()), "2024-05-01");

  alone.set_history_start("2024-13-01");
  absl::StatusOr<LoadResult> bad = LoadDataset(alone);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(),
              HasSubstr("LoadOptions.history_start: '2024-13-01'"));
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
  const v1::PartitionRequest request = RequestFor(data, 2, dir.path / "parts");
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
