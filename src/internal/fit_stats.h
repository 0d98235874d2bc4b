// Training statistics of the logistic fit, private to the model module:
// class weights, column moments (means and scales), univariate
// correlations, winsorizing ranks, and the model assembled from them. Each
// statistic is a sum over rows that merges: FitLogistic computes it over
// all the rows, a partitioned fit (model_partitioned.cc) per partition,
// merged in partition order, with the same code.
#ifndef CHURNKIT_SRC_INTERNAL_FIT_STATS_H_
#define CHURNKIT_SRC_INTERNAL_FIT_STATS_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "churnkit/model.h"
#include "churnkit/v1/model.pb.h"
#include "internal/logistic.h"

namespace churnkit::internal {

// Class weights by label from the counts of rows and churned rows (a row's
// weight is its sample weight times its class weight).
std::array<double, 2> ClassWeights(const v1::FitOptions& options, size_t rows,
                                   size_t positives);

// Per column, over the defined (not NaN) values with positive weight:
// their weight, weighted sum, range and weighted squared deviations from
// their own mean, and the weight and weighted sum of those labelled 1 (the
// churners; 0 without labels); and the weight of every row.
struct ColumnSums {
  std::vector<double> weight, sum, min, max, squares;
  std::vector<double> churner_weight, churner_sum;
  double total_weight = 0;
  // Flat index (row * d + column) of the first value that is not allowed
  // (infinite, or NaN unless imputing); SIZE_MAX when none.
  size_t first_bad = std::numeric_limits<size_t>::max();

  explicit ColumnSums(size_t d = 0);
};

// One pass over `x` (fixed blocks merged in order: the same sums for any
// thread count, and with either kernel). `labels`: 0/1 per row, or empty
// (no churner sums). Squared deviations only when `squares`.
// `portable_kernels`: the baseline ISA's kernels even where the AVX2 ones
// could run (for tests).
ColumnSums SumColumns(MatrixView x, absl::Span<const double> sample_weights,
                      absl::Span<const uint8_t> labels, bool impute,
                      bool squares, int threads, bool portable_kernels = false);

// Adds `part` (of rows after those of *total) to *total (Chan, Golub and
// LeVeque's update for the squared deviations). first_bad is not merged.
void MergeColumnSums(const ColumnSums& part, ColumnSums* total);

// The error for the value at flat index `first_bad` of `x`, naming its row
// and column.
absl::Status BadValueError(MatrixView x, size_t first_bad);

struct ColumnStats {
  std::vector<double> mean, scale;
  std::vector<uint8_t> active;
  std::vector<uint8_t> undefined;  // inactive for want of any value
};

// Means of the defined values, population standard deviations (missing
// values count as the mean; scale 1 without `standardize`) and the columns
// the fit leaves out (constant or undefined). Errors: InvalidArgument for
// a variance that overflows, naming the column.
absl::StatusOr<ColumnStats> FinishStats(const ColumnSums& sums,
                                        absl::Span<const std::string> columns,
                                        bool standardize);

// Per feature, the Pearson correlation of its values (as the fit sees
// them: clipped, a missing value as the mean) with the label; 0 for a
// column the fit leaves out. From the objective's gradient at the standard
// start (SolverResult.start_gradient: d + 1, intercept first) instead of a
// pass of their own, the column sums (with squared deviations) and the
// fit's class weights, loss scale and weighted class sums `negative` and
// `positive` (sample times class weight).
std::vector<double> CorrelationsFromStart(
    absl::Span<const double> start_gradient, const ColumnSums& sums,
    const ColumnStats& stats, bool standardize, double loss_scale,
    const std::array<double, 2>& class_weight, double negative,
    double positive);

// Winsorizing at q keeps the nearest-rank quantiles: the values of ranks
// lo and count - 1 - lo (0-based, among the defined values) of a column,
// lo = floor(q * (count - 1)).
size_t WinsorLowRank(size_t count, double q);

// The bounds of a column from its quantiles: none (-inf, +inf) when the
// column varies (min < max) but the bounds would make it constant -- a rare
// flag, 1 in under q of the rows: winsorizing tames outliers, it must not
// erase a signal.
void KeepSignal(bool varies, double* lower, double* upper);

// The penalty and the solver of a fit: FitOptions resolved against the
// data (rows, features, those not left out, and the weight sum, for
// lambda).
struct FitPlan {
  double loss_scale = 1, l1 = 0, l2 = 0;
  double c = 0;  // +inf without a penalty
  SolverOptions solver;
};

// Errors: InvalidArgument for no penalty with fewer rows than parameters,
// or a solver keeping a Hessian over kMaxHessianFeatures features.
absl::StatusOr<FitPlan> PlanFit(const v1::FitOptions& options, size_t rows,
                                size_t d, size_t active, double total_weight);

// A matrix's shape: columns, values a multiple of them, one row id per
// row (or none). InvalidArgument names what is wrong.
absl::Status CheckShape(MatrixView x);

// `x` with each column clamped to the clip bounds of `bounds` (a model or
// just its clip_lower / clip_upper), stored in `storage`; `x` itself when
// there are none.
MatrixView ClipColumns(MatrixView x, const v1::LogisticModel& bounds,
                       std::vector<double>* storage);

// What a fit produced, for AssembleModel.
struct FitOutcome {
  absl::Span<const std::string> columns;
  const ColumnStats* stats = nullptr;
  absl::Span<const double> clip_lower, clip_upper;  // empty: no clipping
  std::vector<double> correlations;
  const SolverResult* solver = nullptr;
  v1::Solver solver_used = v1::SOLVER_AUTO;
  bool impute = false;
  size_t rows = 0;
  double negative_weight = 0, positive_weight = 0;
  double c = 0;  // +inf without a penalty
};

// The model and its report.
v1::LogisticModel AssembleModel(const FitOutcome& fit,
                                const v1::FitOptions& options);

}  // namespace churnkit::internal

#endif  // CHURNKIT_SRC_INTERNAL_FIT_STATS_H_
