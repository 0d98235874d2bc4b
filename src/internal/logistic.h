// Solvers for penalized logistic regression on standardized features,
// private to the model module.
//
// Objective over theta = (intercept, beta_1..beta_d):
//   F(theta) = loss_scale * sum_i w_i * logloss_i + 0.5 * l2 * ||beta||^2
//              + l1 * ||beta||_1,
// with z_ij = (x_ij - mean_j) * inv_scale_j (0 for an imputed NaN) and
// eta_i = theta_0 + z_i . beta. Sums over rows run over fixed blocks whose
// partial results are added in block order, so every result is
// bit-identical for any thread count. The row kernels use AVX2 and FMA
// where the CPU has them (chosen at run time), so results may differ in
// the last bits between CPUs with and without them.
#ifndef CHURNKIT_SRC_INTERNAL_LOGISTIC_H_
#define CHURNKIT_SRC_INTERNAL_LOGISTIC_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "churnkit/v1/model.pb.h"

namespace churnkit::internal {

struct LogisticProblem {
  const double* x = nullptr;  // n * d, row-major, raw units
  size_t n = 0;
  size_t d = 0;
  const uint8_t* y = nullptr;  // 0/1, n
  // Row weights: sample weight (>= 0, n; null: 1) times class weight.
  const double* sample_weights = nullptr;
  double class_weight[2] = {1, 1};    // by label
  const double* mean = nullptr;       // d
  const double* inv_scale = nullptr;  // d
  // 0 for a column that is constant in training: its coefficient stays 0.
  const uint8_t* active = nullptr;  // d
  bool impute = false;              // NaN means z = 0
  // Optional (d): per column, the sum over the rows labelled 1 of sample
  // weight times z (over their defined values). With it L-BFGS from the
  // standard start takes the objective and gradient there from these sums
  // instead of a pass over the rows (every row has the same eta there);
  // without it, when the sums could have lost digits, or for a solver that
  // needs the Hessian there, from a pass.
  const double* churner_z_sums = nullptr;
  double loss_scale = 1;
  double l2 = 0;
  double l1 = 0;
  int threads = 0;
  // A subsample in place (for warm starts): the first `sample_rows` rows
  // of every `sample_period` rows of x, y and sample_weights; `n` counts
  // those used.
  // 0: every row.
  size_t sample_rows = 0;
  size_t sample_period = 0;

  // The row of x, y and sample_weights that is row i of the problem.
  size_t Row(size_t i) const {
    return sample_period == 0
               ? i
               : i / sample_rows * sample_period + i % sample_rows;
  }
  // The weight of a row of x (not kept in an array of n: fresh memory
  // costs page faults on every fit).
  double Weight(size_t row) const {
    return (sample_weights != nullptr ? sample_weights[row] : 1.0) *
           class_weight[y[row] != 0];
  }
};

struct SolverOptions {
  v1::Solver solver = v1::SOLVER_NEWTON_CHOLESKY;  // never SOLVER_AUTO
  double tolerance = 1e-8;
  int max_iterations = 100;
  // Without a penalty: fail when the classes are separable or the Hessian
  // is singular at the solution.
  bool unpenalized = false;
  // Use the row kernels compiled for the build's baseline ISA even where
  // the AVX2 + FMA ones could run (for tests; the two round differently).
  bool portable_kernels = false;
  // Start large penalized problems from a fit on a subsample of the rows
  // (fewer passes over every row; the optimum and the convergence test are
  // the same: the tolerance stays relative to the gradient at the standard
  // start). Off for tests of the cold path.
  bool warm_start = true;
};

struct SolverResult {
  std::vector<double> theta;  // d + 1: intercept, then coefficients
  int iterations = 0;         // after a warm start, those over every row
  int evaluations = 0;
  double objective = 0;
  double gradient_norm = 0;
  double initial_gradient_norm = 0;
  // The objective's gradient at the standard start (d + 1, intercept
  // first); the univariate correlations come from it (fit_stats.h).
  std::vector<double> start_gradient;
  bool converged = false;
  bool warm_started = false;      // from a fit on a subsample
  int subsample_evaluations = 0;  // that fit's passes over its rows
  size_t subsample_rows = 0;      // and their number
};

// Batch scoring, rows in any chunking: eta_i = c0 + x_i . gamma for `rows`
// rows of `d` values (row-major)...
void LinearPredictor(const double* x, size_t rows, size_t d,
                     const double* gamma, double c0, double* eta);
// ...and p_i = 1 / (1 + exp(-eta_i)) (NaN for a NaN eta_i, 0 below
// eta_i = -708). Both use AVX2 and FMA where the CPU has them; each result
// depends only on its row.
void Sigmoids(const double* eta, size_t rows, double* p);

// The largest feature count of the solvers that keep a Hessian.
inline constexpr size_t kMaxHessianFeatures = 4096;

// Minimizes F from theta = (log-odds of the weighted base rate, 0...), or
// for large penalized problems from a fit on a subsample (see
// SolverOptions::warm_start).
// Errors: FailedPrecondition for separable classes or a singular Hessian
// (only when `unpenalized`), Internal for a non-finite objective.
absl::StatusOr<SolverResult> SolveLogistic(const LogisticProblem& problem,
                                           const SolverOptions& options);

// ---- Fits over partitions of the rows (model_partitioned.cc) ----

// Sums over the rows of `problem` at theta (intercept, then beta), before
// the loss scale and the penalty (problem.loss_scale, l1 and l2 are not
// used): the weighted log-loss, the weight of the rows on the wrong side of
// eta = 0, and its gradient and (when `hessian`) Hessian, lower triangle,
// (d + 1)^2 row-major. Columns left out (problem.active 0) get gradient 0.
struct PassSums {
  double loss = 0;
  double wrong = 0;
  std::vector<double> gradient;
  std::vector<double> hessian;
};
PassSums SumPass(const LogisticProblem& problem,
                 const std::vector<double>& theta, bool hessian);

// Newton-Cholesky from the standard start, driven by the caller, one pass
// at a time: evaluate PassSums at point() over every row (added over the
// partitions in a fixed order) and hand them to Consume, until it returns
// true; then result(). The steps and the stopping rule are SolveLogistic's
// with SOLVER_NEWTON_CHOLESKY and no warm start: the same iterates, so the
// same solution to rounding. Every pass computes the Hessian (a pass is a
// round trip to every partition: one pass per trial point).
class NewtonRounds {
 public:
  // `shape` gives d, loss_scale, l2 and active (copied); x and y are not
  // used. `start_intercept`: the log-odds of the weighted base rate.
  NewtonRounds(const LogisticProblem& shape, const SolverOptions& options,
               double start_intercept);
  ~NewtonRounds();
  NewtonRounds(NewtonRounds&&) noexcept;
  NewtonRounds& operator=(NewtonRounds&&) noexcept;

  const std::vector<double>& point() const { return point_; }
  // Errors: those of SolveLogistic (separable classes or a singular
  // Hessian without a penalty, a non-finite objective), and
  // InvalidArgument for sums of the wrong size.
  absl::StatusOr<bool> Consume(const PassSums& sums);
  const SolverResult& result() const { return result_; }

 private:
  struct State;
  absl::StatusOr<bool> Iterate();
  absl::StatusOr<bool> Finish();

  std::vector<double> point_;
  SolverResult result_;
  std::unique_ptr<State> state_;
};

}  // namespace churnkit::internal

#endif  // CHURNKIT_SRC_INTERNAL_LOGISTIC_H_
