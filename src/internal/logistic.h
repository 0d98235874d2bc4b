// Solvers for penalized logistic regression on standardized features,
// private to the model module.
//
// Objective over theta = (intercept, beta_1..beta_d):
//   F(theta) = loss_scale * sum_i w_i * logloss_i + 0.5 * l2 * ||beta||^2
//              + l1 * ||beta||_1,
// with z_ij = (x_ij - mean_j) * inv_scale_j (0 for an imputed NaN) and
// eta_i = theta_0 + z_i . beta. Sums over rows run over fixed blocks whose
// partial results are added in block order, so every result is
// bit-identical for any thread count.
#ifndef CHURNKIT_SRC_INTERNAL_LOGISTIC_H_
#define CHURNKIT_SRC_INTERNAL_LOGISTIC_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "churnkit/v1/model.pb.h"

namespace churnkit::internal {

struct LogisticProblem {
  const double* x = nullptr;  // n * d, row-major, raw units
  size_t n = 0;
  size_t d = 0;
  const uint8_t* y = nullptr;         // 0/1, n
  const double* w = nullptr;          // >= 0, n
  const double* mean = nullptr;       // d
  const double* inv_scale = nullptr;  // d
  // 0 for a column that is constant in training: its coefficient stays 0.
  const uint8_t* active = nullptr;  // d
  bool impute = false;              // NaN means z = 0
  double loss_scale = 1;
  double l2 = 0;
  double l1 = 0;
  int threads = 0;
};

struct SolverOptions {
  v1::Solver solver = v1::SOLVER_NEWTON_CHOLESKY;  // never SOLVER_AUTO
  double tolerance = 1e-8;
  int max_iterations = 100;
  // Without a penalty: fail when the classes are separable or the Hessian
  // is singular at the solution.
  bool unpenalized = false;
};

struct SolverResult {
  std::vector<double> theta;  // d + 1: intercept, then coefficients
  int iterations = 0;
  int evaluations = 0;
  double objective = 0;
  double gradient_norm = 0;
  double initial_gradient_norm = 0;
  bool converged = false;
};

// Dot product with four independent partial sums (instruction-level
// parallelism without reassociating across calls): the result for a row
// never depends on its neighbours, so it is the same for every chunking.
inline double Dot(const double* a, const double* b, size_t d) {
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  size_t j = 0;
  for (; j + 4 <= d; j += 4) {
    s0 += a[j] * b[j];
    s1 += a[j + 1] * b[j + 1];
    s2 += a[j + 2] * b[j + 2];
    s3 += a[j + 3] * b[j + 3];
  }
  for (; j < d; ++j) s0 += a[j] * b[j];
  return (s0 + s1) + (s2 + s3);
}

// The largest feature count of the solvers that keep a Hessian.
inline constexpr size_t kMaxHessianFeatures = 4096;

// Minimizes F from theta = (log-odds of the weighted base rate, 0...).
// Errors: FailedPrecondition for separable classes or a singular Hessian
// (only when `unpenalized`), Internal for a non-finite objective.
absl::StatusOr<SolverResult> SolveLogistic(const LogisticProblem& problem,
                                           const SolverOptions& options);

}  // namespace churnkit::internal

#endif  // CHURNKIT_SRC_INTERNAL_LOGISTIC_H_
