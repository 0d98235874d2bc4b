// Tests of the C ABI's hardening (issue 18): sizes, symlinks, UTF-8 errors,
// extreme counts and bytes of the wrong message.
#include <climits>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>

#include "c_api_test_util.h"
#include "churnkit/c_api.h"
#include "gtest/gtest.h"

namespace churnkit::capi_test {
namespace {

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

}  // namespace
}  // namespace churnkit::capi_test
