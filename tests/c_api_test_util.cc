// tests/c_api_test_util.cc: the bodies of tests/c_api_test_util.h.
#include "c_api_test_util.h"

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <system_error>

#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/delimited_message_util.h"
#include "test_paths.h"

namespace churnkit::capi_test {
namespace {

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

}  // namespace

// ---- Status assertions ----------------------------------------------------

::testing::AssertionResult IsStatus(ck_status expected, ck_status actual) {
  if (actual == expected) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "expected " << ck_status_name(expected) << ", got "
         << ck_status_name(actual) << " (" << ck_last_error() << ")";
}

void ExpectError(ck_status actual, ck_status expected,
                 std::string_view function, std::string_view fragment) {
  EXPECT_TRUE(IsStatus(expected, actual));
  const std::string message = ck_last_error();
  EXPECT_EQ(message.rfind(std::string(function) + ": ", 0), 0u)
      << "message does not start with the function name: " << message;
  EXPECT_NE(message.find(fragment), std::string::npos)
      << "'" << fragment << "' not in: " << message;
}

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

// ---- The schema, read at run time ----------------------------------------

std::unique_ptr<pb::Message> FromText(const std::string& type,
                                      const std::string& text) {
  std::unique_ptr<pb::Message> m = Schema::Get().New(type);
  if (m != nullptr && !pb::TextFormat::ParseFromString(text, m.get())) {
    ADD_FAILURE() << "bad " << type << " text: " << text;
  }
  return m;
}

std::string Bytes(const std::string& type, const std::string& text) {
  return FromText("churnkit.v1." + type, text)->SerializeAsString();
}

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

// ---- Field readers ----------------------------------------------------------

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

double ReflectDouble(const pb::Message& m, const std::string& name) {
  const pb::FieldDescriptor* f = m.GetDescriptor()->FindFieldByName(name);
  EXPECT_NE(f, nullptr) << name;
  return f == nullptr ? NAN : m.GetReflection()->GetDouble(m, f);
}

// ---- Fixtures ---------------------------------------------------------------

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

DatasetPtr ExampleData() {
  return Load("paths: \"" + churnkit::testing::SourceDir() +
              "/examples/data\"");
}

TempDir::TempDir() {
  std::string pattern =
      (fs::path(::testing::TempDir()) / "ck_c_api_XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    ADD_FAILURE() << "mkdtemp failed for " << pattern;
  }
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  fs::remove_all(path_, ignored);
}

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

std::string CsvOptions(const std::string& dir, const char* policy) {
  return "format: CSV paths: \"" + dir + "\" validation { policy: " + policy +
         " }";
}

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

}  // namespace churnkit::capi_test
