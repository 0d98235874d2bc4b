#include "churnkit/assess.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "churnkit/io.h"
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
  ASSERT_EQ(r.assessment.customers_size(), 16);
  std::map<v1::Colour, int> colours;
  int alerts = 0, tasks = 0;
  for (const v1::CustomerAssessment& c : r.assessment.customers()) {
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
  EXPECT_EQ(r.features.num_rows(), 16u);
  EXPECT_GT(r.history.entries_size(), 0);
}

TEST(Assessor, HistoryCoolsDownRepeatsAndPreviousGivesTheTrend) {
  const Dataset ds = Example();
  const Assessor assessor = Assessor::Create({}).value();
  AssessResult first = assessor.Assess(ds, T("2024-07-01")).value();
  AssessOptions o;
  o.history = &first.history;
  o.previous = &first.assessment;
  AssessResult next = assessor.Assess(ds, T("2024-07-02"), o).value();
  int before = 0, after = 0;
  for (const auto& c : first.assessment.customers()) before += c.alerts_size();
  for (const auto& c : next.assessment.customers()) after += c.alerts_size();
  EXPECT_LT(after, before);  // a day later most rules are cooling down
  for (const auto& c : next.assessment.customers()) {
    EXPECT_FALSE(std::isnan(c.score_change())) << c.customer_id();
  }
}

TEST(Assessor, SameResultForEveryThreadCount) {
  const Dataset ds = Example();
  const Assessor assessor = Assessor::Create({}).value();
  AssessOptions one, four;
  one.threads = 1;
  four.threads = 4;
  // Deterministic serialization: map fields in key order.
  auto bytes = [&](const AssessOptions& o) {
    std::string out;
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    EXPECT_TRUE(assessor.Assess(ds, T("2024-07-01"), o)
                    ->assessment.SerializeToCodedStream(&coded));
    return out;
  };
  const std::string a = bytes(one), b = bytes(four);
  EXPECT_EQ(a.size(), b.size());
  EXPECT_TRUE(a == b) << "assessments differ between 1 and 4 threads";
}

// A model over three of the assessment's features, labelled by hand.
std::vector<std::string> HandModelFeatures() {
  return {"logins_30d", "orders_90d", "days_since_login"};
}
v1::LogisticModel HandModel(const AssessResult& plain) {
  FeatureMatrix x = SelectColumns(plain.features, HandModelFeatures()).value();
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
  for (const v1::CustomerAssessment& c : plain.assessment.customers()) {
    EXPECT_TRUE(std::isnan(c.churn_probability()));
    EXPECT_EQ(c.churn_reasons_size(), 0);
  }
  const FeatureMatrix x =
      SelectColumns(plain.features, HandModelFeatures()).value();
  const v1::LogisticModel model = HandModel(plain);
  AssessOptions o;
  o.model = &model;
  o.model_reasons = 2;
  AssessResult r = assessor.Assess(ds, as_of, o).value();
  const std::vector<double> p = Predict(model, MatrixView::Of(x)).value();
  ASSERT_EQ(r.assessment.customers_size(), static_cast<int>(p.size()));
  for (int i = 0; i < r.assessment.customers_size(); ++i) {
    const v1::CustomerAssessment& c = r.assessment.customers(i);
    EXPECT_DOUBLE_EQ(c.churn_probability(), p[i]);
    EXPECT_LE(c.churn_reasons_size(), 2);
    for (const v1::Reason& reason : c.churn_reasons()) {
      EXPECT_GT(reason.contribution(), 0);
      EXPECT_FALSE(reason.text().empty());
    }
    // Everything else is as without the model, but for the ranking of
    // alerts: the model's probability replaces the health proxy.
    const v1::CustomerAssessment& without = plain.assessment.customers(i);
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
  for (const v1::CustomerAssessment& c : r.assessment.customers()) {
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
      if (i > 0) EXPECT_LE(a.reasons(i).level(), a.reasons(i - 1).level());
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
  for (const v1::CustomerAssessment& c : r.assessment.customers()) {
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
  EXPECT_EQ(r.assessment.alert_summary().alerts(),
            static_cast<int64_t>(by_rank.size()));
  EXPECT_EQ(r.assessment.alert_summary().routed_to_automated_care(), 0);
}

TEST(AlertStream, OwnersOverCapacityRouteTheRestToAutomatedCare) {
  const Dataset ds = Example();
  const std::map<std::string, Owned> owned = Owners(ds);
  AssessResult r = AssessWithCapacity(ds, 1);
  const v1::AlertSummary& summary = r.assessment.alert_summary();
  EXPECT_EQ(summary.capacity_per_owner(), 1);          // a weekly run
  std::map<std::string, std::pair<int, int>> counted;  // alerted, routed
  std::map<std::string, int> best_rank_alerted, best_rank_routed;
  int64_t reasons = 0;
  for (const v1::CustomerAssessment& c : r.assessment.customers()) {
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
        if (t.type() != "automated_care") EXPECT_NE(t.source(), reason.rule());
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
  EXPECT_EQ(r.history.entries_size(), unlimited.history.entries_size());
  EXPECT_EQ(unlimited.assessment.alert_summary().alerts(), alerted + routed);
}

TEST(AlertStream, WithAModelCustomersBelowTheRiskFloorGetAutomatedCare) {
  const Dataset ds = Example();
  const Assessor assessor = Assessor::Create({}).value();  // floor 1.5
  AssessResult plain = assessor.Assess(ds, T("2024-07-01")).value();
  EXPECT_EQ(plain.assessment.alert_summary().risk_floor(), 0);  // no model
  EXPECT_EQ(plain.assessment.alert_summary().routed_below_risk_floor(), 0);
  const v1::LogisticModel model = HandModel(plain);
  AssessOptions o;
  o.model = &model;
  AssessResult r = assessor.Assess(ds, T("2024-07-01"), o).value();
  double sum = 0;
  int n = 0;
  for (const v1::CustomerAssessment& c : r.assessment.customers()) {
    if (!c.churned()) sum += c.churn_probability(), ++n;
  }
  const v1::AlertSummary& summary = r.assessment.alert_summary();
  EXPECT_DOUBLE_EQ(summary.risk_floor(), 1.5 * sum / n);
  int below = 0;
  for (const v1::CustomerAssessment& c : r.assessment.customers()) {
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
        ->assessment.alert_summary()
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
