// Tests of the C ABI's analytics: churn reports, A/B tests and plain-number
// statistics, observation windows, the generator, segmentation and customer
// lifetime value.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "c_api_test_util.h"
#include "churnkit/c_api.h"
#include "churnkit/c_api_experimental.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "gtest/gtest.h"
#include "test_paths.h"

namespace churnkit::capi_test {
namespace {

// ---- Reports
// ------------------------------------------------------------------------

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

// ---- Reports over partitions ------------------------------------------------

std::string_view View(const ck_buffer_t* b) {
  return {static_cast<const char*>(ck_buffer_data(b)), ck_buffer_size(b)};
}

TEST(CApiReportSummaries, ExtentResolveSummarizeMergeRenderIsTheReport) {
  DatasetPtr ds = ExampleData();
  DatasetPtr empty = FromRecords("", CK_POLICY_STRICT);
  ASSERT_NE(ds, nullptr);
  ASSERT_NE(empty, nullptr);
  constexpr char kRequest[] =
      R"(breakdowns: "tier" trend {} cohorts { group_by: "tier" }
         survival { group_by: "tier" })";
  ck_buffer_t* raw = nullptr;
  ASSERT_CK_OK(ck_report_churn(ds.get(), MSG("ReportRequest", kRequest), &raw));
  BufferPtr expected(raw);

  // Two parts: the example export and an empty one.
  ck_buffer_t* extent_raw[2] = {nullptr, nullptr};
  ASSERT_CK_OK(ck_report_extent(ds.get(), &extent_raw[0]));
  ASSERT_CK_OK(ck_report_extent(empty.get(), &extent_raw[1]));
  BufferPtr extent0(extent_raw[0]), extent1(extent_raw[1]);
  const void* extents[2] = {ck_buffer_data(extent0.get()),
                            ck_buffer_data(extent1.get())};
  const size_t extent_sizes[2] = {ck_buffer_size(extent0.get()),
                                  ck_buffer_size(extent1.get())};
  ASSERT_CK_OK(ck_report_resolve(MSG("ReportRequest", kRequest), extents,
                                 extent_sizes, 2, &raw));
  BufferPtr resolved(raw);
  EXPECT_EQ(StringField(*Decode("churnkit.v1.ReportRequest", resolved.get()),
                        "revenue_source"),
            "annual_value");
  BufferPtr parts[2];
  const ck_dataset_t* sets[2] = {empty.get(), ds.get()};
  for (int i = 0; i < 2; ++i) {
    ASSERT_CK_OK(ck_report_summarize(sets[i], ck_buffer_data(resolved.get()),
                                     ck_buffer_size(resolved.get()), &raw));
    parts[i].reset(raw);
  }
  const void* summaries[2] = {ck_buffer_data(parts[0].get()),
                              ck_buffer_data(parts[1].get())};
  const size_t sizes[2] = {ck_buffer_size(parts[0].get()),
                           ck_buffer_size(parts[1].get())};
  ASSERT_CK_OK(ck_report_merge(summaries, sizes, 2, &raw));
  BufferPtr merged(raw);
  ASSERT_CK_OK(ck_report_render(ck_buffer_data(merged.get()),
                                ck_buffer_size(merged.get()), &raw));
  BufferPtr report(raw);
  EXPECT_EQ(View(report.get()), View(expected.get()));
}

TEST(CApiReportSummaries, RejectsNullEmptyAndGarbageBytes) {
  DatasetPtr ds = ExampleData();
  ASSERT_NE(ds, nullptr);
  constexpr char kGarbage[] = "\xff\xff\xff";
  const void* garbage[2] = {kGarbage, kGarbage};
  const size_t garbage_sizes[2] = {3, 3};
  ck_buffer_t* out = Poison<ck_buffer_t>();

  ExpectNullArgument(ck_report_extent(nullptr, &out), "ck_report_extent",
                     "dataset");
  EXPECT_EQ(out, nullptr);
  ExpectNullArgument(ck_report_extent(ds.get(), nullptr), "ck_report_extent",
                     "out");

  constexpr char kResolve[] = "ck_report_resolve";
  ExpectNullArgument(
      ck_report_resolve(nullptr, 0, nullptr, nullptr, 0, nullptr), kResolve,
      "out");
  ExpectNullArgument(ck_report_resolve(nullptr, 4, nullptr, nullptr, 0, &out),
                     kResolve, "request");
  ExpectNullArgument(
      ck_report_resolve(nullptr, 0, nullptr, garbage_sizes, 1, &out), kResolve,
      "extents");
  ExpectNullArgument(ck_report_resolve(nullptr, 0, garbage, nullptr, 1, &out),
                     kResolve, "extent_sizes");
  ExpectError(ck_report_resolve(nullptr, 0, garbage, garbage_sizes, 2, &out),
              CK_INVALID_ARGUMENT, kResolve, "extents[0]");
  EXPECT_EQ(out, nullptr);
  ExpectError(ck_report_resolve(kGarbage, 3, nullptr, nullptr, 0, &out),
              CK_INVALID_ARGUMENT, kResolve, "request");
  ExpectError(ck_report_resolve(MSG("ReportRequest", R"(revenue_source: "x")"),
                                nullptr, nullptr, 0, &out),
              CK_INVALID_ARGUMENT, kResolve, "revenue_source: unknown source");
  // No extents: an empty data set (the request stays undated).
  ASSERT_CK_OK(ck_report_resolve(nullptr, 0, nullptr, nullptr, 0, &out));
  ck_buffer_free(out);

  constexpr char kSummarize[] = "ck_report_summarize";
  out = Poison<ck_buffer_t>();
  ExpectNullArgument(ck_report_summarize(nullptr, nullptr, 0, &out), kSummarize,
                     "dataset");
  EXPECT_EQ(out, nullptr);
  ExpectNullArgument(ck_report_summarize(ds.get(), nullptr, 0, nullptr),
                     kSummarize, "out");
  ExpectNullArgument(ck_report_summarize(ds.get(), nullptr, 2, &out),
                     kSummarize, "request");
  ExpectError(ck_report_summarize(ds.get(), kGarbage, 3, &out),
              CK_INVALID_ARGUMENT, kSummarize, "request");
  ExpectError(ck_report_summarize(
                  ds.get(), MSG("ReportRequest", R"(breakdowns: "x")"), &out),
              CK_INVALID_ARGUMENT, kSummarize, "breakdowns[0]: unknown");

  constexpr char kMerge[] = "ck_report_merge";
  ExpectNullArgument(ck_report_merge(garbage, garbage_sizes, 2, nullptr),
                     kMerge, "out");
  ExpectError(ck_report_merge(nullptr, nullptr, 0, &out), CK_INVALID_ARGUMENT,
              kMerge, "summaries: none given");
  ExpectNullArgument(ck_report_merge(nullptr, garbage_sizes, 2, &out), kMerge,
                     "summaries");
  ExpectNullArgument(ck_report_merge(garbage, nullptr, 2, &out), kMerge,
                     "summary_sizes");
  ExpectError(ck_report_merge(garbage, garbage_sizes, 2, &out),
              CK_INVALID_ARGUMENT, kMerge, "summaries[0]");
  ExpectError(ck_report_merge(garbage, garbage_sizes, SIZE_MAX, &out),
              CK_INVALID_ARGUMENT, kMerge, "num_summaries");
  EXPECT_EQ(out, nullptr);

  constexpr char kRender[] = "ck_report_render";
  ExpectNullArgument(ck_report_render(nullptr, 0, nullptr), kRender, "out");
  ExpectNullArgument(ck_report_render(nullptr, 5, &out), kRender, "summary");
  ExpectError(ck_report_render(kGarbage, 3, &out), CK_INVALID_ARGUMENT, kRender,
              "summary");
  EXPECT_EQ(out, nullptr);
  // No bytes: the empty summary, whose report is empty.
  ASSERT_CK_OK(ck_report_render(nullptr, 0, &out));
  ck_buffer_free(out);
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

// ---- Fits over partitions and value tiers --------------------------------

// Summaries of `n` made-up customers as RfmSummaries text and as arrays;
// customers i % parts == k form part k.
struct SplitSummaries {
  std::vector<std::string> part_text;
  std::string whole_text;
  std::vector<double> x, tx, t, m;
};

SplitSummaries MakeSplitSummaries(int n, int parts) {
  SplitSummaries out;
  out.part_text.resize(parts);
  for (int i = 0; i < n; ++i) {
    const double x = i % 3 == 0 ? i % 7 : 0;
    const double t = 20 + i % 11, tx = x > 0 ? 1 + i % 19 % (20 + i % 11) : 0;
    const double m = x > 0 ? 10 + i % 5 : 0;
    const std::string row = "customers { customer_id: \"c" + std::to_string(i) +
                            "\" frequency: " + std::to_string(x) +
                            " recency: " + std::to_string(tx) +
                            " age: " + std::to_string(t) +
                            " monetary: " + std::to_string(m) + " } ";
    out.part_text[i % parts] += row;
    out.whole_text += row;
    out.x.push_back(x);
    out.tx.push_back(tx);
    out.t.push_back(t);
    out.m.push_back(m);
  }
  return out;
}

std::string Patterns(const std::string& summaries_text) {
  const std::string bytes = Bytes("RfmSummaries", summaries_text);
  ck_buffer_t* raw = nullptr;
  EXPECT_CK_OK(ck_clv_patterns(bytes.data(), bytes.size(), &raw));
  BufferPtr owned(raw);
  return std::string(static_cast<const char*>(ck_buffer_data(raw)),
                     ck_buffer_size(raw));
}

std::string Merge(const std::vector<std::string>& parts) {
  std::vector<const void*> data;
  std::vector<size_t> sizes;
  for (const std::string& p : parts) {
    data.push_back(p.data());
    sizes.push_back(p.size());
  }
  ck_buffer_t* raw = nullptr;
  EXPECT_CK_OK(
      ck_clv_patterns_merge(data.data(), sizes.data(), parts.size(), &raw));
  BufferPtr owned(raw);
  return std::string(static_cast<const char*>(ck_buffer_data(raw)),
                     ck_buffer_size(raw));
}

std::string BufferBytes(const ck_buffer_t* b) {
  return std::string(static_cast<const char*>(ck_buffer_data(b)),
                     ck_buffer_size(b));
}

TEST(CApiClv, PartitionPatternsMergeAndFitAsTheWhole) {
  const SplitSummaries d = MakeSplitSummaries(300, 3);
  const std::string whole = Patterns(d.whole_text);
  std::vector<std::string> parts;
  for (const std::string& text : d.part_text) parts.push_back(Patterns(text));
  EXPECT_EQ(Merge(parts), whole);
  EXPECT_EQ(Merge({parts[2], parts[0], parts[1]}), whole);
  EXPECT_EQ(Merge({Merge({parts[1], parts[2]}), parts[0]}), whole);

  // The fit of the merged patterns is ck_clv_fit's, byte for byte.
  ck_buffer_t* raw = nullptr;
  ASSERT_CK_OK(ck_clv_fit_patterns(whole.data(), whole.size(),
                                   MSG("ClvFitOptions", "penalizer_coef: 0.01"),
                                   &raw));
  BufferPtr merged_fit(raw);
  ASSERT_CK_OK(ck_clv_fit(d.x.data(), d.tx.data(), d.t.data(), d.m.data(),
                          d.x.size(),
                          MSG("ClvFitOptions", "penalizer_coef: 0.01"), &raw));
  BufferPtr single_fit(raw);
  EXPECT_EQ(BufferBytes(merged_fit.get()), BufferBytes(single_fit.get()));
}

TEST(CApiClv, PatternsRejectNullGarbageAndMismatchedParts) {
  const std::string summaries =
      Bytes("RfmSummaries",
            "customers { customer_id: \"a\" frequency: 1 recency: 5 age: 9 }");
  ck_buffer_t* raw = Poison<ck_buffer_t>();
  constexpr char kPatterns[] = "ck_clv_patterns";
  ExpectNullArgument(
      ck_clv_patterns(summaries.data(), summaries.size(), nullptr), kPatterns,
      "out");
  ExpectNullArgument(ck_clv_patterns(nullptr, 3, &raw), kPatterns, "summaries");
  EXPECT_EQ(raw, nullptr);
  ExpectError(ck_clv_patterns(kGarbage, sizeof kGarbage - 1, &raw),
              CK_INVALID_ARGUMENT, kPatterns, "argument 'summaries'");
  ExpectError(ck_clv_patterns(MSG("RfmSummaries",
                                  "customers { customer_id: \"z\" "
                                  "frequency: 1 recency: 12 age: 10 }"),
                              &raw),
              CK_INVALID_ARGUMENT, kPatterns,
              "customer 'z' (index 0): recency 12 > age 10");
  // No customers (an empty partition) give empty patterns.
  ASSERT_CK_OK(ck_clv_patterns(summaries.data(), 0, &raw));
  BufferPtr empty(raw);

  const std::string days = Patterns(
      "time_unit: CLV_DAYS customers { frequency: 1 recency: 5 age: 9 }");
  const std::string weeks = Patterns(
      "time_unit: CLV_WEEKS customers { frequency: 1 recency: 5 age: 9 }");
  const void* parts[] = {days.data(), weeks.data()};
  size_t sizes[] = {days.size(), weeks.size()};
  constexpr char kMerge[] = "ck_clv_patterns_merge";
  ExpectNullArgument(ck_clv_patterns_merge(parts, sizes, 2, nullptr), kMerge,
                     "out");
  raw = Poison<ck_buffer_t>();
  ExpectNullArgument(ck_clv_patterns_merge(nullptr, sizes, 2, &raw), kMerge,
                     "parts");
  EXPECT_EQ(raw, nullptr);
  ExpectNullArgument(ck_clv_patterns_merge(parts, nullptr, 2, &raw), kMerge,
                     "sizes");
  ExpectError(ck_clv_patterns_merge(parts, sizes, 0, &raw), CK_INVALID_ARGUMENT,
              kMerge, "argument 'count' is 0");
  ExpectError(ck_clv_patterns_merge(parts, sizes, 2, &raw), CK_INVALID_ARGUMENT,
              kMerge,
              "parts[1]: time_unit CLV_WEEKS differs from parts[0]'s CLV_DAYS");
  const void* null_part[] = {days.data(), nullptr};
  ExpectNullArgument(ck_clv_patterns_merge(null_part, sizes, 2, &raw), kMerge,
                     "parts[1]");
  const void* garbage[] = {days.data(), kGarbage};
  size_t garbage_sizes[] = {days.size(), sizeof kGarbage - 1};
  ExpectError(ck_clv_patterns_merge(garbage, garbage_sizes, 2, &raw),
              CK_INVALID_ARGUMENT, kMerge, "argument 'parts[1]'");
  const std::string negative =
      Bytes("RfmPatterns", "frequency: 1 recency: 5 age: 9 customers: -2");
  const void* bad[] = {days.data(), negative.data()};
  size_t bad_sizes[] = {days.size(), negative.size()};
  ExpectError(ck_clv_patterns_merge(bad, bad_sizes, 2, &raw),
              CK_INVALID_ARGUMENT, kMerge,
              "parts[1]: purchases[0]: customers -2 < 1");

  constexpr char kFit[] = "ck_clv_fit_patterns";
  ExpectNullArgument(
      ck_clv_fit_patterns(days.data(), days.size(), nullptr, 0, nullptr), kFit,
      "out");
  raw = Poison<ck_buffer_t>();
  ExpectNullArgument(ck_clv_fit_patterns(nullptr, 0, nullptr, 0, &raw), kFit,
                     "patterns");
  EXPECT_EQ(raw, nullptr);
  ExpectError(
      ck_clv_fit_patterns(kGarbage, sizeof kGarbage - 1, nullptr, 0, &raw),
      CK_INVALID_ARGUMENT, kFit, "argument 'patterns'");
  ExpectError(
      ck_clv_fit_patterns(negative.data(), negative.size(), nullptr, 0, &raw),
      CK_INVALID_ARGUMENT, kFit, "patterns: purchases[0]: customers");
  ExpectError(ck_clv_fit_patterns(MSG("RfmPatterns",
                                      "frequency: [2, 1] recency: [3, 3] "
                                      "age: [9, 9] customers: [1, 1]"),
                                  nullptr, 0, &raw),
              CK_INVALID_ARGUMENT, kFit, "canonical order");
  ExpectError(ck_clv_fit_patterns(days.data(), 0, nullptr, 0, &raw),
              CK_INVALID_ARGUMENT, kFit, "no customers");
  ExpectError(ck_clv_fit_patterns(days.data(), days.size(), kGarbage,
                                  sizeof kGarbage - 1, &raw),
              CK_INVALID_ARGUMENT, kFit, "argument 'options'");
  ExpectError(ck_clv_fit_patterns(MSG("RfmPatterns",
                                      "frequency: 0 recency: 0 age: 9 "
                                      "customers: 4"),
                                  nullptr, 0, &raw),
              CK_FAILED_PRECONDITION, kFit, "no customer has a repeat");
}

TEST(CApiTiers, ThresholdsOfMergedValuesPlaceEveryPartsCustomers) {
  // 50 + 30 = 80% -> A; 15 -> B; 5 and 0 -> C (segment_test's example).
  const double part1[] = {15, 50}, part2[] = {0, 5, 30};
  const double merged[] = {0, 5, 30, 15, 50};
  double a_min = -1, b_min = -1;
  ASSERT_CK_OK(ck_tier_thresholds(merged, 5, nullptr, 0, &a_min, &b_min));
  EXPECT_EQ(a_min, 30);
  EXPECT_EQ(b_min, 15);
  int tiers1[2] = {-1, -1}, tiers2[3] = {-1, -1, -1};
  ASSERT_CK_OK(ck_tier_assign(part1, 2, a_min, b_min, tiers1));
  ASSERT_CK_OK(ck_tier_assign(part2, 3, a_min, b_min, tiers2));
  EXPECT_EQ(tiers1[0], CK_TIER_B);
  EXPECT_EQ(tiers1[1], CK_TIER_A);
  EXPECT_EQ(tiers2[0], CK_TIER_C);
  EXPECT_EQ(tiers2[1], CK_TIER_C);
  EXPECT_EQ(tiers2[2], CK_TIER_A);
  // Quantiles, unset shares from the method's defaults (20% / 30%).
  ASSERT_CK_OK(ck_tier_thresholds(
      merged, 5, MSG("TierOptions", "method: QUANTILES"), &a_min, &b_min));
  EXPECT_EQ(a_min, 50);
  EXPECT_EQ(b_min, 15);
  // No values: empty tiers, infinite thresholds; nothing to assign.
  ASSERT_CK_OK(ck_tier_thresholds(nullptr, 0, nullptr, 0, &a_min, &b_min));
  EXPECT_TRUE(std::isinf(a_min) && std::isinf(b_min));
  ASSERT_CK_OK(ck_tier_assign(nullptr, 0, a_min, b_min, nullptr));

  constexpr char kThresholds[] = "ck_tier_thresholds";
  ExpectNullArgument(ck_tier_thresholds(merged, 5, nullptr, 0, nullptr, &b_min),
                     kThresholds, "a_min");
  ExpectNullArgument(ck_tier_thresholds(nullptr, 5, nullptr, 0, &a_min, &b_min),
                     kThresholds, "values");
  ExpectError(ck_tier_thresholds(merged, 5, kGarbage, sizeof kGarbage - 1,
                                 &a_min, &b_min),
              CK_INVALID_ARGUMENT, kThresholds, "argument 'options'");
  ExpectError(ck_tier_thresholds(merged, 5, MSG("TierOptions", "a_share: 1.5"),
                                 &a_min, &b_min),
              CK_INVALID_ARGUMENT, kThresholds, "tiers.a_share");
  const double bad[] = {1, NAN};
  a_min = -1;
  ExpectError(ck_tier_thresholds(bad, 2, nullptr, 0, &a_min, &b_min),
              CK_INVALID_ARGUMENT, kThresholds, "values[1]");
  EXPECT_EQ(a_min, -1);  // untouched on error

  constexpr char kAssign[] = "ck_tier_assign";
  ExpectNullArgument(ck_tier_assign(part1, 2, 30, 15, nullptr), kAssign,
                     "tiers");
  ExpectNullArgument(ck_tier_assign(nullptr, 2, 30, 15, tiers1), kAssign,
                     "values");
  ExpectError(ck_tier_assign(part1, 2, NAN, 15, tiers1), CK_INVALID_ARGUMENT,
              kAssign, "argument 'a_min' must be > 0");
  ExpectError(ck_tier_assign(part1, 2, 30, 0, tiers1), CK_INVALID_ARGUMENT,
              kAssign, "argument 'b_min' must be > 0");
  tiers1[0] = -1;
  ExpectError(ck_tier_assign(bad, 2, 30, 15, tiers1), CK_INVALID_ARGUMENT,
              kAssign, "values[1]");
  EXPECT_EQ(tiers1[0], -1);  // untouched on error
}

}  // namespace
}  // namespace churnkit::capi_test
