// Tests of the C ABI's data set (ck_dataset_*): versions and status names,
// the last error, buffers, building from records, loading from files,
// accessors, writing and round trips, and the bulk ids.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "c_api_test_util.h"
#include "churnkit/c_api.h"
#include "churnkit/c_api_experimental.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "gtest/gtest.h"
#include "test_paths.h"

namespace churnkit::capi_test {
namespace {

std::vector<std::string> CustomerIds(const ck_dataset_t* ds) {
  size_t n = 0;
  EXPECT_CK_OK(ck_dataset_num_customers(ds, &n));
  std::vector<std::string> ids;
  for (size_t i = 0; i < n; ++i) {
    const char* id = nullptr;
    EXPECT_CK_OK(ck_dataset_customer_id(ds, i, &id));
    ids.emplace_back(id == nullptr ? "<null>" : id);
  }
  return ids;
}

struct DataErrorView {
  std::string source;
  int64_t row = 0;
  std::string field, reason;
};

std::vector<DataErrorView> KeptErrors(const ck_dataset_t* ds) {
  std::vector<DataErrorView> errors;
  for (size_t i = 0;; ++i) {
    const char *source = nullptr, *field = nullptr, *reason = nullptr;
    int64_t row = -1;
    if (ck_dataset_error_at(ds, i, &source, &row, &field, &reason) != CK_OK) {
      break;
    }
    errors.push_back({source, row, field, reason});
  }
  return errors;
}

std::unique_ptr<pb::Message> SummaryOf(const ck_dataset_t* ds) {
  ck_buffer_t* raw = nullptr;
  EXPECT_CK_OK(ck_dataset_summary(ds, &raw));
  BufferPtr buffer(raw);
  return Decode("churnkit.v1.DatasetSummary", buffer.get());
}

// Two customers with an owner, a contact, a contract and four events of
// different kinds; all valid.
std::vector<std::string> ValidRecords() {
  return {
      R"(owner { id: "o1" name: "Li Wei" role: "csm" })",
      std::string(R"(customer { id: "c1" name: "Acme" industry: "saas"
                  tier: "A" owner_id: "o1" annual_value: 120000
                  signup_time )") +
          kJan + " }",
      std::string(R"(customer { id: "c2" name: "北京数据" industry:
                  "ecommerce" tier: "B" signup_time )") +
          kFeb + " }",
      std::string(R"(contact { id: "p1" customer_id: "c1" name: "Zhang"
                  role: "cto" decision_maker: true added_time )") +
          kJan + " }",
      std::string(R"(contract { id: "k1" customer_id: "c1" value: 120000
                  product: "crm-pro" start_time )") +
          kJan + " end_time " + kNextJan + " }",
      R"(event { customer_id: "c1" kind: LOGIN key: "reports")" + At(kMar) +
          " }",
      R"(event { customer_id: "c1" kind: ORDER amount: 99.5 value: 2)" +
          At(kMar5) + " }",
      R"(event { customer_id: "c2" kind: TICKET subtype: TICKET_OPENED
         value: 4 key: "billing" complaint: true)" +
          At(kMar) + " }",
      R"(event { customer_id: "c2" kind: SURVEY subtype: NPS value: 3)" +
          At(kApr) + " }",
  };
}
const Counts kValidCounts = {2, 4, 1, 1};

// ValidRecords() plus two bad events: record 10 names an unknown customer,
// record 11 has a negative amount.
std::vector<std::string> RecordsWithErrors() {
  std::vector<std::string> records = ValidRecords();
  records.push_back(R"(event { customer_id: "ghost" kind: ORDER amount: 5)" +
                    At(kMar) + " }");
  records.push_back(R"(event { customer_id: "c1" kind: ORDER amount: -3)" +
                    At(kMar) + " }");
  return records;
}

// A CSV directory of two customers and four events, two of them bad:
// line 4 names an unknown customer, line 5 has a negative amount.
void WriteCsvWithErrors(const TempDir& dir) {
  WriteFile(dir / "customers.csv",
            "id,name,industry,tier,signup_time,annual_value\r\n"
            "c1,Acme,saas,A,2024-01-01,120000\r\n"
            "c2,\"Beijing \"\"Data\"\", Ltd\",ecommerce,B,2024-02-01,0\r\n");
  WriteFile(dir / "events.csv",
            "customer_id,kind,time,amount,value,key\n"
            "c1,LOGIN,2024-03-01,0,0,reports\n"
            "c1,ORDER,2024-03-05,99.5,2,\n"
            "ghost,ORDER,2024-03-06,5,1,\n"
            "c2,ORDER,2024-03-07,-3,1,\n");
}

// ---- Versions and status names ----------------------------------------------

TEST(CApiVersion, LibraryMatchesHeaderAndBuild) {
  EXPECT_STREQ(ck_version(), CHURNKIT_PROJECT_VERSION);
  EXPECT_EQ(ck_version_number(), static_cast<unsigned>(CK_VERSION_NUMBER));
  EXPECT_EQ(ck_abi_version(), static_cast<unsigned>(CK_ABI_VERSION));
  EXPECT_EQ(CK_ABI_VERSION, CHURNKIT_ABI_VERSION);
  const std::string from_macros = std::to_string(CK_VERSION_MAJOR) + "." +
                                  std::to_string(CK_VERSION_MINOR) + "." +
                                  std::to_string(CK_VERSION_PATCH);
  EXPECT_EQ(from_macros, CHURNKIT_PROJECT_VERSION);
}

// The codes are pinned to absl::StatusCode forever.
static_assert(CK_OK == static_cast<int>(absl::StatusCode::kOk));
static_assert(CK_CANCELLED == static_cast<int>(absl::StatusCode::kCancelled));
static_assert(CK_UNKNOWN == static_cast<int>(absl::StatusCode::kUnknown));
static_assert(CK_INVALID_ARGUMENT ==
              static_cast<int>(absl::StatusCode::kInvalidArgument));
static_assert(CK_DEADLINE_EXCEEDED ==
              static_cast<int>(absl::StatusCode::kDeadlineExceeded));
static_assert(CK_NOT_FOUND == static_cast<int>(absl::StatusCode::kNotFound));
static_assert(CK_ALREADY_EXISTS ==
              static_cast<int>(absl::StatusCode::kAlreadyExists));
static_assert(CK_PERMISSION_DENIED ==
              static_cast<int>(absl::StatusCode::kPermissionDenied));
static_assert(CK_RESOURCE_EXHAUSTED ==
              static_cast<int>(absl::StatusCode::kResourceExhausted));
static_assert(CK_FAILED_PRECONDITION ==
              static_cast<int>(absl::StatusCode::kFailedPrecondition));
static_assert(CK_ABORTED == static_cast<int>(absl::StatusCode::kAborted));
static_assert(CK_OUT_OF_RANGE ==
              static_cast<int>(absl::StatusCode::kOutOfRange));
static_assert(CK_UNIMPLEMENTED ==
              static_cast<int>(absl::StatusCode::kUnimplemented));
static_assert(CK_INTERNAL == static_cast<int>(absl::StatusCode::kInternal));
static_assert(CK_UNAVAILABLE ==
              static_cast<int>(absl::StatusCode::kUnavailable));
static_assert(CK_DATA_LOSS == static_cast<int>(absl::StatusCode::kDataLoss));
static_assert(CK_UNAUTHENTICATED ==
              static_cast<int>(absl::StatusCode::kUnauthenticated));

TEST(CApiStatus, NamesEveryCode) {
  const std::pair<ck_status, const char*> names[] = {
      {CK_OK, "CK_OK"},
      {CK_CANCELLED, "CK_CANCELLED"},
      {CK_UNKNOWN, "CK_UNKNOWN"},
      {CK_INVALID_ARGUMENT, "CK_INVALID_ARGUMENT"},
      {CK_DEADLINE_EXCEEDED, "CK_DEADLINE_EXCEEDED"},
      {CK_NOT_FOUND, "CK_NOT_FOUND"},
      {CK_ALREADY_EXISTS, "CK_ALREADY_EXISTS"},
      {CK_PERMISSION_DENIED, "CK_PERMISSION_DENIED"},
      {CK_RESOURCE_EXHAUSTED, "CK_RESOURCE_EXHAUSTED"},
      {CK_FAILED_PRECONDITION, "CK_FAILED_PRECONDITION"},
      {CK_ABORTED, "CK_ABORTED"},
      {CK_OUT_OF_RANGE, "CK_OUT_OF_RANGE"},
      {CK_UNIMPLEMENTED, "CK_UNIMPLEMENTED"},
      {CK_INTERNAL, "CK_INTERNAL"},
      {CK_UNAVAILABLE, "CK_UNAVAILABLE"},
      {CK_DATA_LOSS, "CK_DATA_LOSS"},
      {CK_UNAUTHENTICATED, "CK_UNAUTHENTICATED"},
  };
  for (const auto& [code, name] : names) {
    EXPECT_STREQ(ck_status_name(code), name);
  }
}

TEST(CApiStatus, UnknownValuesHaveAName) {
  // Values past the last code (within the enum's range, so well defined
  // in C++; the C test passes negative and large ints).
  EXPECT_STREQ(ck_status_name(static_cast<ck_status>(17)), "CK_UNKNOWN_STATUS");
  EXPECT_STREQ(ck_status_name(static_cast<ck_status>(31)), "CK_UNKNOWN_STATUS");
}

// ---- The last error
// -----------------------------------------------------------

TEST(CApiLastError, SetOnFailureClearedOnSuccess) {
  size_t n = 0;
  ASSERT_EQ(ck_dataset_num_events(nullptr, &n), CK_INVALID_ARGUMENT);
  EXPECT_STRNE(ck_last_error(), "");
  // Reading the error or naming a status does not reset it.
  EXPECT_STREQ(ck_status_name(CK_INVALID_ARGUMENT), "CK_INVALID_ARGUMENT");
  EXPECT_EQ(std::string(ck_last_error()),
            NullMessage("ck_dataset_num_events", "dataset"));

  DatasetPtr ds = FromRecords("", CK_POLICY_STRICT);
  ASSERT_NE(ds, nullptr);
  EXPECT_STREQ(ck_last_error(), "");
  ASSERT_EQ(ck_dataset_num_events(ds.get(), nullptr), CK_INVALID_ARGUMENT);
  EXPECT_EQ(std::string(ck_last_error()),
            NullMessage("ck_dataset_num_events", "out"));
  EXPECT_CK_OK(ck_dataset_num_events(ds.get(), &n));
  EXPECT_STREQ(ck_last_error(), "");
}

TEST(CApiLastError, IsPerThread) {
  DatasetPtr ds = FromRecords("", CK_POLICY_STRICT);
  ASSERT_STREQ(ck_last_error(), "");
  std::string other_thread_error;
  std::thread([&] {
    ck_dataset_num_customers(nullptr, nullptr);
    other_thread_error = ck_last_error();
  }).join();
  EXPECT_EQ(other_thread_error,
            NullMessage("ck_dataset_num_customers", "dataset"));
  EXPECT_STREQ(ck_last_error(), "");
}

// ---- Buffers
// ------------------------------------------------------------------

TEST(CApiBuffer, NullIsEmpty) {
  EXPECT_EQ(ck_buffer_data(nullptr), nullptr);
  EXPECT_EQ(ck_buffer_size(nullptr), 0u);
  ck_buffer_free(nullptr);
}

// ---- Building from records
// ----------------------------------------------------

TEST(CApiFromRecords, RejectsBadArguments) {
  const std::string bytes = RecordStream(ValidRecords());
  constexpr char kFn[] = "ck_dataset_from_records";
  ExpectNullArgument(ck_dataset_from_records(bytes.data(), bytes.size(),
                                             CK_POLICY_STRICT, nullptr),
                     kFn, "out");

  ck_dataset_t* ds = Poison<ck_dataset_t>();
  ExpectNullArgument(
      ck_dataset_from_records(nullptr, 10, CK_POLICY_STRICT, &ds), kFn, "data");
  EXPECT_EQ(ds, nullptr);

  for (int policy : {0, 3, -1, 1000}) {
    ds = Poison<ck_dataset_t>();
    ExpectError(
        ck_dataset_from_records(bytes.data(), bytes.size(), policy, &ds),
        CK_INVALID_ARGUMENT, kFn, "argument 'policy'");
    EXPECT_EQ(ds, nullptr) << policy;
  }
}

TEST(CApiFromRecords, EmptyInputIsAnEmptyDataset) {
  for (int policy : {CK_POLICY_STRICT, CK_POLICY_LENIENT}) {
    ck_dataset_t* raw = nullptr;
    ASSERT_CK_OK(ck_dataset_from_records(nullptr, 0, policy, &raw));
    DatasetPtr ds(raw);
    EXPECT_EQ(CountsOf(ds.get()), (Counts{0, 0, 0, 0}));
    size_t errors = 1;
    EXPECT_CK_OK(ck_dataset_error_count(ds.get(), &errors));
    EXPECT_EQ(errors, 0u);
  }
}

TEST(CApiFromRecords, BuildsEveryTable) {
  DatasetPtr ds = FromRecords(RecordStream(ValidRecords()), CK_POLICY_STRICT);
  ASSERT_NE(ds, nullptr);
  EXPECT_EQ(CountsOf(ds.get()), kValidCounts);
  EXPECT_EQ(CustomerIds(ds.get()), (std::vector<std::string>{"c1", "c2"}));
  size_t errors = 1;
  EXPECT_CK_OK(ck_dataset_error_count(ds.get(), &errors));
  EXPECT_EQ(errors, 0u);

  std::unique_ptr<pb::Message> summary = SummaryOf(ds.get());
  EXPECT_EQ(Int64Field(*summary, "customers"), 2);
  EXPECT_EQ(Int64Field(*summary, "events"), 4);
  EXPECT_EQ(Int64Field(*summary, "contacts"), 1);
  EXPECT_EQ(Int64Field(*summary, "contracts"), 1);
  EXPECT_EQ(Int64Field(*summary, "owners"), 1);
  EXPECT_EQ(CountMap(*summary, "events_by_kind"),
            (std::map<std::string, int64_t>{
                {"LOGIN", 1}, {"ORDER", 1}, {"TICKET", 1}, {"SURVEY", 1}}));
  EXPECT_EQ(CountMap(*summary, "customers_by_industry"),
            (std::map<std::string, int64_t>{{"ecommerce", 1}, {"saas", 1}}));
  EXPECT_GT(Int64Field(*summary, "memory_bytes"), 0);
}

TEST(CApiFromRecords, StrictFailsOnTheFirstBadRecord) {
  const std::string bytes = RecordStream(RecordsWithErrors());
  ck_dataset_t* ds = Poison<ck_dataset_t>();
  ExpectError(ck_dataset_from_records(bytes.data(), bytes.size(),
                                      CK_POLICY_STRICT, &ds),
              CK_INVALID_ARGUMENT, "ck_dataset_from_records", "<memory>");
  EXPECT_EQ(ds, nullptr);
}

TEST(CApiFromRecords, LenientKeepsValidRecordsAndReportsTheRest) {
  DatasetPtr ds =
      FromRecords(RecordStream(RecordsWithErrors()), CK_POLICY_LENIENT);
  ASSERT_NE(ds, nullptr);
  EXPECT_EQ(CountsOf(ds.get()), kValidCounts);
  size_t count = 0;
  ASSERT_CK_OK(ck_dataset_error_count(ds.get(), &count));
  EXPECT_EQ(count, 2u);

  std::vector<DataErrorView> errors = KeptErrors(ds.get());
  ASSERT_EQ(errors.size(), 2u);
  std::set<int64_t> rows;
  for (const DataErrorView& e : errors) {
    EXPECT_EQ(e.source, "<memory>");
    EXPECT_FALSE(e.reason.empty());
    rows.insert(e.row);
  }
  EXPECT_EQ(rows, (std::set<int64_t>{10, 11}));
  for (const DataErrorView& e : errors) {
    if (e.row == 11) {
      EXPECT_EQ(e.field, "amount") << e.reason;
    }
  }

  // The serialized report says the same.
  ck_buffer_t* raw = nullptr;
  ASSERT_CK_OK(ck_dataset_error_report(ds.get(), &raw));
  BufferPtr buffer(raw);
  std::unique_ptr<pb::Message> report =
      Decode("churnkit.v1.ErrorReport", buffer.get());
  EXPECT_EQ(Int64Field(*report, "total_errors"), 2);
  const pb::FieldDescriptor* f =
      report->GetDescriptor()->FindFieldByName("errors");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(report->GetReflection()->FieldSize(*report, f), 2);
  const pb::Message& first =
      report->GetReflection()->GetRepeatedMessage(*report, f, 0);
  EXPECT_EQ(StringField(first, "reason"), errors[0].reason);
  EXPECT_EQ(Int64Field(first, "row"), errors[0].row);
}

TEST(CApiFromRecords, TruncatedStreamFailsUnderStrict) {
  const std::string bytes = RecordStream(ValidRecords());
  const std::string broken[] = {
      bytes.substr(0, bytes.size() - 1),       // last record short by a byte
      bytes.substr(0, bytes.size() - 3),       // ... by three
      bytes + '\x80',                          // a size varint cut short
      bytes + std::string("\x05\x0a\x00", 3),  // size 5, two bytes
  };
  for (const std::string& b : broken) {
    ck_dataset_t* ds = Poison<ck_dataset_t>();
    SCOPED_TRACE(::testing::Message()
                 << "size " << b.size() << " of " << bytes.size());
    ExpectError(
        ck_dataset_from_records(b.data(), b.size(), CK_POLICY_STRICT, &ds),
        CK_INVALID_ARGUMENT, "ck_dataset_from_records", "<memory>");
    EXPECT_EQ(ds, nullptr);
  }
}

TEST(CApiFromRecords, TruncatedStreamKeepsCompleteRecordsUnderLenient) {
  const std::string bytes = RecordStream(ValidRecords());
  // Drops part of the last record (the NPS survey).
  const std::string truncated = bytes.substr(0, bytes.size() - 3);
  DatasetPtr ds = FromRecords(truncated, CK_POLICY_LENIENT);
  ASSERT_NE(ds, nullptr);
  EXPECT_EQ(CountsOf(ds.get()), (Counts{2, 3, 1, 1}));
  size_t errors = 0;
  EXPECT_CK_OK(ck_dataset_error_count(ds.get(), &errors));
  EXPECT_EQ(errors, 1u);
}

TEST(CApiFromRecords, HugeLengthPrefixIsAnErrorNotAnAllocation) {
  // A varint claiming about 2^40 bytes, followed by almost nothing.
  const std::string bytes("\x80\x80\x80\x80\x80\x20\x0a\x00", 8);
  ck_dataset_t* ds = Poison<ck_dataset_t>();
  ExpectError(ck_dataset_from_records(bytes.data(), bytes.size(),
                                      CK_POLICY_STRICT, &ds),
              CK_INVALID_ARGUMENT, "ck_dataset_from_records", "<memory>");
  EXPECT_EQ(ds, nullptr);
}

TEST(CApiFromRecords, GarbageIsAnError) {
  const std::string garbage[] = {
      "this is not a protobuf stream at all",
      std::string("\x03\xff\xff\xff", 4),  // a record that does not parse
  };
  for (const std::string& bytes : garbage) {
    ck_dataset_t* ds = Poison<ck_dataset_t>();
    ExpectError(ck_dataset_from_records(bytes.data(), bytes.size(),
                                        CK_POLICY_STRICT, &ds),
                CK_INVALID_ARGUMENT, "ck_dataset_from_records", "<memory>");
    EXPECT_EQ(ds, nullptr);
  }
}

// ---- Loading from files
// --------------------------------------------------------

TEST(CApiLoad, RejectsBadArguments) {
  constexpr char kFn[] = "ck_dataset_load";
  ExpectNullArgument(
      ck_dataset_load(MSG("LoadOptions", "format: CSV"), nullptr), kFn, "out");

  // No options are the defaults, which name nothing to read.
  ck_dataset_t* ds = Poison<ck_dataset_t>();
  ExpectError(ck_dataset_load(nullptr, 0, &ds), CK_INVALID_ARGUMENT, kFn,
              "paths: no input given");
  EXPECT_EQ(ds, nullptr);

  // An option out of range is named by its field.
  ds = Poison<ck_dataset_t>();
  ExpectError(
      ck_dataset_load(MSG("LoadOptions", "paths: \"x\" format: 99"), &ds),
      CK_INVALID_ARGUMENT, kFn, "format");
  EXPECT_EQ(ds, nullptr);
}

TEST(CApiLoad, MissingDirectoryIsNotFound) {
  TempDir dir;
  ck_dataset_t* ds = Poison<ck_dataset_t>();
  ExpectError(
      ck_dataset_load(
          MSG("LoadOptions", CsvOptions(dir / "missing", "LENIENT")), &ds),
      CK_NOT_FOUND, "ck_dataset_load", "missing");
  EXPECT_EQ(ds, nullptr);
}

TEST(CApiLoad, CsvLenientKeepsValidRowsAndNamesFileRowField) {
  TempDir dir;
  WriteCsvWithErrors(dir);
  DatasetPtr ds = Load(CsvOptions(dir / "", "LENIENT"));
  ASSERT_NE(ds, nullptr);
  EXPECT_EQ(CountsOf(ds.get()), (Counts{2, 2, 0, 0}));
  EXPECT_EQ(CustomerIds(ds.get()), (std::vector<std::string>{"c1", "c2"}));

  std::vector<DataErrorView> errors = KeptErrors(ds.get());
  ASSERT_EQ(errors.size(), 2u);
  std::set<int64_t> rows;
  for (const DataErrorView& e : errors) {
    EXPECT_NE(e.source.find("events.csv"), std::string::npos) << e.source;
    EXPECT_FALSE(e.reason.empty());
    rows.insert(e.row);
    if (e.row == 5) {
      EXPECT_EQ(e.field, "amount") << e.reason;
    }
  }
  EXPECT_EQ(rows, (std::set<int64_t>{4, 5}));
}

TEST(CApiLoad, CsvStrictFailsNamingTheFile) {
  TempDir dir;
  WriteCsvWithErrors(dir);
  ck_dataset_t* ds = Poison<ck_dataset_t>();
  ExpectError(
      ck_dataset_load(MSG("LoadOptions", CsvOptions(dir / "", "STRICT")), &ds),
      CK_INVALID_ARGUMENT, "ck_dataset_load", "events.csv");
  EXPECT_EQ(ds, nullptr);
}

TEST(CApiLoad, RejectsNullAndGarbageBytes) {
  constexpr char kFn[] = "ck_dataset_load";
  ExpectNullArgument(ck_dataset_load("", 0, nullptr), kFn, "out");

  ck_dataset_t* ds = Poison<ck_dataset_t>();
  ExpectNullArgument(ck_dataset_load(nullptr, 4, &ds), kFn, "options");
  EXPECT_EQ(ds, nullptr);

  ds = Poison<ck_dataset_t>();
  const char garbage[] = "\xff\xff\xff\xff";
  ExpectError(ck_dataset_load(garbage, 4, &ds), CK_INVALID_ARGUMENT, kFn,
              "argument 'options'");
  EXPECT_EQ(ds, nullptr);
}

TEST(CApiLoad, LoadsSerializedOptions) {
  TempDir dir;
  WriteCsvWithErrors(dir);
  std::unique_ptr<pb::Message> options =
      FromText("churnkit.v1.LoadOptions", CsvOptions(dir / "", "LENIENT"));
  const std::string bytes = options->SerializeAsString();
  ck_dataset_t* raw = nullptr;
  ASSERT_CK_OK(ck_dataset_load(bytes.data(), bytes.size(), &raw));
  DatasetPtr ds(raw);
  EXPECT_EQ(CountsOf(ds.get()), (Counts{2, 2, 0, 0}));
  size_t errors = 0;
  EXPECT_CK_OK(ck_dataset_error_count(ds.get(), &errors));
  EXPECT_EQ(errors, 2u);
}

TEST(CApiLoad, ExampleData) {
  const std::string dir = churnkit::testing::SourceDir() + "/examples/data";
  if (!fs::exists(fs::path(dir) / "customers.csv")) {
    GTEST_SKIP() << "no example data in " << dir;
  }
  DatasetPtr ds = Load(CsvOptions(dir, "LENIENT"));
  ASSERT_NE(ds, nullptr);
  const Counts counts = CountsOf(ds.get());
  EXPECT_GT(counts.customers, 0u);
  EXPECT_GT(counts.events, counts.customers);
  EXPECT_GT(counts.contacts, 0u);
  EXPECT_GT(counts.contracts, 0u);
  // The example export carries a few deliberate errors, each with a place.
  size_t count = 0;
  ASSERT_CK_OK(ck_dataset_error_count(ds.get(), &count));
  EXPECT_GT(count, 0u);
  for (const DataErrorView& e : KeptErrors(ds.get())) {
    EXPECT_NE(e.source.find(".csv"), std::string::npos) << e.source;
    EXPECT_GT(e.row, 0) << e.reason;
    EXPECT_FALSE(e.reason.empty());
  }
  // ...which the strict policy refuses.
  ck_dataset_t* strict = Poison<ck_dataset_t>();
  EXPECT_EQ(
      ck_dataset_load(MSG("LoadOptions", CsvOptions(dir, "STRICT")), &strict),
      CK_INVALID_ARGUMENT);
  EXPECT_EQ(strict, nullptr);
}

TEST(CApiLoad, CdnowOrderLogThroughAColumnMapping) {
  const std::string file =
      churnkit::testing::SharedDataDir() + "/cdnow/CDNOW_master.txt";
  if (!fs::exists(file)) {
    GTEST_SKIP() << file << " not found; set CHURNKIT_SHARED_DATA";
  }
  DatasetPtr ds = Load(R"(
    format: CSV
    validation { policy: STRICT }
    tables {
      table: EVENTS path: ")" +
                       file + R"("
      delimiter: "whitespace" implicit_customers: true
      columns { field: "customer_id" column: "customer_id" }
      columns { field: "time" column: "date" }
      columns { field: "value" column: "number_of_cds" }
      columns { field: "amount" column: "dollar_value" }
      columns { field: "kind" constant: "ORDER" }
    })");
  ASSERT_NE(ds, nullptr);
  // The published size of CDNOW_master.txt (shared/data/README.md).
  EXPECT_EQ(CountsOf(ds.get()), (Counts{23570, 69659, 0, 0}));
}

// ---- Accessors
// -------------------------------------------------------------------

class CApiDataset : public ::testing::Test {
 protected:
  void SetUp() override {
    ds_ = FromRecords(RecordStream(RecordsWithErrors()), CK_POLICY_LENIENT);
    ASSERT_NE(ds_, nullptr);
  }
  DatasetPtr ds_;
};

TEST_F(CApiDataset, CountsRejectNull) {
  using CountFn = ck_status (*)(const ck_dataset_t*, size_t*);
  const std::pair<CountFn, const char*> functions[] = {
      {ck_dataset_num_customers, "ck_dataset_num_customers"},
      {ck_dataset_num_events, "ck_dataset_num_events"},
      {ck_dataset_num_contacts, "ck_dataset_num_contacts"},
      {ck_dataset_num_contracts, "ck_dataset_num_contracts"},
      {ck_dataset_error_count, "ck_dataset_error_count"},
  };
  for (const auto& [fn, name] : functions) {
    size_t out = 77;
    ExpectNullArgument(fn(nullptr, &out), name, "dataset");
    EXPECT_EQ(out, 77u) << name << " wrote its output on error";
    ExpectNullArgument(fn(ds_.get(), nullptr), name, "out");
    ExpectNullArgument(fn(nullptr, nullptr), name, "dataset");
  }
}

TEST_F(CApiDataset, CustomerIdByIndex) {
  constexpr char kFn[] = "ck_dataset_customer_id";
  const char* id = "unchanged";
  ExpectNullArgument(ck_dataset_customer_id(nullptr, 0, &id), kFn, "dataset");
  ExpectNullArgument(ck_dataset_customer_id(ds_.get(), 0, nullptr), kFn, "out");
  ExpectError(ck_dataset_customer_id(ds_.get(), 2, &id), CK_OUT_OF_RANGE, kFn,
              "argument 'index' is 2");
  ExpectError(ck_dataset_customer_id(ds_.get(), SIZE_MAX, &id), CK_OUT_OF_RANGE,
              kFn, "argument 'index'");
  EXPECT_STREQ(id, "unchanged");

  ASSERT_CK_OK(ck_dataset_customer_id(ds_.get(), 1, &id));
  EXPECT_STREQ(id, "c2");
  // The pointer stays valid while the data set lives.
  const char* first = nullptr;
  ASSERT_CK_OK(ck_dataset_customer_id(ds_.get(), 0, &first));
  EXPECT_STREQ(first, "c1");
  EXPECT_STREQ(id, "c2");
}

TEST_F(CApiDataset, FindCustomer) {
  constexpr char kFn[] = "ck_dataset_find_customer";
  size_t index = 99;
  ExpectNullArgument(ck_dataset_find_customer(nullptr, "c1", &index), kFn,
                     "dataset");
  ExpectNullArgument(ck_dataset_find_customer(ds_.get(), nullptr, &index), kFn,
                     "customer_id");
  ExpectNullArgument(ck_dataset_find_customer(ds_.get(), "c1", nullptr), kFn,
                     "out");
  ExpectError(ck_dataset_find_customer(ds_.get(), "ghost", &index),
              CK_NOT_FOUND, kFn, "'ghost'");
  ExpectError(ck_dataset_find_customer(ds_.get(), "", &index), CK_NOT_FOUND,
              kFn, "no customer");
  // Ids are case-sensitive.
  EXPECT_EQ(ck_dataset_find_customer(ds_.get(), "C1", &index), CK_NOT_FOUND);
  EXPECT_EQ(index, 99u);

  for (size_t i = 0; i < 2; ++i) {
    const char* id = nullptr;
    ASSERT_CK_OK(ck_dataset_customer_id(ds_.get(), i, &id));
    ASSERT_CK_OK(ck_dataset_find_customer(ds_.get(), id, &index));
    EXPECT_EQ(index, i);
  }
}

TEST_F(CApiDataset, SummaryRejectsNull) {
  constexpr char kFn[] = "ck_dataset_summary";
  ExpectNullArgument(ck_dataset_summary(ds_.get(), nullptr), kFn, "out");
  ck_buffer_t* buffer = Poison<ck_buffer_t>();
  ExpectNullArgument(ck_dataset_summary(nullptr, &buffer), kFn, "dataset");
  EXPECT_EQ(buffer, nullptr);
}

TEST_F(CApiDataset, SummaryDatesSpanTheEvents) {
  std::unique_ptr<pb::Message> summary = SummaryOf(ds_.get());
  EXPECT_EQ(StringField(*summary, "first_event_time"), "2024-03-01");
  EXPECT_EQ(StringField(*summary, "last_event_time"), "2024-04-01");
}

TEST_F(CApiDataset, ErrorAt) {
  constexpr char kFn[] = "ck_dataset_error_at";
  const char* source = "unchanged";
  int64_t row = -7;
  ExpectNullArgument(
      ck_dataset_error_at(nullptr, 0, &source, &row, nullptr, nullptr), kFn,
      "dataset");
  ExpectError(
      ck_dataset_error_at(ds_.get(), 2, &source, &row, nullptr, nullptr),
      CK_OUT_OF_RANGE, kFn, "argument 'index' is 2");
  EXPECT_STREQ(source, "unchanged");
  EXPECT_EQ(row, -7);
  // Every output may be NULL.
  EXPECT_CK_OK(
      ck_dataset_error_at(ds_.get(), 1, nullptr, nullptr, nullptr, nullptr));
  EXPECT_CK_OK(
      ck_dataset_error_at(ds_.get(), 0, &source, nullptr, nullptr, nullptr));
  EXPECT_STREQ(source, "<memory>");
}

TEST_F(CApiDataset, ErrorAtOnACleanDataset) {
  DatasetPtr clean =
      FromRecords(RecordStream(ValidRecords()), CK_POLICY_LENIENT);
  ExpectError(
      ck_dataset_error_at(clean.get(), 0, nullptr, nullptr, nullptr, nullptr),
      CK_OUT_OF_RANGE, "ck_dataset_error_at", "keeps 0 errors");
}

TEST_F(CApiDataset, ErrorReportRejectsNull) {
  constexpr char kFn[] = "ck_dataset_error_report";
  ExpectNullArgument(ck_dataset_error_report(ds_.get(), nullptr), kFn, "out");
  ck_buffer_t* buffer = Poison<ck_buffer_t>();
  ExpectNullArgument(ck_dataset_error_report(nullptr, &buffer), kFn, "dataset");
  EXPECT_EQ(buffer, nullptr);
}

TEST_F(CApiDataset, ConstHandleIsSharedAcrossThreads) {
  std::atomic<int> failures{0};
  auto work = [&] {
    for (int i = 0; i < 200; ++i) {
      size_t index = 0;
      const char* id = nullptr;
      ck_buffer_t* summary = nullptr;
      if (ck_dataset_find_customer(ds_.get(), "c2", &index) != CK_OK ||
          index != 1 ||
          ck_dataset_customer_id(ds_.get(), index, &id) != CK_OK ||
          std::string_view(id) != "c2" ||
          ck_dataset_summary(ds_.get(), &summary) != CK_OK ||
          ck_buffer_size(summary) == 0) {
        ++failures;
      }
      ck_buffer_free(summary);
    }
  };
  std::thread a(work), b(work);
  a.join();
  b.join();
  EXPECT_EQ(failures.load(), 0);
}

// ---- Writing
// ------------------------------------------------------------------------

TEST_F(CApiDataset, WriteRejectsBadArguments) {
  constexpr char kFn[] = "ck_dataset_write";
  TempDir dir;
  const std::string path = dir / "out.pb";
  ExpectNullArgument(ck_dataset_write(nullptr, "pb", path.c_str()), kFn,
                     "dataset");
  ExpectNullArgument(ck_dataset_write(ds_.get(), nullptr, path.c_str()), kFn,
                     "format");
  ExpectNullArgument(ck_dataset_write(ds_.get(), "pb", nullptr), kFn, "path");
  ExpectError(ck_dataset_write(ds_.get(), "xml", path.c_str()),
              CK_INVALID_ARGUMENT, kFn, "argument 'format'");
  ExpectError(ck_dataset_write(ds_.get(), "", path.c_str()),
              CK_INVALID_ARGUMENT, kFn, "argument 'format'");
  ExpectError(ck_dataset_write(ds_.get(), "pb", ""), CK_INVALID_ARGUMENT, kFn,
              "argument 'path' is empty");
  EXPECT_FALSE(fs::exists(path));
}

TEST_F(CApiDataset, WriteFailureLeavesNoFile) {
  TempDir dir;
  WriteFile(dir / "plain", "a regular file, not a directory\n");
  for (const char* format : {"pb", "jsonl"}) {
    const std::string path = dir / "plain" + "/out";
    EXPECT_NE(ck_dataset_write(ds_.get(), format, path.c_str()), CK_OK)
        << format;
    EXPECT_STRNE(ck_last_error(), "");
  }
  EXPECT_NE(ck_dataset_write(ds_.get(), "csv", (dir / "plain").c_str()), CK_OK);
  EXPECT_EQ(ReadFile(dir / "plain"), "a regular file, not a directory\n");
}

// Writes the data set in each format and loads it back.
// (format name for ck_dataset_write, Format enum name, output file name)
class CApiRoundTrip : public ::testing::TestWithParam<
                          std::tuple<std::string, std::string, std::string>> {};

TEST_P(CApiRoundTrip, WriteThenLoadKeepsEverything) {
  const auto [format, enum_name, file] = GetParam();
  DatasetPtr original =
      FromRecords(RecordStream(ValidRecords()), CK_POLICY_STRICT);
  ASSERT_NE(original, nullptr);
  TempDir dir;
  const std::string path = dir / file;
  ASSERT_CK_OK(ck_dataset_write(original.get(), format.c_str(), path.c_str()));
  EXPECT_STREQ(ck_last_error(), "");
  ASSERT_TRUE(fs::exists(path));

  DatasetPtr loaded = Load(std::string("format: ") + enum_name + " paths: \"" +
                           path + "\" validation { policy: STRICT }");
  ASSERT_NE(loaded, nullptr);
  EXPECT_EQ(CountsOf(loaded.get()), CountsOf(original.get()));
  EXPECT_EQ(CustomerIds(loaded.get()), CustomerIds(original.get()));
  std::unique_ptr<pb::Message> a = SummaryOf(original.get());
  std::unique_ptr<pb::Message> b = SummaryOf(loaded.get());
  for (const char* map :
       {"events_by_kind", "customers_by_industry", "customers_by_tier"}) {
    EXPECT_EQ(CountMap(*a, map), CountMap(*b, map)) << map;
  }
  for (const char* field : {"first_event_time", "last_event_time"}) {
    EXPECT_EQ(StringField(*a, field), StringField(*b, field)) << field;
  }
  EXPECT_EQ(Int64Field(*b, "owners"), 1);
}

INSTANTIATE_TEST_SUITE_P(
    Formats, CApiRoundTrip,
    ::testing::Values(std::make_tuple("csv", "CSV", "csv_dir"),
                      std::make_tuple("jsonl", "JSONL", "records.jsonl"),
                      std::make_tuple("PB", "PB", "records.pb")),
    [](const auto& info) { return std::get<1>(info.param); });

TEST(CApiRoundTrip, PbFileIsARecordStream) {
  DatasetPtr original =
      FromRecords(RecordStream(ValidRecords()), CK_POLICY_STRICT);
  TempDir dir;
  const std::string path = dir / "records.pb";
  ASSERT_CK_OK(ck_dataset_write(original.get(), "pb", path.c_str()));
  const std::string bytes = ReadFile(path);
  DatasetPtr copy = FromRecords(bytes, CK_POLICY_STRICT);
  ASSERT_NE(copy, nullptr);
  EXPECT_EQ(CountsOf(copy.get()), kValidCounts);
  EXPECT_EQ(CustomerIds(copy.get()), (std::vector<std::string>{"c1", "c2"}));
}

TEST(CApiDatasetFree, NullIsANoOp) { ck_dataset_free(nullptr); }

// ---- Bulk ids (c_api_experimental.h) ---------------------------------------

TEST(CApiBulk, SerializesADatasetAndHandsOutEveryIdAtOnce) {
  DatasetPtr ds = ExampleData();
  ASSERT_NE(ds, nullptr);
  ck_buffer_t* raw = nullptr;
  ASSERT_CK_OK(ck_dataset_serialize(ds.get(), &raw));
  BufferPtr bytes(raw);
  DatasetPtr again = FromRecords(
      std::string(static_cast<const char*>(ck_buffer_data(bytes.get())),
                  ck_buffer_size(bytes.get())),
      CK_POLICY_STRICT);
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(CountsOf(again.get()), CountsOf(ds.get()));
  EXPECT_EQ(CustomerIds(again.get()), CustomerIds(ds.get()));
  // The same data set, the same bytes.
  ASSERT_CK_OK(ck_dataset_serialize(again.get(), &raw));
  BufferPtr twice(raw);
  EXPECT_EQ(
      std::string_view(static_cast<const char*>(ck_buffer_data(twice.get())),
                       ck_buffer_size(twice.get())),
      std::string_view(static_cast<const char*>(ck_buffer_data(bytes.get())),
                       ck_buffer_size(bytes.get())));

  auto split = [](const ck_buffer_t* b) {
    std::vector<std::string> ids;
    const char* p = static_cast<const char*>(ck_buffer_data(b));
    const char* end = p + ck_buffer_size(b);
    while (p < end) {
      ids.emplace_back(p);
      p += ids.back().size() + 1;
    }
    return ids;
  };
  ASSERT_CK_OK(ck_dataset_customer_ids(ds.get(), &raw));
  BufferPtr ids(raw);
  EXPECT_EQ(split(ids.get()), CustomerIds(ds.get()));

  ck_features_t* f = nullptr;
  ASSERT_CK_OK(ck_features_create(nullptr, 0, &f));
  FeaturesPtr features(f);
  int64_t as_of = 0;
  ASSERT_CK_OK(ck_time_parse("2024-05-01", &as_of));
  ck_matrix_t* m = nullptr;
  ASSERT_CK_OK(ck_features_compute_matrix(features.get(), ds.get(), as_of, &m));
  MatrixPtr matrix(m);
  ASSERT_CK_OK(ck_matrix_customer_ids(matrix.get(), &raw));
  BufferPtr rows(raw);
  std::vector<std::string> one_by_one;
  size_t n = 0, cols = 0;
  ASSERT_CK_OK(ck_matrix_shape(matrix.get(), &n, &cols));
  for (size_t r = 0; r < n; ++r) {
    const char* id = nullptr;
    ASSERT_CK_OK(ck_matrix_customer_id(matrix.get(), r, &id));
    one_by_one.emplace_back(id);
  }
  EXPECT_EQ(split(rows.get()), one_by_one);

  ck_buffer_t* out = Poison<ck_buffer_t>();
  ExpectNullArgument(ck_dataset_serialize(nullptr, &out),
                     "ck_dataset_serialize", "dataset");
  EXPECT_EQ(out, nullptr);
  ExpectNullArgument(ck_dataset_serialize(ds.get(), nullptr),
                     "ck_dataset_serialize", "out");
  ExpectNullArgument(ck_dataset_customer_ids(nullptr, &out),
                     "ck_dataset_customer_ids", "dataset");
  ExpectNullArgument(ck_dataset_customer_ids(ds.get(), nullptr),
                     "ck_dataset_customer_ids", "out");
  ExpectNullArgument(ck_matrix_customer_ids(nullptr, &out),
                     "ck_matrix_customer_ids", "matrix");
  ExpectNullArgument(ck_matrix_customer_ids(matrix.get(), nullptr),
                     "ck_matrix_customer_ids", "out");
}

}  // namespace
}  // namespace churnkit::capi_test
