// tests/c_api_test_util.h: what the C ABI tests (tests/c_api_*_test.cc, one
// binary c_api_test) share: status assertions, handle deleters, the
// churnkit.v1 schema read at run time, field readers and fixtures.
//
// The binary links only the C ABI, as a host would. churnkit.v1 messages
// are built and decoded with DynamicMessage over the schema's descriptors
// (a FileDescriptorSet that protoc writes at build time): linking the
// generated code here as well would register the schema twice in
// libprotobuf, which aborts.
#ifndef CHURNKIT_TESTS_C_API_TEST_UTIL_H_
#define CHURNKIT_TESTS_C_API_TEST_UTIL_H_

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "churnkit/c_api.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "gtest/gtest.h"

namespace churnkit::capi_test {

namespace fs = std::filesystem;
namespace pb = google::protobuf;

// ---- Status assertions ----------------------------------------------------

::testing::AssertionResult IsStatus(ck_status expected, ck_status actual);

#define EXPECT_CK_OK(expr) \
  EXPECT_TRUE(::churnkit::capi_test::IsStatus(CK_OK, (expr)))
#define ASSERT_CK_OK(expr) \
  ASSERT_TRUE(::churnkit::capi_test::IsStatus(CK_OK, (expr)))

// Checks a failed call: its code, and a message that names the function and
// contains `fragment`.
void ExpectError(ck_status actual, ck_status expected,
                 std::string_view function, std::string_view fragment);

// The message of a NULL argument, as the header's conventions promise.
std::string NullMessage(std::string_view function, std::string_view arg);

void ExpectNullArgument(ck_status actual, std::string_view function,
                        std::string_view arg);

// ---- Handles ---------------------------------------------------------------

struct DatasetFree {
  void operator()(ck_dataset_t* d) const { ck_dataset_free(d); }
};
struct BufferFree {
  void operator()(ck_buffer_t* b) const { ck_buffer_free(b); }
};
struct FeaturesFree {
  void operator()(ck_features_t* f) const { ck_features_free(f); }
};
struct MatrixFree {
  void operator()(ck_matrix_t* m) const { ck_matrix_free(m); }
};
struct AssessorFree {
  void operator()(ck_assessor_t* a) const { ck_assessor_free(a); }
};
struct AssessmentFree {
  void operator()(ck_assessment_t* a) const { ck_assessment_free(a); }
};
struct ModelFree {
  void operator()(ck_model_t* m) const { ck_model_free(m); }
};
using DatasetPtr = std::unique_ptr<ck_dataset_t, DatasetFree>;
using BufferPtr = std::unique_ptr<ck_buffer_t, BufferFree>;
using FeaturesPtr = std::unique_ptr<ck_features_t, FeaturesFree>;
using MatrixPtr = std::unique_ptr<ck_matrix_t, MatrixFree>;
using AssessorPtr = std::unique_ptr<ck_assessor_t, AssessorFree>;
using AssessmentPtr = std::unique_ptr<ck_assessment_t, AssessmentFree>;
using ModelPtr = std::unique_ptr<ck_model_t, ModelFree>;

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

std::ostream& operator<<(std::ostream& os, const Counts& c);

Counts CountsOf(const ck_dataset_t* ds);

// ---- The schema, read at run time ----------------------------------------

// A new churnkit.v1 message of `type` (e.g. "churnkit.v1.Record") given in
// text format, built from the descriptor set.
std::unique_ptr<pb::Message> FromText(const std::string& type,
                                      const std::string& text);

// The serialized churnkit.v1.`type` given in text format.
std::string Bytes(const std::string& type, const std::string& text);
// Those bytes as the (data, size) arguments the C ABI takes options in; the
// two temporaries live until the call returns.
#define MSG(type, text)                            \
  ::churnkit::capi_test::Bytes(type, text).data(), \
      ::churnkit::capi_test::Bytes(type, text).size()
// Bytes that are no protobuf message (a truncated varint).
inline constexpr char kGarbage[] = "\xff\xff\xff";

// Length-delimited churnkit.v1.Record stream (the PB file format) of the
// records given in text format.
std::string RecordStream(const std::vector<std::string>& records);

// The buffer decoded as a churnkit.v1 message of `type`.
std::unique_ptr<pb::Message> Decode(const std::string& type,
                                    const ck_buffer_t* buffer);

// ---- Field readers (reflection shorthands for decoded messages) ------------

int64_t Int64Field(const pb::Message& m, const std::string& name);
std::string StringField(const pb::Message& m, const std::string& name);
// A map<string, int64> field as a std::map.
std::map<std::string, int64_t> CountMap(const pb::Message& m,
                                        const std::string& name);

const pb::FieldDescriptor* FieldOf(const pb::Message& m,
                                   const std::string& name);
const pb::Message& Sub(const pb::Message& m, const std::string& name);
const pb::Message& Item(const pb::Message& m, const std::string& name, int i);
int Size(const pb::Message& m, const std::string& name);
double DoubleField(const pb::Message& m, const std::string& name);
bool Has(const pb::Message& m, const std::string& name);
// A double field, NAN (and a failure) when the message has no such field.
double ReflectDouble(const pb::Message& m, const std::string& name);

// ---- Fixtures ---------------------------------------------------------------

// 2024-01-01, -02-01, -03-01, -03-05, -04-01, 2025-01-01 at 00:00 UTC.
inline constexpr char kJan[] = "{ seconds: 1704067200 }";
inline constexpr char kFeb[] = "{ seconds: 1706745600 }";
inline constexpr char kMar[] = "{ seconds: 1709251200 }";
inline constexpr char kMar5[] = "{ seconds: 1709596800 }";
inline constexpr char kApr[] = "{ seconds: 1711929600 }";
inline constexpr char kNextJan[] = "{ seconds: 1735689600 }";

inline std::string At(const char* time) { return std::string(" time ") + time; }

DatasetPtr FromRecords(const std::string& bytes, int policy);

DatasetPtr Load(const std::string& textproto);

// examples/data of the source tree, loaded with the default options.
DatasetPtr ExampleData();

// A fresh directory removed at the end of the test.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string operator/(const std::string& name) const {
    return (path_ / name).string();
  }

 private:
  fs::path path_;
};

void WriteFile(const std::string& path, const std::string& text);

std::string ReadFile(const std::string& path);

std::string CsvOptions(const std::string& dir, const char* policy);

// A small labelled matrix: two informative columns, not separable.
struct Matrix {
  std::vector<double> x;
  std::vector<uint8_t> y;
  std::vector<const char*> names = {"logins_30d", "tickets_90d"};
  size_t rows = 0;
};

Matrix Training();

}  // namespace churnkit::capi_test

#endif  // CHURNKIT_TESTS_C_API_TEST_UTIL_H_
