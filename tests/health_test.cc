#include "churnkit/health.h"

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "churnkit/features.h"
#include "churnkit/io.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace churnkit {
namespace {

using ::testing::HasSubstr;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

v1::Scorecard Parse(const std::string& text) {
  v1::Scorecard card;
  EXPECT_TRUE(ParseTextProto(text, &card).ok()) << text;
  return card;
}

std::string CreateError(const std::string& text,
                        const std::vector<std::string>& columns = {"a", "b"}) {
  absl::StatusOr<HealthScorer> s = HealthScorer::Create(Parse(text), columns);
  EXPECT_FALSE(s.ok()) << text;
  return std::string(s.status().message());
}

const char kTwoDims[] = R"pb(
  colours { green_min: 30 yellow_min: 10 }
  dimensions {
    name: "usage"
    criteria {
      feature: "a"
      bands { max: 1 points: 0 label: "low" }
      bands { min: 1 max: 4 points: 10 label: "medium" }
      bands { min: 4 points: 20 label: "high" }
    }
  }
  dimensions {
    name: "service"
    weight: 2
    criteria {
      feature: "b"
      bands { missing: true points: 5 label: "unknown" }
      bands { max: 7 points: -10 label: "bad" }
      bands { min: 7 points: 10 label: "good" }
    }
  }
)pb";

TEST(HealthScorer, BandsAreHalfOpenAndWeightsMultiply) {
  HealthScorer s = HealthScorer::Create(Parse(kTwoDims), {"b", "a"}).value();
  struct Case {
    double a, b, total;
    v1::Colour colour;
    const char* usage;
    const char* service;
  } cases[] = {
      {0.99, 6.99, 0 - 20, v1::RED, "low", "bad"},
      {1, 7, 10 + 20, v1::GREEN, "medium", "good"},
      {3.99, kNaN, 10 + 10, v1::YELLOW, "medium", "unknown"},
      {4, -1e300, 20 - 20, v1::RED, "high", "bad"},
      {1e300, 1e300, 20 + 20, v1::GREEN, "high", "good"},
  };
  for (const Case& c : cases) {
    HealthScore h = s.Score({c.b, c.a});
    EXPECT_EQ(h.total, c.total) << c.a << " " << c.b;
    EXPECT_EQ(h.colour, c.colour);
    ASSERT_EQ(h.dimensions.size(), 2u);
    EXPECT_EQ(h.dimensions[0].label, c.usage);
    EXPECT_EQ(h.dimensions[1].label, c.service);
    EXPECT_EQ(h.dimensions[0].values[0].first, "a");
  }
  EXPECT_EQ(s.min_total(), 0 - 20);
  EXPECT_EQ(s.max_total(), 20 + 20);
}

TEST(HealthScorer, CombinesCriteriaAndScoresMissingAsRisk) {
  const std::string dim = R"pb(
    colours { green_min: 0 yellow_min: 0 }
    dimensions {
      name: "d"
      combine: COMBINE
      criteria {
        feature: "a"
        bands { max: 5 points: 0 label: "a_low" }
        bands { min: 5 points: 30 label: "a_high" }
      }
      criteria {
        feature: "b"
        bands { max: 5 points: 10 label: "b_low" }
        bands { min: 5 points: 20 label: "b_high" }
      }
    })pb";
  auto score = [&](const char* combine, std::vector<double> row) {
    std::string text = dim;
    text.replace(text.find("COMBINE"), 7, combine);
    HealthScorer s = HealthScorer::Create(Parse(text), {"a", "b"}).value();
    return s.Score(row).dimensions[0];
  };
  EXPECT_EQ(score("MIN", {9, 1}).points, 10);
  EXPECT_EQ(score("MIN", {9, 1}).label, "b_low");
  EXPECT_EQ(score("MAX", {9, 1}).points, 30);
  EXPECT_EQ(score("MAX", {9, 1}).label, "a_high");
  EXPECT_EQ(score("SUM", {9, 1}).points, 40);
  EXPECT_EQ(score("MEAN", {9, 1}).points, 20);
  // No missing band: NaN takes the lowest points, labelled "missing".
  EXPECT_EQ(score("MAX", {kNaN, kNaN}).points, 10);
  EXPECT_EQ(score("SUM", {kNaN, 9}).points, 20);
  EXPECT_EQ(score("MIN", {kNaN, 9}).label, "missing");
}

TEST(HealthScorer, OtherwisePointsCoverGapsAndMissingValues) {
  absl::StatusOr<HealthScorer> s = HealthScorer::Create(
      Parse(R"pb(colours { green_min: 1 yellow_min: -5 }
                 dimensions {
                   combine: SUM
                   criteria {
                     feature: "a"
                     otherwise_points: 0
                     bands { min: 2 max: 4 points: -7 label: "two or three" }
                     bands { min: 10 points: 3 label: "ten or more" }
                   }
                   criteria { feature: "b" otherwise_points: 2 }
                 })pb"),
      {"a", "b"});
  ASSERT_TRUE(s.ok()) << s.status();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(s->Score(std::vector<double>{1, 0}).total, 2);
  EXPECT_EQ(s->Score(std::vector<double>{3, 0}).total, -5);
  EXPECT_EQ(s->Score(std::vector<double>{3, 0}).dimensions[0].label,
            "two or three");
  EXPECT_EQ(s->Score(std::vector<double>{7, 0}).total, 2);
  EXPECT_EQ(s->Score(std::vector<double>{12, nan}).total, 5);
  EXPECT_EQ(s->Score(std::vector<double>{nan, nan}).total, 2);
  EXPECT_EQ(s->min_total(), -5);
  EXPECT_EQ(s->max_total(), 5);
  // Bands still must not overlap; the points must be finite.
  EXPECT_THAT(CreateError(R"pb(dimensions {
                                 criteria {
                                   feature: "a"
                                   otherwise_points: 0
                                   bands { min: 1 max: 5 points: 1 }
                                   bands { min: 4 points: 2 }
                                 }
                               })pb"),
              HasSubstr("overlaps"));
  EXPECT_THAT(CreateError(R"pb(dimensions {
                                 criteria { feature: "a" otherwise_points: inf }
                               })pb"),
              HasSubstr("dimensions[0].criteria[0].otherwise_points: must be "
                        "finite"));
}

TEST(HealthScorer, ConfigErrorsNameThePath) {
  const std::string head = "colours { green_min: 1 yellow_min: 0 } ";
  EXPECT_THAT(CreateError(head + R"pb(dimensions {
                                        criteria {
                                          feature: "a"
                                          bands { max: 5 points: 0 }
                                          bands { min: 4 points: 1 }
                                        }
                                      })pb"),
              HasSubstr("dimensions[0].criteria[0].bands[0].max: overlaps"));
  EXPECT_THAT(
      CreateError(head + R"pb(dimensions {
                                criteria {
                                  feature: "a"
                                  bands { max: 5 points: 0 }
                                  bands { min: 6 points: 1 }
                                }
                              })pb"),
      HasSubstr("dimensions[0].criteria[0].bands[0].max: leaves a gap"));
  EXPECT_THAT(CreateError(head + R"pb(dimensions {
                                        criteria {
                                          feature: "a"
                                          bands { min: 0 points: 0 }
                                        }
                                      })pb"),
              HasSubstr("bands[0].min: values below 0 fall in no band"));
  EXPECT_THAT(CreateError(head + R"pb(dimensions {
                                        criteria {
                                          feature: "a"
                                          bands { max: 9 points: 0 }
                                        }
                                      })pb"),
              HasSubstr("bands[0].max: values from 9 up"));
  EXPECT_THAT(
      CreateError(head + R"pb(dimensions {
                                criteria {
                                  feature: "zz"
                                  bands { points: 0 }
                                }
                              })pb"),
      HasSubstr("dimensions[0].criteria[0].feature: unknown feature 'zz'"));
  EXPECT_THAT(CreateError(head + R"pb(dimensions {}
                                      dimensions {
                                        criteria {
                                          feature: "a"
                                          bands { points: 0 }
                                        }
                                      })pb"),
              HasSubstr("dimensions[0].criteria: empty"));
  EXPECT_THAT(CreateError(R"pb(colours { green_min: 1 yellow_min: 5 }
                               dimensions {
                                 criteria {
                                   feature: "a"
                                   bands { points: 0 }
                                 }
                               })pb"),
              HasSubstr("colours.green_min: must be >= yellow_min"));
  EXPECT_THAT(CreateError(head + R"pb(dimensions {
                                        weight: -1
                                        criteria {
                                          feature: "a"
                                          bands { points: 0 }
                                        }
                                      })pb"),
              HasSubstr("dimensions[0].weight"));
  EXPECT_THAT(CreateError(head + R"pb(dimensions {
                                        criteria {
                                          feature: "a"
                                          bands { points: 0 }
                                          bands { missing: true }
                                          bands { missing: true }
                                        }
                                      })pb"),
              HasSubstr("bands[2].missing: a second missing band"));
}

TEST(ShippedScorecards, ZohoTableExactlyAndTheWeightedVariant) {
  const FeatureEngine engine =
      FeatureEngine::Create(DefaultFeatureSet().value()).value();
  const std::vector<std::string>& cols = engine.names();
  HealthScorer zoho =
      HealthScorer::Create(DefaultScorecard().value(), cols).value();
  EXPECT_EQ(zoho.min_total(), -50);
  EXPECT_EQ(zoho.max_total(), 100);
  const v1::Scorecard& card = zoho.scorecard();
  ASSERT_EQ(card.dimensions_size(), 5);
  // The table's points per dimension, highest to lowest.
  const std::vector<std::vector<double>> table = {
      {20, 10, 0}, {30, 15, 0}, {20, 10, -20}, {15, 0, -20}, {15, 5, -10}};
  for (int d = 0; d < 5; ++d) {
    for (const v1::Criterion& c : card.dimensions(d).criteria()) {
      for (const v1::Band& b : c.bands()) {
        EXPECT_NE(std::find(table[d].begin(), table[d].end(), b.points()),
                  table[d].end())
            << card.dimensions(d).name() << " " << b.points();
      }
    }
  }
  HealthScorer weighted =
      HealthScorer::Create(WeightedScorecard().value(), cols).value();
  EXPECT_EQ(weighted.scorecard().dimensions_size(), 4);
  EXPECT_NEAR(weighted.max_total(), 100, 1e-9);
  EXPECT_GE(weighted.min_total(), 0);
}

// Property: the total is the base points plus the dimension points, and the
// colour follows the cut-offs, for any feature values. Total and ScoreInto
// (the assessment's paths) give Score's figures: the same total bit for bit
// and the same dimensions as messages, NaN values included.
TEST(ShippedScorecards, TotalIsTheSumOfDimensionPoints) {
  const FeatureEngine engine =
      FeatureEngine::Create(DefaultFeatureSet().value()).value();
  const std::vector<std::string>& cols = engine.names();
  std::mt19937 rng(5);
  std::uniform_real_distribution<double> value(-50, 400);
  for (const v1::Scorecard& card :
       {DefaultScorecard().value(), WeightedScorecard().value()}) {
    HealthScorer s = HealthScorer::Create(card, cols).value();
    std::vector<double> row(cols.size());
    for (int trial = 0; trial < 2000; ++trial) {
      for (double& v : row) v = rng() % 7 == 0 ? kNaN : value(rng) / 10;
      HealthScore h = s.Score(row);
      double sum = card.base_points();
      for (const DimensionResult& d : h.dimensions) sum += d.points;
      EXPECT_DOUBLE_EQ(h.total, sum);
      EXPECT_EQ(h.colour, s.ColourOf(h.total));
      EXPECT_GE(h.total, s.min_total() - 1e-9);
      EXPECT_LE(h.total, s.max_total() + 1e-9);

      EXPECT_EQ(s.Total(row), h.total);
      google::protobuf::RepeatedPtrField<v1::DimensionScore> dims;
      EXPECT_EQ(s.ScoreInto(row, &dims), h.total);
      ASSERT_EQ(dims.size(), static_cast<int>(h.dimensions.size()));
      for (int d = 0; d < dims.size(); ++d) {
        const DimensionResult& want = h.dimensions[d];
        EXPECT_EQ(dims[d].name(), want.name);
        EXPECT_EQ(dims[d].points(), want.points);
        EXPECT_EQ(dims[d].label(), want.label);
        ASSERT_EQ(dims[d].values_size(), static_cast<int>(want.values.size()));
        for (int k = 0; k < dims[d].values_size(); ++k) {
          EXPECT_EQ(dims[d].values(k).feature(), want.values[k].first);
          const double got = dims[d].values(k).value();
          EXPECT_TRUE(got == want.values[k].second ||
                      (std::isnan(got) && std::isnan(want.values[k].second)));
        }
      }
    }
  }
}

}  // namespace
}  // namespace churnkit
