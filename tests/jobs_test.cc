// The jobs API (jobs.h): defaults resolved in one place, every bad field
// named, and the train job equal to the steps it stands for.
#include "churnkit/jobs.h"

#include <string>
#include <vector>

#include "churnkit/features.h"
#include "churnkit/generator.h"
#include "churnkit/labels.h"
#include "churnkit/metrics.h"
#include "churnkit/model.h"
#include "error_text.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"

namespace churnkit {
namespace {

using ::testing::HasSubstr;

v1::TrainRequest Request(const std::string& text) {
  v1::TrainRequest r;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &r)) << text;
  return r;
}

const Dataset& Generated() {
  static const GeneratedData* data = [] {
    v1::GeneratorConfig config;
    config.set_customers(600);
    config.set_seed(11);
    config.set_start_date("2024-01-01");
    config.set_end_date("2025-06-30");
    return new GeneratedData(GenerateInMemory(config).value());
  }();
  return data->dataset;
}

constexpr char kDates[] =
    R"pb(as_of_dates: [ "2024-07-01", "2024-10-01", "2025-01-01" ])pb";

TEST(ResolveTrainRequest, FillsEveryDefault) {
  absl::StatusOr<v1::TrainRequest> r = ResolveTrainRequest(
      Request(R"pb(as_of_dates: [ "2024-07-01", "20241001" ])pb"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->as_of_dates(1), "2024-10-01");
  EXPECT_EQ(r->horizon_days(), 90);
  EXPECT_EQ(r->test_from(), "2024-10-01");
  EXPECT_EQ(r->panel_label(), v1::PANEL_LABEL_CHURN_BEGAN);
  EXPECT_EQ(r->features().SerializeAsString(),
            DefaultFeatureSet()->SerializeAsString());
  EXPECT_EQ(r->definition().SerializeAsString(),
            DefaultChurnDefinition()->SerializeAsString());
  EXPECT_EQ(r->fit().missing_values(), v1::MISSING_IMPUTE_MEAN);
  EXPECT_DOUBLE_EQ(r->fit().winsorize(), 0.01);
  EXPECT_EQ(r->top_factors(), 10);
  EXPECT_EQ(r->riskiest(), 5);
  EXPECT_EQ(r->reasons(), 3);
  // Resolving is idempotent, and given values are kept.
  absl::StatusOr<v1::TrainRequest> again = ResolveTrainRequest(*r);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->SerializeAsString(), r->SerializeAsString());
  absl::StatusOr<v1::TrainRequest> given = ResolveTrainRequest(
      Request(absl::StrCat(kDates, R"pb(horizon_days: 30
                                        fit { winsorize: 0 }
                                        top_factors: -1)pb")));
  ASSERT_TRUE(given.ok()) << given.status();
  EXPECT_EQ(given->horizon_days(), 30);
  EXPECT_EQ(given->fit().winsorize(), 0);
  EXPECT_EQ(given->top_factors(), -1);
}

TEST(ResolveTrainRequest, NamesTheBadField) {
  const std::pair<std::string, std::string> cases[] = {
      {"", "as_of_dates: at least two dates"},
      {R"pb(as_of_dates: [ "2024-07-01", "x" ])pb", "as_of_dates[1]: "},
      {R"pb(as_of_dates: [ "2024-07-01", "2024-07-01" ])pb",
       "as_of_dates[1]: 2024-07-01 is not after 2024-07-01"},
      {absl::StrCat(kDates, "horizon_days: -1"),
       "horizon_days: must be in 1..3650, got -1"},
      {absl::StrCat(kDates, "horizon_days: 3651"), "horizon_days: must be"},
      {absl::StrCat(kDates, R"pb(test_from: "2024-07-01")pb"),
       "test_from: 2024-07-01 leaves no date to train on"},
      {absl::StrCat(kDates, R"pb(test_from: "2025-02-01")pb"),
       "test_from: 2025-02-01 is after the last date"},
      {absl::StrCat(kDates, R"pb(test_from: "soon")pb"), "test_from: "},
      {absl::StrCat(kDates, "panel_label: 9"), "panel_label: unknown value 9"},
      {absl::StrCat(kDates, "fit { winsorize: 0.7 }"), "fit.winsorize"},
      {absl::StrCat(kDates, "fit { c: -1 }"), "fit.c"},
      {absl::StrCat(kDates, "top_factors: -2"), "top_factors: must be -1"},
      {absl::StrCat(kDates, "riskiest: 100001"), "riskiest: must be -1"},
      {absl::StrCat(kDates, "reasons: -5"), "reasons: must be -1"},
      {absl::StrCat(kDates, "threads: -1"), "threads: must be >= 0"},
      {absl::StrCat(kDates, "definition { passive { inactive_days: -3 } }"),
       "definition.passive[0].inactive_days"},
      {absl::StrCat(kDates, "features { features { name: \"\" } }"),
       "features.features[0]"},
  };
  for (const auto& [text, fragment] : cases) {
    absl::StatusOr<v1::TrainRequest> r = ResolveTrainRequest(Request(text));
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << text;
    EXPECT_THAT(r.status().message(), HasSubstr(fragment)) << text;
  }
}

// The job equals its steps done by hand: panel, time split, fit on the
// early dates, evaluation of the late ones.
TEST(TrainChurnModel, EqualsThePanelFitAndEvaluationByHand) {
  const Dataset& ds = Generated();
  absl::StatusOr<v1::TrainResult> t =
      TrainChurnModel(ds, Request(absl::StrCat(kDates, "threads: 2")));
  ASSERT_TRUE(t.ok()) << t.status();

  const FeatureEngine engine =
      FeatureEngine::Create(*DefaultFeatureSet()).value();
  const ChurnLabeler labeler =
      ChurnLabeler::Create(*DefaultChurnDefinition()).value();
  std::vector<UnixSeconds> dates;
  for (const char* d : {"2024-07-01", "2024-10-01", "2025-01-01"}) {
    dates.push_back(*ParseTime(d));
  }
  TrainingPanel panel =
      BuildTrainingPanel(ds, engine, labeler, dates, 90).value();
  const TimeSplitRows split = TimeSplit(panel.features.as_of, dates.back());
  std::vector<uint8_t> train_y, test_y;
  for (size_t r : split.train) train_y.push_back(panel.labels[r]);
  for (size_t r : split.test) test_y.push_back(panel.labels[r]);
  v1::FitOptions fit;
  fit.set_missing_values(v1::MISSING_IMPUTE_MEAN);
  fit.set_winsorize(0.01);
  const v1::LogisticModel model =
      FitLogistic(SelectRows(panel.features, split.train), train_y, fit)
          .value();
  ASSERT_EQ(t->model().coefficients_size(), model.coefficients_size());
  for (int j = 0; j < model.coefficients_size(); ++j) {
    EXPECT_DOUBLE_EQ(t->model().coefficients(j), model.coefficients(j));
  }
  const std::vector<double> p =
      Predict(model, MatrixView::Of(SelectRows(panel.features, split.test)))
          .value();
  const v1::Evaluation e = Evaluate(test_y, p).value();
  EXPECT_DOUBLE_EQ(t->held_out().roc_auc(), e.roc_auc());
  EXPECT_EQ(t->train().rows(), static_cast<int64_t>(split.train.size()));
  EXPECT_EQ(t->test().rows(), static_cast<int64_t>(split.test.size()));
  EXPECT_EQ(t->test().churned(), e.positives());
  EXPECT_EQ(t->num_features(), static_cast<int>(panel.features.num_cols()));
  EXPECT_EQ(t->test_from(), "2025-01-01");

  ASSERT_EQ(t->factors_size(), 10);
  for (int k = 1; k < t->factors_size(); ++k) {
    EXPECT_GE(std::abs(t->factors(k - 1).coefficient()),
              std::abs(t->factors(k).coefficient()));
  }
  // Strongest factors have the sign of their feature alone; the others
  // are listed apart and give no reasons.
  for (const v1::Factor& f : t->factors()) {
    EXPECT_GT(f.coefficient() * f.univariate_correlation(), 0) << f.feature();
  }
  EXPECT_EQ(t->adjusting_factors_size(),
            static_cast<int>(AdjustingFactors(t->model(), 10).size()));
  for (const v1::Factor& f : t->adjusting_factors()) {
    EXPECT_LE(f.coefficient() * f.univariate_correlation(), 0) << f.feature();
    for (const v1::RiskyCustomer& c : t->riskiest()) {
      for (const v1::Reason& r : c.explanation().risk()) {
        EXPECT_NE(r.feature(), f.feature());
      }
    }
  }
  ASSERT_EQ(t->riskiest_size(), 5);
  double top = 1;
  for (const v1::RiskyCustomer& c : t->riskiest()) {
    EXPECT_LE(c.explanation().probability(), top);
    top = c.explanation().probability();
    EXPECT_LE(c.explanation().risk_size(), 3);
  }

  // The same bytes whatever the thread count.
  absl::StatusOr<v1::TrainResult> one =
      TrainChurnModel(ds, Request(absl::StrCat(kDates, "threads: 1")));
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->held_out().SerializeAsString(),
            t->held_out().SerializeAsString());
  EXPECT_THAT(one->model().coefficients(),
              ::testing::ElementsAreArray(t->model().coefficients()));
  EXPECT_EQ(one->riskiest(0).SerializeAsString(),
            t->riskiest(0).SerializeAsString());
}

TEST(TrainChurnModel, RefusesAHorizonPastTheDataAndEmptySides) {
  const Dataset& ds = Generated();
  absl::StatusOr<v1::TrainResult> t = TrainChurnModel(
      ds, Request(R"pb(as_of_dates: [ "2024-07-01", "2025-06-01" ])pb"));
  ASSERT_FALSE(t.ok());
  EXPECT_THAT(t.status().message(), HasSubstr("the last date allowed"));
  t = TrainChurnModel(ds,
                      Request(R"pb(as_of_dates: [ "2010-01-01", "2024-07-01" ]
                                   test_from: "2024-07-01")pb"));
  ASSERT_FALSE(t.ok());
  EXPECT_THAT(t.status().message(), HasSubstr("as_of: 2010-01-01"));
  EXPECT_FALSE(TrainChurnModel(Dataset(), Request(kDates)).ok());
}

}  // namespace
}  // namespace churnkit
