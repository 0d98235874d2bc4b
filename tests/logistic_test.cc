// The private logistic solvers and scoring kernels (src/internal/
// logistic.h): the AVX2 and baseline row kernels agree, every solver is
// bit-identical for every thread count, warm starts from a subsample reach
// the cold start's optimum, missing values, inactive columns
// and odd sizes (row and column counts that are not multiples of the
// kernels' widths) are handled, and the kernels' own exp and log match
// libm.
#include "internal/logistic.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace churnkit::internal {
namespace {

// n x d standardized-units problem with a few NaNs and one inactive column.
struct Problem {
  std::vector<double> x, w, mean, inv_scale;
  std::vector<uint8_t> y, active;
  LogisticProblem p;
};

Problem Make(size_t n, size_t d, bool impute) {
  Problem pr;
  std::mt19937_64 rng(n * 31 + d);
  std::normal_distribution<double> normal;
  std::uniform_real_distribution<double> uniform;
  std::vector<double> beta(d);
  for (double& b : beta) b = normal(rng) / std::sqrt(static_cast<double>(d));
  pr.x.resize(n * d);
  for (size_t i = 0; i < n; ++i) {
    double eta = 0.3;
    for (size_t j = 0; j < d; ++j) {
      const double z = normal(rng);
      eta += beta[j] * z;
      pr.x[i * d + j] = 100 + 3 * z;  // raw units: mean 100, scale 3
      if (impute && uniform(rng) < 0.03) pr.x[i * d + j] = NAN;
    }
    pr.y.push_back(uniform(rng) < 1 / (1 + std::exp(-eta)) ? 1 : 0);
    pr.w.push_back(0.5 + uniform(rng));
  }
  pr.mean.assign(d, 100);
  pr.inv_scale.assign(d, 1.0 / 3);
  pr.active.assign(d, 1);
  pr.active[d / 2] = 0;  // treated as constant: coefficient 0
  pr.p.x = pr.x.data();
  pr.p.n = n;
  pr.p.d = d;
  pr.p.y = pr.y.data();
  pr.p.sample_weights = pr.w.data();
  pr.p.mean = pr.mean.data();
  pr.p.inv_scale = pr.inv_scale.data();
  pr.p.active = pr.active.data();
  pr.p.impute = impute;
  pr.p.loss_scale = 0.5;
  pr.p.l2 = 1;
  return pr;
}

SolverResult Solve(const LogisticProblem& p, v1::Solver solver, bool portable,
                   int threads, bool warm_start = true) {
  LogisticProblem q = p;
  q.threads = threads;
  SolverOptions o;
  o.solver = solver;
  o.tolerance = 1e-10;
  o.max_iterations = 1000;
  o.portable_kernels = portable;
  o.warm_start = warm_start;
  absl::StatusOr<SolverResult> r = SolveLogistic(q, o);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : SolverResult{};
}

constexpr v1::Solver kSolvers[] = {v1::SOLVER_NEWTON_CHOLESKY, v1::SOLVER_LBFGS,
                                   v1::SOLVER_COORDINATE_DESCENT};

TEST(SolveLogistic, KernelsAgreeAndEverySolverReachesTheSameMinimum) {
  for (size_t d : {2, 3, 8, 13}) {
    for (bool impute : {false, true}) {
      const Problem pr = Make(5001, d, impute);
      const SolverResult ref = Solve(pr.p, v1::SOLVER_NEWTON_CHOLESKY, true, 1);
      EXPECT_TRUE(ref.converged);
      EXPECT_EQ(ref.theta[d / 2 + 1], 0.0);
      for (v1::Solver solver : kSolvers) {
        for (bool portable : {true, false}) {
          const SolverResult r = Solve(pr.p, solver, portable, 1);
          EXPECT_NEAR(r.objective, ref.objective, 1e-12 * ref.objective)
              << "d " << d << " solver " << solver << " portable " << portable;
          for (size_t j = 0; j <= d; ++j) {
            EXPECT_NEAR(r.theta[j], ref.theta[j], 1e-6) << "d " << d;
          }
        }
      }
    }
  }
}

// Fits with 2, 3 and 8 threads and expects each to equal `one` (1 thread)
// to the bit.
void ExpectSameForEveryThreadCount(const LogisticProblem& p, v1::Solver solver,
                                   bool portable, const SolverResult& one) {
  for (int threads : {2, 3, 8}) {
    const SolverResult r = Solve(p, solver, portable, threads);
    EXPECT_EQ(r.theta, one.theta)
        << "solver " << solver << ", " << threads << " threads";
    EXPECT_EQ(r.objective, one.objective);
    EXPECT_EQ(r.evaluations, one.evaluations);
  }
}

TEST(SolveLogistic, EverySolverIsBitIdenticalForEveryThreadCount) {
  // Without missing values, value and gradient passes read the raw rows.
  for (bool impute : {true, false}) {
    const Problem pr = Make(30011, 37, impute);  // 15 blocks, odd tails
    for (v1::Solver solver : kSolvers) {
      for (bool portable : {true, false}) {
        ExpectSameForEveryThreadCount(pr.p, solver, portable,
                                      Solve(pr.p, solver, portable, 1));
      }
    }
  }
}

// A gradient pass (raw rows when nothing is missing and the means are
// within 1000 scales of 0) against a Hessian pass (standardized rows) at the
// same point: the same loss and gradient to rounding; to the bit when the
// means are too far for raw rows.
TEST(SumPass, RawRowsGiveTheStandardizedGradient) {
  for (size_t d : {5, 8, 37}) {
    for (double mean : {100.0, 1e6}) {
      Problem pr = Make(9001, d, false);
      for (size_t i = 0; i < pr.x.size(); ++i) pr.x[i] += mean - 100;
      pr.mean.assign(d, mean);
      std::vector<double> theta(d + 1);
      for (size_t j = 0; j <= d; ++j) theta[j] = 0.1 * std::sin(j + 1.0);
      const PassSums raw = SumPass(pr.p, theta, /*hessian=*/false);
      const PassSums standardized = SumPass(pr.p, theta, /*hessian=*/true);
      double largest = 0;
      for (double g : standardized.gradient) {
        largest = std::max(largest, std::abs(g));
      }
      for (size_t j = 0; j <= d; ++j) {
        if (j > 0 && !pr.active[j - 1]) continue;
        if (mean > 1e3 * 3) {
          EXPECT_EQ(raw.gradient[j], standardized.gradient[j]) << j;
        } else {
          EXPECT_NEAR(raw.gradient[j], standardized.gradient[j],
                      1e-12 * largest)
              << "d " << d << " j " << j;
        }
      }
      EXPECT_NEAR(raw.loss, standardized.loss, 1e-13 * standardized.loss);
    }
  }
}

// 70001 rows: enough for a warm start from a subsample.
TEST(SolveLogistic, WarmStartReachesTheColdOptimumWithTheSameTest) {
  for (bool impute : {false, true}) {
    const Problem pr = Make(70001, 7, impute);
    for (v1::Solver solver : kSolvers) {
      LogisticProblem p = pr.p;
      // Coordinate descent with an elastic net (the others have no L1).
      if (solver == v1::SOLVER_COORDINATE_DESCENT) p.l1 = 0.5;
      const SolverResult cold = Solve(p, solver, false, 1, false);
      const SolverResult warm = Solve(p, solver, false, 1);
      EXPECT_FALSE(cold.warm_started);
      EXPECT_EQ(cold.subsample_evaluations, 0);
      EXPECT_TRUE(warm.warm_started) << "solver " << solver;
      EXPECT_GT(warm.subsample_evaluations, 0);
      EXPECT_EQ(warm.subsample_rows, 70001 / 1024 * 64);  // 1/16
      EXPECT_TRUE(warm.converged);
      // The tolerance is relative to the same gradient, at the standard
      // start, computed in the first pass from the warm start (to rounding:
      // a gradient pass may read the raw rows where the cold start's first
      // pass, with a Hessian, standardizes them).
      EXPECT_NEAR(warm.initial_gradient_norm, cold.initial_gradient_norm,
                  1e-12 * cold.initial_gradient_norm)
          << "solver " << solver;
      EXPECT_NEAR(warm.objective, cold.objective, 1e-12 * cold.objective)
          << "solver " << solver << " impute " << impute;
      for (size_t j = 0; j < cold.theta.size(); ++j) {
        EXPECT_NEAR(warm.theta[j], cold.theta[j], 1e-6) << "solver " << solver;
      }
      EXPECT_EQ(warm.theta[7 / 2 + 1], 0.0);  // the inactive column
    }
  }
}

// 20011 rows: too few for a 1/16 subsample (at least 4096 rows), enough
// for a 1/4 one, which only L-BFGS takes (Newton's cold fits stay those of
// the partitioned fit).
TEST(SolveLogistic,
     LbfgsWarmStartsFromADenserSubsampleWhereOneSixteenthIsTooFew) {
  for (bool impute : {false, true}) {
    SCOPED_TRACE(impute ? "imputing" : "no missing values");
    const Problem pr = Make(20011, 13, impute);
    const SolverResult cold = Solve(pr.p, v1::SOLVER_LBFGS, false, 1, false);
    const SolverResult warm = Solve(pr.p, v1::SOLVER_LBFGS, false, 1);
    EXPECT_TRUE(warm.warm_started);
    EXPECT_EQ(warm.subsample_rows, 20011 / 256 * 64);
    EXPECT_GT(warm.subsample_evaluations, 0);
    EXPECT_TRUE(warm.converged);
    EXPECT_NEAR(warm.initial_gradient_norm, cold.initial_gradient_norm,
                1e-12 * cold.initial_gradient_norm);
    EXPECT_NEAR(warm.objective, cold.objective, 1e-12 * cold.objective);
    for (size_t j = 0; j < cold.theta.size(); ++j) {
      EXPECT_NEAR(warm.theta[j], cold.theta[j], 1e-6) << "component " << j;
    }
    ExpectSameForEveryThreadCount(pr.p, v1::SOLVER_LBFGS, false, warm);
    for (v1::Solver solver :
         {v1::SOLVER_NEWTON_CHOLESKY, v1::SOLVER_COORDINATE_DESCENT}) {
      const SolverResult r = Solve(pr.p, solver, false, 1);
      EXPECT_FALSE(r.warm_started) << "solver " << solver;
      EXPECT_EQ(r.subsample_evaluations, 0) << "solver " << solver;
      EXPECT_EQ(r.subsample_rows, 0u) << "solver " << solver;
    }
  }
}

// With the churners' sums (LogisticProblem::churner_z_sums) and means that
// are the data's own, L-BFGS takes its first point from the sums instead of
// a pass: the same gradient there and the same optimum, one pass fewer.
TEST(SolveLogistic, ChurnerSumsStandInForTheFirstPass) {
  for (bool impute : {false, true}) {
    SCOPED_TRACE(impute ? "imputing" : "no missing values");
    Problem pr = Make(20011, 13, impute);
    pr.p.class_weight[0] = 0.7;
    pr.p.class_weight[1] = 2.5;
    const size_t n = pr.p.n, d = pr.p.d;
    std::vector<double> churner_z_sums(d, 0.0);
    for (size_t j = 0; j < d; ++j) {
      double weight = 0, sum = 0;
      for (size_t i = 0; i < n; ++i) {
        if (std::isnan(pr.x[i * d + j])) continue;
        weight += pr.w[i];
        sum += pr.w[i] * pr.x[i * d + j];
      }
      pr.mean[j] = sum / weight;
      for (size_t i = 0; i < n; ++i) {
        if (pr.y[i] == 0 || std::isnan(pr.x[i * d + j])) continue;
        churner_z_sums[j] +=
            pr.w[i] * (pr.x[i * d + j] - pr.mean[j]) * pr.inv_scale[j];
      }
    }
    const SolverResult pass = Solve(pr.p, v1::SOLVER_LBFGS, false, 1, false);
    LogisticProblem with_sums = pr.p;
    with_sums.churner_z_sums = churner_z_sums.data();
    const SolverResult sums =
        Solve(with_sums, v1::SOLVER_LBFGS, false, 1, false);
    // Imputing, the passes standardize the rows, and so does the first.
    EXPECT_EQ(sums.evaluations, pass.evaluations - (impute ? 0 : 1));
    ASSERT_EQ(sums.start_gradient.size(), d + 1);
    for (size_t j = 0; j <= d; ++j) {
      EXPECT_NEAR(sums.start_gradient[j], pass.start_gradient[j],
                  1e-10 * pass.initial_gradient_norm)
          << "component " << j;
    }
    EXPECT_NEAR(sums.initial_gradient_norm, pass.initial_gradient_norm,
                1e-10 * pass.initial_gradient_norm);
    EXPECT_NEAR(sums.objective, pass.objective, 1e-12 * pass.objective);
    for (size_t j = 0; j <= d; ++j) {
      EXPECT_NEAR(sums.theta[j], pass.theta[j], 1e-6);
    }
    EXPECT_EQ(sums.theta[d / 2 + 1], 0.0);  // the inactive column
    // Newton needs the Hessian at its first point: a pass either way.
    EXPECT_EQ(
        Solve(with_sums, v1::SOLVER_NEWTON_CHOLESKY, false, 1, false)
            .evaluations,
        Solve(pr.p, v1::SOLVER_NEWTON_CHOLESKY, false, 1, false).evaluations);
    ExpectSameForEveryThreadCount(with_sums, v1::SOLVER_LBFGS, false,
                                  Solve(with_sums, v1::SOLVER_LBFGS, false, 1));
  }
}

TEST(SolveLogistic, WarmStartIsBitIdenticalForEveryThreadCount) {
  const Problem pr = Make(70001, 13, true);
  for (v1::Solver solver : kSolvers) {
    const SolverResult one = Solve(pr.p, solver, false, 1);
    EXPECT_TRUE(one.warm_started);
    ExpectSameForEveryThreadCount(pr.p, solver, false, one);
  }
}

TEST(SolveLogistic, ObjectiveMatchesLibmForLargeMargins) {
  // Nearly separable data and a weak penalty: margins up to thousands, so
  // the kernels' own exp and log are checked over their whole range
  // (including exp's cutoff at -708) against libm at the solution.
  Problem pr = Make(2000, 2, false);
  for (size_t i = 0; i < pr.p.n; ++i) {
    pr.x[2 * i] = 100 + (pr.y[i] ? 2.0 : -2.0) + 0.5 * (pr.x[2 * i] - 100);
  }
  pr.x[0] = 100 + 3000 * (pr.y[0] ? 1 : -1);  // z = +-1000
  pr.p.loss_scale = 100;
  for (bool portable : {true, false}) {
    const SolverResult r = Solve(pr.p, v1::SOLVER_NEWTON_CHOLESKY, portable, 1);
    double loss = 0, largest = 0;
    for (size_t i = 0; i < pr.p.n; ++i) {
      double e = r.theta[0];
      for (size_t j = 0; j < 2; ++j) {
        e += r.theta[j + 1] * (pr.x[2 * i + j] - 100) / 3;
      }
      largest = std::max(largest, std::abs(e));
      loss += pr.w[i] * (std::max(e, 0.0) + std::log1p(std::exp(-std::abs(e))) -
                         (pr.y[i] ? e : 0.0));
    }
    const double beta2 =
        r.theta[1] * r.theta[1];  // theta[2] is inactive (column d / 2 = 1)
    EXPECT_EQ(r.theta[2], 0.0);
    const double objective = pr.p.loss_scale * loss + 0.5 * beta2;
    EXPECT_GT(largest, 708);
    EXPECT_NEAR(r.objective, objective, 1e-13 * objective)
        << "portable " << portable;
  }
}

TEST(Sigmoids, MatchLibmOverTheWholeRange) {
  std::vector<double> eta;
  for (double e = -760; e <= 760; e += 0.37) eta.push_back(e);
  for (double e : {-1e-300, 0.0, 1e-300, 1e-12, -1e-12}) eta.push_back(e);
  std::vector<double> p(eta.size());
  Sigmoids(eta.data(), eta.size(), p.data());
  for (size_t i = 0; i < eta.size(); ++i) {
    const double expected = 1 / (1 + std::exp(-eta[i]));
    // Exactly 0 below eta = -708, where the exact value is below 3.3e-308.
    EXPECT_NEAR(p[i], expected, 4e-16 * expected + 3.3e-308) << eta[i];
  }
  const double nan = NAN;
  double out = 0;
  Sigmoids(&nan, 1, &out);
  EXPECT_TRUE(std::isnan(out));
}

TEST(LinearPredictor, AddsTheInterceptToEachRowsDotProduct) {
  for (size_t d : {1, 4, 7, 8, 13, 33}) {
    std::vector<double> x(3 * d), gamma(d), eta(3);
    for (size_t k = 0; k < x.size(); ++k) x[k] = 0.25 * (k % 7) - 0.5;
    for (size_t j = 0; j < d; ++j) gamma[j] = 1.0 / (j + 1);
    LinearPredictor(x.data(), 3, d, gamma.data(), 0.75, eta.data());
    for (size_t i = 0; i < 3; ++i) {
      double e = 0.75;
      for (size_t j = 0; j < d; ++j) e += x[i * d + j] * gamma[j];
      EXPECT_NEAR(eta[i], e, 1e-14) << "d " << d << " row " << i;
    }
  }
}

}  // namespace
}  // namespace churnkit::internal
