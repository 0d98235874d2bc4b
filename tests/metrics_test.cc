#include "churnkit/metrics.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace churnkit {
namespace {

using ::testing::HasSubstr;

// scikit-learn's documentation example.
const std::vector<uint8_t> kY = {0, 0, 1, 1};
const std::vector<double> kS = {0.1, 0.4, 0.35, 0.8};

TEST(RocAuc, MatchesScikitLearnExampleAndCountsTiesHalf) {
  EXPECT_DOUBLE_EQ(*RocAuc(kY, kS), 0.75);
  EXPECT_DOUBLE_EQ(*RocAuc({0, 1, 0, 1}, {0.5, 0.5, 0.5, 0.5}), 0.5);
  // Pairs (positive, negative): (.9,.9) half, (.9,.5) won, (.5,.5) half.
  EXPECT_DOUBLE_EQ(*RocAuc({1, 0, 1, 0, 1}, {0.9, 0.9, 0.5, 0.5, 0.1}),
                   2.0 / 6.0);
  EXPECT_DOUBLE_EQ(*RocAuc({0, 1}, {-3, 7}), 1.0);
}

TEST(RocAuc, RejectsBadInput) {
  EXPECT_THAT(RocAuc({1, 1}, {0.1, 0.2}).status().message(),
              HasSubstr("a single class"));
  EXPECT_THAT(RocAuc({1, 0}, {0.1}).status().message(),
              HasSubstr("2 labels for 1 scores"));
  EXPECT_THAT(RocAuc({1, 3}, {0.1, 0.2}).status().message(),
              HasSubstr("labels[1] is 3"));
  EXPECT_THAT(RocAuc({1, 0}, {0.1, std::numeric_limits<double>::quiet_NaN()})
                  .status()
                  .message(),
              HasSubstr("scores[1] is nan"));
  EXPECT_THAT(RocAuc({}, {}).status().message(), HasSubstr("no rows"));
}

TEST(AveragePrecision, MatchesScikitLearnWithTies) {
  EXPECT_NEAR(*AveragePrecision(kY, kS), 0.8333333333333333, 1e-15);
  // Thresholds .9 (P 1/2, R 1/3), .5 (P 2/4, R 2/3), .1 (P 3/5, R 1).
  EXPECT_NEAR(*AveragePrecision({1, 0, 1, 0, 1}, {0.9, 0.9, 0.5, 0.5, 0.1}),
              (0.5 + 0.5 + 0.6) / 3, 1e-15);
  EXPECT_FALSE(AveragePrecision({0, 0}, {0.1, 0.2}).ok());
}

TEST(LogLossAndBrier, AreMeansOverRows) {
  EXPECT_NEAR(*LogLoss({1, 0}, {0.8, 0.3}),
              -(std::log(0.8) + std::log(0.7)) / 2, 1e-15);
  EXPECT_NEAR(*BrierScore({1, 0}, {0.8, 0.3}), (0.04 + 0.09) / 2, 1e-15);
  // Certain and wrong is large but finite (clipped at DBL_EPSILON).
  EXPECT_NEAR(*LogLoss({1}, {0.0}), -std::log(DBL_EPSILON), 1e-9);
  EXPECT_THAT(LogLoss({1}, {1.5}).status().message(),
              HasSubstr("probabilities[0] is 1.5; must be in [0, 1]"));
}

TEST(LiftTable, DecilesWithCumulativeGains) {
  std::vector<double> s;
  std::vector<uint8_t> y = {1, 1, 1, 0, 1, 0, 0, 0, 0, 0};
  for (int i = 0; i < 10; ++i) s.push_back(10 - i);
  absl::StatusOr<std::vector<v1::LiftBin>> lift = LiftTable(y, s, 5);
  ASSERT_TRUE(lift.ok());
  ASSERT_EQ(lift->size(), 5u);
  EXPECT_EQ((*lift)[0].bin(), 1);
  EXPECT_EQ((*lift)[0].count(), 2);
  EXPECT_EQ((*lift)[0].positives(), 2);
  EXPECT_DOUBLE_EQ((*lift)[0].lift(), 1.0 / 0.4);
  EXPECT_DOUBLE_EQ((*lift)[0].max_score(), 10);
  EXPECT_DOUBLE_EQ((*lift)[0].min_score(), 9);
  EXPECT_DOUBLE_EQ((*lift)[1].cumulative_gain(), 0.75);
  EXPECT_DOUBLE_EQ((*lift)[1].cumulative_share(), 0.4);
  EXPECT_DOUBLE_EQ((*lift)[2].cumulative_gain(), 1.0);
  EXPECT_DOUBLE_EQ((*lift)[4].cumulative_gain(), 1.0);
  EXPECT_DOUBLE_EQ((*lift)[4].cumulative_lift(), 1.0);
  // Tied scores stay in one group.
  lift = LiftTable({1, 0, 0, 1}, {0.5, 0.5, 0.5, 0.5}, 4);
  ASSERT_TRUE(lift.ok());
  ASSERT_EQ(lift->size(), 1u);
  EXPECT_EQ((*lift)[0].count(), 4);
  EXPECT_FALSE(LiftTable(y, s, 0).ok());
}

TEST(ReliabilityTable, BinsByPredictedProbability) {
  absl::StatusOr<std::vector<v1::ReliabilityBin>> r =
      ReliabilityTable({0, 0, 1, 1}, {0.05, 0.15, 0.15, 0.95});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[1].count(), 2);
  EXPECT_DOUBLE_EQ((*r)[1].lower(), 0.1);
  EXPECT_DOUBLE_EQ((*r)[1].mean_predicted(), 0.15);
  EXPECT_DOUBLE_EQ((*r)[1].observed_rate(), 0.5);
  EXPECT_DOUBLE_EQ((*r)[2].upper(), 1.0);  // 0.95 and 1.0 share the last bin
}

TEST(ChooseThreshold, ByF1RecallPrecisionAndCost) {
  absl::StatusOr<v1::ConfusionMatrix> m = ChooseThreshold(kY, kS, {});
  ASSERT_TRUE(m.ok());
  EXPECT_DOUBLE_EQ(m->threshold(), 0.35);
  EXPECT_DOUBLE_EQ(m->f1(), 0.8);
  EXPECT_EQ(m->true_positives(), 2);
  EXPECT_EQ(m->false_positives(), 1);
  EXPECT_EQ(m->true_negatives(), 1);
  EXPECT_EQ(m->false_negatives(), 0);

  v1::ThresholdOptions o;
  o.set_rule(v1::THRESHOLD_TARGET_RECALL);
  o.set_target(0.5);
  EXPECT_DOUBLE_EQ(ChooseThreshold(kY, kS, o)->threshold(), 0.8);
  o.set_rule(v1::THRESHOLD_TARGET_PRECISION);
  o.set_target(0.6);
  EXPECT_DOUBLE_EQ(ChooseThreshold(kY, kS, o)->threshold(), 0.35);
  o.set_target(1.0);
  EXPECT_DOUBLE_EQ(ChooseThreshold(kY, kS, o)->threshold(), 0.8);
  EXPECT_EQ(ChooseThreshold({0, 1}, {0.9, 0.1}, o).status().code(),
            absl::StatusCode::kNotFound);
  o.set_target(0);
  EXPECT_THAT(ChooseThreshold(kY, kS, o).status().message(),
              HasSubstr("target: must be in (0, 1]"));

  o.Clear();
  o.set_rule(v1::THRESHOLD_MIN_COST);
  o.set_contact_cost(1);
  o.set_churn_loss(10);
  m = ChooseThreshold(kY, kS, o);
  ASSERT_TRUE(m.ok());
  EXPECT_DOUBLE_EQ(m->threshold(), 0.35);
  EXPECT_DOUBLE_EQ(m->expected_cost(), 3);
  o.set_contact_cost(100);  // contacting costs more than it saves
  m = ChooseThreshold(kY, kS, o);
  EXPECT_TRUE(std::isinf(m->threshold()));
  EXPECT_DOUBLE_EQ(m->expected_cost(), 20);
  o.set_save_rate(2);
  EXPECT_THAT(ChooseThreshold(kY, kS, o).status().message(),
              HasSubstr("save_rate"));
}

TEST(ConfusionAt, FlagsScoresAtOrAboveTheThreshold) {
  absl::StatusOr<v1::ConfusionMatrix> m = ConfusionAt(kY, kS, 0.4);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->true_positives(), 1);
  EXPECT_EQ(m->false_positives(), 1);
  EXPECT_DOUBLE_EQ(m->precision(), 0.5);
  EXPECT_DOUBLE_EQ(m->recall(), 0.5);
  EXPECT_DOUBLE_EQ(m->accuracy(), 0.5);
}

TEST(Evaluate, GathersEveryFigure) {
  absl::StatusOr<v1::Evaluation> e = Evaluate(kY, kS);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->count(), 4);
  EXPECT_EQ(e->positives(), 2);
  EXPECT_DOUBLE_EQ(e->roc_auc(), 0.75);
  EXPECT_TRUE(e->has_log_loss());
  EXPECT_TRUE(e->has_brier());
  EXPECT_EQ(e->lift_size(), 4);
  EXPECT_EQ(e->reliability_size(), 4);
  EXPECT_DOUBLE_EQ(e->confusion().threshold(), 0.35);
  // Scores that are not probabilities: no log-loss, Brier or reliability.
  v1::EvaluationOptions o;
  o.set_threshold(2);
  e = Evaluate(kY, {1, 4, 3.5, 8}, o);
  ASSERT_TRUE(e.ok());
  EXPECT_FALSE(e->has_log_loss());
  EXPECT_EQ(e->reliability_size(), 0);
  EXPECT_EQ(e->confusion().true_positives(), 2);
  EXPECT_EQ(e->confusion().false_positives(), 1);
}

TEST(StratifiedFolds, BalancesClassesAndIsReproducible) {
  std::vector<uint8_t> y;
  for (int i = 0; i < 103; ++i) y.push_back(i % 4 == 0);
  absl::StatusOr<std::vector<int>> folds = StratifiedFolds(y, 5, 9);
  ASSERT_TRUE(folds.ok());
  int count[5][2] = {};
  for (size_t i = 0; i < y.size(); ++i) count[(*folds)[i]][y[i]] += 1;
  for (int cls = 0; cls < 2; ++cls) {
    int lo = 1000, hi = 0;
    for (int f = 0; f < 5; ++f) {
      lo = std::min(lo, count[f][cls]);
      hi = std::max(hi, count[f][cls]);
    }
    EXPECT_LE(hi - lo, 1) << "class " << cls;
  }
  EXPECT_EQ(*StratifiedFolds(y, 5, 9), *folds);
  EXPECT_NE(*StratifiedFolds(y, 5, 10), *folds);
  EXPECT_THAT(StratifiedFolds({1, 0, 0, 0}, 2, 1).status().message(),
              HasSubstr("class 1 has 1 rows"));
  EXPECT_FALSE(StratifiedFolds(y, 1, 1).ok());
}

TEST(TimeSplit, TrainsBeforeTheCutoff) {
  const TimeSplitRows s = TimeSplit({100, 300, 200, 50}, 200);
  EXPECT_EQ(s.train, (std::vector<size_t>{0, 3}));
  EXPECT_EQ(s.test, (std::vector<size_t>{1, 2}));
}

TEST(FitPlatt, RecoversTheGeneratingSigmoid) {
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<double> s;
  std::vector<uint8_t> y;
  for (int i = 0; i < 50000; ++i) {
    const double score = -3 + 6 * u(rng);
    s.push_back(score);
    y.push_back(u(rng) < 1 / (1 + std::exp(-2 * score + 0.5)) ? 1 : 0);
  }
  absl::StatusOr<v1::Calibration> c = FitPlatt(y, s);
  ASSERT_TRUE(c.ok());
  EXPECT_NEAR(c->platt().a(), -2, 0.1);
  EXPECT_NEAR(c->platt().b(), 0.5, 0.1);
  absl::StatusOr<std::vector<double>> p = ApplyCalibration(*c, {0.0});
  ASSERT_TRUE(p.ok());
  EXPECT_NEAR((*p)[0], 1 / (1 + std::exp(c->platt().b())), 1e-15);
  EXPECT_FALSE(FitPlatt({1, 1}, {1, 2}).ok());
}

TEST(FitIsotonic, PoolsAdjacentViolatorsAndInterpolates) {
  absl::StatusOr<v1::Calibration> c =
      FitIsotonic({0, 1, 0, 1, 1}, {1, 2, 3, 4, 5});
  ASSERT_TRUE(c.ok());
  absl::StatusOr<std::vector<double>> p =
      ApplyCalibration(*c, {0, 1, 1.5, 2, 2.5, 3, 3.5, 4, 9});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p, (std::vector<double>{0, 0, 0.25, 0.5, 0.5, 0.5, 0.75, 1, 1}));
  // Decreasing, e.g. for a health score.
  c = FitIsotonic({1, 0, 1}, {1, 2, 3}, /*increasing=*/false);
  ASSERT_TRUE(c.ok());
  p = ApplyCalibration(*c, {1, 2, 3});
  EXPECT_EQ(*p, (std::vector<double>{1, 0.5, 0.5}));
  // Tied scores are pooled before the fit.
  c = FitIsotonic({1, 0, 0}, {1, 1, 2});
  p = ApplyCalibration(*c, {1, 2});
  EXPECT_NEAR((*p)[0], 1.0 / 3, 1e-15);
  EXPECT_NEAR((*p)[1], 1.0 / 3, 1e-15);
}

TEST(ApplyCalibration, RejectsMalformedCalibrations) {
  v1::Calibration c;
  EXPECT_THAT(ApplyCalibration(c, {1}).status().message(),
              HasSubstr("no method set"));
  c.mutable_isotonic()->add_x(2);
  c.mutable_isotonic()->add_x(1);
  c.mutable_isotonic()->add_y(0);
  c.mutable_isotonic()->add_y(1);
  EXPECT_THAT(ApplyCalibration(c, {1}).status().message(),
              HasSubstr("strictly increasing"));
  c.mutable_isotonic()->add_y(1);
  EXPECT_THAT(ApplyCalibration(c, {1}).status().message(),
              HasSubstr("equal size"));
}

}  // namespace
}  // namespace churnkit
