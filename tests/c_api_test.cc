// Tests of the C ABI (capi/include/churnkit/c_api.h) through libchurnkit.so.
//
// This binary links only the C ABI, as a host would. churnkit.v1 messages
// are built and decoded with DynamicMessage over the schema's descriptors
// (a FileDescriptorSet that protoc writes at build time): linking the
// generated code here as well would register the schema twice in
// libprotobuf, which aborts.
#include "churnkit/c_api.h"

#include <unistd.h>

#include <atomic>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "churnkit/c_api_experimental.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/message.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/delimited_message_util.h"
#include "gtest/gtest.h"
#include "test_paths.h"

namespace {

namespace fs = std::filesystem;
namespace pb = google::protobuf;

// ---- Status assertions ----------------------------------------------------

::testing::AssertionResult IsStatus(ck_status expected, ck_status actual) {
  if (actual == expected) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "expected " << ck_status_name(expected) << ", got "
         << ck_status_name(actual) << " (" << ck_last_error() << ")";
}

#define EXPECT_CK_OK(expr) EXPECT_TRUE(IsStatus(CK_OK, (expr)))
#define ASSERT_CK_OK(expr) ASSERT_TRUE(IsStatus(CK_OK, (expr)))

// Checks a failed call: its code, and a message that names the function and
// contains `fragment`.
void ExpectError(ck_status actual, ck_status expected,
                 std::string_view function, std::string_view fragment) {
  EXPECT_TRUE(IsStatus(expected, actual));
  const std::string message = ck_last_error();
  EXPECT_EQ(message.rfind(std::string(function) + ": ", 0), 0u)
      << "message does not start with the function name: " << message;
  EXPECT_NE(message.find(fragment), std::string::npos)
      << "'" << fragment << "' not in: " << message;
}

// The message of a NULL argument, as the header's conventions promise.
std::string NullMessage(std::string_view function, std::string_view arg) {
  return std::string(function) + ": argument '" + std::string(arg) +
         "' is NULL";
}

void ExpectNullArgument(ck_status actual, std::string_view function,
                        std::string_view arg) {
  EXPECT_TRUE(IsStatus(CK_INVALID_ARGUMENT, actual));
  EXPECT_EQ(std::string(ck_last_error()), NullMessage(function, arg));
}

// ---- Handles ---------------------------------------------------------------

struct DatasetFree {
  void operator()(ck_dataset_t* d) const { ck_dataset_free(d); }
};
struct BufferFree {
  void operator()(ck_buffer_t* b) const { ck_buffer_free(b); }
};
using DatasetPtr = std::unique_ptr<ck_dataset_t, DatasetFree>;
using BufferPtr = std::unique_ptr<ck_buffer_t, BufferFree>;

// A non-NULL value that no function may leave in an output handle on error
// (never dereferenced).
template <typename T>
T* Poison() {
  return reinterpret_cast<T*>(uintptr_t{0x1});
}

struct Counts {
  size_t customers = 0, events = 0, contacts = 0, contracts = 0;
  bool operator==(const Counts&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Counts& c) {
  return os << "{customers " << c.customers << ", events " << c.events
            << ", contacts " << c.contacts << ", contracts " << c.contracts
            << "}";
}

Counts CountsOf(const ck_dataset_t* ds) {
  Counts c;
  EXPECT_CK_OK(ck_dataset_num_customers(ds, &c.customers));
  EXPECT_CK_OK(ck_dataset_num_events(ds, &c.events));
  EXPECT_CK_OK(ck_dataset_num_contacts(ds, &c.contacts));
  EXPECT_CK_OK(ck_dataset_num_contracts(ds, &c.contracts));
  return c;
}

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

// ---- The schema, read at run time ----------------------------------------

class Schema {
 public:
  static const Schema& Get() {
    static const Schema* schema = new Schema();
    return *schema;
  }

  // A new empty message of `type` (e.g. "churnkit.v1.Record").
  std::unique_ptr<pb::Message> New(const std::string& type) const {
    const pb::Descriptor* d = pool_.FindMessageTypeByName(type);
    if (d == nullptr) {
      ADD_FAILURE() << "no message type " << type << " in "
                    << CHURNKIT_DESCRIPTOR_SET;
      return nullptr;
    }
    return std::unique_ptr<pb::Message>(factory_.GetPrototype(d)->New());
  }

 private:
  // Reads the FileDescriptorSet that protoc wrote at build time (imports
  // first, so each file's dependencies are already in the pool).
  Schema() {
    std::ifstream in(CHURNKIT_DESCRIPTOR_SET, std::ios::binary);
    pb::FileDescriptorSet set;
    if (!set.ParseFromIstream(&in)) {
      ADD_FAILURE() << "cannot read " << CHURNKIT_DESCRIPTOR_SET;
    }
    for (const pb::FileDescriptorProto& file : set.file()) {
      if (pool_.BuildFile(file) == nullptr) {
        ADD_FAILURE() << "cannot build " << file.name();
      }
    }
  }

  pb::DescriptorPool pool_;
  mutable pb::DynamicMessageFactory factory_{&pool_};
};

std::unique_ptr<pb::Message> FromText(const std::string& type,
                                      const std::string& text) {
  std::unique_ptr<pb::Message> m = Schema::Get().New(type);
  if (m != nullptr && !pb::TextFormat::ParseFromString(text, m.get())) {
    ADD_FAILURE() << "bad " << type << " text: " << text;
  }
  return m;
}

// The serialized churnkit.v1.`type` given in text format.
std::string Bytes(const std::string& type, const std::string& text) {
  return FromText("churnkit.v1." + type, text)->SerializeAsString();
}
// Those bytes as the (data, size) arguments the C ABI takes options in; the
// two temporaries live until the call returns.
#define MSG(type, text) Bytes(type, text).data(), Bytes(type, text).size()
// Bytes that are no protobuf message (a truncated varint).
constexpr char kGarbage[] = "\xff\xff\xff";

// Length-delimited churnkit.v1.Record stream (the PB file format) of the
// records given in text format.
std::string RecordStream(const std::vector<std::string>& records) {
  std::string bytes;
  {
    pb::io::StringOutputStream out(&bytes);
    for (const std::string& text : records) {
      std::unique_ptr<pb::Message> record =
          FromText("churnkit.v1.Record", text);
      EXPECT_TRUE(pb::util::SerializeDelimitedToZeroCopyStream(*record, &out));
    }
  }
  return bytes;
}

std::unique_ptr<pb::Message> Decode(const std::string& type,
                                    const ck_buffer_t* buffer) {
  std::unique_ptr<pb::Message> m = Schema::Get().New(type);
  EXPECT_TRUE(m->ParseFromArray(ck_buffer_data(buffer),
                                static_cast<int>(ck_buffer_size(buffer))))
      << "buffer is not a " << type;
  return m;
}

int64_t Int64Field(const pb::Message& m, const std::string& name) {
  const pb::FieldDescriptor* f = m.GetDescriptor()->FindFieldByName(name);
  EXPECT_NE(f, nullptr) << name;
  return f == nullptr ? -1 : m.GetReflection()->GetInt64(m, f);
}

std::string StringField(const pb::Message& m, const std::string& name) {
  const pb::FieldDescriptor* f = m.GetDescriptor()->FindFieldByName(name);
  EXPECT_NE(f, nullptr) << name;
  return f == nullptr ? "" : m.GetReflection()->GetString(m, f);
}

// A map<string, int64> field as a std::map.
std::map<std::string, int64_t> CountMap(const pb::Message& m,
                                        const std::string& name) {
  std::map<std::string, int64_t> result;
  const pb::FieldDescriptor* f = m.GetDescriptor()->FindFieldByName(name);
  EXPECT_NE(f, nullptr) << name;
  if (f == nullptr) return result;
  const pb::Reflection* r = m.GetReflection();
  for (int i = 0; i < r->FieldSize(m, f); ++i) {
    const pb::Message& entry = r->GetRepeatedMessage(m, f, i);
    result[StringField(entry, "key")] = Int64Field(entry, "value");
  }
  return result;
}

std::unique_ptr<pb::Message> SummaryOf(const ck_dataset_t* ds) {
  ck_buffer_t* raw = nullptr;
  EXPECT_CK_OK(ck_dataset_summary(ds, &raw));
  BufferPtr buffer(raw);
  return Decode("churnkit.v1.DatasetSummary", buffer.get());
}

// ---- Fixtures ---------------------------------------------------------------

// 2024-01-01, -02-01, -03-01, -03-05, -04-01, 2025-01-01 at 00:00 UTC.
constexpr char kJan[] = "{ seconds: 1704067200 }";
constexpr char kFeb[] = "{ seconds: 1706745600 }";
constexpr char kMar[] = "{ seconds: 1709251200 }";
constexpr char kMar5[] = "{ seconds: 1709596800 }";
constexpr char kApr[] = "{ seconds: 1711929600 }";
constexpr char kNextJan[] = "{ seconds: 1735689600 }";

std::string At(const char* time) { return std::string(" time ") + time; }

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

DatasetPtr FromRecords(const std::string& bytes, int policy) {
  ck_dataset_t* raw = nullptr;
  EXPECT_CK_OK(
      ck_dataset_from_records(bytes.data(), bytes.size(), policy, &raw));
  return DatasetPtr(raw);
}

DatasetPtr Load(const std::string& textproto) {
  ck_dataset_t* raw = nullptr;
  EXPECT_CK_OK(ck_dataset_load(MSG("LoadOptions", textproto), &raw));
  return DatasetPtr(raw);
}

// A fresh directory removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (fs::path(::testing::TempDir()) / "ck_c_api_XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      ADD_FAILURE() << "mkdtemp failed for " << pattern;
    }
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  std::string operator/(const std::string& name) const {
    return (path_ / name).string();
  }

 private:
  fs::path path_;
};

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  ASSERT_TRUE(out.good()) << path;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
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

std::string CsvOptions(const std::string& dir, const char* policy) {
  return "format: CSV paths: \"" + dir + "\" validation { policy: " + policy +
         " }";
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

// ---- Time, features and labels
// ------------------------------------------------

struct FeaturesFree {
  void operator()(ck_features_t* f) const { ck_features_free(f); }
};
struct MatrixFree {
  void operator()(ck_matrix_t* m) const { ck_matrix_free(m); }
};
using FeaturesPtr = std::unique_ptr<ck_features_t, FeaturesFree>;
using MatrixPtr = std::unique_ptr<ck_matrix_t, MatrixFree>;

DatasetPtr ExampleData() {
  return Load("paths: \"" + churnkit::testing::SourceDir() +
              "/examples/data\"");
}

TEST(CApiTime, ParsesDatesAndRejectsBadText) {
  int64_t t = 0;
  ASSERT_CK_OK(ck_time_parse("2024-07-01", &t));
  EXPECT_EQ(t, 1719792000);
  ASSERT_CK_OK(ck_time_parse("2024-07-01T08:00:00+08:00", &t));
  EXPECT_EQ(t, 1719792000);
  ExpectNullArgument(ck_time_parse(nullptr, &t), "ck_time_parse", "text");
  ExpectNullArgument(ck_time_parse("2024-07-01", nullptr), "ck_time_parse",
                     "out");
  ExpectError(ck_time_parse("2024-02-30", &t), CK_INVALID_ARGUMENT,
              "ck_time_parse", "'2024-02-30' is not a valid date");
}

TEST(CApiFeatures, CreateRejectsBadConfigsNamingThePath) {
  ck_features_t* f = Poison<ck_features_t>();
  ExpectNullArgument(ck_features_create(nullptr, 0, nullptr),
                     "ck_features_create", "out");
  ExpectError(ck_features_create(kGarbage, sizeof kGarbage - 1, &f),
              CK_INVALID_ARGUMENT, "ck_features_create",
              "argument 'feature_set'");
  EXPECT_EQ(f, nullptr);
  f = Poison<ck_features_t>();
  ExpectError(
      ck_features_create(MSG("FeatureSet",
                             "features { name: \"a\" window { filter {} "
                             "aggregate: COUNT window_days: -1 } }"),
                         &f),
      CK_INVALID_ARGUMENT, "ck_features_create",
      "features[0].window.window_days: must be > 0");
  EXPECT_EQ(f, nullptr);
  ck_features_free(nullptr);
  ck_matrix_free(nullptr);
  EXPECT_EQ(ck_matrix_data(nullptr), nullptr);
}

TEST(CApiFeatures, ComputesIntoCallerMemoryAndLibraryMatrices) {
  DatasetPtr ds = ExampleData();
  ASSERT_NE(ds, nullptr);
  ck_features_t* raw = nullptr;
  ASSERT_CK_OK(ck_features_create(
      MSG("FeatureSet",
          "features { name: \"orders_365d\" window { filter { kinds: ORDER } "
          "aggregate: COUNT window_days: 365 } } "
          "features { name: \"days_since_login\" days_since { filter { kinds: "
          "LOGIN } } }"),
      &raw));
  FeaturesPtr f(raw);
  size_t cols = 0;
  ASSERT_CK_OK(ck_features_num_columns(f.get(), &cols));
  ASSERT_EQ(cols, 2u);
  const char* name = nullptr;
  ASSERT_CK_OK(ck_features_column_name(f.get(), 1, &name));
  EXPECT_STREQ(name, "days_since_login");
  ExpectError(ck_features_column_name(f.get(), 2, &name), CK_OUT_OF_RANGE,
              "ck_features_column_name", "argument 'index' is 2");

  int64_t as_of = 0;
  ASSERT_CK_OK(ck_time_parse("2024-07-01", &as_of));
  ck_matrix_t* m_raw = nullptr;
  ASSERT_CK_OK(ck_features_compute_matrix(f.get(), ds.get(), as_of, &m_raw));
  MatrixPtr m(m_raw);
  size_t rows = 0, mcols = 0;
  ASSERT_CK_OK(ck_matrix_shape(m.get(), &rows, &mcols));
  EXPECT_EQ(mcols, 2u);
  ASSERT_GT(rows, 0u);
  const double* data = ck_matrix_data(m.get());
  ASSERT_NE(data, nullptr);
  const char* id = nullptr;
  ASSERT_CK_OK(ck_matrix_customer_id(m.get(), 0, &id));
  ASSERT_CK_OK(ck_matrix_column_name(m.get(), 0, &name));
  EXPECT_STREQ(name, "orders_365d");
  ExpectError(ck_matrix_customer_id(m.get(), rows, &id), CK_OUT_OF_RANGE,
              "ck_matrix_customer_id", "argument 'row'");

  // The same first row computed into caller memory.
  size_t index = 0;
  ASSERT_CK_OK(ck_dataset_find_customer(ds.get(), id, &index));
  double out[2] = {-1, -1};
  ASSERT_CK_OK(
      ck_features_compute(f.get(), ds.get(), as_of, &index, 1, out, 2));
  for (int j = 0; j < 2; ++j) {
    if (std::isnan(data[j])) {
      EXPECT_TRUE(std::isnan(out[j]));
    } else {
      EXPECT_EQ(out[j], data[j]);
    }
  }
  ExpectError(ck_features_compute(f.get(), ds.get(), as_of, &index, 1, out, 3),
              CK_INVALID_ARGUMENT, "ck_features_compute",
              "argument 'out_size' is 3; expected n_customers * num_columns");
  const size_t bad = 100000;
  ExpectError(ck_features_compute(f.get(), ds.get(), as_of, &bad, 1, out, 2),
              CK_OUT_OF_RANGE, "ck_features_compute", "customer_indices[0]");
  ExpectNullArgument(
      ck_features_compute(f.get(), ds.get(), as_of, nullptr, 1, out, 2),
      "ck_features_compute", "customer_indices");
  ExpectNullArgument(
      ck_features_compute(nullptr, ds.get(), as_of, &index, 1, out, 2),
      "ck_features_compute", "features");
  ASSERT_CK_OK(
      ck_features_compute(f.get(), ds.get(), as_of, nullptr, 0, nullptr, 0));
  ck_matrix_t* none = Poison<ck_matrix_t>();
  ExpectNullArgument(ck_features_compute_matrix(f.get(), nullptr, as_of, &none),
                     "ck_features_compute_matrix", "dataset");
  EXPECT_EQ(none, nullptr);
  ExpectNullArgument(ck_matrix_shape(m.get(), nullptr, &mcols),
                     "ck_matrix_shape", "rows");
}

TEST(CApiFeatures, DefaultSetCoversTheDomainSignals) {
  ck_features_t* raw = nullptr;
  ASSERT_CK_OK(ck_features_create(nullptr, 0, &raw));
  FeaturesPtr f(raw);
  size_t cols = 0;
  ASSERT_CK_OK(ck_features_num_columns(f.get(), &cols));
  EXPECT_GE(cols, 50u);
}

struct AssessorFree {
  void operator()(ck_assessor_t* a) const { ck_assessor_free(a); }
};
struct AssessmentFree {
  void operator()(ck_assessment_t* a) const { ck_assessment_free(a); }
};
using AssessorPtr = std::unique_ptr<ck_assessor_t, AssessorFree>;
using AssessmentPtr = std::unique_ptr<ck_assessment_t, AssessmentFree>;

TEST(CApiAssess, AssessesEveryCustomerAndCarriesTheHistory) {
  DatasetPtr ds = ExampleData();
  ASSERT_NE(ds, nullptr);
  ck_assessor_t* raw = nullptr;
  ASSERT_CK_OK(ck_assessor_create(nullptr, 0, &raw));
  AssessorPtr assessor(raw);
  int64_t as_of = 0;
  ASSERT_CK_OK(ck_time_parse("2024-07-01", &as_of));
  ck_assessment_t* first_raw = nullptr;
  ASSERT_CK_OK(ck_assessor_assess(assessor.get(), ds.get(), as_of, nullptr, 0,
                                  &first_raw));
  AssessmentPtr first(first_raw);
  size_t n = 0;
  ASSERT_CK_OK(ck_assessment_num_customers(first.get(), &n));
  EXPECT_EQ(n, 16u);
  size_t alerts_first = 0;
  for (size_t i = 0; i < n; ++i) {
    const char* id = nullptr;
    double score = -1e9;
    int colour = 0;
    size_t alerts = 0, tasks = 0;
    ASSERT_CK_OK(ck_assessment_customer(first.get(), i, &id, &score, &colour,
                                        &alerts, &tasks));
    EXPECT_NE(id, nullptr);
    EXPECT_GE(score, -50);
    EXPECT_LE(score, 100);
    EXPECT_TRUE(colour == CK_COLOUR_GREEN || colour == CK_COLOUR_YELLOW ||
                colour == CK_COLOUR_RED);
    alerts_first += alerts;
  }
  ck_buffer_t* bytes = nullptr;
  ASSERT_CK_OK(ck_assessment_serialize(first.get(), &bytes));
  BufferPtr assessment_bytes(bytes);
  std::unique_ptr<pb::Message> decoded =
      Decode("churnkit.v1.Assessment", assessment_bytes.get());
  const pb::FieldDescriptor* customers =
      decoded->GetDescriptor()->FindFieldByName("customers");
  EXPECT_EQ(decoded->GetReflection()->FieldSize(*decoded, customers), 16);

  // The next day, with the history: rules cool down.
  ck_buffer_t* history_raw = nullptr;
  ASSERT_CK_OK(ck_assessment_history(first.get(), &history_raw));
  BufferPtr history(history_raw);
  ck_assessment_t* next_raw = nullptr;
  ASSERT_CK_OK(ck_assessor_assess(assessor.get(), ds.get(), as_of + 86400,
                                  ck_buffer_data(history.get()),
                                  ck_buffer_size(history.get()), &next_raw));
  AssessmentPtr next(next_raw);
  size_t alerts_next = 0;
  for (size_t i = 0; i < n; ++i) {
    size_t alerts = 0;
    ASSERT_CK_OK(ck_assessment_customer(next.get(), i, nullptr, nullptr,
                                        nullptr, &alerts, nullptr));
    alerts_next += alerts;
  }
  EXPECT_LT(alerts_next, alerts_first);
}

TEST(CApiAssess, CreateProtoTakesSerializedConfigsAndRejectsBadBytes) {
  ck_assessor_t* a = nullptr;
  ASSERT_CK_OK(ck_assessor_create(nullptr, 0, &a));  // the defaults
  ck_assessor_free(a);
  a = Poison<ck_assessor_t>();
  ExpectNullArgument(ck_assessor_create(nullptr, 3, &a), "ck_assessor_create",
                     "config");
  EXPECT_EQ(a, nullptr);
  ExpectNullArgument(ck_assessor_create(nullptr, 0, nullptr),
                     "ck_assessor_create", "out");
  ExpectError(ck_assessor_create("\xff\xff", 2, &a), CK_INVALID_ARGUMENT,
              "ck_assessor_create",
              "argument 'config': not a serialized "
              "churnkit.v1.AssessmentConfig");
  const std::string bad_horizon =
      FromText("churnkit.v1.AssessmentConfig", "horizon_days: -1")
          ->SerializeAsString();
  ExpectError(ck_assessor_create(bad_horizon.data(), bad_horizon.size(), &a),
              CK_INVALID_ARGUMENT, "ck_assessor_create", "horizon_days");
  EXPECT_EQ(a, nullptr);
}

TEST(CApiAssess, RejectsBadArguments) {
  DatasetPtr ds = ExampleData();
  ck_assessor_t* a = Poison<ck_assessor_t>();
  ExpectNullArgument(ck_assessor_create(nullptr, 0, nullptr),
                     "ck_assessor_create", "out");
  ExpectError(ck_assessor_create(MSG("AssessmentConfig",
                                     "rules { rules { name: \"r\" level: L1 "
                                     "alert: \"x\" when { compare { feature: "
                                     "\"nope\" op: GT } } } }"),
                                 &a),
              CK_INVALID_ARGUMENT, "ck_assessor_create",
              "rules.rules[0].when.compare.feature: unknown feature 'nope'");
  EXPECT_EQ(a, nullptr);
  ck_assessor_t* raw = nullptr;
  ASSERT_CK_OK(ck_assessor_create(MSG("AssessmentConfig", ""), &raw));
  AssessorPtr assessor(raw);
  ck_assessment_t* out = Poison<ck_assessment_t>();
  ExpectNullArgument(ck_assessor_assess(nullptr, ds.get(), 0, nullptr, 0, &out),
                     "ck_assessor_assess", "assessor");
  EXPECT_EQ(out, nullptr);
  ExpectNullArgument(
      ck_assessor_assess(assessor.get(), nullptr, 0, nullptr, 0, &out),
      "ck_assessor_assess", "dataset");
  ExpectNullArgument(
      ck_assessor_assess(assessor.get(), ds.get(), 0, nullptr, 5, &out),
      "ck_assessor_assess", "history");
  ExpectError(ck_assessor_assess(assessor.get(), ds.get(), 1719792000,
                                 "\xff\xff", 2, &out),
              CK_INVALID_ARGUMENT, "ck_assessor_assess", "argument 'history'");
  ExpectError(ck_assessor_assess(assessor.get(), ds.get(), 0, nullptr, 0, &out),
              CK_INVALID_ARGUMENT, "ck_assessor_assess",
              "is not after the first event");
  ExpectNullArgument(ck_assessment_num_customers(nullptr, nullptr),
                     "ck_assessment_num_customers", "assessment");
  ExpectNullArgument(ck_assessment_customer(nullptr, 0, nullptr, nullptr,
                                            nullptr, nullptr, nullptr),
                     "ck_assessment_customer", "assessment");
  ck_buffer_t* none = Poison<ck_buffer_t>();
  ExpectNullArgument(ck_assessment_serialize(nullptr, &none),
                     "ck_assessment_serialize", "assessment");
  EXPECT_EQ(none, nullptr);
  ExpectNullArgument(ck_assessment_history(nullptr, nullptr),
                     "ck_assessment_history", "out");
  ck_assessment_t* real = nullptr;
  ASSERT_CK_OK(ck_assessor_assess(assessor.get(), ds.get(), 1719792000, nullptr,
                                  0, &real));
  AssessmentPtr result(real);
  ExpectError(ck_assessment_customer(result.get(), 99, nullptr, nullptr,
                                     nullptr, nullptr, nullptr),
              CK_OUT_OF_RANGE, "ck_assessment_customer",
              "argument 'index' is 99");
  ck_assessor_free(nullptr);
  ck_assessment_free(nullptr);
}

TEST(CApiLabels, LabelsEveryCustomerAndRejectsBadDefinitions) {
  DatasetPtr ds = ExampleData();
  ASSERT_NE(ds, nullptr);
  int64_t as_of = 0;
  ASSERT_CK_OK(ck_time_parse("2024-07-01", &as_of));
  ck_buffer_t* raw = nullptr;
  ASSERT_CK_OK(ck_labels_compute(ds.get(), nullptr, 0, as_of, &raw));
  BufferPtr buffer(raw);
  std::unique_ptr<pb::Message> set = Decode("churnkit.v1.LabelSet", raw);
  const pb::FieldDescriptor* labels =
      set->GetDescriptor()->FindFieldByName("labels");
  size_t customers = 0;
  ASSERT_CK_OK(ck_dataset_num_customers(ds.get(), &customers));
  EXPECT_EQ(static_cast<size_t>(set->GetReflection()->FieldSize(*set, labels)),
            customers);
  // A churned customer's label lists its episodes, the current one last.
  int churned = 0;
  for (int i = 0; i < set->GetReflection()->FieldSize(*set, labels); ++i) {
    const pb::Message& label =
        set->GetReflection()->GetRepeatedMessage(*set, labels, i);
    const pb::FieldDescriptor* episodes =
        label.GetDescriptor()->FindFieldByName("episodes");
    const int n = label.GetReflection()->FieldSize(label, episodes);
    const pb::FieldDescriptor* flag =
        label.GetDescriptor()->FindFieldByName("churned");
    if (label.GetReflection()->GetBool(label, flag)) {
      ++churned;
      EXPECT_GE(n, 1) << StringField(label, "customer_id");
    }
  }
  EXPECT_GT(churned, 0);

  ck_buffer_t* none = Poison<ck_buffer_t>();
  ExpectNullArgument(ck_labels_compute(nullptr, nullptr, 0, as_of, &none),
                     "ck_labels_compute", "dataset");
  EXPECT_EQ(none, nullptr);
  ExpectNullArgument(ck_labels_compute(ds.get(), nullptr, 0, as_of, nullptr),
                     "ck_labels_compute", "out");
  ExpectError(ck_labels_compute(ds.get(),
                                MSG("ChurnDefinition",
                                    "passive { activity { kinds: LOGIN } "
                                    "inactive_days: 0 }"),
                                as_of, &none),
              CK_INVALID_ARGUMENT, "ck_labels_compute",
              "passive[0].inactive_days: must be > 0");
  ExpectError(
      ck_labels_compute(ds.get(), kGarbage, sizeof kGarbage - 1, as_of, &none),
      CK_INVALID_ARGUMENT, "ck_labels_compute", "argument 'definition'");
}

// ---- Reports
// ------------------------------------------------------------------------

// Reflection shorthands for the decoded churnkit.v1.ChurnReport.
const pb::FieldDescriptor* FieldOf(const pb::Message& m,
                                   const std::string& name) {
  const pb::FieldDescriptor* f = m.GetDescriptor()->FindFieldByName(name);
  EXPECT_NE(f, nullptr) << name;
  return f;
}
const pb::Message& Sub(const pb::Message& m, const std::string& name) {
  return m.GetReflection()->GetMessage(m, FieldOf(m, name));
}
const pb::Message& Item(const pb::Message& m, const std::string& name, int i) {
  return m.GetReflection()->GetRepeatedMessage(m, FieldOf(m, name), i);
}
int Size(const pb::Message& m, const std::string& name) {
  return m.GetReflection()->FieldSize(m, FieldOf(m, name));
}
double DoubleField(const pb::Message& m, const std::string& name) {
  return m.GetReflection()->GetDouble(m, FieldOf(m, name));
}
bool Has(const pb::Message& m, const std::string& name) {
  return m.GetReflection()->HasField(m, FieldOf(m, name));
}

std::unique_ptr<pb::Message> ReportOf(const ck_dataset_t* ds,
                                      const char* request) {
  ck_buffer_t* raw = nullptr;
  EXPECT_CK_OK(ck_report_churn(ds, MSG("ReportRequest", request), &raw));
  BufferPtr buffer(raw);
  return Decode("churnkit.v1.ChurnReport", buffer.get());
}

TEST(CApiReport, RejectsBadArgumentsNamingTheField) {
  constexpr char kFn[] = "ck_report_churn";
  DatasetPtr ds = ExampleData();
  ASSERT_NE(ds, nullptr);
  ck_buffer_t* out = Poison<ck_buffer_t>();
  ExpectNullArgument(ck_report_churn(nullptr, MSG("ReportRequest", ""), &out),
                     kFn, "dataset");
  EXPECT_EQ(out, nullptr);
  ExpectNullArgument(
      ck_report_churn(ds.get(), MSG("ReportRequest", ""), nullptr), kFn, "out");
  ExpectNullArgument(ck_report_churn(nullptr, nullptr, 0, nullptr), kFn, "out");
  const std::pair<const char*, const char*> bad[] = {
      {R"(period { start: "2024-03-01" end: "2024-02-01" })",
       "period.end: 2024-02-01 is not after period.start 2024-03-01"},
      {R"(as_of: "2024-02-30")", "as_of: "},
      {R"(breakdowns: "colour")", "breakdowns[0]: unknown attribute 'colour'"},
      {R"(cohorts { max_months: -3 })", "cohorts.max_months: must be >= 0"},
      {"survival { confidence: 2 }", "survival.confidence: must be in (0, 1)"},
      {"definition { passive { activity { kinds: LOGIN } inactive_days: 0 } }",
       "definition.passive[0].inactive_days: must be > 0"},
  };
  for (const auto& [request, fragment] : bad) {
    out = Poison<ck_buffer_t>();
    ExpectError(ck_report_churn(ds.get(), MSG("ReportRequest", request), &out),
                CK_INVALID_ARGUMENT, kFn, fragment);
    EXPECT_EQ(out, nullptr) << request;
  }
}

TEST(CApiReport, ReportsTheExampleExport) {
  DatasetPtr ds = ExampleData();
  ASSERT_NE(ds, nullptr);
  // The period of tests/cli_report_test.sh: 10 customers at the start, 4 of
  // them churned by the export date (7 churns with the new customer and the
  // returned ones, 5 returns).
  std::unique_ptr<pb::Message> r =
      ReportOf(ds.get(), R"(period { start: "2024-01-01" end: "2024-06-28" }
                   breakdowns: "tier" trend {} survival {})");
  EXPECT_EQ(StringField(*r, "as_of"), "2024-06-28");
  EXPECT_EQ(Int64Field(*r, "customers"), 16);
  const pb::Message& period = Sub(*r, "period");
  const pb::Message& overall = Sub(period, "overall");
  EXPECT_EQ(Int64Field(overall, "customers_at_start"), 10);
  EXPECT_EQ(Int64Field(overall, "churned"), 7);
  EXPECT_EQ(Int64Field(overall, "reactivated"), 5);
  EXPECT_NEAR(DoubleField(overall, "churn_rate"), 40.0, 1e-9);
  EXPECT_NEAR(DoubleField(overall, "retention_rate"), 60.0, 1e-9);
  ASSERT_EQ(Size(period, "breakdowns"), 1);
  const pb::Message& tier = Item(period, "breakdowns", 0);
  EXPECT_EQ(StringField(tier, "attribute"), "tier");
  ASSERT_EQ(Size(tier, "groups"), 3);
  EXPECT_EQ(StringField(Item(tier, "groups", 2), "value"), "C");
  EXPECT_EQ(Size(*r, "trend"), 6);  // January .. June 28
  ASSERT_EQ(Size(*r, "survival"), 1);
  EXPECT_EQ(Int64Field(Item(*r, "survival", 0), "customers"), 16);

  // NULL and "" both ask for every default: the same report, as of
  // midnight after the last event (2024-06-26).
  ck_buffer_t* raw = nullptr;
  ASSERT_CK_OK(ck_report_churn(ds.get(), nullptr, 0, &raw));
  BufferPtr from_null(raw);
  ASSERT_CK_OK(ck_report_churn(ds.get(), MSG("ReportRequest", ""), &raw));
  BufferPtr from_empty(raw);
  EXPECT_EQ(std::string_view(
                static_cast<const char*>(ck_buffer_data(from_null.get())),
                ck_buffer_size(from_null.get())),
            std::string_view(
                static_cast<const char*>(ck_buffer_data(from_empty.get())),
                ck_buffer_size(from_empty.get())));
  EXPECT_EQ(
      StringField(*Decode("churnkit.v1.ChurnReport", from_null.get()), "as_of"),
      "2024-06-27");
}

TEST(CApiReport, EmptyDatasetGivesAValidEmptyReport) {
  DatasetPtr empty = FromRecords("", CK_POLICY_STRICT);
  ASSERT_NE(empty, nullptr);
  std::unique_ptr<pb::Message> r = ReportOf(empty.get(), "");
  EXPECT_EQ(Int64Field(*r, "customers"), 0);
  EXPECT_FALSE(Has(*r, "period"));
  r = ReportOf(empty.get(),
               R"(period { start: "2024-01-01" end: "2024-02-01" })");
  const pb::Message& overall = Sub(Sub(*r, "period"), "overall");
  EXPECT_EQ(Int64Field(overall, "customers_at_start"), 0);
  EXPECT_FALSE(Has(overall, "churn_rate"));  // no rate over 0 customers
}

// ---- Experiments (A/B tests) ------------------------------------------------

// Two customers per arm of strategy "call": in arm A both stay, in the
// control one cancels within the first 30-day cycle.
DatasetPtr AbTestData() {
  std::vector<std::string> records;
  const std::pair<const char*, const char*> customers[] = {
      {"a1", "A"}, {"a2", "A"}, {"c1", "control"}, {"c2", "control"}};
  for (const auto& [id, arm] : customers) {
    records.push_back(std::string("customer { id: \"") + id +
                      "\" signup_time " + kJan + " }");
    records.push_back(std::string("event { customer_id: \"") + id +
                      "\" kind: LOGIN" + At(kJan) + " }");
    records.push_back(std::string("event { customer_id: \"") + id +
                      "\" kind: INTERVENTION key: \"call\" group: \"" + arm +
                      "\" amount: 100" + At(kFeb) + " }");
  }
  records.push_back(
      R"(event { customer_id: "c1" kind: CANCELLATION key: "price")" +
      At(kMar) + " }");
  return FromRecords(RecordStream(records), CK_POLICY_STRICT);
}

TEST(CApiAbTest, ComparesTheArmsOfEachStrategy) {
  DatasetPtr ds = AbTestData();
  ASSERT_NE(ds, nullptr);
  const std::string options = FromText("churnkit.v1.ExperimentOptions",
                                       R"(as_of: "2024-06-01" cycles: 2
                  definition { active { kinds: CANCELLATION } })")
                                  ->SerializeAsString();
  ck_buffer_t* raw = nullptr;
  ASSERT_CK_OK(
      ck_abtest_analyze(ds.get(), options.data(), options.size(), &raw));
  BufferPtr buffer(raw);
  std::unique_ptr<pb::Message> r =
      Decode("churnkit.v1.ExperimentReport", buffer.get());
  EXPECT_EQ(StringField(*r, "as_of"), "2024-06-01");
  EXPECT_EQ(Int64Field(*r, "interventions"), 4);
  ASSERT_EQ(Size(*r, "strategies"), 1);
  const pb::Message& call = Item(*r, "strategies", 0);
  EXPECT_EQ(StringField(call, "control_arm"), "control");
  EXPECT_DOUBLE_EQ(DoubleField(call, "total_cost"), 400);
  ASSERT_EQ(Size(call, "comparisons"), 2);
  const pb::Message& c = Item(call, "comparisons", 0);
  EXPECT_EQ(StringField(c, "arm"), "A");
  EXPECT_EQ(Int64Field(c, "arm_retained"), 2);
  EXPECT_EQ(Int64Field(c, "control_retained"), 1);
  EXPECT_DOUBLE_EQ(DoubleField(c, "difference"), 50);
  EXPECT_EQ(StringField(c, "test"), "fisher");

  // NULL options mean every default.
  ASSERT_CK_OK(ck_abtest_analyze(ds.get(), nullptr, 0, &raw));
  BufferPtr defaults(raw);
  std::unique_ptr<pb::Message> d =
      Decode("churnkit.v1.ExperimentReport", defaults.get());
  EXPECT_EQ(d->GetReflection()->GetInt32(*d, FieldOf(*d, "cycles")), 3);
}

TEST(CApiAbTest, RejectsBadArgumentsNamingThem) {
  constexpr char kFn[] = "ck_abtest_analyze";
  DatasetPtr ds = AbTestData();
  ASSERT_NE(ds, nullptr);
  ck_buffer_t* out = Poison<ck_buffer_t>();
  ExpectNullArgument(ck_abtest_analyze(nullptr, nullptr, 0, &out), kFn,
                     "dataset");
  EXPECT_EQ(out, nullptr);
  ExpectNullArgument(ck_abtest_analyze(ds.get(), nullptr, 0, nullptr), kFn,
                     "out");
  ExpectNullArgument(ck_abtest_analyze(ds.get(), nullptr, 3, &out), kFn,
                     "options");
  const std::string garbage = "\xff\xff\xff";
  out = Poison<ck_buffer_t>();
  ExpectError(ck_abtest_analyze(ds.get(), garbage.data(), garbage.size(), &out),
              CK_INVALID_ARGUMENT, kFn, "not a serialized");
  EXPECT_EQ(out, nullptr);
  const std::pair<const char*, const char*> bad[] = {
      {"alpha: 2", "alpha: must be in (0, 1)"},
      {"power: -1", "power: must be in (0, 1)"},
      {"cycles: 7", "cycles: must be in 1..3"},
      {R"(control_arm: "Z")", "control_arm: 'Z' is not an arm of strategy"},
  };
  for (const auto& [text, fragment] : bad) {
    const std::string options =
        FromText("churnkit.v1.ExperimentOptions", text)->SerializeAsString();
    out = Poison<ck_buffer_t>();
    ExpectError(
        ck_abtest_analyze(ds.get(), options.data(), options.size(), &out),
        CK_INVALID_ARGUMENT, kFn, fragment);
    EXPECT_EQ(out, nullptr) << text;
  }
}

TEST(CApiWindows, SuggestsWindowsFromHistory) {
  DatasetPtr ds = AbTestData();
  ASSERT_NE(ds, nullptr);
  const std::string request =
      FromText("churnkit.v1.WindowsRequest",
               R"(as_of: "2024-06-01" by: "industry" step_days: 30
                  max_days: 60 horizon_days: 30 min_spells: 1)")
          ->SerializeAsString();
  ck_buffer_t* raw = nullptr;
  ASSERT_CK_OK(
      ck_windows_suggest(ds.get(), request.data(), request.size(), &raw));
  BufferPtr buffer(raw);
  std::unique_ptr<pb::Message> r =
      Decode("churnkit.v1.WindowsResult", buffer.get());
  EXPECT_EQ(StringField(*r, "as_of"), "2024-06-01");
  // Overall and the customers without an industry.
  ASSERT_EQ(Size(*r, "segments"), 2);
  const pb::Message& all = Item(*r, "segments", 0);
  EXPECT_EQ(Int64Field(all, "customers"), 4);
  EXPECT_EQ(Size(all, "points"), 2);
}

TEST(CApiWindows, RejectsBadArgumentsNamingThem) {
  constexpr char kFn[] = "ck_windows_suggest";
  DatasetPtr ds = AbTestData();
  ASSERT_NE(ds, nullptr);
  ck_buffer_t* out = Poison<ck_buffer_t>();
  ExpectNullArgument(ck_windows_suggest(nullptr, nullptr, 0, &out), kFn,
                     "dataset");
  EXPECT_EQ(out, nullptr);
  ExpectNullArgument(ck_windows_suggest(ds.get(), nullptr, 0, nullptr), kFn,
                     "out");
  ExpectNullArgument(ck_windows_suggest(ds.get(), nullptr, 3, &out), kFn,
                     "request");
  // No bytes: every default, but as_of has none.
  out = Poison<ck_buffer_t>();
  ExpectError(ck_windows_suggest(ds.get(), nullptr, 0, &out),
              CK_INVALID_ARGUMENT, kFn, "as_of: required");
  EXPECT_EQ(out, nullptr);
  ExpectError(ck_windows_suggest(ds.get(), "", 0, &out), CK_INVALID_ARGUMENT,
              kFn, "as_of: required");
  const std::string garbage = "\xff\xff\xff";
  ExpectError(
      ck_windows_suggest(ds.get(), garbage.data(), garbage.size(), &out),
      CK_INVALID_ARGUMENT, kFn, "not a serialized churnkit.v1.WindowsRequest");
  // A size that cuts the message short.
  const std::string request =
      FromText("churnkit.v1.WindowsRequest", R"(as_of: "2024-06-01")")
          ->SerializeAsString();
  ExpectError(
      ck_windows_suggest(ds.get(), request.data(), request.size() - 1, &out),
      CK_INVALID_ARGUMENT, kFn, "not a serialized");
  EXPECT_EQ(out, nullptr);
  const std::pair<const char*, const char*> bad[] = {
      {R"(as_of: "2024-06-01" max_return: 1.5)",
       "max_return: must be in (0, 1)"},
      {R"(as_of: "2024-06-01" step_days: -7)", "step_days: must be > 0"},
      {R"(as_of: "2024-06-01" step_days: 30 max_days: 7)",
       "step_days: 30 is more than max_days (7)"},
      {R"(as_of: "2024-06-01" by: "colour")", "by: unknown attribute"},
      {R"(as_of: "2020-01-01")", "as_of: 2020-01-01 is not after"},
  };
  for (const auto& [text, fragment] : bad) {
    const std::string options =
        FromText("churnkit.v1.WindowsRequest", text)->SerializeAsString();
    out = Poison<ck_buffer_t>();
    ExpectError(
        ck_windows_suggest(ds.get(), options.data(), options.size(), &out),
        CK_INVALID_ARGUMENT, kFn, fragment);
    EXPECT_EQ(out, nullptr) << text;
  }
}

TEST(CApiAbTest, PlainNumberStatistics) {
  // Fisher's lady tasting tea: two-sided p = 34/70.
  double p = 0, less = 0, greater = 0, odds = 0;
  ASSERT_CK_OK(ck_stats_fisher_exact(3, 1, 1, 3, &p, &less, &greater, &odds));
  EXPECT_NEAR(p, 34.0 / 70, 1e-14);
  EXPECT_NEAR(greater, 17.0 / 70, 1e-14);
  EXPECT_EQ(odds, 9);
  ASSERT_CK_OK(
      ck_stats_fisher_exact(5, 0, 0, 5, nullptr, nullptr, nullptr, &odds));
  EXPECT_TRUE(std::isinf(odds));
  ASSERT_CK_OK(ck_stats_fisher_exact(1, 0, 0, 0, &p, nullptr, nullptr, &odds));
  EXPECT_EQ(odds, -1);
  EXPECT_EQ(p, 1);
  ExpectError(ck_stats_fisher_exact(1, -2, 3, 4, &p, nullptr, nullptr, nullptr),
              CK_INVALID_ARGUMENT, "ck_stats_fisher_exact",
              "b: -2 is negative");

  // Newcombe (1998) example (a): 56/70 vs 48/80.
  double z = 0, p_greater = 0;
  ASSERT_CK_OK(
      ck_stats_two_proportion_test(56, 70, 48, 80, &z, &p, &p_greater));
  EXPECT_NEAR(z, 2.6501719512585336, 1e-12);
  EXPECT_NEAR(p, 2 * p_greater, 1e-15);
  ASSERT_CK_OK(ck_stats_two_proportion_test(5, 5, 9, 9, &z, &p, nullptr));
  EXPECT_EQ(z, 0);  // all retained: degenerate, never NaN
  EXPECT_EQ(p, 1);
  ExpectError(ck_stats_two_proportion_test(5, 4, 1, 9, &z, &p, nullptr),
              CK_INVALID_ARGUMENT, "ck_stats_two_proportion_test",
              "successes1: 5 is more than trials1 (4)");
  ExpectError(ck_stats_two_proportion_test(0, 0, 1, 9, &z, &p, nullptr),
              CK_INVALID_ARGUMENT, "ck_stats_two_proportion_test",
              "trials1: must be > 0");
  ExpectError(
      ck_stats_two_proportion_test(1, 4, -1, 9, nullptr, nullptr, nullptr),
      CK_INVALID_ARGUMENT, "ck_stats_two_proportion_test",
      "successes2: -1 is negative");

  double lower = 0, upper = 0;
  ASSERT_CK_OK(ck_stats_difference_interval(
      56, 70, 48, 80, 0.05, CK_INTERVAL_NEWCOMBE, &lower, &upper));
  EXPECT_NEAR(lower, 0.0524, 5e-5);
  EXPECT_NEAR(upper, 0.3339, 5e-5);
  ASSERT_CK_OK(ck_stats_difference_interval(56, 70, 48, 80, 0.05,
                                            CK_INTERVAL_WALD, &lower, &upper));
  EXPECT_NEAR(lower, 0.0575, 5e-5);
  ExpectError(ck_stats_difference_interval(1, 2, 1, 2, 0.05, 7, &lower, &upper),
              CK_INVALID_ARGUMENT, "ck_stats_difference_interval",
              "argument 'method': 7");
  ExpectError(ck_stats_difference_interval(1, 2, 1, 2, 1.5, CK_INTERVAL_WALD,
                                           &lower, &upper),
              CK_INVALID_ARGUMENT, "ck_stats_difference_interval",
              "alpha: must be in (0, 1)");

  int64_t n = 0;
  ASSERT_CK_OK(ck_stats_sample_size(0.25, 0.40, 0.05, 0.8, &n));
  EXPECT_EQ(n, 152);  // statsmodels: 151.87
  ExpectNullArgument(ck_stats_sample_size(0.25, 0.40, 0.05, 0.8, nullptr),
                     "ck_stats_sample_size", "out");
  ExpectError(ck_stats_sample_size(0.25, 0.40, 0.05, 1.2, &n),
              CK_INVALID_ARGUMENT, "ck_stats_sample_size",
              "power: must be in (0, 1)");
  ExpectError(ck_stats_sample_size(0.25, 0.25, 0.05, 0.8, &n),
              CK_INVALID_ARGUMENT, "ck_stats_sample_size", "p1, p2: equal");
  EXPECT_EQ(n, 152);  // unchanged on error
}

// ---- Churn prediction and metrics ---------------------------------------

struct ModelFree {
  void operator()(ck_model_t* m) const { ck_model_free(m); }
};
using ModelPtr = std::unique_ptr<ck_model_t, ModelFree>;

// A small labelled matrix: two informative columns, not separable.
struct Matrix {
  std::vector<double> x;
  std::vector<uint8_t> y;
  std::vector<const char*> names = {"logins_30d", "tickets_90d"};
  size_t rows = 0;
};

Matrix Training() {
  Matrix m;
  for (int i = 0; i < 200; ++i) {
    const double logins = i % 17, tickets = (i * 7) % 5;
    m.x.push_back(logins);
    m.x.push_back(tickets);
    m.y.push_back((tickets * 3 - logins + (i % 11) - 2) > 0 ? 1 : 0);
  }
  m.rows = 200;
  return m;
}

double ReflectDouble(const pb::Message& m, const std::string& name) {
  const pb::FieldDescriptor* f = m.GetDescriptor()->FindFieldByName(name);
  EXPECT_NE(f, nullptr) << name;
  return f == nullptr ? NAN : m.GetReflection()->GetDouble(m, f);
}

TEST(CApiModel, FitsPredictsExplainsAndRoundTrips) {
  const Matrix t = Training();
  ck_model_t* raw = nullptr;
  ASSERT_CK_OK(ck_model_fit(t.x.data(), t.rows, 2, t.names.data(), t.y.data(),
                            MSG("FitOptions", "c: 0.5"), &raw));
  ModelPtr model(raw);
  size_t n = 0;
  ASSERT_CK_OK(ck_model_num_features(model.get(), &n));
  EXPECT_EQ(n, 2u);
  const char* name = nullptr;
  ASSERT_CK_OK(ck_model_feature_name(model.get(), 1, &name));
  EXPECT_STREQ(name, "tickets_90d");

  std::vector<double> p(t.rows, -1);
  ASSERT_CK_OK(ck_model_predict(model.get(), t.x.data(), t.rows, 2,
                                t.names.data(), p.data(), p.size()));
  for (double v : p) {
    EXPECT_GT(v, 0);
    EXPECT_LT(v, 1);
  }
  // Explanations: one per row, with the same probabilities.
  ck_buffer_t* buf = nullptr;
  ASSERT_CK_OK(ck_model_explain(model.get(), t.x.data(), 3, 2, t.names.data(),
                                1, nullptr, 0, &buf));
  BufferPtr explained(buf);
  std::unique_ptr<pb::Message> why = Decode("churnkit.v1.Explanations", buf);
  const pb::FieldDescriptor* rows =
      why->GetDescriptor()->FindFieldByName("rows");
  ASSERT_EQ(why->GetReflection()->FieldSize(*why, rows), 3);
  for (int r = 0; r < 3; ++r) {
    const pb::Message& e =
        why->GetReflection()->GetRepeatedMessage(*why, rows, r);
    EXPECT_NEAR(ReflectDouble(e, "probability"), p[r], 1e-12);
  }
  // Save, load, and score identically.
  ASSERT_CK_OK(ck_model_save(model.get(), &buf));
  BufferPtr saved(buf);
  ck_model_t* loaded_raw = nullptr;
  ASSERT_CK_OK(ck_model_load(ck_buffer_data(saved.get()),
                             ck_buffer_size(saved.get()), &loaded_raw));
  ModelPtr loaded(loaded_raw);
  std::vector<double> q(t.rows);
  ASSERT_CK_OK(ck_model_predict(loaded.get(), t.x.data(), t.rows, 2,
                                t.names.data(), q.data(), q.size()));
  EXPECT_EQ(p, q);
  // The saved bytes are a churnkit.v1.LogisticModel a host can read.
  std::unique_ptr<pb::Message> decoded =
      Decode("churnkit.v1.LogisticModel", saved.get());
  const pb::FieldDescriptor* features =
      decoded->GetDescriptor()->FindFieldByName("feature_names");
  ASSERT_NE(features, nullptr);
  EXPECT_EQ(decoded->GetReflection()->FieldSize(*decoded, features), 2);
}

TEST(CApiModel, RejectsNullAndInvalidArguments) {
  const Matrix t = Training();
  const double* x = t.x.data();
  const char* const* names = t.names.data();
  ck_model_t* m = Poison<ck_model_t>();
  ExpectNullArgument(
      ck_model_fit(x, t.rows, 2, names, t.y.data(), nullptr, 0, nullptr),
      "ck_model_fit", "out");
  ExpectNullArgument(
      ck_model_fit(nullptr, t.rows, 2, names, t.y.data(), nullptr, 0, &m),
      "ck_model_fit", "x");
  EXPECT_EQ(m, nullptr);
  ExpectNullArgument(
      ck_model_fit(x, t.rows, 2, nullptr, t.y.data(), nullptr, 0, &m),
      "ck_model_fit", "column_names");
  ExpectNullArgument(ck_model_fit(x, t.rows, 2, names, nullptr, nullptr, 0, &m),
                     "ck_model_fit", "labels");
  const char* holes[] = {"a", nullptr};
  ExpectError(ck_model_fit(x, t.rows, 2, holes, t.y.data(), nullptr, 0, &m),
              CK_INVALID_ARGUMENT, "ck_model_fit",
              "argument 'column_names[1]' is NULL");
  ExpectError(ck_model_fit(x, t.rows, 0, names, t.y.data(), nullptr, 0, &m),
              CK_INVALID_ARGUMENT, "ck_model_fit", "argument 'cols' is 0");
  ExpectError(ck_model_fit(x, t.rows, 2, names, t.y.data(), kGarbage,
                           sizeof kGarbage - 1, &m),
              CK_INVALID_ARGUMENT, "ck_model_fit", "argument 'options'");
  ExpectError(ck_model_fit(x, t.rows, 2, names, t.y.data(),
                           MSG("FitOptions", "c: -1"), &m),
              CK_INVALID_ARGUMENT, "ck_model_fit", "c: must be > 0");
  std::vector<uint8_t> bad = t.y;
  bad[4] = 7;
  ExpectError(ck_model_fit(x, t.rows, 2, names, bad.data(), nullptr, 0, &m),
              CK_INVALID_ARGUMENT, "ck_model_fit", "labels[4] is 7");
  std::vector<double> nan_x = t.x;
  nan_x[2 * 2 + 1] = NAN;
  ExpectError(
      ck_model_fit(nan_x.data(), t.rows, 2, names, t.y.data(), nullptr, 0, &m),
      CK_INVALID_ARGUMENT, "ck_model_fit",
      "row 2, column 'tickets_90d' is NaN");
  std::vector<uint8_t> separable(t.rows);
  for (size_t i = 0; i < t.rows; ++i) separable[i] = t.x[2 * i] > 8;
  ExpectError(ck_model_fit(x, t.rows, 2, names, separable.data(),
                           MSG("FitOptions", "penalty: PENALTY_NONE"), &m),
              CK_FAILED_PRECONDITION, "ck_model_fit", "perfectly separable");
  EXPECT_EQ(m, nullptr);

  ASSERT_CK_OK(
      ck_model_fit(x, t.rows, 2, names, t.y.data(), MSG("FitOptions", ""), &m));
  ModelPtr model(m);
  std::vector<double> p(t.rows);
  ExpectNullArgument(
      ck_model_predict(nullptr, x, t.rows, 2, names, p.data(), p.size()),
      "ck_model_predict", "model");
  ExpectNullArgument(
      ck_model_predict(model.get(), x, t.rows, 2, names, nullptr, p.size()),
      "ck_model_predict", "out");
  ExpectNullArgument(ck_model_predict(model.get(), nullptr, t.rows, 2, names,
                                      p.data(), p.size()),
                     "ck_model_predict", "x");
  ExpectError(ck_model_predict(model.get(), x, t.rows, 2, names, p.data(), 3),
              CK_INVALID_ARGUMENT, "ck_model_predict",
              "argument 'out_size' is 3; expected rows = 200");
  const char* swapped[] = {"tickets_90d", "logins_30d"};
  ExpectError(
      ck_model_predict(model.get(), x, t.rows, 2, swapped, p.data(), p.size()),
      CK_INVALID_ARGUMENT, "ck_model_predict",
      "column 0 is 'tickets_90d'; the model expects 'logins_30d'");
  ASSERT_CK_OK(ck_model_predict(model.get(), nullptr, 0, 2, names, nullptr, 0));

  ck_buffer_t* buf = Poison<ck_buffer_t>();
  ExpectNullArgument(
      ck_model_explain(nullptr, x, 1, 2, names, 3, nullptr, 0, &buf),
      "ck_model_explain", "model");
  EXPECT_EQ(buf, nullptr);
  ExpectNullArgument(
      ck_model_explain(model.get(), x, 1, 2, names, 3, nullptr, 0, nullptr),
      "ck_model_explain", "out");
  ExpectError(ck_model_explain(model.get(), x, 1, 2, names, 3, kGarbage,
                               sizeof kGarbage - 1, &buf),
              CK_INVALID_ARGUMENT, "ck_model_explain",
              "argument 'feature_set'");
  ExpectError(
      ck_model_explain(model.get(), x, 1, 2, names, 2000000, nullptr, 0, &buf),
      CK_INVALID_ARGUMENT, "ck_model_explain", "argument 'top_k'");

  size_t count = 0;
  const char* name = nullptr;
  ExpectNullArgument(ck_model_num_features(nullptr, &count),
                     "ck_model_num_features", "model");
  ExpectNullArgument(ck_model_num_features(model.get(), nullptr),
                     "ck_model_num_features", "out");
  ExpectNullArgument(ck_model_feature_name(model.get(), 0, nullptr),
                     "ck_model_feature_name", "out");
  ExpectError(ck_model_feature_name(model.get(), 2, &name), CK_OUT_OF_RANGE,
              "ck_model_feature_name", "argument 'index' is 2");

  ExpectNullArgument(ck_model_save(nullptr, &buf), "ck_model_save", "model");
  ExpectNullArgument(ck_model_save(model.get(), nullptr), "ck_model_save",
                     "out");
  ASSERT_CK_OK(ck_model_save(model.get(), &buf));
  BufferPtr saved(buf);
  m = Poison<ck_model_t>();
  ExpectNullArgument(ck_model_load(nullptr, 4, &m), "ck_model_load", "data");
  EXPECT_EQ(m, nullptr);
  ExpectNullArgument(ck_model_load("x", 1, nullptr), "ck_model_load", "out");
  ExpectError(ck_model_load("\xff\xff\xff", 3, &m), CK_DATA_LOSS,
              "ck_model_load", "not a serialized churnkit.v1.LogisticModel");
  std::string corrupted(static_cast<const char*>(ck_buffer_data(saved.get())),
                        ck_buffer_size(saved.get()));
  corrupted[corrupted.size() / 2] ^= 0x10;
  EXPECT_NE(ck_model_load(corrupted.data(), corrupted.size(), &m), CK_OK);
  EXPECT_EQ(m, nullptr);
  ExpectError(ck_model_load("", 0, &m), CK_DATA_LOSS, "ck_model_load",
              "no format_version");
  ck_model_free(nullptr);
}

TEST(CApiMetrics, EvaluatesLikeScikitLearnAndRejectsBadArguments) {
  const uint8_t y[] = {0, 0, 1, 1};
  const double s[] = {0.1, 0.4, 0.35, 0.8};
  ck_buffer_t* buf = nullptr;
  ASSERT_CK_OK(ck_metrics_evaluate(y, s, 4, nullptr, 0, &buf));
  BufferPtr owned(buf);
  std::unique_ptr<pb::Message> e = Decode("churnkit.v1.Evaluation", buf);
  EXPECT_DOUBLE_EQ(ReflectDouble(*e, "roc_auc"), 0.75);
  EXPECT_NEAR(ReflectDouble(*e, "average_precision"), 0.8333333333333333,
              1e-15);
  EXPECT_EQ(Int64Field(*e, "count"), 4);

  buf = Poison<ck_buffer_t>();
  ExpectNullArgument(ck_metrics_evaluate(y, s, 4, nullptr, 0, nullptr),
                     "ck_metrics_evaluate", "out");
  ExpectNullArgument(ck_metrics_evaluate(nullptr, s, 4, nullptr, 0, &buf),
                     "ck_metrics_evaluate", "labels");
  EXPECT_EQ(buf, nullptr);
  ExpectNullArgument(ck_metrics_evaluate(y, nullptr, 4, nullptr, 0, &buf),
                     "ck_metrics_evaluate", "scores");
  ExpectError(ck_metrics_evaluate(y, s, 0, nullptr, 0, &buf),
              CK_INVALID_ARGUMENT, "ck_metrics_evaluate", "no rows");
  ExpectError(ck_metrics_evaluate(y, s, 2, nullptr, 0, &buf),
              CK_INVALID_ARGUMENT, "ck_metrics_evaluate", "a single class");
  ExpectError(ck_metrics_evaluate(y, s, 4, kGarbage, sizeof kGarbage - 1, &buf),
              CK_INVALID_ARGUMENT, "ck_metrics_evaluate", "argument 'options'");
  ExpectError(
      ck_metrics_evaluate(y, s, 4,
                          MSG("EvaluationOptions",
                              "threshold_rule { rule: "
                              "THRESHOLD_TARGET_PRECISION target: 1.5 }"),
                          &buf),
      CK_INVALID_ARGUMENT, "ck_metrics_evaluate", "target");
}

// ---- Learned scorecards ----------------------------------------------------

TEST(CApiScorecard, LearnsAScorecardTheAssessorAccepts) {
  Matrix t = Training();
  t.names = {"logins_30d", "complaints_90d"};
  for (size_t i = 0; i < t.rows; i += 9) t.x[2 * i] = NAN;  // some missing
  const std::string options =
      FromText("churnkit.v1.ScorecardLearnOptions",
               "holdout_share: 0.25 seed: 2 min_bin_events: 2")
          ->SerializeAsString();
  ck_buffer_t* card_raw = nullptr;
  ck_buffer_t* report_raw = nullptr;
  ASSERT_CK_OK(ck_scorecard_learn(t.x.data(), t.rows, 2, t.names.data(),
                                  t.y.data(), options.data(), options.size(),
                                  &card_raw, &report_raw));
  BufferPtr card(card_raw), report(report_raw);
  std::unique_ptr<pb::Message> r =
      Decode("churnkit.v1.ScorecardReport", report.get());
  EXPECT_EQ(Int64Field(*r, "train_rows") + Int64Field(*r, "holdout_rows"), 200);
  EXPECT_EQ(Int64Field(*r, "holdout_rows"), 50);
  EXPECT_GT(ReflectDouble(*r, "train_auc"), 0.7);
  // The scorecard runs in an assessment as it is.
  std::unique_ptr<pb::Message> sc = Decode("churnkit.v1.Scorecard", card.get());
  EXPECT_EQ(StringField(*sc, "name"), "learned_scorecard");
  std::string text;
  ASSERT_TRUE(pb::TextFormat::PrintToString(*sc, &text));
  ck_assessor_t* assessor = nullptr;
  ASSERT_CK_OK(ck_assessor_create(
      MSG("AssessmentConfig", ("scorecard {" + text + "}")), &assessor));
  ck_assessor_free(assessor);
  // Or without a text printer: AssessmentConfig field 2 (`scorecard`) is
  // the tag byte 0x12, the length as a varint, then the Scorecard bytes.
  std::string config(1, '\x12');
  for (size_t n = ck_buffer_size(card.get());; n >>= 7) {
    config.push_back(static_cast<char>((n & 0x7f) | (n >= 0x80 ? 0x80 : 0)));
    if (n < 0x80) break;
  }
  config.append(static_cast<const char*>(ck_buffer_data(card.get())),
                ck_buffer_size(card.get()));
  ASSERT_CK_OK(ck_assessor_create(config.data(), config.size(), &assessor));
  AssessorPtr learned(assessor);
  DatasetPtr ds = ExampleData();
  ck_assessment_t* assessment = nullptr;
  ASSERT_CK_OK(ck_assessor_assess(learned.get(), ds.get(), 1719792000, nullptr,
                                  0, &assessment));
  AssessmentPtr assessed(assessment);
  std::unique_ptr<pb::Message> parsed =
      FromText("churnkit.v1.AssessmentConfig", "scorecard {" + text + "}");
  EXPECT_EQ(parsed->SerializeAsString(), config);
  // The report is optional; the defaults need no options.
  ASSERT_CK_OK(ck_scorecard_learn(t.x.data(), t.rows, 2, t.names.data(),
                                  t.y.data(), nullptr, 0, &card_raw, nullptr));
  ck_buffer_free(card_raw);
}

TEST(CApiScorecard, RejectsBadArguments) {
  constexpr char kFn[] = "ck_scorecard_learn";
  const Matrix t = Training();
  const double* x = t.x.data();
  const char* const* names = t.names.data();
  const uint8_t* y = t.y.data();
  ck_buffer_t* card = Poison<ck_buffer_t>();
  ck_buffer_t* report = Poison<ck_buffer_t>();
  ExpectNullArgument(
      ck_scorecard_learn(x, t.rows, 2, names, y, nullptr, 0, nullptr, &report),
      kFn, "scorecard_out");
  EXPECT_EQ(report, nullptr);
  ExpectNullArgument(ck_scorecard_learn(x, t.rows, 2, names, nullptr, nullptr,
                                        0, &card, &report),
                     kFn, "labels");
  EXPECT_EQ(card, nullptr);
  ExpectNullArgument(ck_scorecard_learn(nullptr, t.rows, 2, names, y, nullptr,
                                        0, &card, &report),
                     kFn, "x");
  ExpectNullArgument(
      ck_scorecard_learn(x, t.rows, 2, nullptr, y, nullptr, 0, &card, &report),
      kFn, "column_names");
  ExpectNullArgument(
      ck_scorecard_learn(x, t.rows, 2, names, y, nullptr, 3, &card, &report),
      kFn, "options");
  ExpectError(
      ck_scorecard_learn(x, t.rows, 0, names, y, nullptr, 0, &card, &report),
      CK_INVALID_ARGUMENT, kFn, "argument 'cols' is 0");
  const char garbage[] = "\xff\xff\xff\xff";
  ExpectError(
      ck_scorecard_learn(x, t.rows, 2, names, y, garbage, 4, &card, &report),
      CK_INVALID_ARGUMENT, kFn, "argument 'options'");
  for (const auto& [text, fragment] :
       {std::pair{"pdo: 0", "pdo: must be > 0"},
        std::pair{"base_odds: -2", "base_odds: must be > 0"},
        std::pair{"max_bins: 1", "max_bins: must be >= 2"},
        std::pair{"holdout_from: 5", "holdout_from"}}) {
    const std::string bytes =
        FromText("churnkit.v1.ScorecardLearnOptions", text)
            ->SerializeAsString();
    ExpectError(ck_scorecard_learn(x, t.rows, 2, names, y, bytes.data(),
                                   bytes.size(), &card, &report),
                CK_INVALID_ARGUMENT, kFn, fragment);
  }
  std::vector<uint8_t> bad = t.y;
  bad[3] = 7;
  ExpectError(ck_scorecard_learn(x, t.rows, 2, names, bad.data(), nullptr, 0,
                                 &card, &report),
              CK_INVALID_ARGUMENT, kFn, "labels[3] is 7");
  std::vector<uint8_t> zeros(t.rows, 0);
  ExpectError(ck_scorecard_learn(x, t.rows, 2, names, zeros.data(), nullptr, 0,
                                 &card, &report),
              CK_INVALID_ARGUMENT, kFn, "both classes");
  const char* dup[] = {"a", "a"};
  ExpectError(
      ck_scorecard_learn(x, t.rows, 2, dup, y, nullptr, 0, &card, &report),
      CK_INVALID_ARGUMENT, kFn, "duplicate");
  EXPECT_EQ(card, nullptr);
  EXPECT_EQ(report, nullptr);
}

// ---- Generator -------------------------------------------------------------

TEST(CApiGenerate, RejectsBadArguments) {
  constexpr char kFn[] = "ck_dataset_generate";
  TempDir dir;
  const std::string out = dir / "out";
  ExpectNullArgument(ck_dataset_generate(nullptr, 3, "csv", out.c_str()), kFn,
                     "config");
  ExpectNullArgument(
      ck_dataset_generate(MSG("GeneratorConfig", ""), nullptr, out.c_str()),
      kFn, "format");
  ExpectNullArgument(
      ck_dataset_generate(MSG("GeneratorConfig", ""), "csv", nullptr), kFn,
      "out_dir");
  ExpectError(
      ck_dataset_generate(MSG("GeneratorConfig", ""), "xml", out.c_str()),
      CK_INVALID_ARGUMENT, kFn, "argument 'format'");
  ExpectError(ck_dataset_generate(MSG("GeneratorConfig", ""), "csv", ""),
              CK_INVALID_ARGUMENT, kFn, "argument 'out_dir' is empty");
  ExpectError(
      ck_dataset_generate(kGarbage, sizeof kGarbage - 1, "csv", out.c_str()),
      CK_INVALID_ARGUMENT, kFn, "argument 'config'");
  // Invalid values are named by their field path.
  ExpectError(ck_dataset_generate(MSG("GeneratorConfig", "customers: -5"),
                                  "csv", out.c_str()),
              CK_INVALID_ARGUMENT, kFn, "customers: must be in [0, ");
  ExpectError(
      ck_dataset_generate(
          MSG("GeneratorConfig", "industries { name: \"saas\" share: 1.5 }"),
          "csv", out.c_str()),
      CK_INVALID_ARGUMENT, kFn, "industries[0].share: must be in [0, 1]");
  ExpectError(ck_dataset_generate(
                  MSG("GeneratorConfig",
                      "start_date: \"2025-01-01\" end_date: \"2024-01-01\""),
                  "pb", out.c_str()),
              CK_INVALID_ARGUMENT, kFn,
              "end_date: 2024-01-01 is not after start_date");
  EXPECT_FALSE(fs::exists(out));
}

TEST(CApiGenerate, WritesADataSetThatLoadsBackStrictly) {
  TempDir dir;
  const std::string out = dir / "gen";
  constexpr char kConfig[] =
      "customers: 40 seed: 3 start_date: \"2024-01-01\" "
      "end_date: \"2024-12-31\"";
  ASSERT_CK_OK(
      ck_dataset_generate(MSG("GeneratorConfig", kConfig), "csv", out.c_str()));
  EXPECT_STREQ(ck_last_error(), "");
  for (const char* file :
       {"customers.csv", "events.csv", "contacts.csv", "contracts.csv",
        "owners.csv", "truth.csv", "generator_config.textproto"}) {
    EXPECT_TRUE(fs::exists(fs::path(out) / file)) << file;
  }
  const std::string events = ReadFile(out + "/events.csv");
  DatasetPtr ds =
      Load("format: CSV paths: \"" + out + "\" validation { policy: STRICT }");
  ASSERT_NE(ds, nullptr);
  const Counts counts = CountsOf(ds.get());
  EXPECT_EQ(counts.customers, 40u);
  EXPECT_GT(counts.events, 40u * 10);
  size_t errors = 1;
  ASSERT_CK_OK(ck_dataset_error_count(ds.get(), &errors));
  EXPECT_EQ(errors, 0u);
  // The same config gives the same bytes; another format the same data.
  ASSERT_CK_OK(
      ck_dataset_generate(MSG("GeneratorConfig", kConfig), "csv", out.c_str()));
  EXPECT_EQ(ReadFile(out + "/events.csv"), events);
  const std::string pb_out = dir / "gen_pb";
  ASSERT_CK_OK(ck_dataset_generate(MSG("GeneratorConfig", kConfig), "pb",
                                   pb_out.c_str()));
  DatasetPtr from_pb = Load("format: PB paths: \"" + pb_out +
                            "/records.pb\" validation { policy: STRICT }");
  ASSERT_NE(from_pb, nullptr);
  EXPECT_EQ(CountsOf(from_pb.get()), counts);
}

TEST(CApiGenerate, UnwritableDirectoryFailsWithoutFiles) {
  TempDir dir;
  WriteFile(dir / "plain", "a regular file, not a directory\n");
  const std::string out = dir / "plain" + "/gen";
  EXPECT_NE(ck_dataset_generate(MSG("GeneratorConfig", "customers: 5"), "csv",
                                out.c_str()),
            CK_OK);
  EXPECT_NE(std::string(ck_last_error()).find("ck_dataset_generate: "),
            std::string::npos);
  EXPECT_EQ(ReadFile(dir / "plain"), "a regular file, not a directory\n");
}

TEST(CApiSegment, RejectsBadArguments) {
  constexpr char kFn[] = "ck_segments_compute";
  DatasetPtr ds = ExampleData();
  ASSERT_NE(ds, nullptr);
  const std::string options =
      FromText("churnkit.v1.SegmentOptions",
               R"(as_of: "2024-07-01" risk { source: CHURN_PROBABILITY })")
          ->SerializeAsString();
  const char* ids[] = {"nobody"};
  const double risk[] = {0.5};
  ck_buffer_t* out = Poison<ck_buffer_t>();
  ExpectNullArgument(ck_segments_compute(nullptr, nullptr, 0, nullptr, nullptr,
                                         0, nullptr, &out),
                     kFn, "dataset");
  EXPECT_EQ(out, nullptr);
  ExpectNullArgument(ck_segments_compute(ds.get(), nullptr, 0, nullptr, nullptr,
                                         0, nullptr, nullptr),
                     kFn, "out");
  ExpectNullArgument(ck_segments_compute(ds.get(), nullptr, 3, nullptr, nullptr,
                                         0, nullptr, &out),
                     kFn, "options");
  ExpectNullArgument(
      ck_segments_compute(ds.get(), options.data(), options.size(), nullptr,
                          risk, 1, nullptr, &out),
      kFn, "risk_ids");
  ExpectNullArgument(
      ck_segments_compute(ds.get(), options.data(), options.size(), ids,
                          nullptr, 1, nullptr, &out),
      kFn, "risk");
  const char* null_id[] = {nullptr};
  ExpectError(ck_segments_compute(ds.get(), options.data(), options.size(),
                                  null_id, risk, 1, nullptr, &out),
              CK_INVALID_ARGUMENT, kFn, "argument 'risk_ids[0]' is NULL");
  ExpectError(ck_segments_compute(ds.get(), "\xff\xff", 2, nullptr, nullptr, 0,
                                  nullptr, &out),
              CK_INVALID_ARGUMENT, kFn, "not a serialized");
  ExpectError(ck_segments_compute(ds.get(), options.data(), options.size(), ids,
                                  risk, 1, nullptr, &out),
              CK_INVALID_ARGUMENT, kFn,
              "risk.customer_ids[0]: unknown customer 'nobody'");
  EXPECT_EQ(out, nullptr);
  const std::string bad_tiers =
      FromText("churnkit.v1.SegmentOptions",
               R"(as_of: "2024-07-01" tiers { a_share: 1.5 })")
          ->SerializeAsString();
  ExpectError(ck_segments_compute(ds.get(), bad_tiers.data(), bad_tiers.size(),
                                  nullptr, nullptr, 0, nullptr, &out),
              CK_INVALID_ARGUMENT, kFn, "tiers.a_share: must be in (0, 1]");
  ck_assessor_t* assessor_raw = nullptr;
  ASSERT_CK_OK(ck_assessor_create(nullptr, 0, &assessor_raw));
  AssessorPtr assessor(assessor_raw);
  ck_assessment_t* assessment_raw = nullptr;
  ASSERT_CK_OK(ck_assessor_assess(assessor.get(), ds.get(), 1719792000, nullptr,
                                  0, &assessment_raw));
  AssessmentPtr assessment(assessment_raw);
  ExpectError(ck_segments_compute(ds.get(), nullptr, 0, ids, risk, 1,
                                  assessment.get(), &out),
              CK_INVALID_ARGUMENT, kFn, "not both");
  EXPECT_EQ(out, nullptr);
}

TEST(CApiSegment, SegmentsFromAnAssessmentOrFromArrays) {
  DatasetPtr ds = ExampleData();
  ASSERT_NE(ds, nullptr);
  ck_assessor_t* assessor_raw = nullptr;
  ASSERT_CK_OK(ck_assessor_create(nullptr, 0, &assessor_raw));
  AssessorPtr assessor(assessor_raw);
  ck_assessment_t* assessment_raw = nullptr;
  ASSERT_CK_OK(ck_assessor_assess(assessor.get(), ds.get(), 1719792000, nullptr,
                                  0, &assessment_raw));
  AssessmentPtr assessment(assessment_raw);
  // No options: every default, as of the assessment's date.
  ck_buffer_t* raw = nullptr;
  ASSERT_CK_OK(ck_segments_compute(ds.get(), nullptr, 0, nullptr, nullptr, 0,
                                   assessment.get(), &raw));
  BufferPtr buffer(raw);
  std::unique_ptr<pb::Message> r =
      Decode("churnkit.v1.SegmentReport", buffer.get());
  EXPECT_EQ(StringField(*r, "as_of"), "2024-07-01");
  EXPECT_EQ(Size(*r, "customers"), 16);
  EXPECT_EQ(Size(*r, "quadrants"), 4);
  EXPECT_EQ(Size(*r, "tiers"), 3);
  int64_t in_quadrants = 0;
  for (int q = 0; q < 4; ++q) {
    in_quadrants += Int64Field(Item(*r, "quadrants", q), "customers");
  }
  EXPECT_EQ(in_quadrants, Int64Field(*r, "active_customers"));

  // The same customers' health scores passed as arrays.
  size_t n = 0;
  ASSERT_CK_OK(ck_assessment_num_customers(assessment.get(), &n));
  std::vector<const char*> ids(n);
  std::vector<double> scores(n);
  for (size_t i = 0; i < n; ++i) {
    ASSERT_CK_OK(ck_assessment_customer(assessment.get(), i, &ids[i],
                                        &scores[i], nullptr, nullptr, nullptr));
  }
  const std::string options =
      FromText("churnkit.v1.SegmentOptions", R"(as_of: "2024-07-01")")
          ->SerializeAsString();
  ASSERT_CK_OK(ck_segments_compute(ds.get(), options.data(), options.size(),
                                   ids.data(), scores.data(), n, nullptr,
                                   &raw));
  BufferPtr from_arrays(raw);
  std::unique_ptr<pb::Message> a =
      Decode("churnkit.v1.SegmentReport", from_arrays.get());
  EXPECT_EQ(Int64Field(*a, "active_customers"),
            Int64Field(*r, "active_customers"));
  EXPECT_DOUBLE_EQ(DoubleField(*a, "total_revenue_at_risk"),
                   DoubleField(*r, "total_revenue_at_risk"));
}

// ---- Customer lifetime value ----------------------------------------------

// Columns of cdnow_customers_summary_with_transactions.csv (x, t_x, T, zbar).
struct CdnowSummaries {
  std::vector<double> x, tx, t, m;
};

bool ReadCdnowSummaries(CdnowSummaries* out) {
  std::ifstream in(churnkit::testing::SharedDataDir() +
                   "/cdnow/cdnow_customers_summary_with_transactions.csv");
  if (!in) return false;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    double id, x, tx, t, m;
    if (std::sscanf(line.c_str(), "%lf,%lf,%lf,%lf,%lf", &id, &x, &tx, &t,
                    &m) != 5) {
      return false;
    }
    out->x.push_back(x);
    out->tx.push_back(tx);
    out->t.push_back(t);
    out->m.push_back(m);
  }
  return true;
}

TEST(CApiClv, FitsCdnowAndPredictsIntoCallerBuffers) {
  CdnowSummaries d;
  if (!ReadCdnowSummaries(&d)) GTEST_SKIP() << "no cdnow summaries";
  const size_t n = d.x.size();
  ck_buffer_t* raw = nullptr;
  ASSERT_CK_OK(ck_clv_fit(d.x.data(), d.tx.data(), d.t.data(), d.m.data(), n,
                          nullptr, 0, &raw));
  BufferPtr model(raw);
  std::unique_ptr<pb::Message> m = Decode("churnkit.v1.ClvModel", raw);
  const pb::Reflection* refl = m->GetReflection();
  const pb::Message& bg =
      refl->GetMessage(*m, m->GetDescriptor()->FindFieldByName("bg_nbd"));
  const pb::Message& gg =
      refl->GetMessage(*m, m->GetDescriptor()->FindFieldByName("gamma_gamma"));
  // The published parameters (shared/data/README.md).
  EXPECT_NEAR(ReflectDouble(bg, "r"), 0.242593, 1e-5);
  EXPECT_NEAR(ReflectDouble(bg, "alpha"), 4.413532, 1e-4);
  EXPECT_NEAR(ReflectDouble(bg, "a"), 0.792886, 1e-5);
  EXPECT_NEAR(ReflectDouble(bg, "b"), 2.425752, 1e-4);
  EXPECT_NEAR(ReflectDouble(gg, "p"), 6.25, 0.005);
  EXPECT_EQ(Int64Field(gg, "num_customers"), 946);

  std::vector<double> alive(n, -1), purchases(n, -1), spend(n, -1), clv(n, -1);
  ASSERT_CK_OK(
      ck_clv_predict(ck_buffer_data(raw), ck_buffer_size(raw), d.x.data(),
                     d.tx.data(), d.t.data(), d.m.data(), n,
                     MSG("ClvPredictOptions", "horizon: 52 margin: 0.5"),
                     alive.data(), purchases.data(), spend.data(), clv.data()));
  for (size_t i = 0; i < n; ++i) {
    ASSERT_TRUE(alive[i] > 0 && alive[i] <= 1) << i;
    ASSERT_GT(purchases[i], 0) << i;
    ASSERT_GT(spend[i], 0) << i;
    ASSERT_NEAR(clv[i], purchases[i] * spend[i] * 0.5, 1e-9 * clv[i]) << i;
  }
  // Outputs may be skipped.
  std::vector<double> only(n, -1);
  ASSERT_CK_OK(
      ck_clv_predict(ck_buffer_data(raw), ck_buffer_size(raw), d.x.data(),
                     d.tx.data(), d.t.data(), d.m.data(), n,
                     MSG("ClvPredictOptions", "horizon: 52 margin: 0.5"),
                     nullptr, nullptr, nullptr, only.data()));
  EXPECT_EQ(only, clv);
}

TEST(CApiClv, SummarisesADataSet) {
  const std::string dir = churnkit::testing::SourceDir() + "/examples/data";
  if (!fs::exists(fs::path(dir) / "customers.csv")) {
    GTEST_SKIP() << "no example data in " << dir;
  }
  DatasetPtr ds = Load(CsvOptions(dir, "LENIENT"));
  ASSERT_NE(ds, nullptr);
  int64_t as_of = 0;
  ASSERT_CK_OK(ck_time_parse("2030-01-01", &as_of));
  ck_buffer_t* raw = nullptr;
  ASSERT_CK_OK(ck_clv_summaries(
      ds.get(), as_of, MSG("RfmOptions", "time_unit: CLV_WEEKS"), &raw));
  BufferPtr owned(raw);
  std::unique_ptr<pb::Message> s = Decode("churnkit.v1.RfmSummaries", raw);
  const pb::FieldDescriptor* customers =
      s->GetDescriptor()->FindFieldByName("customers");
  size_t n = 0;
  ASSERT_CK_OK(ck_dataset_num_customers(ds.get(), &n));
  EXPECT_EQ(static_cast<size_t>(s->GetReflection()->FieldSize(*s, customers)) +
                static_cast<size_t>(Int64Field(*s, "customers_without_orders")),
            n);

  constexpr char kFn[] = "ck_clv_summaries";
  ExpectNullArgument(ck_clv_summaries(ds.get(), as_of, nullptr, 0, nullptr),
                     kFn, "out");
  raw = Poison<ck_buffer_t>();
  ExpectNullArgument(ck_clv_summaries(nullptr, as_of, nullptr, 0, &raw), kFn,
                     "dataset");
  EXPECT_EQ(raw, nullptr);
  ExpectError(ck_clv_summaries(ds.get(), as_of,
                               MSG("RfmOptions", "time_unit: 9"), &raw),
              CK_INVALID_ARGUMENT, kFn, "time_unit: unknown value");
  ExpectError(
      ck_clv_summaries(ds.get(), as_of, kGarbage, sizeof kGarbage - 1, &raw),
      CK_INVALID_ARGUMENT, kFn, "argument 'options'");
  ExpectError(ck_clv_summaries(ds.get(), as_of,
                               MSG("RfmOptions", "orders { kinds: 99 }"), &raw),
              CK_INVALID_ARGUMENT, kFn, "orders");
}

TEST(CApiClv, RejectsNullAndInvalidArguments) {
  const double x[] = {0, 2, 1}, tx[] = {0, 5, 3}, t[] = {10, 10, 8},
               m[] = {0, 20, 15};
  ck_buffer_t* raw = Poison<ck_buffer_t>();
  constexpr char kFit[] = "ck_clv_fit";
  ExpectNullArgument(ck_clv_fit(x, tx, t, m, 3, nullptr, 0, nullptr), kFit,
                     "out");
  ExpectNullArgument(ck_clv_fit(nullptr, tx, t, m, 3, nullptr, 0, &raw), kFit,
                     "frequency");
  EXPECT_EQ(raw, nullptr);
  ExpectNullArgument(ck_clv_fit(x, nullptr, t, m, 3, nullptr, 0, &raw), kFit,
                     "recency");
  ExpectNullArgument(ck_clv_fit(x, tx, nullptr, m, 3, nullptr, 0, &raw), kFit,
                     "age");
  ExpectError(ck_clv_fit(x, tx, t, m, 0, nullptr, 0, &raw), CK_INVALID_ARGUMENT,
              kFit, "argument 'n' is 0");
  const double bad_tx[] = {0, 12, 3};
  ExpectError(ck_clv_fit(x, bad_tx, t, m, 3, nullptr, 0, &raw),
              CK_INVALID_ARGUMENT, kFit, "customer 1: recency 12 > age 10");
  const double nan_t[] = {10, NAN, 8};
  ExpectError(ck_clv_fit(x, tx, nan_t, m, 3, nullptr, 0, &raw),
              CK_INVALID_ARGUMENT, kFit, "customer 1: age nan");
  const double negative_m[] = {0, -1, 15};
  ExpectError(ck_clv_fit(x, tx, t, negative_m, 3, nullptr, 0, &raw),
              CK_INVALID_ARGUMENT, kFit, "customer 1: monetary -1");
  const double none[] = {0, 0, 0}, none_tx[] = {0, 0, 0};
  ExpectError(ck_clv_fit(none, none_tx, t, nullptr, 3, nullptr, 0, &raw),
              CK_FAILED_PRECONDITION, kFit, "no customer has a repeat");
  ExpectError(ck_clv_fit(x, tx, t, m, 3,
                         MSG("ClvFitOptions", "penalizer_coef: -1"), &raw),
              CK_INVALID_ARGUMENT, kFit, "penalizer_coef");
  ExpectError(ck_clv_fit(x, tx, t, m, 3, kGarbage, sizeof kGarbage - 1, &raw),
              CK_INVALID_ARGUMENT, kFit, "argument 'options'");

  // A penalty keeps three customers' fit finite.
  ASSERT_CK_OK(ck_clv_fit(x, tx, t, m, 3,
                          MSG("ClvFitOptions", "penalizer_coef: 0.1"), &raw));
  BufferPtr fitted(raw);
  // A model to predict with, CDNOW-like.
  const std::string model =
      FromText("churnkit.v1.ClvModel",
               "bg_nbd { r: 0.24 alpha: 4.4 a: 0.79 b: 2.4 } "
               "gamma_gamma { p: 6.2 q: 3.7 v: 15.4 }")
          ->SerializeAsString();
  const void* bytes = model.data();
  const size_t size = model.size();
  double out[3] = {-1, -1, -1};
  constexpr char kPredict[] = "ck_clv_predict";
  ExpectNullArgument(ck_clv_predict(nullptr, 0, x, tx, t, m, 3,
                                    MSG("ClvPredictOptions", "horizon: 5"), out,
                                    out, out, out),
                     kPredict, "model");
  ExpectNullArgument(ck_clv_predict(bytes, size, x, tx, t, nullptr, 3,
                                    MSG("ClvPredictOptions", "horizon: 5"), out,
                                    out, out, out),
                     kPredict, "monetary");
  ExpectNullArgument(ck_clv_predict(bytes, size, x, nullptr, t, m, 3,
                                    MSG("ClvPredictOptions", "horizon: 5"), out,
                                    out, out, out),
                     kPredict, "recency");
  ExpectNullArgument(ck_clv_predict(bytes, size, x, tx, t, m, 3, nullptr, 3,
                                    out, out, out, out),
                     kPredict, "options");
  ExpectError(ck_clv_predict(bytes, size, x, tx, t, m, 3, nullptr, 0, out, out,
                             out, out),
              CK_INVALID_ARGUMENT, kPredict, "horizon");
  ExpectError(ck_clv_predict("garbage", 7, x, tx, t, m, 3,
                             MSG("ClvPredictOptions", "horizon: 5"), out, out,
                             out, out),
              CK_INVALID_ARGUMENT, kPredict, "not a churnkit.v1.ClvModel");
  ExpectError(ck_clv_predict(bytes, size, x, tx, t, m, 3,
                             MSG("ClvPredictOptions", ""), out, out, out, out),
              CK_INVALID_ARGUMENT, kPredict, "horizon");
  ExpectError(ck_clv_predict(bytes, size, x, bad_tx, t, m, 3,
                             MSG("ClvPredictOptions", "horizon: 5"), out, out,
                             out, out),
              CK_INVALID_ARGUMENT, kPredict, "recency 12 > age 10");
  EXPECT_EQ(out[0], -1);  // untouched on error
  ASSERT_CK_OK(ck_clv_predict(bytes, size, x, tx, t, m, 3,
                              MSG("ClvPredictOptions", "horizon: 5"), out,
                              nullptr, nullptr, nullptr));
  EXPECT_EQ(out[0], 1.0);  // no repeat purchase: alive by assumption
}

// ---- Training panels and the model in the assessment ------------------------

TEST(CApiPanel, BuildsLabelledRowsPerDateAndRejectsBadArguments) {
  DatasetPtr ds = ExampleData();
  ASSERT_NE(ds, nullptr);
  ck_features_t* f = nullptr;
  ASSERT_CK_OK(ck_features_create(nullptr, 0, &f));
  FeaturesPtr features(f);
  int64_t dates[2] = {0, 0};
  // The last date's horizon must end by the export's last event.
  ASSERT_CK_OK(ck_time_parse("2024-04-01", &dates[0]));
  ASSERT_CK_OK(ck_time_parse("2024-05-25", &dates[1]));
  ck_matrix_t* raw = nullptr;
  ASSERT_CK_OK(ck_features_compute_panel(features.get(), ds.get(), nullptr, 0,
                                         dates, 2, 30, &raw));
  MatrixPtr panel(raw);
  size_t rows = 0, cols = 0;
  ASSERT_CK_OK(ck_matrix_shape(panel.get(), &rows, &cols));
  ASSERT_GT(rows, 0u);
  size_t features_cols = 0;
  ASSERT_CK_OK(ck_features_num_columns(features.get(), &features_cols));
  EXPECT_EQ(cols, features_cols);
  const uint8_t* labels = nullptr;
  ASSERT_CK_OK(ck_matrix_labels(panel.get(), &labels));
  ASSERT_NE(labels, nullptr);
  int64_t previous = 0;
  for (size_t r = 0; r < rows; ++r) {
    EXPECT_LE(labels[r], 1);
    int64_t as_of = 0;
    ASSERT_CK_OK(ck_matrix_row_as_of(panel.get(), r, &as_of));
    EXPECT_TRUE(as_of == dates[0] || as_of == dates[1]);
    EXPECT_GE(as_of, previous);  // (date, customer) order
    previous = as_of;
  }
  int64_t as_of = 0;
  ExpectError(ck_matrix_row_as_of(panel.get(), rows, &as_of), CK_OUT_OF_RANGE,
              "ck_matrix_row_as_of", "argument 'row'");
  ExpectNullArgument(ck_matrix_row_as_of(nullptr, 0, &as_of),
                     "ck_matrix_row_as_of", "matrix");
  ExpectNullArgument(ck_matrix_labels(panel.get(), nullptr), "ck_matrix_labels",
                     "out");
  // A computed matrix has no labels.
  ASSERT_CK_OK(
      ck_features_compute_matrix(features.get(), ds.get(), dates[1], &raw));
  MatrixPtr computed(raw);
  ExpectError(ck_matrix_labels(computed.get(), &labels), CK_FAILED_PRECONDITION,
              "ck_matrix_labels", "no labels");
  EXPECT_EQ(labels, nullptr);

  ck_matrix_t* out = Poison<ck_matrix_t>();
  ExpectNullArgument(ck_features_compute_panel(nullptr, ds.get(), nullptr, 0,
                                               dates, 2, 30, &out),
                     "ck_features_compute_panel", "features");
  EXPECT_EQ(out, nullptr);
  ExpectNullArgument(ck_features_compute_panel(features.get(), nullptr, nullptr,
                                               0, dates, 2, 30, &out),
                     "ck_features_compute_panel", "dataset");
  ExpectNullArgument(
      ck_features_compute_panel(features.get(), ds.get(), nullptr, 0, nullptr,
                                2, 30, &out),
      "ck_features_compute_panel", "dates");
  ExpectNullArgument(
      ck_features_compute_panel(features.get(), ds.get(), nullptr, 0, dates, 2,
                                30, nullptr),
      "ck_features_compute_panel", "out");
  const int64_t backwards[2] = {dates[1], dates[0]};
  ExpectError(ck_features_compute_panel(features.get(), ds.get(), nullptr, 0,
                                        backwards, 2, 30, &out),
              CK_INVALID_ARGUMENT, "ck_features_compute_panel", "");
  ExpectError(ck_features_compute_panel(features.get(), ds.get(), nullptr, 0,
                                        dates, 0, 30, &out),
              CK_INVALID_ARGUMENT, "ck_features_compute_panel", "");
  ExpectError(ck_features_compute_panel(features.get(), ds.get(), nullptr, 0,
                                        dates, 2, 0, &out),
              CK_INVALID_ARGUMENT, "ck_features_compute_panel", "horizon");
  ExpectError(
      ck_features_compute_panel(features.get(), ds.get(), kGarbage,
                                sizeof kGarbage - 1, dates, 2, 30, &out),
      CK_INVALID_ARGUMENT, "ck_features_compute_panel",
      "argument 'definition'");
}

TEST(CApiAssess, WithAModelEveryCustomerGetsAChurnProbability) {
  DatasetPtr ds = ExampleData();
  ck_assessor_t* a = nullptr;
  ASSERT_CK_OK(ck_assessor_create(nullptr, 0, &a));
  AssessorPtr assessor(a);
  Matrix t = Training();
  t.names = {"logins_30d", "orders_90d"};  // both computed by the assessor
  ck_model_t* m = nullptr;
  ASSERT_CK_OK(ck_model_fit(t.x.data(), t.rows, 2, t.names.data(), t.y.data(),
                            MSG("FitOptions", ""), &m));
  ModelPtr model(m);
  const int64_t as_of = 1719792000;  // 2024-07-01
  ck_assessment_t* raw = nullptr;
  ASSERT_CK_OK(ck_assessor_assess_with_model(assessor.get(), ds.get(), as_of,
                                             nullptr, 0, model.get(), &raw));
  AssessmentPtr with(raw);
  ASSERT_CK_OK(ck_assessor_assess_with_model(assessor.get(), ds.get(), as_of,
                                             nullptr, 0, nullptr, &raw));
  AssessmentPtr without(raw);
  size_t n = 0;
  ASSERT_CK_OK(ck_assessment_num_customers(with.get(), &n));
  ASSERT_EQ(n, 16u);
  for (size_t i = 0; i < n; ++i) {
    double p = -1, none = 0;
    ASSERT_CK_OK(ck_assessment_churn_probability(with.get(), i, &p));
    EXPECT_GT(p, 0);
    EXPECT_LT(p, 1);
    ASSERT_CK_OK(ck_assessment_churn_probability(without.get(), i, &none));
    EXPECT_TRUE(std::isnan(none));
  }
  double p = 0;
  ExpectError(ck_assessment_churn_probability(with.get(), n, &p),
              CK_OUT_OF_RANGE, "ck_assessment_churn_probability",
              "argument 'index'");
  ExpectNullArgument(ck_assessment_churn_probability(nullptr, 0, &p),
                     "ck_assessment_churn_probability", "assessment");
  ExpectNullArgument(ck_assessment_churn_probability(with.get(), 0, nullptr),
                     "ck_assessment_churn_probability", "out");
  // A model over a feature the assessor does not compute.
  ASSERT_CK_OK(ck_model_fit(t.x.data(), t.rows, 2, Training().names.data(),
                            t.y.data(), MSG("FitOptions", ""), &m));
  ModelPtr foreign(m);
  ck_assessment_t* out = Poison<ck_assessment_t>();
  ExpectError(ck_assessor_assess_with_model(assessor.get(), ds.get(), as_of,
                                            nullptr, 0, foreign.get(), &out),
              CK_INVALID_ARGUMENT, "ck_assessor_assess_with_model",
              "'tickets_90d'");
  EXPECT_EQ(out, nullptr);
  ExpectNullArgument(
      ck_assessor_assess_with_model(nullptr, ds.get(), as_of, nullptr, 0,
                                    model.get(), &out),
      "ck_assessor_assess_with_model", "assessor");
  ExpectNullArgument(
      ck_assessor_assess_with_model(assessor.get(), ds.get(), as_of, nullptr, 0,
                                    model.get(), nullptr),
      "ck_assessor_assess_with_model", "out");
}

// ---- Hardening (issue 18) ---------------------------------------------------

TEST(CApiHardening, SizesBeyondAnyObjectAreInvalidArguments) {
  const char byte = 0;
  const size_t huge = static_cast<size_t>(PTRDIFF_MAX) + 1;
  ck_model_t* m = Poison<ck_model_t>();
  ExpectError(ck_model_load(&byte, huge, &m), CK_INVALID_ARGUMENT,
              "ck_model_load", "argument 'size'");
  EXPECT_EQ(m, nullptr);
  ck_dataset_t* ds = Poison<ck_dataset_t>();
  ExpectError(ck_dataset_from_records(&byte, SIZE_MAX, CK_POLICY_STRICT, &ds),
              CK_INVALID_ARGUMENT, "ck_dataset_from_records",
              "argument 'size'");
  // Fits in memory but not in protobuf's int sizes: refused before a read.
  ExpectError(ck_dataset_from_records(&byte, size_t{INT_MAX} + 1,
                                      CK_POLICY_STRICT, &ds),
              CK_INVALID_ARGUMENT, "ck_dataset_from_records",
              "argument 'size' is 2147483648; at most 2147483647");
  ExpectError(ck_model_load(&byte, size_t{INT_MAX} + 1, &m),
              CK_INVALID_ARGUMENT, "ck_model_load", "argument 'size'");
  EXPECT_EQ(ds, nullptr);
  const double x[] = {1};
  ck_buffer_t* out = Poison<ck_buffer_t>();
  ExpectError(ck_clv_fit(x, x, x, nullptr, SIZE_MAX / 2, nullptr, 0, &out),
              CK_INVALID_ARGUMENT, "ck_clv_fit", "argument 'n'");
  ExpectError(ck_metrics_evaluate(reinterpret_cast<const uint8_t*>(&byte), x,
                                  SIZE_MAX, nullptr, 0, &out),
              CK_INVALID_ARGUMENT, "ck_metrics_evaluate", "argument 'n'");
}

TEST(CApiHardening, StrictLoadFailsOnADanglingSymlinkTable) {
  TempDir dir;
  WriteFile(dir / "customers.csv", "id\nc1\n");
  fs::create_symlink(dir / "gone.csv", dir / "events.csv");
  ck_dataset_t* ds = Poison<ck_dataset_t>();
  ExpectError(
      ck_dataset_load(MSG("LoadOptions", CsvOptions(dir / "", "STRICT")), &ds),
      CK_NOT_FOUND, "ck_dataset_load",
      "events.csv: cannot open: a symbolic link to a missing file");
  EXPECT_EQ(ds, nullptr);
}

TEST(CApiHardening, LastErrorIsValidUtf8) {
  DatasetPtr ds = ExampleData();
  size_t index = 0;
  EXPECT_EQ(ck_dataset_find_customer(ds.get(), "c\xff", &index), CK_NOT_FOUND);
  EXPECT_STREQ(ck_last_error(),
               "ck_dataset_find_customer: no customer with id 'c\xEF\xBF\xBD'");
}

TEST(CApiHardening, TwoProportionTestAtInt64MaxIsFinite) {
  double z = 0, p = 0;
  EXPECT_CK_OK(ck_stats_two_proportion_test(INT64_MAX, INT64_MAX, 0, INT64_MAX,
                                            &z, &p, nullptr));
  EXPECT_TRUE(std::isfinite(z));
  EXPECT_CK_OK(ck_stats_two_proportion_test(INT64_MAX, INT64_MAX, INT64_MAX - 1,
                                            INT64_MAX, &z, &p, nullptr));
  EXPECT_TRUE(std::isfinite(z));
  EXPECT_EQ(ck_stats_fisher_exact(INT64_MAX, INT64_MAX, 1, 1, &p, nullptr,
                                  nullptr, nullptr),
            CK_INVALID_ARGUMENT);
}

TEST(CApiHardening, BadModelBytesAreDataLoss) {
  ck_model_t* m = Poison<ck_model_t>();
  // A serialized LoadOptions with paths: "x" is no model.
  ExpectError(ck_model_load("\x0a\x01x", 3, &m), CK_DATA_LOSS, "ck_model_load",
              "not a serialized churnkit.v1.LogisticModel");
}

TEST(CApiHardening, AnotherMessageIsNotAnAlertHistory) {
  DatasetPtr ds = ExampleData();
  ck_assessor_t* raw = nullptr;
  ASSERT_CK_OK(ck_assessor_create(MSG("AssessmentConfig", ""), &raw));
  AssessorPtr assessor(raw);
  ck_assessment_t* out = Poison<ck_assessment_t>();
  // Field 15 (fixed64): AlertHistory has no such field.
  const char other[] = "\x79\x01\x02\x03\x04\x05\x06\x07\x08";
  ExpectError(
      ck_assessor_assess(assessor.get(), ds.get(), 1719792000, other, 9, &out),
      CK_INVALID_ARGUMENT, "ck_assessor_assess", "another message");
  EXPECT_EQ(out, nullptr);
}

// ---- Jobs (c_api_experimental.h)
// ---------------------------------------------

// A generated history of 500 customers over 18 months, loaded through the
// C ABI.
DatasetPtr GeneratedData(const TempDir& dir) {
  const std::string out = dir / "gen";
  if (ck_dataset_generate(MSG("GeneratorConfig",
                              R"(customers: 500 seed: 5 start_date: "2024-01-01"
                     end_date: "2025-06-30")"),
                          "csv", out.c_str()) != CK_OK) {
    ADD_FAILURE() << ck_last_error();
    return nullptr;
  }
  ck_dataset_t* raw = nullptr;
  const std::string options = "paths: \"" + out + "\"";
  EXPECT_CK_OK(ck_dataset_load(MSG("LoadOptions", options), &raw));
  return DatasetPtr(raw);
}

TEST(CApiJobs, TrainsTheChurnModelOfTheMainJob) {
  TempDir dir;
  DatasetPtr ds = GeneratedData(dir);
  ASSERT_NE(ds, nullptr);
  // The request as text, through the text-to-bytes helper.
  ck_buffer_t* raw = nullptr;
  ASSERT_CK_OK(ck_proto_from_text(
      "churnkit.v1.TrainRequest",
      R"(as_of_dates: ["2024-07-01", "2024-10-01", "2025-01-01"] threads: 1)",
      &raw));
  BufferPtr request(raw);
  ASSERT_CK_OK(ck_job_train(ds.get(), ck_buffer_data(request.get()),
                            ck_buffer_size(request.get()), &raw));
  BufferPtr result(raw);
  std::unique_ptr<pb::Message> r =
      Decode("churnkit.v1.TrainResult", result.get());
  EXPECT_EQ(StringField(*r, "test_from"), "2025-01-01");
  EXPECT_GT(Int64Field(Sub(*r, "test"), "rows"), 0);
  const double auc = DoubleField(Sub(*r, "held_out"), "roc_auc");
  EXPECT_GT(auc, 0.5);
  EXPECT_LE(auc, 1.0);
  EXPECT_EQ(Size(*r, "factors"), 10);
  EXPECT_EQ(Size(*r, "riskiest"), 5);
  // The model bytes load as a model.
  const pb::Message& model = Sub(*r, "model");
  const std::string model_bytes = model.SerializeAsString();
  ck_model_t* m = nullptr;
  ASSERT_CK_OK(ck_model_load(model_bytes.data(), model_bytes.size(), &m));
  ModelPtr loaded(m);
  // The same request twice gives the same bytes.
  ASSERT_CK_OK(ck_job_train(ds.get(), ck_buffer_data(request.get()),
                            ck_buffer_size(request.get()), &raw));
  BufferPtr again(raw);
  EXPECT_EQ(
      std::string_view(static_cast<const char*>(ck_buffer_data(again.get())),
                       ck_buffer_size(again.get())),
      std::string_view(static_cast<const char*>(ck_buffer_data(result.get())),
                       ck_buffer_size(result.get())));
}

TEST(CApiJobs, TrainRejectsBadArgumentsNamingThem) {
  constexpr char kFn[] = "ck_job_train";
  TempDir dir;
  DatasetPtr ds = GeneratedData(dir);
  ASSERT_NE(ds, nullptr);
  ck_buffer_t* out = Poison<ck_buffer_t>();
  ExpectNullArgument(ck_job_train(nullptr, nullptr, 0, &out), kFn, "dataset");
  EXPECT_EQ(out, nullptr);
  ExpectNullArgument(ck_job_train(ds.get(), nullptr, 0, nullptr), kFn, "out");
  ExpectNullArgument(ck_job_train(ds.get(), nullptr, 5, &out), kFn, "request");
  // No bytes: every default, but the dates have none.
  ExpectError(ck_job_train(ds.get(), nullptr, 0, &out), CK_INVALID_ARGUMENT,
              kFn, "as_of_dates: at least two dates");
  const std::string garbage = "\xff\xff\xff";
  ExpectError(ck_job_train(ds.get(), garbage.data(), garbage.size(), &out),
              CK_INVALID_ARGUMENT, kFn,
              "not a serialized churnkit.v1.TrainRequest");
  ExpectError(ck_job_train(ds.get(), garbage.data(), SIZE_MAX, &out),
              CK_INVALID_ARGUMENT, kFn, "argument 'request_size'");
  const std::pair<const char*, const char*> bad[] = {
      {R"(as_of_dates: ["2025-01-01", "2024-07-01"])",
       "as_of_dates[1]: 2024-07-01 is not after 2025-01-01"},
      {R"(as_of_dates: ["2024-07-01", "2025-06-01"])", "the last date allowed"},
      {R"(as_of_dates: ["2024-07-01", "2024-10-01"] horizon_days: -4)",
       "horizon_days: must be in 1..3650"},
      {R"(as_of_dates: ["2024-07-01", "2024-10-01"] fit { winsorize: 0.9 })",
       "fit.winsorize"},
  };
  for (const auto& [text, fragment] : bad) {
    const std::string request =
        FromText("churnkit.v1.TrainRequest", text)->SerializeAsString();
    out = Poison<ck_buffer_t>();
    ExpectError(ck_job_train(ds.get(), request.data(), request.size(), &out),
                CK_INVALID_ARGUMENT, kFn, fragment);
    EXPECT_EQ(out, nullptr) << text;
  }
}

TEST(CApiJobs, AssessesWithTheTrainedModelAndRejectsBadArguments) {
  constexpr char kFn[] = "ck_job_assess";
  TempDir dir;
  DatasetPtr ds = GeneratedData(dir);
  ASSERT_NE(ds, nullptr);
  const std::string train =
      FromText("churnkit.v1.TrainRequest",
               R"(as_of_dates: ["2024-07-01", "2024-10-01", "2025-01-01"])")
          ->SerializeAsString();
  ck_buffer_t* raw = nullptr;
  ASSERT_CK_OK(ck_job_train(ds.get(), train.data(), train.size(), &raw));
  BufferPtr trained(raw);
  std::unique_ptr<pb::Message> request = FromText(
      "churnkit.v1.AssessRequest", R"(as_of: "2025-04-01" at_risk: 3)");
  request->GetReflection()
      ->MutableMessage(request.get(), FieldOf(*request, "model"))
      ->CopyFrom(
          Sub(*Decode("churnkit.v1.TrainResult", trained.get()), "model"));
  const std::string bytes = request->SerializeAsString();
  ASSERT_CK_OK(ck_job_assess(ds.get(), bytes.data(), bytes.size(), &raw));
  BufferPtr result(raw);
  std::unique_ptr<pb::Message> r =
      Decode("churnkit.v1.AssessResponse", result.get());
  EXPECT_EQ(Size(*r, "at_risk"), 3);
  EXPECT_GT(Int64Field(Sub(*r, "summary"), "customers"), 0);
  EXPECT_EQ(Size(Sub(*r, "assessment"), "customers"),
            Int64Field(Sub(*r, "summary"), "customers"));

  ck_buffer_t* out = Poison<ck_buffer_t>();
  ExpectNullArgument(ck_job_assess(nullptr, nullptr, 0, &out), kFn, "dataset");
  EXPECT_EQ(out, nullptr);
  ExpectNullArgument(ck_job_assess(ds.get(), nullptr, 0, nullptr), kFn, "out");
  ExpectNullArgument(ck_job_assess(ds.get(), nullptr, 2, &out), kFn, "request");
  ExpectError(ck_job_assess(ds.get(), nullptr, 0, &out), CK_INVALID_ARGUMENT,
              kFn, "as_of: required");
  ExpectError(ck_job_assess(ds.get(), "\xff\xff", 2, &out), CK_INVALID_ARGUMENT,
              kFn, "not a serialized churnkit.v1.AssessRequest");
  ExpectError(ck_job_assess(ds.get(), bytes.data(), bytes.size() - 1, &out),
              CK_INVALID_ARGUMENT, kFn, "not a serialized");
  EXPECT_EQ(out, nullptr);
}

TEST(CApiJobs, SegmentAndReportTakeBytesAndNameBadArguments) {
  TempDir dir;
  DatasetPtr ds = GeneratedData(dir);
  ASSERT_NE(ds, nullptr);
  ck_buffer_t* raw = nullptr;
  const std::string segment =
      FromText("churnkit.v1.SegmentRequest",
               R"(options { as_of: "2025-06-01" } evidence_days: 30)")
          ->SerializeAsString();
  ASSERT_CK_OK(ck_job_segment(ds.get(), segment.data(), segment.size(), &raw));
  BufferPtr segmented(raw);
  std::unique_ptr<pb::Message> s =
      Decode("churnkit.v1.SegmentResponse", segmented.get());
  EXPECT_GT(Size(Sub(*s, "report"), "customers"), 0);
  // The report job equals ck_report_churn on the same request.
  const std::string text =
      R"(period { start: "2025-01-01" end: "2025-06-01" })";
  const std::string report =
      FromText("churnkit.v1.ReportRequest", text)->SerializeAsString();
  ASSERT_CK_OK(ck_job_report(ds.get(), report.data(), report.size(), &raw));
  BufferPtr by_bytes(raw);
  ASSERT_CK_OK(ck_report_churn(ds.get(), MSG("ReportRequest", text), &raw));
  BufferPtr by_text(raw);
  EXPECT_EQ(
      std::string(static_cast<const char*>(ck_buffer_data(by_bytes.get())),
                  ck_buffer_size(by_bytes.get())),
      std::string(static_cast<const char*>(ck_buffer_data(by_text.get())),
                  ck_buffer_size(by_text.get())));

  // The generated order values are too heavy-tailed for a finite mean
  // spend on 500 customers: the job says so (jobs_test covers a fit).
  const std::string clv =
      FromText("churnkit.v1.ClvRequest", R"(as_of: "2025-06-01")")
          ->SerializeAsString();
  ck_buffer_t* none = Poison<ck_buffer_t>();
  ExpectError(ck_job_clv(ds.get(), clv.data(), clv.size(), &none),
              CK_FAILED_PRECONDITION, "ck_job_clv", "Gamma-Gamma");
  EXPECT_EQ(none, nullptr);
  ExpectError(ck_job_clv(ds.get(), nullptr, 0, &none), CK_INVALID_ARGUMENT,
              "ck_job_clv", "as_of: required");

  for (const char* fn : {"ck_job_segment", "ck_job_report", "ck_job_clv"}) {
    auto call = [&](const ck_dataset_t* d, const void* bytes, size_t size,
                    ck_buffer_t** out) {
      const std::string name = fn;
      return name == "ck_job_segment"  ? ck_job_segment(d, bytes, size, out)
             : name == "ck_job_report" ? ck_job_report(d, bytes, size, out)
                                       : ck_job_clv(d, bytes, size, out);
    };
    ck_buffer_t* out = Poison<ck_buffer_t>();
    ExpectNullArgument(call(nullptr, nullptr, 0, &out), fn, "dataset");
    EXPECT_EQ(out, nullptr);
    ExpectNullArgument(call(ds.get(), nullptr, 0, nullptr), fn, "out");
    ExpectNullArgument(call(ds.get(), nullptr, 4, &out), fn, "request");
    ExpectError(call(ds.get(), "\xff\xff", 2, &out), CK_INVALID_ARGUMENT, fn,
                "not a serialized churnkit.v1.");
    EXPECT_EQ(out, nullptr);
  }
  ck_buffer_t* out = nullptr;
  ExpectError(ck_job_segment(ds.get(), nullptr, 0, &out), CK_INVALID_ARGUMENT,
              "ck_job_segment", "options.as_of: required");
  // No bytes: the report with every default.
  ASSERT_CK_OK(ck_job_report(ds.get(), nullptr, 0, &out));
  ck_buffer_free(out);
}

TEST(CApiJobs, ProtoJsonGetAndSetReadAndWriteFieldsByPath) {
  const std::string result =
      FromText("churnkit.v1.TrainResult",
               R"(horizon_days: 90 test_from: "2025-01-01"
                  held_out { roc_auc: 0.75 positives: 12 }
                  model { intercept: -1.5 feature_names: "logins_30d" })")
          ->SerializeAsString();
  constexpr char kType[] = "churnkit.v1.TrainResult";
  ck_buffer_t* out = nullptr;
  auto text = [](const ck_buffer_t* b) {
    return std::string(static_cast<const char*>(ck_buffer_data(b)),
                       ck_buffer_size(b));
  };
  ASSERT_CK_OK(ck_proto_get(kType, result.data(), result.size(),
                            "held_out.roc_auc", &out));
  EXPECT_EQ(text(out), "0.75");
  ck_buffer_free(out);
  ASSERT_CK_OK(
      ck_proto_get(kType, result.data(), result.size(), "test_from", &out));
  EXPECT_EQ(text(out), "2025-01-01");
  ck_buffer_free(out);
  // An absent message field reads as its defaults.
  ASSERT_CK_OK(
      ck_proto_get(kType, result.data(), result.size(), "train.rows", &out));
  EXPECT_EQ(text(out), "0");
  ck_buffer_free(out);
  ASSERT_CK_OK(
      ck_proto_get(kType, result.data(), result.size(), "model", &out));
  BufferPtr model(out);
  std::unique_ptr<pb::Message> m =
      Decode("churnkit.v1.LogisticModel", model.get());
  EXPECT_EQ(DoubleField(*m, "intercept"), -1.5);

  // Set: a message field from bytes, a scalar from text, a string as is.
  ASSERT_CK_OK(ck_proto_set("churnkit.v1.AssessRequest", nullptr, 0, "model",
                            ck_buffer_data(model.get()),
                            ck_buffer_size(model.get()), &out));
  BufferPtr with_model(out);
  ASSERT_CK_OK(ck_proto_set(
      "churnkit.v1.AssessRequest", ck_buffer_data(with_model.get()),
      ck_buffer_size(with_model.get()), "at_risk", "7", 1, &out));
  BufferPtr with_count(out);
  ASSERT_CK_OK(ck_proto_set(
      "churnkit.v1.AssessRequest", ck_buffer_data(with_count.get()),
      ck_buffer_size(with_count.get()), "as_of", "2026-01-01", 10, &out));
  BufferPtr request(out);
  std::unique_ptr<pb::Message> r =
      Decode("churnkit.v1.AssessRequest", request.get());
  EXPECT_EQ(StringField(*r, "as_of"), "2026-01-01");
  EXPECT_EQ(DoubleField(Sub(*r, "model"), "intercept"), -1.5);

  // JSON with the proto field names.
  ASSERT_CK_OK(ck_proto_to_json(kType, result.data(), result.size(), &out));
  BufferPtr json(out);
  EXPECT_NE(text(json.get()).find("\"roc_auc\":0.75"), std::string::npos)
      << text(json.get());

  // Errors name the argument.
  ExpectNullArgument(
      ck_proto_get(kType, result.data(), result.size(), nullptr, &out),
      "ck_proto_get", "path");
  ExpectNullArgument(ck_proto_get(kType, nullptr, 0, "model", nullptr),
                     "ck_proto_get", "out");
  ExpectError(ck_proto_get(kType, result.data(), result.size(), "nope", &out),
              CK_INVALID_ARGUMENT, "ck_proto_get",
              "churnkit.v1.TrainResult has no field 'nope'");
  ExpectError(
      ck_proto_get(kType, result.data(), result.size(), "factors", &out),
      CK_INVALID_ARGUMENT, "ck_proto_get", "is a repeated field");
  ExpectError(
      ck_proto_get(kType, result.data(), result.size(), "test_from.x", &out),
      CK_INVALID_ARGUMENT, "ck_proto_get", "is not a message field");
  ExpectError(ck_proto_get(kType, "\xff\xff", 2, "model", &out),
              CK_INVALID_ARGUMENT, "ck_proto_get", "not a serialized");
  ExpectError(ck_proto_get("Nope", nullptr, 0, "model", &out),
              CK_INVALID_ARGUMENT, "ck_proto_get", "not a churnkit.v1 message");
  ExpectError(ck_proto_set(kType, nullptr, 0, "horizon_days", "many", 4, &out),
              CK_INVALID_ARGUMENT, "ck_proto_set", "'many' is not a int32");
  ExpectError(ck_proto_set(kType, nullptr, 0, "model", "\xff\xff", 2, &out),
              CK_INVALID_ARGUMENT, "ck_proto_set", "argument 'value'");
  ExpectNullArgument(ck_proto_set(kType, nullptr, 0, "model", nullptr, 3, &out),
                     "ck_proto_set", "value");
  ExpectError(ck_proto_to_json(kType, nullptr, 7, &out), CK_INVALID_ARGUMENT,
              "ck_proto_to_json", "argument 'data' is NULL");
  EXPECT_EQ(out, nullptr);
}

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

TEST(CApiJobs, TrainsOnATableAndNamesBadArguments) {
  TempDir dir;
  std::string csv = "id,tenure,churned\n";
  for (int i = 0; i < 60; ++i) {
    csv += "c" + std::to_string(i) + "," + std::to_string(i) + "," +
           (i % 4 == 0 || i < 15 ? "1" : "0") + "\n";
  }
  WriteFile(dir / "t.csv", csv);
  const std::string request =
      FromText("churnkit.v1.TrainTableRequest",
               "path: \"" + (dir / "t.csv") +
                   "\" table { label_column: \"churned\" id_column: \"id\" }")
          ->SerializeAsString();
  ck_buffer_t* raw = nullptr;
  ASSERT_CK_OK(ck_job_train_table(request.data(), request.size(), &raw));
  BufferPtr result(raw);
  std::unique_ptr<pb::Message> r =
      Decode("churnkit.v1.TrainTableResult", result.get());
  EXPECT_EQ(Int64Field(*r, "rows"), 60);
  EXPECT_GT(DoubleField(Sub(*r, "cross_validated"), "roc_auc"), 0.5);

  constexpr char kFn[] = "ck_job_train_table";
  ck_buffer_t* out = Poison<ck_buffer_t>();
  ExpectNullArgument(ck_job_train_table(nullptr, 0, nullptr), kFn, "out");
  ExpectNullArgument(ck_job_train_table(nullptr, 3, &out), kFn, "request");
  EXPECT_EQ(out, nullptr);
  ExpectError(ck_job_train_table(nullptr, 0, &out), CK_INVALID_ARGUMENT, kFn,
              "path: required");
  ExpectError(ck_job_train_table("\xff\xff", 2, &out), CK_INVALID_ARGUMENT, kFn,
              "not a serialized churnkit.v1.TrainTableRequest");
  const std::string missing =
      FromText("churnkit.v1.TrainTableRequest",
               R"(path: "/no/such.csv" table { label_column: "x" })")
          ->SerializeAsString();
  ExpectError(ck_job_train_table(missing.data(), missing.size(), &out),
              CK_NOT_FOUND, kFn, "/no/such.csv");
  EXPECT_EQ(out, nullptr);
}

TEST(CApiJobs, LearnsAScorecardAndNamesBadArguments) {
  DatasetPtr ds = ExampleData();
  ASSERT_NE(ds, nullptr);
  constexpr char kFn[] = "ck_job_scorecard";
  ck_buffer_t* out = Poison<ck_buffer_t>();
  ExpectNullArgument(ck_job_scorecard(ds.get(), nullptr, 0, nullptr), kFn,
                     "out");
  ExpectNullArgument(ck_job_scorecard(nullptr, nullptr, 0, &out), kFn,
                     "dataset");
  EXPECT_EQ(out, nullptr);
  ExpectNullArgument(ck_job_scorecard(ds.get(), nullptr, 3, &out), kFn,
                     "request");
  ExpectError(ck_job_scorecard(ds.get(), nullptr, 0, &out), CK_INVALID_ARGUMENT,
              kFn, "as_of_dates: at least one date");
  ExpectError(ck_job_scorecard(ds.get(), kGarbage, sizeof kGarbage - 1, &out),
              CK_INVALID_ARGUMENT, kFn, "argument 'request'");
  EXPECT_EQ(out, nullptr);

  constexpr char kTable[] = "ck_job_scorecard_table";
  ExpectNullArgument(ck_job_scorecard_table(nullptr, 0, nullptr), kTable,
                     "out");
  ExpectError(ck_job_scorecard_table(nullptr, 0, &out), CK_INVALID_ARGUMENT,
              kTable, "path: required");
  ExpectError(ck_job_scorecard_table(kGarbage, sizeof kGarbage - 1, &out),
              CK_INVALID_ARGUMENT, kTable, "argument 'request'");
  TempDir dir;
  std::string csv = "id,tenure,churned\n";
  for (int i = 0; i < 200; ++i) {
    csv += "c" + std::to_string(i) + "," + std::to_string(i % 50) + "," +
           (i % 50 < 15 || i % 7 == 0 ? "1" : "0") + "\n";
  }
  WriteFile(dir / "t.csv", csv);
  ck_buffer_t* raw = nullptr;
  ASSERT_CK_OK(ck_job_scorecard_table(
      MSG("ScorecardTableRequest",
          "path: \"" + (dir / "t.csv") +
              "\" table { label_column: \"churned\" id_column: \"id\" }"),
      &raw));
  BufferPtr result(raw);
  std::unique_ptr<pb::Message> r =
      Decode("churnkit.v1.ScorecardResult", result.get());
  EXPECT_EQ(Int64Field(*r, "rows"), 200);
  EXPECT_GT(DoubleField(Sub(*r, "report"), "train_auc"), 0.5);
}

TEST(CApiJobs, GeneratesWithASummaryAndResolvesTheConfig) {
  constexpr char kFn[] = "ck_job_generate";
  ck_buffer_t* out = Poison<ck_buffer_t>();
  ExpectNullArgument(ck_job_generate(nullptr, 0, nullptr), kFn, "out");
  ExpectNullArgument(ck_job_generate(nullptr, 3, &out), kFn, "request");
  EXPECT_EQ(out, nullptr);
  ExpectError(ck_job_generate(nullptr, 0, &out), CK_INVALID_ARGUMENT, kFn,
              "out_dir: required");
  ExpectError(ck_job_generate(kGarbage, sizeof kGarbage - 1, &out),
              CK_INVALID_ARGUMENT, kFn, "argument 'request'");
  ExpectError(
      ck_job_generate(MSG("GenerateRequest",
                          "config { industries { name: \"saas\" share: 2 } } "
                          "resolve_only: true"),
                      &out),
      CK_INVALID_ARGUMENT, kFn, "config.industries[0].share");
  EXPECT_EQ(out, nullptr);

  // resolve_only: every default filled in, nothing written.
  ck_buffer_t* raw = nullptr;
  ASSERT_CK_OK(ck_job_generate(
      MSG("GenerateRequest", "config { customers: 7 } resolve_only: true"),
      &raw));
  BufferPtr resolved(raw);
  std::unique_ptr<pb::Message> r =
      Decode("churnkit.v1.GenerateResult", resolved.get());
  EXPECT_EQ(Int64Field(Sub(*r, "config"), "customers"), 7);
  EXPECT_FALSE(StringField(Sub(*r, "config"), "start_date").empty());

  TempDir dir;
  const std::string data = dir / "gen";
  ASSERT_CK_OK(ck_job_generate(
      MSG("GenerateRequest", "config { customers: 30 seed: 4 } out_dir: \"" +
                                 data + "\" threads: 2"),
      &raw));
  BufferPtr generated(raw);
  r = Decode("churnkit.v1.GenerateResult", generated.get());
  EXPECT_EQ(Int64Field(Sub(*r, "summary"), "customers"), 30);
  DatasetPtr ds = Load("paths: \"" + data + "\" validation { policy: STRICT }");
  ASSERT_NE(ds, nullptr);
  EXPECT_EQ(CountsOf(ds.get()).customers, 30u);
  EXPECT_EQ(static_cast<int64_t>(CountsOf(ds.get()).events),
            Int64Field(Sub(*r, "summary"), "events"));
}

// ck_threads_set: checked, per calling thread, and never changing a result.
TEST(CApiThreads, PerCallingThreadAndResultsDoNotDependOnIt) {
  EXPECT_EQ(ck_threads_get(), 0);
  ExpectError(ck_threads_set(-1), CK_INVALID_ARGUMENT, "ck_threads_set",
              "argument 'n' is -1");
  ExpectError(ck_threads_set(5000), CK_INVALID_ARGUMENT, "ck_threads_set",
              "4096");
  EXPECT_EQ(ck_threads_get(), 0);

  DatasetPtr ds = ExampleData();
  ASSERT_NE(ds, nullptr);
  ck_features_t* f = nullptr;
  ASSERT_CK_OK(ck_features_create(nullptr, 0, &f));
  FeaturesPtr features(f);
  int64_t as_of = 0;
  ASSERT_CK_OK(ck_time_parse("2024-06-01", &as_of));
  auto run = [&] {
    std::string bytes;
    ck_matrix_t* m = nullptr;
    EXPECT_CK_OK(
        ck_features_compute_matrix(features.get(), ds.get(), as_of, &m));
    MatrixPtr matrix(m);
    size_t rows = 0, cols = 0;
    EXPECT_CK_OK(ck_matrix_shape(m, &rows, &cols));
    bytes.assign(reinterpret_cast<const char*>(ck_matrix_data(m)),
                 rows * cols * sizeof(double));
    ck_buffer_t* raw = nullptr;
    EXPECT_CK_OK(ck_labels_compute(ds.get(), nullptr, 0, as_of, &raw));
    BufferPtr labels(raw);
    bytes.append(static_cast<const char*>(ck_buffer_data(raw)),
                 ck_buffer_size(raw));
    ck_assessor_t* a = nullptr;
    EXPECT_CK_OK(ck_assessor_create(nullptr, 0, &a));
    AssessorPtr assessor(a);
    ck_assessment_t* result = nullptr;
    EXPECT_CK_OK(ck_assessor_assess(a, ds.get(), as_of, nullptr, 0, &result));
    AssessmentPtr assessment(result);
    EXPECT_CK_OK(ck_assessment_serialize(result, &raw));
    BufferPtr serialized(raw);
    bytes.append(static_cast<const char*>(ck_buffer_data(raw)),
                 ck_buffer_size(raw));
    return bytes;
  };
  const std::string every_core = run();
  ASSERT_CK_OK(ck_threads_set(1));
  EXPECT_EQ(ck_threads_get(), 1);
  int other_thread = -1;
  std::thread([&] { other_thread = ck_threads_get(); }).join();
  EXPECT_EQ(other_thread, 0);  // per calling thread
  EXPECT_EQ(run(), every_core);
  ASSERT_CK_OK(ck_threads_set(3));
  EXPECT_EQ(run(), every_core);
  ASSERT_CK_OK(ck_threads_set(0));
}

TEST(CApiJobs, ValidatesConfigsWithoutDataAndReadsJson) {
  constexpr char kFn[] = "ck_config_validate";
  auto bytes = [](const char* type, const std::string& text) {
    return FromText(type, text)->SerializeAsString();
  };
  // Every default is valid.
  for (const char* type :
       {"churnkit.v1.AssessmentConfig", "churnkit.v1.ChurnDefinition",
        "churnkit.v1.FeatureSet", "churnkit.v1.FitOptions",
        "churnkit.v1.GeneratorConfig", "churnkit.v1.ScorecardLearnOptions"}) {
    EXPECT_CK_OK(ck_config_validate(type, nullptr, 0)) << type;
  }
  const std::tuple<const char*, std::string, const char*> bad[] = {
      {"churnkit.v1.ChurnDefinition", "passive { inactive_days: -1 }",
       "passive[0].inactive_days"},
      {"churnkit.v1.FitOptions", "c: -1", "c:"},
      {"churnkit.v1.GeneratorConfig", "customers: -3", "customers"},
      {"churnkit.v1.AssessmentConfig", "red_share: 2", "red_share"},
      {"churnkit.v1.SegmentOptions",
       "as_of: \"2025-01-01\" tiers { a_share: 1.5 }", "tiers.a_share"},
      {"churnkit.v1.SegmentOptions", "", "as_of: required"},
      {"churnkit.v1.TrainRequest", "", "as_of_dates"},
  };
  for (const auto& [type, text, fragment] : bad) {
    const std::string b = bytes(type, text);
    ExpectError(ck_config_validate(type, b.data(), b.size()),
                CK_INVALID_ARGUMENT, kFn, fragment);
  }
  ExpectError(ck_config_validate("churnkit.v1.Assessment", nullptr, 0),
              CK_UNIMPLEMENTED, kFn, "has no check-only validation");
  ExpectNullArgument(ck_config_validate(nullptr, nullptr, 0), kFn,
                     "message_name");
  ExpectError(ck_config_validate("churnkit.v1.FitOptions", "\xff\xff", 2),
              CK_INVALID_ARGUMENT, kFn, "not a serialized");

  // JSON in, the same bytes as the text format.
  ck_buffer_t* out = nullptr;
  ASSERT_CK_OK(
      ck_proto_from_json("churnkit.v1.TrainRequest",
                         R"({"as_of_dates": ["2024-07-01", "2024-10-01"],
          "panel_label": "PANEL_LABEL_CHURNED_AT_END", "horizonDays": 60})",
                         &out));
  BufferPtr json(out);
  EXPECT_EQ(std::string(static_cast<const char*>(ck_buffer_data(json.get())),
                        ck_buffer_size(json.get())),
            bytes("churnkit.v1.TrainRequest",
                  R"(as_of_dates: ["2024-07-01", "2024-10-01"]
                     panel_label: PANEL_LABEL_CHURNED_AT_END horizon_days: 60)"));
  ExpectError(ck_proto_from_json("churnkit.v1.TrainRequest",
                                 R"({"no_such_field": 1})", &out),
              CK_INVALID_ARGUMENT, "ck_proto_from_json", "argument 'json'");
  ExpectError(ck_proto_from_json("churnkit.v1.TrainRequest", "{", &out),
              CK_INVALID_ARGUMENT, "ck_proto_from_json", "argument 'json'");
  EXPECT_EQ(out, nullptr);
  ExpectNullArgument(
      ck_proto_from_json("churnkit.v1.TrainRequest", "{}", nullptr),
      "ck_proto_from_json", "out");
}

TEST(CApiJobs, ProtoFromTextNamesTheProblem) {
  constexpr char kFn[] = "ck_proto_from_text";
  ck_buffer_t* out = Poison<ck_buffer_t>();
  ExpectNullArgument(ck_proto_from_text(nullptr, "", &out), kFn,
                     "message_name");
  EXPECT_EQ(out, nullptr);
  ExpectNullArgument(
      ck_proto_from_text("churnkit.v1.TrainRequest", "", nullptr), kFn, "out");
  ExpectError(ck_proto_from_text("google.protobuf.Any", "", &out),
              CK_INVALID_ARGUMENT, kFn, "is not a churnkit.v1 message");
  ExpectError(ck_proto_from_text("churnkit.v1.NoSuch", "", &out),
              CK_INVALID_ARGUMENT, kFn, "is not a churnkit.v1 message");
  ExpectError(
      ck_proto_from_text("churnkit.v1.TrainRequest", "horizon: 3", &out),
      CK_INVALID_ARGUMENT, kFn, "argument 'text'");
  // NULL and "" are the empty message, and the bytes round-trip.
  ASSERT_CK_OK(ck_proto_from_text("churnkit.v1.TrainRequest", nullptr, &out));
  EXPECT_EQ(ck_buffer_size(out), 0u);
  ck_buffer_free(out);
  ASSERT_CK_OK(ck_proto_from_text("churnkit.v1.WindowsRequest",
                                  R"(as_of: "2024-06-01" by: "tier")", &out));
  BufferPtr bytes(out);
  std::unique_ptr<pb::Message> m =
      Decode("churnkit.v1.WindowsRequest", bytes.get());
  EXPECT_EQ(StringField(*m, "by"), "tier");
}

}  // namespace
