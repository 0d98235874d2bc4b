#include "churnkit/assess.h"

#include <cmath>
#include <map>
#include <string>

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

TEST(Assessor, AModelAddsChurnProbabilityAndReasons) {
  const Dataset ds = Example();
  const Assessor assessor = Assessor::Create({}).value();
  const UnixSeconds as_of = T("2024-07-01");
  AssessResult plain = assessor.Assess(ds, as_of).value();
  for (const v1::CustomerAssessment& c : plain.assessment.customers()) {
    EXPECT_TRUE(std::isnan(c.churn_probability()));
    EXPECT_EQ(c.churn_reasons_size(), 0);
  }
  // A model over three of the assessment's features, labelled by hand.
  const std::vector<std::string> names = {"logins_30d", "orders_90d",
                                          "days_since_login"};
  FeatureMatrix x = SelectColumns(plain.features, names).value();
  std::vector<uint8_t> y;
  for (size_t i = 0; i < x.num_rows(); ++i) y.push_back(i % 3 == 0);
  v1::FitOptions fit;
  fit.set_missing_values(v1::MISSING_IMPUTE_MEAN);
  const v1::LogisticModel model = FitLogistic(x, y, fit).value();
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
    // Everything else is as without the model.
    EXPECT_EQ(c.score(), plain.assessment.customers(i).score());
    EXPECT_EQ(c.alerts_size(), plain.assessment.customers(i).alerts_size());
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

}  // namespace
}  // namespace churnkit
