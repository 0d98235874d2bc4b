#include "churnkit/io.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "error_text.h"
#include "gmock/gmock.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "gtest/gtest.h"
#include "test_paths.h"

namespace churnkit {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() /
            ("churnkit_io_test_" + std::to_string(::getpid()) + "_" +
             std::to_string(counter_++));
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string Write(const std::string& name, const std::string& content) const {
    const fs::path p = path_ / name;
    std::ofstream(p, std::ios::binary) << content;
    return p.string();
  }
  std::string path() const { return path_.string(); }
  std::string operator/(const std::string& name) const {
    return (path_ / name).string();
  }

 private:
  static inline int counter_ = 0;
  fs::path path_;
};

v1::LoadOptions CsvDir(const std::string& dir,
                       v1::ErrorPolicy policy = v1::LENIENT) {
  v1::LoadOptions o;
  o.set_format(v1::CSV);
  o.add_paths(dir);
  o.mutable_validation()->set_policy(policy);
  return o;
}

using churnkit::testing::ErrorsText;

constexpr char kCustomers[] =
    "id,name,industry,tier,signup_time,annual_value,attributes.city\n"
    "c1,\"Acme, Inc.\",saas,A,2023-01-15,120000,北京\n"
    "c2,\"The \"\"Best\"\" Shop\",ecommerce,C,2023-02-01,,\"multi\nline\"\n";

TEST(ReadCsv, ParsesQuotingUtf8AndAttributes) {
  TempDir dir;
  dir.Write("customers.csv", kCustomers);
  dir.Write("events.csv",
            "time,customer_id,kind,amount\n"  // any column order
            "2024-01-03,c1,order,99.5\n"
            "2024-01-02T10:00:00Z,c2,LOGIN,\n");
  absl::StatusOr<LoadResult> r = LoadDataset(CsvDir(dir.path()));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->report.total_errors(), 0) << ErrorsText(r->report);
  const Dataset& ds = r->dataset;
  ASSERT_EQ(ds.num_customers(), 2u);
  v1::Customer c1 = ds.CustomerMessage(0);
  EXPECT_EQ(c1.name(), "Acme, Inc.");
  EXPECT_EQ(c1.attributes().at("city"), "北京");
  EXPECT_EQ(c1.annual_value(), 120000);
  v1::Customer c2 = ds.CustomerMessage(1);
  EXPECT_EQ(c2.name(), "The \"Best\" Shop");
  EXPECT_EQ(c2.attributes().at("city"), "multi\nline");
  ASSERT_EQ(ds.num_events(), 2u);
  EXPECT_EQ(ds.events().amount[0], 99.5);
  EXPECT_EQ(ds.events().kind[1], v1::LOGIN);
}

TEST(ReadCsv, HandlesCrlfBomAndBlankLines) {
  TempDir dir;
  dir.Write("customers.csv", "\xEF\xBB\xBFid,tier\r\nc1,A\r\n\r\nc2,B\r\n");
  absl::StatusOr<LoadResult> r = LoadDataset(CsvDir(dir.path()));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->report.total_errors(), 0) << ErrorsText(r->report);
  ASSERT_EQ(r->dataset.num_customers(), 2u);
  EXPECT_EQ(r->dataset.customer_id(1), "c2");
  EXPECT_EQ(r->dataset.str(r->dataset.customers().tier[1]), "B");
}

TEST(ReadCsv, ReportsEachBadRowWithFileRowAndFieldAndKeepsTheRest) {
  TempDir dir;
  dir.Write("customers.csv", "id\nc1\n");
  const std::string events =
      dir.Write("events.csv",
                "customer_id,kind,time,amount,value\n"
                "c1,order,2024-01-01,10,1\n"     // 2 ok
                "c1,order,2024-01-01,abc,1\n"    // 3 bad number
                "c1,order,2024-13-01,10,1\n"     // 4 bad date
                "c1,teleport,2024-01-01,10,1\n"  // 5 unknown kind
                "c1,order,2024-01-01,10\n"       // 6 wrong column count
                "c1,order,2024-01-01,nan,1\n"    // 7 NaN
                "c1,order,2024-01-01,-3,1\n"     // 8 negative amount
                "zz,order,2024-01-01,1,1\n"      // 9 unknown customer
                "c1,order,2024-01-02,20,2\n");   // 10 ok
  absl::StatusOr<LoadResult> r = LoadDataset(CsvDir(dir.path()));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->dataset.num_events(), 2u);
  const std::string text = ErrorsText(r->report);
  EXPECT_THAT(text, HasSubstr(events + ":3: amount: 'abc' is not a number"));
  EXPECT_THAT(text,
              HasSubstr(events + ":4: time: '2024-13-01' is not a valid"));
  EXPECT_THAT(text,
              HasSubstr(events + ":5: kind: unknown event kind 'teleport'"));
  EXPECT_THAT(text, HasSubstr(events + ":6: : expected 5 fields, found 4"));
  EXPECT_THAT(text, HasSubstr(events + ":7: amount: not a finite number"));
  EXPECT_THAT(text, HasSubstr(events + ":8: amount: negative amount -3"));
  EXPECT_THAT(text, HasSubstr(events + ":9: customer_id: event for unknown "
                                       "customer 'zz'"));
  EXPECT_EQ(r->report.total_errors(), 7);
  EXPECT_EQ(r->report.rows_read().at("events"), 9);
  EXPECT_EQ(r->report.rows_kept().at("events"), 2);
}

TEST(ReadCsv, StrictStopsAtTheFirstError) {
  TempDir dir;
  dir.Write("customers.csv", "id\nc1\n");
  const std::string events =
      dir.Write("events.csv",
                "customer_id,kind,time\nc1,login,2024-01-01\nc1,login,bad\n");
  absl::StatusOr<LoadResult> r = LoadDataset(CsvDir(dir.path(), v1::STRICT));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(r.status().message()),
              HasSubstr(events + ":3: time: 'bad' is not a valid date"));
}

TEST(ReadCsv, UnterminatedQuoteLosesOnlyItsLine) {
  TempDir dir;
  const std::string customers =
      dir.Write("customers.csv", "id,name\nc1,ok\nc2,\"never closed\nc3,x\n");
  absl::StatusOr<LoadResult> r = LoadDataset(CsvDir(dir.path()));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->dataset.num_customers(), 2u);  // c1 and c3
  EXPECT_THAT(ErrorsText(r->report),
              HasSubstr(customers + ":3: : line 3: unterminated quoted field"));
  EXPECT_EQ(r->report.rows_read().at("customers"), 3);
  EXPECT_EQ(r->report.rows_kept().at("customers"), 2);
}

TEST(ReadCsv, EmptyFileHeaderOnlyAndMissingFiles) {
  TempDir dir;
  const std::string customers = dir.Write("customers.csv", "");
  // The customers table is required: an unusable one fails the load.
  absl::StatusOr<LoadResult> r = LoadDataset(CsvDir(dir.path()));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(r.status().message()),
              HasSubstr(customers + ":1: empty file"));

  dir.Write("customers.csv", "id,name\n");
  r = LoadDataset(CsvDir(dir.path()));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->dataset.num_customers(), 0u);
  EXPECT_EQ(r->report.total_errors(), 0);

  TempDir empty;
  r = LoadDataset(CsvDir(empty.path()));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("customers.csv"));

  r = LoadDataset(CsvDir(empty / "no-such-dir"));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
}

TEST(ReadCsv, UnknownAndMissingRequiredColumnsAreReported) {
  TempDir dir;
  const std::string customers =
      dir.Write("customers.csv", "id,colour\nc1,red\n");
  const std::string events =
      dir.Write("events.csv", "customer_id,time\nc1,2024-01-01\n");
  absl::StatusOr<LoadResult> r = LoadDataset(CsvDir(dir.path()));
  ASSERT_TRUE(r.ok());
  const std::string text = ErrorsText(r->report);
  EXPECT_THAT(text, HasSubstr(customers + ":1: colour: unknown column"));
  EXPECT_THAT(text, HasSubstr(events + ":1: kind: required column 'kind'"));
  EXPECT_EQ(r->dataset.num_customers(), 1u);
}

TEST(ReadCsv, HugeQuotedFieldIsBoundedNotAllocated) {
  TempDir dir;
  std::string big = "id,name\nc1,\"";
  big.append(size_t{17} << 20, 'x');  // over the 16 MiB record limit
  const std::string customers = dir.Write("customers.csv", big);
  absl::StatusOr<LoadResult> r = LoadDataset(CsvDir(dir.path()));
  ASSERT_TRUE(r.ok());
  EXPECT_THAT(ErrorsText(r->report), HasSubstr("record longer than"));
}

TEST(ReadCsv, VendorMappingWithConstantsValueMapsAndIndexes) {
  TempDir dir;
  const std::string orders =
      dir.Write("orders.txt", "  A1  20240105  2  30.50\nB2 20240106 1 9.99\n");
  v1::LoadOptions o;
  ASSERT_TRUE(ParseTextProto(R"pb(
                               tables {
                                 table: EVENTS
                                 path: "orders.txt"
                                 delimiter: "whitespace"
                                 no_header: true
                                 implicit_customers: true
                                 columns { field: "customer_id" index: 0 }
                                 columns { field: "time" index: 1 }
                                 columns { field: "value" index: 2 }
                                 columns { field: "amount" index: 3 }
                                 columns { field: "kind" constant: "order" }
                               })pb",
                             &o)
                  .ok());
  o.set_base_dir(dir.path());
  absl::StatusOr<LoadResult> r = LoadDataset(o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->report.total_errors(), 0) << ErrorsText(r->report);
  ASSERT_EQ(r->dataset.num_customers(), 2u);
  EXPECT_EQ(r->dataset.events().amount[0], 30.5);
  EXPECT_EQ(r->dataset.events().value[0], 2);
  EXPECT_EQ(r->dataset.events().kind[1], v1::ORDER);
}

TEST(ReadCsv, MappingConfigErrorsNameTheField) {
  TempDir dir;
  dir.Write("c.csv", "cid\nx\n");
  v1::LoadOptions o;
  o.set_base_dir(dir.path());
  v1::TableMapping* t = o.add_tables();
  t->set_table(v1::CUSTOMERS);
  t->set_path("c.csv");
  v1::ColumnMapping* m = t->add_columns();
  m->set_field("identifier");
  m->set_column("cid");
  absl::StatusOr<LoadResult> r = LoadDataset(o);
  EXPECT_THAT(std::string(r.status().message()),
              HasSubstr("columns[0].field: unknown field 'identifier'"));
  m->set_field("id");
  m->set_column("customer");
  r = LoadDataset(o);
  EXPECT_THAT(std::string(r.status().message()),
              HasSubstr("columns[0].column: no column 'customer'"));
}

// ---- Record streams -----------------------------------------------------

v1::Record CustomerRecord(const std::string& id) {
  v1::Record r;
  r.mutable_customer()->set_id(id);
  r.mutable_customer()->set_tier("A");
  return r;
}

v1::Record EventRecord(const std::string& id, double amount) {
  v1::Record r;
  v1::Event* e = r.mutable_event();
  e->set_customer_id(id);
  e->set_kind(v1::ORDER);
  e->mutable_time()->set_seconds(1704067200);
  e->set_amount(amount);
  return r;
}

std::string Delimited(const std::vector<v1::Record>& records) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream s(&out);
    google::protobuf::io::CodedOutputStream coded(&s);
    for (const v1::Record& r : records) {
      coded.WriteVarint32(r.ByteSizeLong());
      r.SerializeToCodedStream(&coded);
    }
  }
  return out;
}

TEST(ReadPbStream, ReadsRecordsInAnyOrder) {
  const std::string bytes = Delimited(
      {EventRecord("c1", 5), CustomerRecord("c1"), EventRecord("c1", 7)});
  absl::StatusOr<LoadResult> r = LoadRecordStream(bytes, {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->dataset.num_customers(), 1u);
  EXPECT_EQ(r->dataset.num_events(), 2u);
  EXPECT_EQ(r->report.total_errors(), 0);
}

TEST(ReadPbStream, TruncatedAndCorruptStreamsAreReported) {
  const std::string good =
      Delimited({CustomerRecord("c1"), EventRecord("c1", 5)});
  // Truncated inside the last record: the first record is kept.
  absl::StatusOr<LoadResult> r =
      LoadRecordStream(good.substr(0, good.size() - 3), {}, "mem");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->dataset.num_customers(), 1u);
  EXPECT_THAT(ErrorsText(r->report), HasSubstr("mem:2: : truncated record"));

  // A length prefix of ~4 GiB is refused, not allocated.
  std::string huge = Delimited({CustomerRecord("c1")});
  huge += "\xff\xff\xff\xff\x0f";
  r = LoadRecordStream(huge, {}, "mem");
  ASSERT_TRUE(r.ok());
  EXPECT_THAT(ErrorsText(r->report), HasSubstr("exceeds the limit"));

  // Garbage bytes of the announced size: that record is skipped.
  std::string garbage =
      std::string("\x03\xff\xff\xff", 4) + Delimited({CustomerRecord("c2")});
  r = LoadRecordStream(garbage, {}, "mem");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->dataset.num_customers(), 1u);
  EXPECT_THAT(ErrorsText(r->report), HasSubstr("mem:1: : malformed record"));

  v1::ValidationOptions strict;
  strict.set_policy(v1::STRICT);
  EXPECT_FALSE(LoadRecordStream(good.substr(0, good.size() - 3), strict).ok());
  // An empty stream is an empty data set.
  r = LoadRecordStream("", {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->dataset.num_customers(), 0u);
}

TEST(ReadJsonl, ParsesRecordsAndReportsBadLines) {
  TempDir dir;
  const std::string path =
      dir.Write("data.jsonl",
                "{\"customer\": {\"id\": \"c1\", \"tier\": \"A\"}}\n"
                "{\"event\": {\"customer_id\": \"c1\", \"kind\": \"ORDER\", "
                "\"time\": \"2024-01-01T00:00:00Z\", \"amount\": 12.5}}\n"
                "{\"event\": {\"customerId\": \"c1\", \"kind\": \"LOGIN\", "
                "\"time\": \"2024-01-02T00:00:00Z\"}}\r\n"
                "not json\n"
                "{\"event\": {\"customer_id\": \"c1\", \"kind\": \"WARP\"}}\n"
                "{\"customer\": {\"id\": \"c2\", \"shoe_size\": 9}}\n"
                "\n");
  v1::LoadOptions o;
  o.add_paths(path);  // format inferred from the extension
  absl::StatusOr<LoadResult> r = LoadDataset(o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->dataset.num_customers(), 1u);
  EXPECT_EQ(r->dataset.num_events(), 2u);
  const std::string text = ErrorsText(r->report);
  EXPECT_THAT(text, HasSubstr(path + ":4: : invalid JSON record"));
  EXPECT_THAT(text, HasSubstr(path + ":5: : invalid JSON record"));
  EXPECT_THAT(text, HasSubstr(path + ":6: : invalid JSON record"));
  EXPECT_EQ(r->report.total_errors(), 3);
}

// ---- Writers: every format round-trips -------------------------------------

Dataset SampleDataset() {
  TempDir dir;
  dir.Write("owners.csv",
            "id,name,manager_id,role\nm1,Boss,,executive\n"
            "r1,Rep,m1,sales\n");
  dir.Write("customers.csv", kCustomers);
  dir.Write("contacts.csv",
            "id,customer_id,name,role,decision_maker,added_time,left_time\n"
            "p1,c1,王伟,cto,1,2023-01-15,2024-02-01\n");
  dir.Write("contracts.csv",
            "id,customer_id,start_time,end_time,renewal_time,value,product\n"
            "k1,c1,2023-01-15,2024-01-15,2023-12-15,120000,pro\n");
  dir.Write("events.csv",
            "customer_id,kind,time,subtype,amount,value,key,group,complaint\n"
            "c1,ticket,2024-01-03T10:00:00Z,ticket_opened,,5.5,\"bug, login\","
            ",1\n"
            "c2,order,2024-01-04,,19.9,2,sku-1,,\n"
            "c1,intervention,2024-01-05,,50,,offer-x,B,\n");
  absl::StatusOr<LoadResult> r = LoadDataset(CsvDir(dir.path()));
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r->report.total_errors(), 0) << ErrorsText(r->report);
  return std::move(r->dataset);
}

std::string Fingerprint(const Dataset& ds) {
  std::string s;
  for (size_t i = 0; i < ds.num_owners(); ++i) {
    s += ds.OwnerMessage(i).ShortDebugString() + "\n";
  }
  for (CustomerIndex c = 0; c < ds.num_customers(); ++c) {
    s += ds.CustomerMessage(c).ShortDebugString() + "\n";
    for (size_t e = ds.event_begin(c); e < ds.event_end(c); ++e) {
      s += ds.EventMessage(e, c).ShortDebugString() + "\n";
    }
    for (size_t i = ds.contacts().offsets[c]; i < ds.contacts().offsets[c + 1];
         ++i) {
      s += ds.ContactMessage(i, c).ShortDebugString() + "\n";
    }
    for (size_t i = ds.contracts().offsets[c];
         i < ds.contracts().offsets[c + 1]; ++i) {
      s += ds.ContractMessage(i, c).ShortDebugString() + "\n";
    }
  }
  return s;
}

class RoundTrip : public ::testing::TestWithParam<v1::Format> {};

TEST_P(RoundTrip, WriteThenReadGivesTheSameDataset) {
  const Dataset original = SampleDataset();
  ASSERT_EQ(original.num_events(), 3u);
  TempDir dir;
  const std::string path = dir / (GetParam() == v1::CSV ? "out" : "out.data");
  ASSERT_TRUE(WriteDataset(original, GetParam(), path).ok());
  v1::LoadOptions o;
  o.set_format(GetParam());
  o.add_paths(path);
  o.mutable_validation()->set_policy(v1::STRICT);
  absl::StatusOr<LoadResult> r = LoadDataset(o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(Fingerprint(r->dataset), Fingerprint(original));
}

INSTANTIATE_TEST_SUITE_P(AllFormats, RoundTrip,
                         ::testing::Values(v1::CSV, v1::JSONL, v1::PB));

// Writers buffer about 1 MiB before writing to the file; records written
// around those flushes must arrive whole (a PB writer once lost the tail of
// the record written just before each flush). Reading them back reports
// its progress file by file up to each file's size.
TEST(RecordWriter, LargeOutputSurvivesBufferFlushes) {
  constexpr int kEvents = 40000;  // ~10 MB of PB: many flushes
  for (v1::Format format : {v1::PB, v1::CSV, v1::JSONL}) {
    SCOPED_TRACE(v1::Format_Name(format));
    TempDir dir;
    const std::string path = dir / (format == v1::CSV ? "out" : "out.pb");
    absl::StatusOr<std::unique_ptr<RecordWriter>> w =
        RecordWriter::Open(format, path);
    ASSERT_TRUE(w.ok()) << w.status();
    ASSERT_TRUE((*w)->Write(CustomerRecord("c1")).ok());
    for (int i = 0; i < kEvents; ++i) {
      // Varying sizes move the record boundaries across the flushes.
      const std::string key(50 + i % 200, 'k');
      EventInput e;
      e.customer_id = "c1";
      e.kind = v1::LOGIN;
      e.time = 1704067200 + i;
      e.value = i % 97 + 1;
      e.key = key;
      e.flags = kFlagCreditUsed;  // a short last field, written last
      ASSERT_TRUE((*w)->WriteEvent(e).ok());
    }
    ASSERT_TRUE((*w)->Close().ok());
    v1::LoadOptions o;
    o.set_format(format);
    o.add_paths(path);
    o.mutable_validation()->set_policy(v1::STRICT);
    std::map<std::string, std::vector<std::pair<int64_t, int64_t>>> seen;
    absl::StatusOr<LoadResult> r = LoadDataset(
        o, [&](absl::string_view source, int64_t done, int64_t total) {
          seen[std::string(source)].emplace_back(done, total);
        });
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_FALSE(seen.empty());
    for (const auto& [source, calls] : seen) {
      SCOPED_TRACE(source);
      const int64_t size = static_cast<int64_t>(fs::file_size(source));
      EXPECT_EQ(calls.back(), std::make_pair(size, size));
      for (size_t i = 1; i < calls.size(); ++i) {
        EXPECT_LE(calls[i - 1].first, calls[i].first);
      }
      if (size > (4 << 20)) {
        EXPECT_GT(calls.size(), 2u);
      }
    }
    const Dataset& ds = r->dataset;
    ASSERT_EQ(ds.num_events(), static_cast<size_t>(kEvents));
    int bad = 0;  // events sort by time, which is the write order here
    for (int i = 0; i < kEvents; ++i) {
      bad += ds.events().value[i] != i % 97 + 1 ||
             ds.str(ds.events().key[i]) != std::string(50 + i % 200, 'k') ||
             ds.events().flags[i] != kFlagCreditUsed;
    }
    EXPECT_EQ(bad, 0);
  }
}

TEST(RecordWriter, LeavesNothingBehindWithoutClose) {
  TempDir dir;
  {
    absl::StatusOr<std::unique_ptr<RecordWriter>> w =
        RecordWriter::Open(v1::PB, dir / "x.pb");
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->Write(CustomerRecord("c1")).ok());
  }
  EXPECT_TRUE(fs::is_empty(dir.path()));
  absl::StatusOr<std::unique_ptr<RecordWriter>> w =
      RecordWriter::Open(v1::JSONL, dir / "missing-dir/x.jsonl");
  EXPECT_FALSE(w.ok());
  EXPECT_THAT(std::string(w.status().message()), HasSubstr("missing-dir"));
  EXPECT_FALSE(RecordWriter::Open(v1::FORMAT_UNSPECIFIED, dir / "y").ok());
}

TEST(ParseTextProto, ErrorsNameLineAndColumn) {
  v1::LoadOptions o;
  absl::Status s = ParseTextProto("format: CSV\npaths: \"a\"\nbogus: 1\n", &o);
  EXPECT_THAT(std::string(s.message()), HasSubstr("line 3"));
  EXPECT_TRUE(ParseTextProto("format: PB paths: \"x.pb\"", &o).ok());
  EXPECT_EQ(o.format(), v1::PB);
  EXPECT_FALSE(ParseFormat("xml").ok());
  EXPECT_EQ(ParseFormat("JSONL").value(), v1::JSONL);
}

// ---- Shipped adapters on the public data sets ------------------------------

absl::StatusOr<LoadResult> LoadShipped(const std::string& mapping) {
  v1::LoadOptions o;
  absl::Status s = ReadConfigFile(
      churnkit::testing::SourceDir() + "/configs/mappings/" + mapping, &o);
  if (!s.ok()) return s;
  o.set_base_dir(churnkit::testing::SharedDataDir());
  o.mutable_validation()->set_policy(v1::STRICT);
  return LoadDataset(o);
}

bool HaveSharedData(const std::string& file) {
  return fs::exists(churnkit::testing::SharedDataDir() + "/" + file);
}

TEST(Adapters, TelcoSnapshotLoadsAsCustomersWithAttributes) {
  if (!HaveSharedData("telco/Telco-Customer-Churn.csv")) {
    GTEST_SKIP() << "no telco data under " << churnkit::testing::SharedDataDir()
                 << " (set CHURNKIT_SHARED_DATA)";
  }
  absl::StatusOr<LoadResult> r = LoadShipped("telco.textproto");
  ASSERT_TRUE(r.ok()) << r.status();
  const Dataset& ds = r->dataset;
  ASSERT_EQ(ds.num_customers(), 7043u);
  std::optional<CustomerIndex> c = ds.FindCustomer("7590-VHVEG");
  ASSERT_TRUE(c.has_value());
  v1::Customer m = ds.CustomerMessage(*c);
  EXPECT_EQ(m.attributes().at("Churn"), "No");
  EXPECT_EQ(m.attributes().at("tenure"), "1");
  EXPECT_EQ(m.attributes().at("MonthlyCharges"), "29.85");
  EXPECT_EQ(m.attributes().at("Contract"), "Month-to-month");
  EXPECT_EQ(m.product(), "DSL");
  EXPECT_EQ(FormatTime(m.signup_time().seconds()), "2019-12-01");
  int churned = 0;
  for (CustomerIndex i = 0; i < ds.num_customers(); ++i) {
    churned += ds.CustomerMessage(i).attributes().at("Churn") == "Yes";
  }
  EXPECT_EQ(churned, 1869);
}

TEST(Adapters, CdnowLogLoadsAsOrdersOfImplicitCustomers) {
  if (!HaveSharedData("cdnow/CDNOW_master.txt")) {
    GTEST_SKIP() << "no cdnow data under " << churnkit::testing::SharedDataDir()
                 << " (set CHURNKIT_SHARED_DATA)";
  }
  absl::StatusOr<LoadResult> r = LoadShipped("cdnow_master.textproto");
  ASSERT_TRUE(r.ok()) << r.status();
  const Dataset& ds = r->dataset;
  EXPECT_EQ(ds.num_customers(), 23570u);
  EXPECT_EQ(ds.num_events(), 69659u);
  v1::DatasetSummary s = ds.Summary();
  EXPECT_EQ(s.first_event_time(), "1997-01-01");
  EXPECT_EQ(s.last_event_time(), "1998-06-30");
  double total = 0;
  for (double a : ds.events().amount) total += a;
  EXPECT_NEAR(total, 2500315.63, 0.01);

  absl::StatusOr<LoadResult> sample = LoadShipped("cdnow_sample.textproto");
  ASSERT_TRUE(sample.ok()) << sample.status();
  EXPECT_EQ(sample->dataset.num_customers(), 2357u);
  EXPECT_EQ(sample->dataset.num_events(), 6919u);
}

TEST(MessageCsvWriter, WritesScalarFieldsAsColumnsAtomically) {
  TempDir dir;
  const std::string path = dir / "contacts.csv";
  auto w = MessageCsvWriter::Open(path, v1::Contact::descriptor());
  ASSERT_TRUE(w.ok()) << w.status();
  v1::Contact c;
  c.set_id("p1");
  c.set_customer_id("c1");
  c.set_name("Doe, \"J\"");
  c.set_decision_maker(true);
  c.mutable_added_time()->set_seconds(1709251200);  // 2024-03-01
  ASSERT_TRUE((*w)->Write(c).ok());
  c.Clear();
  c.set_id("p2");
  ASSERT_TRUE((*w)->Write(c).ok());
  EXPECT_THAT((*w)->Write(v1::Owner()).message(),
              HasSubstr("churnkit.v1.Owner given to a writer of "
                        "churnkit.v1.Contact"));
  EXPECT_FALSE(fs::exists(path));  // nothing before Close()
  ASSERT_TRUE((*w)->Close().ok());
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(),
            "id,customer_id,name,role,decision_maker,added_time,left_time\n"
            "p1,c1,\"Doe, \"\"J\"\"\",,1,2024-03-01,\n"
            "p2,,,,0,,\n");
}

TEST(RecordWriter, MapsAreWrittenInKeyOrder) {
  // The same customer, its attributes inserted in two orders, gives the
  // same bytes in every format.
  TempDir dir;
  v1::Record a, b;
  for (const char* k : {"zeta", "alpha", "mid"}) {
    (*a.mutable_customer()->mutable_attributes())[k] = k;
  }
  for (const char* k : {"mid", "zeta", "alpha"}) {
    (*b.mutable_customer()->mutable_attributes())[k] = k;
  }
  a.mutable_customer()->set_id("c1");
  b.mutable_customer()->set_id("c1");
  for (v1::Format format : {v1::JSONL, v1::PB}) {
    std::string bytes[2];
    for (int i = 0; i < 2; ++i) {
      const std::string path = dir / ("out" + std::to_string(i));
      auto w = RecordWriter::Open(format, path);
      ASSERT_TRUE(w.ok());
      ASSERT_TRUE((*w)->Write(i == 0 ? a : b).ok());
      ASSERT_TRUE((*w)->Close().ok());
      std::ifstream in(path, std::ios::binary);
      std::stringstream s;
      s << in.rdbuf();
      bytes[i] = s.str();
    }
    EXPECT_EQ(bytes[0], bytes[1]) << v1::Format_Name(format);
  }
}

TEST(WriteTextProtoFile, WritesWhatReadConfigFileReads) {
  TempDir dir;
  v1::LoadOptions options;
  options.add_paths("examples/data");
  options.mutable_validation()->set_max_errors(7);
  const std::string path = dir / "options.textproto";
  ASSERT_TRUE(WriteTextProtoFile(path, options).ok());
  v1::LoadOptions back;
  ASSERT_TRUE(ReadConfigFile(path, &back).ok());
  EXPECT_EQ(back.DebugString(), options.DebugString());
  EXPECT_FALSE(WriteTextProtoFile(dir / "missing/x.textproto", options).ok());
}

}  // namespace
}  // namespace churnkit
