// Tests of the C ABI's assessor and assessment (ck_assessor_*,
// ck_assessment_*), with the rules alone and with a churn model.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "c_api_test_util.h"
#include "churnkit/c_api.h"
#include "churnkit/c_api_experimental.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "gtest/gtest.h"

namespace churnkit::capi_test {
namespace {

// ---- Assessor and assessment ----------------------------------------------

std::string_view View(const ck_buffer_t* b) {
  return {static_cast<const char*>(ck_buffer_data(b)), ck_buffer_size(b)};
}

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

// ---- One customer at a time ------------------------------------------------

TEST(CApiAssess, OneCustomerWithNewEventsComesOutAsInTheRun) {
  DatasetPtr ds = ExampleData();
  ck_assessor_t* a = nullptr;
  ASSERT_CK_OK(ck_assessor_create(nullptr, 0, &a));
  AssessorPtr assessor(a);
  const int64_t as_of = 1719792000;  // 2024-07-01
  ck_assessment_t* raw = nullptr;
  ASSERT_CK_OK(
      ck_assessor_assess(assessor.get(), ds.get(), as_of, nullptr, 0, &raw));
  AssessmentPtr run(raw);
  const char* id = nullptr;
  double score = 0;
  int colour = 0;
  ASSERT_CK_OK(ck_assessment_customer(run.get(), 0, &id, &score, &colour,
                                      nullptr, nullptr));
  const std::string update =
      "customer_id: '" + std::string(id) + "' as_of: '2024-07-01'";
  ck_buffer_t* out = nullptr;
  ASSERT_CK_OK(ck_assessor_assess_customer(
      assessor.get(), ds.get(), MSG("CustomerUpdate", update), nullptr, &out));
  BufferPtr same(out);
  std::unique_ptr<pb::Message> decoded =
      Decode("churnkit.v1.CustomerUpdateResult", same.get());
  const pb::Message& one = Sub(*decoded, "assessment");
  EXPECT_EQ(StringField(one, "customer_id"), id);
  EXPECT_EQ(one.GetReflection()->GetDouble(one, FieldOf(one, "score")), score);
  EXPECT_EQ(one.GetReflection()->GetEnumValue(one, FieldOf(one, "colour")),
            colour);

  // A complaint ticket the day before: a new alert, or at least a change.
  ASSERT_CK_OK(ck_assessor_assess_customer(
      assessor.get(), ds.get(),
      MSG("CustomerUpdate",
          update + " events { kind: TICKET time { seconds: 1719705600 } "
                   "complaint: true } previous_score: 50"),
      nullptr, &out));
  BufferPtr changed(out);
  decoded = Decode("churnkit.v1.CustomerUpdateResult", changed.get());
  EXPECT_NE(View(changed.get()), View(same.get()));
  const pb::Message& after = Sub(*decoded, "assessment");
  const double change =
      after.GetReflection()->GetDouble(after, FieldOf(after, "score_change"));
  EXPECT_EQ(
      change,
      after.GetReflection()->GetDouble(after, FieldOf(after, "score")) - 50);

  out = Poison<ck_buffer_t>();
  ExpectError(
      ck_assessor_assess_customer(
          assessor.get(), ds.get(),
          MSG("CustomerUpdate", "customer_id: 'nobody' as_of: '2024-07-01'"),
          nullptr, &out),
      CK_NOT_FOUND, "ck_assessor_assess_customer", "'nobody'");
  EXPECT_EQ(out, nullptr);
  ExpectError(ck_assessor_assess_customer(
                  assessor.get(), ds.get(),
                  MSG("CustomerUpdate", update + " events { time { seconds: "
                                                 "1719705600 } }"),
                  nullptr, &out),
              CK_INVALID_ARGUMENT, "ck_assessor_assess_customer",
              "added event:1: kind: event kind is missing");
  ExpectError(ck_assessor_assess_customer(
                  assessor.get(), ds.get(),
                  MSG("CustomerUpdate", "customer_id: 'x'"), nullptr, &out),
              CK_INVALID_ARGUMENT, "ck_assessor_assess_customer",
              "update.as_of: required");
  ExpectError(ck_assessor_assess_customer(assessor.get(), ds.get(), kGarbage, 3,
                                          nullptr, &out),
              CK_INVALID_ARGUMENT, "ck_assessor_assess_customer", "update");
  ExpectNullArgument(
      ck_assessor_assess_customer(nullptr, ds.get(),
                                  MSG("CustomerUpdate", update), nullptr, &out),
      "ck_assessor_assess_customer", "assessor");
  ExpectNullArgument(
      ck_assessor_assess_customer(assessor.get(), nullptr,
                                  MSG("CustomerUpdate", update), nullptr, &out),
      "ck_assessor_assess_customer", "dataset");
  ExpectNullArgument(ck_assessor_assess_customer(assessor.get(), ds.get(),
                                                 MSG("CustomerUpdate", update),
                                                 nullptr, nullptr),
                     "ck_assessor_assess_customer", "out");
}

// ---- Assessments over partitions
// ---------------------------------------------

// The serialized field `path` of a serialized AssessResponse.
std::string ResponseField(const ck_buffer_t* response, const char* path) {
  ck_buffer_t* raw = nullptr;
  EXPECT_CK_OK(ck_proto_get("churnkit.v1.AssessResponse",
                            ck_buffer_data(response), ck_buffer_size(response),
                            path, &raw));
  BufferPtr field(raw);
  return std::string(View(field.get()));
}

TEST(CApiAssessPartitions, TheStepsOverPartitionsGiveTheWholeRun) {
  DatasetPtr ds = ExampleData();
  DatasetPtr empty = FromRecords("", CK_POLICY_STRICT);
  ASSERT_NE(ds, nullptr);
  ASSERT_NE(empty, nullptr);
  const std::string request =
      Bytes("AssessRequest",
            R"(as_of: "2024-07-01" config { red_share: 0.25
               alerts { tasks_per_owner_per_week: 1 } })");
  ck_buffer_t* raw = nullptr;
  ASSERT_CK_OK(ck_job_assess(ds.get(), request.data(), request.size(), &raw));
  BufferPtr whole(raw);

  // Two partitions: the example export and an empty one.
  const ck_dataset_t* sets[2] = {empty.get(), ds.get()};
  BufferPtr totals[2];
  for (int i = 0; i < 2; ++i) {
    ASSERT_CK_OK(
        ck_assess_totals(sets[i], request.data(), request.size(), &raw));
    totals[i].reset(raw);
  }
  const void* totals_data[2] = {ck_buffer_data(totals[0].get()),
                                ck_buffer_data(totals[1].get())};
  const size_t totals_sizes[2] = {ck_buffer_size(totals[0].get()),
                                  ck_buffer_size(totals[1].get())};
  ASSERT_CK_OK(ck_assess_cutoffs(request.data(), request.size(), totals_data,
                                 totals_sizes, 2, &raw));
  BufferPtr cutoffs(raw);
  BufferPtr candidates[2];
  for (int i = 0; i < 2; ++i) {
    ASSERT_CK_OK(ck_assess_candidates(sets[i], request.data(), request.size(),
                                      ck_buffer_data(cutoffs.get()),
                                      ck_buffer_size(cutoffs.get()), &raw));
    candidates[i].reset(raw);
  }
  const void* candidates_data[2] = {ck_buffer_data(candidates[0].get()),
                                    ck_buffer_data(candidates[1].get())};
  const size_t candidates_sizes[2] = {ck_buffer_size(candidates[0].get()),
                                      ck_buffer_size(candidates[1].get())};
  ck_buffer_t* plans_raw[2] = {nullptr, nullptr};
  ASSERT_CK_OK(ck_assess_route(request.data(), request.size(), candidates_data,
                               candidates_sizes, 2, plans_raw));
  BufferPtr plans[2] = {BufferPtr(plans_raw[0]), BufferPtr(plans_raw[1])};
  BufferPtr parts[2];
  std::string summaries[2];
  for (int i = 0; i < 2; ++i) {
    ASSERT_CK_OK(ck_assess_partition(sets[i], request.data(), request.size(),
                                     ck_buffer_data(plans[i].get()),
                                     ck_buffer_size(plans[i].get()), &raw));
    parts[i].reset(raw);
    summaries[i] = ResponseField(parts[i].get(), "assessment.alert_summary");
  }
  // The customers (all in part 1), bit for bit, and the merged summary.
  EXPECT_EQ(ResponseField(parts[1].get(), "assessment"),
            ResponseField(whole.get(), "assessment"));
  const void* summary_data[2] = {summaries[0].data(), summaries[1].data()};
  const size_t summary_sizes[2] = {summaries[0].size(), summaries[1].size()};
  ASSERT_CK_OK(ck_assess_merge_summaries(summary_data, summary_sizes, 2, &raw));
  BufferPtr merged(raw);
  EXPECT_EQ(View(merged.get()),
            ResponseField(whole.get(), "assessment.alert_summary"));
  EXPECT_GT(Int64Field(*Decode("churnkit.v1.AlertSummary", merged.get()),
                       "routed_to_automated_care"),
            0);
}

TEST(CApiAssessPartitions, RejectsNullGarbageAndMismatchedArguments) {
  DatasetPtr ds = ExampleData();
  ASSERT_NE(ds, nullptr);
  const void* garbage[2] = {kGarbage, kGarbage};
  const size_t garbage_sizes[2] = {3, 3};
  const std::string request = Bytes("AssessRequest", R"(as_of: "2024-07-01")");
  const void* q = request.data();
  const size_t qn = request.size();
  ck_buffer_t* out = Poison<ck_buffer_t>();

  constexpr char kTotals[] = "ck_assess_totals";
  ExpectNullArgument(ck_assess_totals(ds.get(), q, qn, nullptr), kTotals,
                     "out");
  ExpectNullArgument(ck_assess_totals(nullptr, q, qn, &out), kTotals,
                     "dataset");
  EXPECT_EQ(out, nullptr);
  ExpectNullArgument(ck_assess_totals(ds.get(), nullptr, 4, &out), kTotals,
                     "request");
  ExpectError(ck_assess_totals(ds.get(), kGarbage, 3, &out),
              CK_INVALID_ARGUMENT, kTotals, "request");
  ExpectError(ck_assess_totals(ds.get(), nullptr, 0, &out), CK_INVALID_ARGUMENT,
              kTotals, "as_of: required");
  ExpectError(
      ck_assess_totals(
          ds.get(),
          MSG("AssessRequest", R"(as_of: "2024-07-01" backtest_days: 30)"),
          &out),
      CK_INVALID_ARGUMENT, kTotals, "backtest_days: must be 0 over partitions");

  constexpr char kCutoffs[] = "ck_assess_cutoffs";
  ExpectNullArgument(ck_assess_cutoffs(q, qn, nullptr, nullptr, 0, nullptr),
                     kCutoffs, "out");
  ExpectNullArgument(ck_assess_cutoffs(q, qn, nullptr, garbage_sizes, 1, &out),
                     kCutoffs, "totals");
  ExpectNullArgument(ck_assess_cutoffs(q, qn, garbage, nullptr, 1, &out),
                     kCutoffs, "totals_sizes");
  ExpectError(ck_assess_cutoffs(q, qn, garbage, garbage_sizes, 2, &out),
              CK_INVALID_ARGUMENT, kCutoffs, "totals[0]");
  ExpectError(ck_assess_cutoffs(q, qn, garbage, garbage_sizes, SIZE_MAX, &out),
              CK_INVALID_ARGUMENT, kCutoffs, "num_totals");
  // No totals: no customer, the scorecard's cut-offs.
  ASSERT_CK_OK(ck_assess_cutoffs(q, qn, nullptr, nullptr, 0, &out));
  ck_buffer_free(out);
  out = nullptr;
  const std::string mismatched =
      Bytes("HealthTotals", "totals: 1 totals: 2 counts: 1");
  const void* mismatched_data[1] = {mismatched.data()};
  const size_t mismatched_size[1] = {mismatched.size()};
  ExpectError(
      ck_assess_cutoffs(q, qn, mismatched_data, mismatched_size, 1, &out),
      CK_INVALID_ARGUMENT, kCutoffs, "totals[0]: 2 totals but 1 counts");
  EXPECT_EQ(out, nullptr);

  constexpr char kCandidates[] = "ck_assess_candidates";
  ExpectNullArgument(ck_assess_candidates(ds.get(), q, qn, nullptr, 0, nullptr),
                     kCandidates, "out");
  ExpectNullArgument(ck_assess_candidates(nullptr, q, qn, nullptr, 0, &out),
                     kCandidates, "dataset");
  ExpectNullArgument(ck_assess_candidates(ds.get(), q, qn, nullptr, 2, &out),
                     kCandidates, "cutoffs");
  ExpectError(ck_assess_candidates(ds.get(), q, qn, kGarbage, 3, &out),
              CK_INVALID_ARGUMENT, kCandidates, "cutoffs");
  ExpectError(ck_assess_candidates(
                  ds.get(),
                  MSG("AssessRequest",
                      R"(as_of: "2024-07-01" config { red_share: 0.1 })"),
                  nullptr, 0, &out),
              CK_INVALID_ARGUMENT, kCandidates,
              "cutoffs: required with config.red_share");
  EXPECT_EQ(out, nullptr);

  constexpr char kRoute[] = "ck_assess_route";
  ck_buffer_t* plans[2] = {Poison<ck_buffer_t>(), Poison<ck_buffer_t>()};
  ExpectNullArgument(ck_assess_route(q, qn, garbage, garbage_sizes, 2, nullptr),
                     kRoute, "plans");
  ExpectError(ck_assess_route(q, qn, nullptr, nullptr, 0, plans),
              CK_INVALID_ARGUMENT, kRoute, "candidates: none given");
  ExpectNullArgument(ck_assess_route(q, qn, nullptr, garbage_sizes, 2, plans),
                     kRoute, "candidates");
  ExpectError(ck_assess_route(q, qn, garbage, garbage_sizes, 2, plans),
              CK_INVALID_ARGUMENT, kRoute, "candidates[0]");
  EXPECT_EQ(plans[0], nullptr);
  EXPECT_EQ(plans[1], nullptr);
  ExpectError(ck_assess_route(q, qn, garbage, garbage_sizes, SIZE_MAX, plans),
              CK_INVALID_ARGUMENT, kRoute, "num_candidates");
  ck_buffer_t* raw = nullptr;
  ASSERT_CK_OK(ck_assess_candidates(ds.get(), q, qn, nullptr, 0, &raw));
  BufferPtr candidates(raw);
  const void* twice[2] = {ck_buffer_data(candidates.get()),
                          ck_buffer_data(candidates.get())};
  const size_t twice_sizes[2] = {ck_buffer_size(candidates.get()),
                                 ck_buffer_size(candidates.get())};
  ExpectError(ck_assess_route(q, qn, twice, twice_sizes, 2, plans),
              CK_INVALID_ARGUMENT, kRoute, "is in candidates[0] too");

  constexpr char kPartition[] = "ck_assess_partition";
  ExpectNullArgument(ck_assess_partition(ds.get(), q, qn, nullptr, 0, nullptr),
                     kPartition, "out");
  ExpectNullArgument(ck_assess_partition(nullptr, q, qn, nullptr, 0, &out),
                     kPartition, "dataset");
  ExpectNullArgument(ck_assess_partition(ds.get(), q, qn, nullptr, 1, &out),
                     kPartition, "plan");
  ExpectError(ck_assess_partition(ds.get(), q, qn, kGarbage, 3, &out),
              CK_INVALID_ARGUMENT, kPartition, "plan");
  // No plan, or another partition's (the empty one's).
  ExpectError(ck_assess_partition(ds.get(), q, qn, nullptr, 0, &out),
              CK_INVALID_ARGUMENT, kPartition,
              "plan: routes 0 other candidates");
  EXPECT_EQ(out, nullptr);

  constexpr char kMerge[] = "ck_assess_merge_summaries";
  ExpectNullArgument(
      ck_assess_merge_summaries(garbage, garbage_sizes, 2, nullptr), kMerge,
      "out");
  ExpectError(ck_assess_merge_summaries(nullptr, nullptr, 0, &out),
              CK_INVALID_ARGUMENT, kMerge, "summaries: none given");
  ExpectNullArgument(ck_assess_merge_summaries(garbage, nullptr, 2, &out),
                     kMerge, "summary_sizes");
  ExpectError(ck_assess_merge_summaries(garbage, garbage_sizes, 2, &out),
              CK_INVALID_ARGUMENT, kMerge, "summaries[0]");
  ExpectError(ck_assess_merge_summaries(garbage, garbage_sizes, SIZE_MAX, &out),
              CK_INVALID_ARGUMENT, kMerge, "num_summaries");
  const std::string negative = Bytes("AlertSummary", "alerts: -1");
  const void* negative_data[1] = {negative.data()};
  const size_t negative_size[1] = {negative.size()};
  ExpectError(ck_assess_merge_summaries(negative_data, negative_size, 1, &out),
              CK_INVALID_ARGUMENT, kMerge, "summaries[0].alerts: negative");
  EXPECT_EQ(out, nullptr);
}

}  // namespace
}  // namespace churnkit::capi_test
