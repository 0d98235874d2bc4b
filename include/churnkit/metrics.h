// churnkit/metrics.h: how well scores separate churners (domain.md §8,
// "results are measured"), decision thresholds chosen from history
// (domain.md §4), validation splits, and calibration of any score into a
// churn probability.
//
// Conventions follow scikit-learn so that figures compare directly: ROC-AUC
// counts tied scores half (roc_auc_score), average precision sums
// (R_k - R_{k-1}) * P_k over distinct thresholds (average_precision_score),
// log-loss uses natural logs with probabilities clipped to [eps, 1 - eps]
// (eps = DBL_EPSILON), Brier is the mean squared error.
//
// Every function takes one 0/1 label and one score per row. Errors
// (InvalidArgument): spans of different lengths, no rows, a label other than
// 0/1, a NaN or infinite score (named by index), probabilities outside
// [0, 1] where probabilities are required, and a single class where both
// are needed (ROC-AUC; average precision needs a positive).
//
// Example:
//   absl::StatusOr<churnkit::v1::Evaluation> e =
//       churnkit::Evaluate(labels, probabilities);
//   e->roc_auc(); e->lift(0).lift();  // top-decile lift
#ifndef CHURNKIT_METRICS_H_
#define CHURNKIT_METRICS_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "churnkit/dataset.h"
#include "churnkit/v1/metrics.pb.h"

namespace churnkit {

// Area under the ROC curve, exact (ties count half).
absl::StatusOr<double> RocAuc(absl::Span<const uint8_t> labels,
                              absl::Span<const double> scores);

// Area under the precision-recall curve as average precision.
absl::StatusOr<double> AveragePrecision(absl::Span<const uint8_t> labels,
                                        absl::Span<const double> scores);

// Mean negative log-likelihood of probabilities (natural log).
absl::StatusOr<double> LogLoss(absl::Span<const uint8_t> labels,
                               absl::Span<const double> probabilities);

// Mean squared difference between probabilities and labels.
absl::StatusOr<double> BrierScore(absl::Span<const uint8_t> labels,
                                  absl::Span<const double> probabilities);

// Lift and cumulative gains by `bins` equal-count groups of descending
// score (10: deciles). Tied scores stay in one group, so groups may be
// uneven and empty groups are left out. Errors: also bins < 1, no positive.
absl::StatusOr<std::vector<v1::LiftBin>> LiftTable(
    absl::Span<const uint8_t> labels, absl::Span<const double> scores,
    int bins = 10);

// Mean predicted probability against the observed churn rate in `bins`
// equal-width bins of [0, 1]; empty bins are left out.
absl::StatusOr<std::vector<v1::ReliabilityBin>> ReliabilityTable(
    absl::Span<const uint8_t> labels, absl::Span<const double> probabilities,
    int bins = 10);

// Counts at `threshold`: a row is flagged when its score >= threshold.
absl::StatusOr<v1::ConfusionMatrix> ConfusionAt(
    absl::Span<const uint8_t> labels, absl::Span<const double> scores,
    double threshold);

// Picks a threshold among the distinct scores by `options.rule` and
// returns its confusion matrix. THRESHOLD_MIN_COST may also choose to flag
// nobody (threshold +inf). Errors: also a target outside (0, 1], negative
// or non-finite costs, a save_rate outside [0, 1], and NotFound when no
// threshold reaches the target precision.
absl::StatusOr<v1::ConfusionMatrix> ChooseThreshold(
    absl::Span<const uint8_t> labels, absl::Span<const double> scores,
    const v1::ThresholdOptions& options);

// Every figure at once: ROC-AUC, average precision, log-loss and Brier
// (when all scores are probabilities), lift / gains, reliability (for
// probabilities) and the confusion matrix at options.threshold or the
// chosen one. Needs both classes.
absl::StatusOr<v1::Evaluation> Evaluate(
    absl::Span<const uint8_t> labels, absl::Span<const double> scores,
    const v1::EvaluationOptions& options = {});

// ---- Validation splits -----------------------------------------------------

// Stratified k-fold assignment: the fold (0..k-1) of each row, every fold
// holding the same share of each class (within one row). Rows are
// shuffled per class by `seed` (same seed, same folds, on every platform).
// Errors: k < 2, or a class with fewer than k rows.
absl::StatusOr<std::vector<int>> StratifiedFolds(
    absl::Span<const uint8_t> labels, int k, uint64_t seed);

// Time-based validation on a training panel: rows with as_of before
// `cutoff` train, the others test (train before T, test after).
struct TimeSplitRows {
  std::vector<size_t> train, test;
};
TimeSplitRows TimeSplit(absl::Span<const UnixSeconds> as_of,
                        UnixSeconds cutoff);

// ---- Calibration
// -------------------------------------------------------------

// Platt scaling: fits p = 1 / (1 + exp(a * score + b)) by Newton's method
// on Platt's smoothed targets ((N+ + 1) / (N+ + 2) for positives, 1 /
// (N- + 2) for negatives), as scikit-learn's sigmoid calibration. Any
// score scale works (log-odds, a 0-100 health score...).
absl::StatusOr<v1::Calibration> FitPlatt(absl::Span<const uint8_t> labels,
                                         absl::Span<const double> scores);

// Isotonic regression (pool adjacent violators) of the labels on the
// scores: non-decreasing when `increasing`, else non-increasing (e.g. for
// a health score, where higher means safer). Tied scores are pooled first,
// as scikit-learn's IsotonicRegression.
absl::StatusOr<v1::Calibration> FitIsotonic(absl::Span<const uint8_t> labels,
                                            absl::Span<const double> scores,
                                            bool increasing = true);

// Applies a calibration to scores. Errors: InvalidArgument for an empty or
// malformed calibration (isotonic x not sorted, sizes differ, non-finite
// parameters) or a NaN score.
absl::StatusOr<std::vector<double>> ApplyCalibration(
    const v1::Calibration& calibration, absl::Span<const double> scores);

}  // namespace churnkit

#endif  // CHURNKIT_METRICS_H_
