// Tests of the C ABI's assessor and assessment (ck_assessor_*,
// ck_assessment_*), with the rules alone and with a churn model.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "c_api_test_util.h"
#include "churnkit/c_api.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "gtest/gtest.h"

namespace churnkit::capi_test {
namespace {

// ---- Assessor and assessment ----------------------------------------------

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

// ---- The model in the assessment ------------------------------------------

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

}  // namespace
}  // namespace churnkit::capi_test
