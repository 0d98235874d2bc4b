// A logistic fit over partitions of the rows (PartitionedFit,
// ComputeFitPartial) equals FitLogistic on all the rows with the
// Newton-Cholesky solver: the same clipping bounds exactly, the same
// statistics and coefficients to rounding (1e-9 relative, issue 17).
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "churnkit/model.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace churnkit {
namespace {

using ::testing::HasSubstr;

// Rows of a churn-like problem: a heavy-tailed amount, counts, a rare flag
// (winsorizing must keep it), a constant column, missing values.
struct Rows {
  std::vector<std::string> columns = {"amount",    "logins",   "tickets",
                                      "rare_flag", "constant", "ratio"};
  std::vector<double> x;
  std::vector<uint8_t> y;
  size_t n() const { return y.size(); }
};

Rows MakeRows(size_t n, uint32_t seed, bool missing) {
  std::mt19937_64 rng(seed);
  std::lognormal_distribution<double> amount(3, 1.2);
  std::poisson_distribution<int> logins(6), tickets(1);
  std::uniform_real_distribution<double> u(0, 1);
  Rows r;
  for (size_t i = 0; i < n; ++i) {
    const double a = amount(rng), l = logins(rng), t = tickets(rng);
    const double flag = u(rng) < 0.004 ? 1 : 0;
    const double ratio = u(rng);
    const double eta =
        -1.5 - 0.002 * a - 0.25 * l + 0.5 * t + 1.5 * flag + 0.8 * ratio;
    r.y.push_back(u(rng) < 1 / (1 + std::exp(-eta)) ? 1 : 0);
    r.x.insert(r.x.end(), {a, l, t, flag, 7.0,
                           missing && u(rng) < 0.1 ? std::nan("") : ratio});
  }
  return r;
}

// Rows [begin, end) as a partition.
struct Part {
  std::vector<double> x;
  std::vector<uint8_t> y;
};

std::vector<Part> Split(const Rows& r, std::vector<size_t> cuts) {
  std::vector<Part> parts;
  const size_t d = r.columns.size();
  size_t begin = 0;
  cuts.push_back(r.n());
  for (size_t end : cuts) {
    Part p;
    p.x.assign(r.x.begin() + begin * d, r.x.begin() + end * d);
    p.y.assign(r.y.begin() + begin, r.y.begin() + end);
    parts.push_back(std::move(p));
    begin = end;
  }
  return parts;
}

absl::StatusOr<v1::LogisticModel> FitOverParts(
    const std::vector<std::string>& columns, const std::vector<Part>& parts,
    const v1::FitOptions& options, int* rounds = nullptr) {
  absl::StatusOr<PartitionedFit> fit = PartitionedFit::Create(columns, options);
  if (!fit.ok()) return fit.status();
  for (int round = 1;; ++round) {
    std::vector<v1::FitPartial> partials;
    for (const Part& p : parts) {
      absl::StatusOr<v1::FitPartial> partial =
          ComputeFitPartial(fit->round(), {p.x, columns}, p.y, 1);
      if (!partial.ok()) return partial.status();
      partials.push_back(*std::move(partial));
    }
    absl::StatusOr<bool> done = fit->Advance(partials);
    if (!done.ok()) return done.status();
    if (*done) {
      if (rounds != nullptr) *rounds = round;
      return fit->model();
    }
  }
}

double RelativeDifference(double a, double b) {
  return std::abs(a - b) / std::max({std::abs(a), std::abs(b), 1e-300});
}

void ExpectSameModel(const v1::LogisticModel& got,
                     const v1::LogisticModel& want) {
  ASSERT_EQ(got.coefficients_size(), want.coefficients_size());
  EXPECT_THAT(got.clip_lower(), ::testing::ElementsAreArray(want.clip_lower()));
  EXPECT_THAT(got.clip_upper(), ::testing::ElementsAreArray(want.clip_upper()));
  EXPECT_LE(RelativeDifference(got.intercept(), want.intercept()), 1e-9);
  for (int j = 0; j < want.coefficients_size(); ++j) {
    SCOPED_TRACE(want.feature_names(j));
    EXPECT_EQ(got.feature_names(j), want.feature_names(j));
    EXPECT_LE(RelativeDifference(got.coefficients(j), want.coefficients(j)),
              1e-9)
        << got.coefficients(j) << " vs " << want.coefficients(j);
    EXPECT_LE(RelativeDifference(got.means(j), want.means(j)), 1e-12);
    EXPECT_LE(RelativeDifference(got.scales(j), want.scales(j)), 1e-12);
    EXPECT_NEAR(got.univariate_correlation(j), want.univariate_correlation(j),
                1e-12);
  }
  EXPECT_EQ(got.report().iterations(), want.report().iterations());
  EXPECT_EQ(got.report().rows(), want.report().rows());
  EXPECT_EQ(got.report().dropped_size(), want.report().dropped_size());
  EXPECT_EQ(got.missing_values(), want.missing_values());
  EXPECT_TRUE(got.report().converged());
  EXPECT_TRUE(ValidateModel(got).ok());
}

v1::FitOptions MainJobOptions() {
  v1::FitOptions o;
  o.set_solver(v1::SOLVER_NEWTON_CHOLESKY);
  o.set_missing_values(v1::MISSING_IMPUTE_MEAN);
  o.set_winsorize(0.01);
  return o;
}

TEST(PartitionedFitTest, EqualsTheWholeFitWithWinsorizingAndMissingValues) {
  const Rows rows = MakeRows(20000, 7, /*missing=*/true);
  const v1::FitOptions options = MainJobOptions();
  absl::StatusOr<v1::LogisticModel> whole =
      FitLogistic(MatrixView{rows.x, rows.columns}, rows.y, options);
  ASSERT_TRUE(whole.ok()) << whole.status();
  int rounds = 0;
  absl::StatusOr<v1::LogisticModel> parts = FitOverParts(
      rows.columns, Split(rows, {3000, 3000, 11000}), options, &rounds);
  ASSERT_TRUE(parts.ok()) << parts.status();
  ExpectSameModel(*parts, *whole);
  // Counts, the quantiles, moments, then one pass per Newton trial.
  EXPECT_EQ(rounds, 3 + parts->report().evaluations());
  // The rare flag keeps its signal; the constant column is dropped.
  EXPECT_TRUE(std::isinf(parts->clip_lower(3)));
  EXPECT_EQ(parts->report().dropped(0).feature(), "constant");
}

TEST(PartitionedFitTest, EqualsTheWholeFitInOtherSettings) {
  const Rows rows = MakeRows(6000, 11, /*missing=*/false);
  std::vector<v1::FitOptions> settings(4);
  settings[0].set_c(0.05);
  settings[1].set_penalty(v1::PENALTY_NONE);
  settings[2].mutable_class_weights()->set_balanced(true);
  settings[2].set_standardize(false);
  settings[3].set_lambda(0.001);
  settings[3].set_winsorize(0.05);
  for (v1::FitOptions& options : settings) {
    SCOPED_TRACE(options.ShortDebugString());
    // Without a penalty the constant column makes the Hessian singular.
    std::vector<std::string> columns = rows.columns;
    Rows r = rows;
    if (options.penalty() == v1::PENALTY_NONE) {
      for (size_t i = 0; i < r.n(); ++i) r.x[i * 6 + 4] = i % 3;
    }
    options.set_solver(v1::SOLVER_NEWTON_CHOLESKY);
    absl::StatusOr<v1::LogisticModel> whole =
        FitLogistic(MatrixView{r.x, columns}, r.y, options);
    ASSERT_TRUE(whole.ok()) << whole.status();
    absl::StatusOr<v1::LogisticModel> parts =
        FitOverParts(columns, Split(r, {1, 2500, 2500}), options);
    ASSERT_TRUE(parts.ok()) << parts.status();
    ExpectSameModel(*parts, *whole);
  }
}

TEST(PartitionedFitTest, TheClippingQuantilesAreExactWithManyPartsAndTies) {
  // Many small parts, values with long runs of ties, so that brackets hold
  // few values and quantiles fall on tied values.
  Rows r = MakeRows(30000, 3, /*missing=*/false);
  for (size_t i = 0; i < r.n(); ++i) r.x[i * 6] = std::floor(r.x[i * 6] / 10);
  std::vector<size_t> cuts;
  for (size_t c = 977; c < r.n(); c += 977 + c % 13) cuts.push_back(c);
  v1::FitOptions options = MainJobOptions();
  options.set_winsorize(0.03);
  absl::StatusOr<v1::LogisticModel> whole =
      FitLogistic(MatrixView{r.x, r.columns}, r.y, options);
  ASSERT_TRUE(whole.ok()) << whole.status();
  absl::StatusOr<v1::LogisticModel> parts =
      FitOverParts(r.columns, Split(r, cuts), options);
  ASSERT_TRUE(parts.ok()) << parts.status();
  ExpectSameModel(*parts, *whole);
}

TEST(PartitionedFitTest, BadInput) {
  const Rows rows = MakeRows(500, 5, false);
  v1::FitOptions l1;
  l1.set_penalty(v1::PENALTY_L1);
  EXPECT_THAT(PartitionedFit::Create(rows.columns, l1).status().message(),
              HasSubstr("options.penalty: PENALTY_L1"));
  v1::FitOptions lbfgs;
  lbfgs.set_solver(v1::SOLVER_LBFGS);
  EXPECT_THAT(PartitionedFit::Create(rows.columns, lbfgs).status().message(),
              HasSubstr("options.solver: SOLVER_LBFGS"));
  EXPECT_THAT(PartitionedFit::Create({}, {}).status().message(),
              HasSubstr("columns: none"));
  EXPECT_THAT(PartitionedFit::Create({"a", "a"}, {}).status().message(),
              HasSubstr("columns[1]: duplicate 'a'"));

  absl::StatusOr<PartitionedFit> fit = PartitionedFit::Create(rows.columns, {});
  ASSERT_TRUE(fit.ok());
  // A partition with other columns, other labels, or a bad value.
  const std::vector<std::string> other = {"amount",    "logins",   "x",
                                          "rare_flag", "constant", "ratio"};
  EXPECT_THAT(ComputeFitPartial(fit->round(), {rows.x, other}, rows.y)
                  .status()
                  .message(),
              HasSubstr("column 2 is 'x'; the fit expects 'tickets'"));
  EXPECT_THAT(ComputeFitPartial(fit->round(), {rows.x, rows.columns},
                                absl::MakeConstSpan(rows.y).subspan(1))
                  .status()
                  .message(),
              HasSubstr("labels: 499 values for 500 rows"));
  // No partials, partials of another fit, a changing number of them.
  EXPECT_THAT(fit->Advance({}).status().message(), HasSubstr("none"));
  absl::StatusOr<PartitionedFit> other_fit =
      PartitionedFit::Create(rows.columns, {});
  absl::StatusOr<v1::FitPartial> foreign =
      ComputeFitPartial(other_fit->round(), {rows.x, rows.columns}, rows.y);
  ASSERT_TRUE(foreign.ok());
  EXPECT_THAT(fit->Advance({*foreign}).status().message(),
              HasSubstr("of another fit"));
  // Those errors leave the fit as it was.
  absl::StatusOr<v1::FitPartial> own =
      ComputeFitPartial(fit->round(), {rows.x, rows.columns}, rows.y);
  ASSERT_TRUE(own.ok());
  EXPECT_THAT(fit->Advance({*own}), absl::StatusOr<bool>(false));
  EXPECT_THAT(fit->Advance({*own, *own}).status().message(),
              HasSubstr("partials: 2 for 1 partitions"));

  // A single class over every partition; a NaN in reject mode.
  absl::StatusOr<PartitionedFit> single =
      PartitionedFit::Create(rows.columns, {});
  const std::vector<uint8_t> zeros(rows.n(), 0);
  absl::StatusOr<v1::FitPartial> p =
      ComputeFitPartial(single->round(), {rows.x, rows.columns}, zeros);
  ASSERT_TRUE(p.ok());
  EXPECT_THAT(single->Advance({*p}).status().message(),
              HasSubstr("a single class"));
  // After an error of the fit itself it is spent.
  EXPECT_EQ(single->Advance({*p}).status().code(),
            absl::StatusCode::kFailedPrecondition);
  Rows nan = rows;
  nan.x[7 * 6 + 1] = std::nan("");
  absl::StatusOr<PartitionedFit> reject =
      PartitionedFit::Create(rows.columns, {});
  p = ComputeFitPartial(reject->round(), {nan.x, nan.columns}, nan.y);
  ASSERT_TRUE(reject->Advance({*p}).ok());
  EXPECT_THAT(ComputeFitPartial(reject->round(), {nan.x, nan.columns}, nan.y)
                  .status()
                  .message(),
              HasSubstr("row 7, column 'logins' is NaN"));
}

}  // namespace
}  // namespace churnkit
