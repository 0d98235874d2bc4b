#include "churnkit/assess.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "churnkit/generator.h"
#include "churnkit/health.h"
#include "churnkit/io.h"
#include "churnkit/labels.h"
#include "churnkit/model.h"
#include "gmock/gmock.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "gtest/gtest.h"
#include "test_paths.h"

namespace churnkit {
namespace {

using ::testing::HasSubstr;
UnixSeconds T(absl::string_view s) { return ParseTime(s).value(); }

Dataset Example() {
  v1::LoadOptions o;
  o.add_paths(churnkit::testing::SourceDir() + "/examples/data");
  return std::move(LoadDataset(o).value().dataset);
}

TEST(Assessor, AssessesEveryCustomerWithScoresAlertsAndTasks) {
  const Dataset ds = Example();
  const Assessor assessor = Assessor::Create({}).value();
  AssessResult r = assessor.Assess(ds, T("2024-07-01")).value();
  ASSERT_EQ(r.assessment().customers_size(), 16);
  std::map<v1::Colour, int> colours;
  int alerts = 0, tasks = 0;
  for (const v1::CustomerAssessment& c : r.assessment().customers()) {
    ++colours[c.colour()];
    EXPECT_EQ(c.dimensions_size(), 5);
    double sum = 0;
    for (const v1::DimensionScore& d : c.dimensions()) sum += d.points();
    EXPECT_DOUBLE_EQ(c.score(), sum);
    EXPECT_TRUE(std::isnan(c.score_change()));
    alerts += c.alerts_size();
    tasks += c.tasks_size();
    for (const v1::Task& t : c.tasks()) {
      EXPECT_GE(t.due().seconds(), T("2024-07-01"));
      EXPECT_FALSE(t.source().empty());
    }
  }
  EXPECT_GT(alerts, 0);
  EXPECT_GT(tasks, 0);
  EXPECT_EQ(colours[v1::GREEN] + colours[v1::YELLOW] + colours[v1::RED], 16);
  EXPECT_EQ(r.features().num_rows(), 16u);
  EXPECT_GT(r.history().entries_size(), 0);
}

TEST(Assessor, HistoryCoolsDownRepeatsAndPreviousGivesTheTrend) {
  const Dataset ds = Example();
  const Assessor assessor = Assessor::Create({}).value();
  AssessResult first = assessor.Assess(ds, T("2024-07-01")).value();
  AssessOptions o;
  o.history = &first.history();
  o.previous = &first.assessment();
  AssessResult next = assessor.Assess(ds, T("2024-07-02"), o).value();
  int before = 0, after = 0;
  for (const auto& c : first.assessment().customers())
    before += c.alerts_size();
  for (const auto& c : next.assessment().customers()) after += c.alerts_size();
  EXPECT_LT(after, before);  // a day later most rules are cooling down
  for (const auto& c : next.assessment().customers()) {
    EXPECT_FALSE(std::isnan(c.score_change())) << c.customer_id();
  }
}

TEST(Assessor, SameResultForEveryThreadCount) {
  // The example, and generated data with enough alerts (> 2 x 256) that
  // routing writes them on several threads too.
  v1::GeneratorConfig config;
  config.set_customers(3000);
  config.set_seed(5);
  config.set_start_date("2024-01-01");
  config.set_end_date("2024-12-31");
  const Dataset generated = GenerateInMemory(config).value().dataset;
  const Dataset example = Example();
  const Assessor assessor = Assessor::Create({}).value();
  // Deterministic serialization: map fields in key order.
  auto bytes = [](const google::protobuf::MessageLite& m) {
    std::string out;
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    EXPECT_TRUE(m.SerializeToCodedStream(&coded));
    return out;
  };
  const std::pair<const Dataset*, UnixSeconds> cases[] = {
      {&example, T("2024-07-01")}, {&generated, T("2024-10-01")}};
  for (const auto& [ds, as_of] : cases) {
    AssessOptions one;
    one.threads = 1;
    const AssessResult serial = assessor.Assess(*ds, as_of, one).value();
    const v1::AlertSummary& alerts = serial.assessment().alert_summary();
    if (ds == &generated) {
      EXPECT_GT(alerts.alerts() + alerts.routed_to_automated_care(), 512);
    }
    for (int threads : {2, 4}) {
      AssessOptions many;
      many.threads = threads;
      const AssessResult parallel = assessor.Assess(*ds, as_of, many).value();
      EXPECT_TRUE(bytes(serial.assessment()) == bytes(parallel.assessment()))
          << "assessments differ between 1 and " << threads << " threads";
      EXPECT_TRUE(bytes(serial.history()) == bytes(parallel.history()))
          << "histories differ between 1 and " << threads << " threads";
    }
  }
}

// Deterministic serialization (map fields in key order; NaNs as bits).
std::string Bytes(const google::protobuf::MessageLite& m) {
  std::string out;
  {  // the streams trim `out` when they close
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    EXPECT_TRUE(m.SerializeToCodedStream(&coded));
  }
  return out;
}

// Messages on the heap (AssessOptions.arena false, as the jobs run it)
// are those on the arena, with and without an earlier history, and the
// result owns them (the sanitizer build checks that nothing leaks).
TEST(Assessor, SameResultOnTheHeap) {
  const Dataset ds = Example();
  const Assessor assessor = Assessor::Create({}).value();
  const AssessResult first = assessor.Assess(ds, T("2024-07-01")).value();
  for (const v1::AlertHistory* history :
       {static_cast<const v1::AlertHistory*>(nullptr), &first.history()}) {
    AssessOptions on_arena, on_heap;
    on_arena.history = on_heap.history = history;
    on_heap.arena = false;
    const AssessResult x =
        assessor.Assess(ds, T("2024-07-08"), on_arena).value();
    AssessResult y = assessor.Assess(ds, T("2024-07-08"), on_heap).value();
    ASSERT_NE(x.arena(), nullptr);
    EXPECT_EQ(y.arena(), nullptr);
    EXPECT_GT(y.history().entries_size(), 0);
    EXPECT_EQ(Bytes(x.assessment()), Bytes(y.assessment()));
    EXPECT_EQ(Bytes(x.history()), Bytes(y.history()));
    // Moved and assigned, the heap messages go with the result.
    AssessResult moved = std::move(y);
    moved = assessor.Assess(ds, T("2024-07-08"), on_heap).value();
    EXPECT_EQ(Bytes(x.assessment()), Bytes(moved.assessment()));
  }
}

// A model over three of the assessment's features, labelled by hand.
std::vector<std::string> HandModelFeatures() {
  return {"logins_30d", "orders_90d", "days_since_login"};
}
v1::LogisticModel HandModel(const AssessResult& plain) {
  FeatureMatrix x =
      SelectColumns(plain.features(), HandModelFeatures()).value();
  std::vector<uint8_t> y;
  for (size_t i = 0; i < x.num_rows(); ++i) y.push_back(i % 3 == 0);
  v1::FitOptions fit;
  fit.set_missing_values(v1::MISSING_IMPUTE_MEAN);
  return FitLogistic(x, y, fit).value();
}

TEST(Assessor, AModelAddsChurnProbabilityAndReasons) {
  const Dataset ds = Example();
  const Assessor assessor = Assessor::Create({}).value();
  const UnixSeconds as_of = T("2024-07-01");
  AssessResult plain = assessor.Assess(ds, as_of).value();
  for (const v1::CustomerAssessment& c : plain.assessment().customers()) {
    EXPECT_TRUE(std::isnan(c.churn_probability()));
    EXPECT_EQ(c.churn_reasons_size(), 0);
  }
  const FeatureMatrix x =
      SelectColumns(plain.features(), HandModelFeatures()).value();
  const v1::LogisticModel model = HandModel(plain);
  AssessOptions o;
  o.model = &model;
  o.model_reasons = 2;
  AssessResult r = assessor.Assess(ds, as_of, o).value();
  const std::vector<double> p = Predict(model, MatrixView::Of(x)).value();
  ASSERT_EQ(r.assessment().customers_size(), static_cast<int>(p.size()));
  for (int i = 0; i < r.assessment().customers_size(); ++i) {
    const v1::CustomerAssessment& c = r.assessment().customers(i);
    EXPECT_DOUBLE_EQ(c.churn_probability(), p[i]);
    EXPECT_LE(c.churn_reasons_size(), 2);
    for (const v1::Reason& reason : c.churn_reasons()) {
      EXPECT_GT(reason.contribution(), 0);
      EXPECT_FALSE(reason.text().empty());
    }
    // Everything else is as without the model, but for the ranking of
    // alerts: the model's probability replaces the health proxy.
    const v1::CustomerAssessment& without = plain.assessment().customers(i);
    EXPECT_EQ(c.score(), without.score());
    EXPECT_EQ(c.alerts_size() + c.has_routed_alert(),
              without.alerts_size() + without.has_routed_alert());
    for (const v1::Alert& a : c.alerts()) {
      EXPECT_DOUBLE_EQ(a.churn_probability(), p[i]);
      EXPECT_DOUBLE_EQ(a.expected_revenue_at_risk(), a.value() * p[i]);
    }
  }
  // A model over a feature the assessment does not compute is refused.
  v1::LogisticModel other = model;
  other.set_feature_names(1, "no_such_feature");
  o.model = &other;
  EXPECT_THAT(assessor.Assess(ds, as_of, o).status().message(),
              HasSubstr("model: the assessment's features have no column "
                        "'no_such_feature'"));
  o.model = &model;
  o.model_reasons = -1;
  EXPECT_THAT(assessor.Assess(ds, as_of, o).status().message(),
              HasSubstr("model_reasons: must be >= 0"));
}

TEST(Assessor, ConfigErrorsNameThePart) {
  v1::AssessmentConfig config;
  ASSERT_TRUE(ParseTextProto(R"pb(
                               rules {
                                 rules {
                                   name: "r"
                                   level: L1
                                   alert: "x"
                                   when { compare { feature: "nope" op: GT } }
                                 }
                               })pb",
                             &config)
                  .ok());
  EXPECT_THAT(
      std::string(Assessor::Create(config).status().message()),
      HasSubstr("rules.rules[0].when.compare.feature: unknown feature"));
  config.Clear();
  config.mutable_scorecard()->add_dimensions();
  EXPECT_THAT(std::string(Assessor::Create(config).status().message()),
              HasSubstr("scorecard.dimensions[0].criteria: empty"));
  config.Clear();
  config.set_horizon_days(-1);
  EXPECT_FALSE(Assessor::Create(config).ok());
  // A huge horizon would issue a recurring task for every day of it (found
  // by fuzz_capi_bytes: an out-of-memory).
  config.set_horizon_days(2000000000);
  EXPECT_THAT(std::string(Assessor::Create(config).status().message()),
              HasSubstr("horizon_days: must be in [0, 366]"));
  config.set_horizon_days(366);
  EXPECT_TRUE(Assessor::Create(config).ok());
  const Assessor assessor = Assessor::Create({}).value();
  EXPECT_FALSE(assessor.Assess(Example(), T("2020-01-01")).ok());
}

// Per customer id: its owner and annual value.
struct Owned {
  std::string owner;
  double annual_value;
};
std::map<std::string, Owned> Owners(const Dataset& ds) {
  std::map<std::string, Owned> out;
  for (CustomerIndex c = 0; c < ds.num_customers(); ++c) {
    out[std::string(ds.customer_id(c))] = {
        std::string(ds.str(ds.customers().owner_id[c])),
        ds.customers().annual_value[c]};
  }
  return out;
}

// Without a model: no risk floor, capacity alone decides.
AssessResult AssessWithCapacity(const Dataset& ds, int per_week) {
  v1::AssessmentConfig config;
  config.mutable_alerts()->set_tasks_per_owner_per_week(per_week);
  return Assessor::Create(config).value().Assess(ds, T("2024-07-01")).value();
}

TEST(AlertStream, OneConsolidatedAlertPerCustomerWithEveryReason) {
  const Dataset ds = Example();
  const Assessor assessor = Assessor::Create({}).value();
  AssessResult r = assessor.Assess(ds, T("2024-07-01")).value();
  int with_several_reasons = 0;
  for (const v1::CustomerAssessment& c : r.assessment().customers()) {
    ASSERT_LE(c.alerts_size(), 1) << c.customer_id();
    if (c.alerts().empty()) continue;
    const v1::Alert& a = c.alerts(0);
    ASSERT_GT(a.reasons_size(), 0);
    with_several_reasons += a.reasons_size() > 1;
    // The leading reason is the most severe; the level the highest.
    EXPECT_EQ(a.rule(), a.reasons(0).rule());
    EXPECT_EQ(a.message(), a.reasons(0).message());
    EXPECT_EQ(a.level(), a.reasons(0).level());
    std::set<std::string> reasons;
    for (int i = 0; i < a.reasons_size(); ++i) {
      EXPECT_FALSE(a.reasons(i).message().empty());
      if (i > 0) {
        EXPECT_LE(a.reasons(i).level(), a.reasons(i - 1).level());
      }
      EXPECT_GE(a.reasons(i).first_fired().seconds(),
                a.first_fired().seconds());
      reasons.insert(a.reasons(i).rule());
    }
    // The rules' tasks, one per type.
    std::set<std::string> types;
    for (const v1::Task& t : c.tasks()) {
      if (reasons.count(t.source()) == 0) continue;  // a care-plan task
      EXPECT_TRUE(types.insert(t.type()).second)
          << c.customer_id() << " has two " << t.type() << " tasks";
    }
  }
  EXPECT_GT(with_several_reasons, 0);  // the example does consolidate
}

TEST(AlertStream, RankedByExpectedRevenueAtRisk) {
  const Dataset ds = Example();
  const std::map<std::string, Owned> owned = Owners(ds);
  // No capacity limit in play: every candidate is alerted.
  AssessResult r = AssessWithCapacity(ds, 1000);
  std::vector<const v1::Alert*> by_rank;
  for (const v1::CustomerAssessment& c : r.assessment().customers()) {
    EXPECT_FALSE(c.has_routed_alert());
    if (c.alerts().empty()) continue;
    const v1::Alert& a = c.alerts(0);
    // The annual value, and the health proxy without a model: the default
    // scorecard runs from -50 to 100.
    EXPECT_DOUBLE_EQ(a.value(), owned.at(c.customer_id()).annual_value);
    EXPECT_DOUBLE_EQ(a.churn_probability(), (100 - c.score()) / 150);
    EXPECT_DOUBLE_EQ(a.expected_revenue_at_risk(),
                     a.value() * a.churn_probability());
    by_rank.push_back(&a);
  }
  ASSERT_GT(by_rank.size(), 2u);
  std::sort(by_rank.begin(), by_rank.end(),
            [](const auto* x, const auto* y) { return x->rank() < y->rank(); });
  for (size_t i = 0; i < by_rank.size(); ++i) {
    EXPECT_EQ(by_rank[i]->rank(), static_cast<int>(i + 1));
    if (i > 0) {
      EXPECT_GE(by_rank[i - 1]->expected_revenue_at_risk(),
                by_rank[i]->expected_revenue_at_risk());
    }
  }
  EXPECT_EQ(r.assessment().alert_summary().alerts(),
            static_cast<int64_t>(by_rank.size()));
  EXPECT_EQ(r.assessment().alert_summary().routed_to_automated_care(), 0);
}

TEST(AlertStream, OwnersOverCapacityRouteTheRestToAutomatedCare) {
  const Dataset ds = Example();
  const std::map<std::string, Owned> owned = Owners(ds);
  AssessResult r = AssessWithCapacity(ds, 1);
  const v1::AlertSummary& summary = r.assessment().alert_summary();
  EXPECT_EQ(summary.capacity_per_owner(), 1);          // a weekly run
  std::map<std::string, std::pair<int, int>> counted;  // alerted, routed
  std::map<std::string, int> best_rank_alerted, best_rank_routed;
  int64_t reasons = 0;
  for (const v1::CustomerAssessment& c : r.assessment().customers()) {
    const std::string& owner = owned.at(c.customer_id()).owner;
    if (!c.alerts().empty()) {
      ++counted[owner].first;
      reasons += c.alerts(0).reasons_size();
      best_rank_alerted[owner] = c.alerts(0).rank();
    }
    if (!c.has_routed_alert()) continue;
    ++counted[owner].second;
    reasons += c.routed_alert().reasons_size();
    EXPECT_TRUE(c.alerts().empty());
    const int rank = c.routed_alert().rank();
    if (best_rank_routed.count(owner) == 0 || rank < best_rank_routed[owner]) {
      best_rank_routed[owner] = rank;
    }
    // One automated task instead of the rules' tasks.
    int automated = 0;
    for (const v1::Task& t : c.tasks()) {
      EXPECT_NE(t.source(), "") << c.customer_id();
      for (const v1::Alert& reason : c.routed_alert().reasons()) {
        if (t.type() != "automated_care") {
          EXPECT_NE(t.source(), reason.rule());
        }
      }
      if (t.type() != "automated_care") continue;
      ++automated;
      EXPECT_EQ(t.assignee(), v1::AUTOMATION);
      EXPECT_EQ(t.assignee_id(), "");
      EXPECT_EQ(t.due().seconds(), T("2024-07-01"));
      EXPECT_EQ(t.source(), c.routed_alert().rule());
    }
    EXPECT_EQ(automated, 1) << c.customer_id();
  }
  ASSERT_GT(summary.routed_to_automated_care(), 0);  // o-04 has six
  int64_t alerted = 0, routed = 0;
  for (const v1::AlertSummary::Owner& o : summary.owners()) {
    EXPECT_LE(o.alerted(), 1) << o.owner_id();
    EXPECT_EQ(o.alerted(), counted[o.owner_id()].first) << o.owner_id();
    EXPECT_EQ(o.routed_to_automated_care(), counted[o.owner_id()].second);
    alerted += o.alerted();
    routed += o.routed_to_automated_care();
  }
  EXPECT_EQ(summary.owners_size(), static_cast<int>(counted.size()));
  EXPECT_EQ(summary.alerts(), alerted);
  EXPECT_EQ(summary.routed_to_automated_care(), routed);
  EXPECT_EQ(summary.reasons(), reasons);
  // The owner keeps the highest expected revenue at risk.
  for (const auto& [owner, rank] : best_rank_routed) {
    EXPECT_LT(best_rank_alerted.at(owner), rank) << owner;
  }
  // Routing does not change which rules fired: the history is per rule.
  AssessResult unlimited = AssessWithCapacity(ds, 1000);
  EXPECT_EQ(r.history().entries_size(), unlimited.history().entries_size());
  EXPECT_EQ(unlimited.assessment().alert_summary().alerts(), alerted + routed);
}

TEST(AlertStream, WithAModelCustomersBelowTheRiskFloorGetAutomatedCare) {
  const Dataset ds = Example();
  const Assessor assessor = Assessor::Create({}).value();  // floor 1.5
  AssessResult plain = assessor.Assess(ds, T("2024-07-01")).value();
  EXPECT_EQ(plain.assessment().alert_summary().risk_floor(), 0);  // no model
  EXPECT_EQ(plain.assessment().alert_summary().routed_below_risk_floor(), 0);
  const v1::LogisticModel model = HandModel(plain);
  AssessOptions o;
  o.model = &model;
  AssessResult r = assessor.Assess(ds, T("2024-07-01"), o).value();
  double sum = 0;
  int n = 0;
  for (const v1::CustomerAssessment& c : r.assessment().customers()) {
    if (!c.churned()) sum += c.churn_probability(), ++n;
  }
  const v1::AlertSummary& summary = r.assessment().alert_summary();
  EXPECT_DOUBLE_EQ(summary.risk_floor(), 1.5 * sum / n);
  int below = 0;
  for (const v1::CustomerAssessment& c : r.assessment().customers()) {
    for (const v1::Alert& a : c.alerts()) {
      EXPECT_GE(a.churn_probability(), summary.risk_floor());
    }
    if (c.has_routed_alert() &&
        c.routed_alert().churn_probability() < summary.risk_floor()) {
      ++below;
    }
  }
  EXPECT_GT(below, 0);
  EXPECT_EQ(summary.routed_below_risk_floor(), below);
  EXPECT_LE(below, summary.routed_to_automated_care());
}

TEST(AlertStream, CapacityScalesWithTheDaysARunCovers) {
  v1::AssessmentConfig config;
  config.mutable_alerts()->set_tasks_per_owner_per_week(5);
  config.set_horizon_days(14);
  const Dataset ds = Example();
  auto capacity = [&]() {
    return Assessor::Create(config)
        .value()
        .Assess(ds, T("2024-07-01"))
        ->assessment()
        .alert_summary()
        .capacity_per_owner();
  };
  EXPECT_EQ(capacity(), 10);
  config.set_horizon_days(1);
  EXPECT_EQ(capacity(), 1);  // 5/7 rounds to 1: every owner gets the top one
  config.set_horizon_days(30);
  EXPECT_EQ(capacity(), 21);
  config.clear_alerts();
  config.clear_horizon_days();
  EXPECT_EQ(capacity(), 5);  // the shipped default: a weekly run, 5 a week
}

TEST(AlertStream, BadCapacityOrOverflowTaskIsAnError) {
  v1::AssessmentConfig config;
  for (int bad : {0, -3}) {
    config.mutable_alerts()->set_tasks_per_owner_per_week(bad);
    const absl::Status s = Assessor::Create(config).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(s.message()),
                HasSubstr("alerts.tasks_per_owner_per_week: must be > 0"));
  }
  config.Clear();
  for (double bad : {-0.5, std::nan("")}) {
    config.mutable_alerts()->set_min_relative_risk(bad);
    EXPECT_THAT(std::string(Assessor::Create(config).status().message()),
                HasSubstr("alerts.min_relative_risk: must be a finite number "
                          ">= 0"));
  }
  config.Clear();
  config.mutable_alerts()->mutable_overflow_task()->set_title("x");
  EXPECT_THAT(std::string(Assessor::Create(config).status().message()),
              HasSubstr("alerts.overflow_task.type: empty"));
  config.mutable_alerts()->mutable_overflow_task()->set_type("drip");
  config.mutable_alerts()->mutable_overflow_task()->set_title("{nope}");
  EXPECT_THAT(std::string(Assessor::Create(config).status().message()),
              HasSubstr("alerts.overflow_task.title"));
}

}  // namespace
}  // namespace churnkit

namespace churnkit {
namespace {

const Dataset& Generated400() {
  static const Dataset* ds = [] {
    v1::GeneratorConfig config;
    EXPECT_TRUE(ParseTextProto(R"pb(customers: 400
                                    seed: 7
                                    start_date: "2024-01-01"
                                    end_date: "2025-06-30")pb",
                               &config)
                    .ok());
    return new Dataset(std::move(GenerateInMemory(config).value().dataset));
  }();
  return *ds;
}

TEST(ColoursFromCapacity, RedIsTheRiskiestShareOfTheRun) {
  const Dataset& ds = Generated400();
  const UnixSeconds as_of = ParseTime("2025-07-01").value();
  const AssessResult plain =
      Assessor::Create({}).value().Assess(ds, as_of).value();
  v1::AssessmentConfig config;
  config.set_red_share(0.1);
  const AssessResult capped =
      Assessor::Create(config).value().Assess(ds, as_of).value();
  ASSERT_EQ(plain.assessment().customers_size(),
            capped.assessment().customers_size());
  const double cut = capped.assessment().colours().yellow_min();
  int64_t active = 0, red = 0;
  double max_red = -1e300, min_other = 1e300;
  for (int i = 0; i < capped.assessment().customers_size(); ++i) {
    const v1::CustomerAssessment& c = capped.assessment().customers(i);
    EXPECT_EQ(c.score(), plain.assessment().customers(i).score());
    EXPECT_EQ(c.colour() == v1::RED, c.score() < cut) << c.customer_id();
    if (c.churned()) continue;
    ++active;
    if (c.colour() == v1::RED) {
      ++red;
      max_red = std::max(max_red, c.score());
    } else {
      min_other = std::min(min_other, c.score());
    }
  }
  ASSERT_GT(active, 100);
  EXPECT_GT(red, 0);
  EXPECT_LE(red, static_cast<int64_t>(0.1 * static_cast<double>(active)));
  EXPECT_LT(max_red, min_other);  // the riskiest, by score
  // Without red_share the run reports the scorecard's own cut-offs.
  EXPECT_EQ(plain.assessment().colours().yellow_min(),
            DefaultScorecard().value().colours().yellow_min());
  EXPECT_GE(capped.assessment().colours().green_min(), cut);
}

TEST(ColoursFromCapacity, ARedShareOutsideZeroOneIsAnError) {
  for (double bad : {0.0, 1.0, -0.2, 1.5, std::nan("")}) {
    v1::AssessmentConfig config;
    config.set_red_share(bad);
    absl::StatusOr<Assessor> a = Assessor::Create(config);
    ASSERT_FALSE(a.ok()) << bad;
    EXPECT_EQ(a.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(a.status().message()),
                ::testing::HasSubstr("red_share: must be in (0, 1)"));
  }
}

TEST(Backtest, ChurnByColourAndTheScoresAucOnTheHistory) {
  const Dataset& ds = Generated400();
  v1::AssessmentConfig config;
  config.set_red_share(0.2);
  const Assessor assessor = Assessor::Create(config).value();
  absl::StatusOr<v1::Backtest> b =
      assessor.Backtest(ds, ParseTime("2025-07-01").value(), 90);
  ASSERT_TRUE(b.ok()) << b.status();
  // The data ends 2025-06-30: the window is the 90 days before 2025-07-01.
  EXPECT_EQ(b->to().seconds(), ParseTime("2025-07-01").value());
  EXPECT_EQ(b->from().seconds(), ParseTime("2025-04-02").value());
  ASSERT_EQ(b->colours_size(), 3);
  int64_t customers = 0, churned = 0;
  for (const v1::Backtest::ByColour& c : b->colours()) {
    customers += c.customers();
    churned += c.churned();
    EXPECT_LE(c.churned(), c.customers());
    if (c.customers() > 0) {
      EXPECT_DOUBLE_EQ(c.churn_rate(), static_cast<double>(c.churned()) /
                                           static_cast<double>(c.customers()));
    }
  }
  EXPECT_EQ(customers, b->customers());
  EXPECT_EQ(churned, b->churned());
  ASSERT_GT(b->churned(), 0);
  EXPECT_LE(b->colours(2).customers(),
            static_cast<int64_t>(0.2 * static_cast<double>(b->customers())));
  ASSERT_TRUE(b->has_auc());
  EXPECT_GT(b->auc(), 0.5);
  EXPECT_LT(b->auc(), 1.0);
  // The same as a panel of that date scored by hand.
  const FeatureEngine engine =
      FeatureEngine::Create(DefaultFeatureSet().value()).value();
  const ChurnLabeler labeler =
      ChurnLabeler::Create(DefaultChurnDefinition().value()).value();
  const UnixSeconds from[] = {b->from().seconds()};
  const TrainingPanel panel =
      BuildTrainingPanel(ds, engine, labeler, from, 90).value();
  EXPECT_EQ(b->customers(), static_cast<int64_t>(panel.labels.size()));
}

TEST(Backtest, AHorizonLongerThanTheHistoryIsAnError) {
  const Assessor assessor = Assessor::Create({}).value();
  const Dataset& ds = Generated400();
  absl::StatusOr<v1::Backtest> b =
      assessor.Backtest(ds, ParseTime("2025-07-01").value(), 1000);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(b.status().message()),
              ::testing::HasSubstr("backtest horizon_days: 1000 days is "
                                   "longer than the history"));
  b = assessor.Backtest(ds, ParseTime("2025-07-01").value(), 0);
  ASSERT_FALSE(b.ok());
  EXPECT_THAT(std::string(b.status().message()),
              ::testing::HasSubstr("backtest horizon_days: must be > 0"));
}

TEST(Backtest, NoChurnersLeavesTheAucUnsetNeverNaN) {
  // Three customers who log in every day for half a year: nobody churns.
  DatasetBuilder builder;
  builder.set_implicit_customers(true);
  const UnixSeconds start = ParseTime("2024-01-01").value();
  for (const char* id : {"a", "b", "c"}) {
    for (int day = 0; day < 182; ++day) {
      EventInput e;
      e.customer_id = id;
      e.kind = v1::LOGIN;
      e.time = start + int64_t{day} * 86400 + 3600;
      ASSERT_TRUE(builder.AddEvent(e, {"test", 1}).ok());
    }
  }
  absl::StatusOr<Dataset> ds = std::move(builder).Build();
  ASSERT_TRUE(ds.ok()) << ds.status();
  const Assessor assessor = Assessor::Create({}).value();
  absl::StatusOr<v1::Backtest> b =
      assessor.Backtest(*ds, ParseTime("2024-07-01").value(), 30);
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->customers(), 3);
  EXPECT_EQ(b->churned(), 0);
  EXPECT_FALSE(b->has_auc());
  EXPECT_THAT(b->note(), ::testing::HasSubstr("no customer churned"));
  for (const v1::Backtest::ByColour& c : b->colours()) {
    EXPECT_EQ(c.churn_rate(), 0);
  }
}

}  // namespace
}  // namespace churnkit
