// churnkit/scorecard_learn.h: health scorecards learned from churn history
// (domain.md §4, "the historical data method").
//
// Each feature is binned (monotonic or quantile bins, missing values in a
// bin of their own), each bin gets its weight of evidence, a logistic model
// is fitted on the WoE columns, and coefficient x WoE is scaled into points
// by the points-to-double-the-odds rule. The result is a v1::Scorecard that
// HealthScorer (health.h) runs unchanged — a drop-in replacement for the
// hand-set Zoho table — with colour cut-offs where the fitted churn
// probability crosses configured levels, and a report of every bin, the
// information values and the AUC on held-out rows. Formulas and options:
// proto/churnkit/v1/scorecard_learn.proto, docs/scorecards.md.
//
// Example:
//   churnkit::TrainingPanel panel = churnkit::BuildTrainingPanel(...).value();
//   churnkit::v1::ScorecardLearnOptions options;
//   options.set_holdout_from(last_panel_date);
//   absl::StatusOr<churnkit::LearnedScorecard> learned =
//       churnkit::LearnScorecard(panel.features, panel.labels, options);
//   churnkit::HealthScorer scorer = churnkit::HealthScorer::Create(
//       learned->scorecard, panel.features.columns).value();
//   learned->report.holdout_auc();
#ifndef CHURNKIT_SCORECARD_LEARN_H_
#define CHURNKIT_SCORECARD_LEARN_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "churnkit/dataset.h"
#include "churnkit/features.h"
#include "churnkit/model.h"
#include "churnkit/v1/health.pb.h"
#include "churnkit/v1/scorecard_learn.pb.h"

namespace churnkit {

struct LearnedScorecard {
  // One dimension per feature or group (weight 1, criteria combined by
  // SUM), one band per bin plus a missing band, base_points the offset.
  v1::Scorecard scorecard;
  v1::ScorecardReport report;
  // Per input row: the scorecard's total, computed by the learner itself
  // (HealthScorer gives exactly the same number), and 1 for a held-out row.
  std::vector<double> totals;
  std::vector<uint8_t> holdout;
};

// Checks `options` without learning: every set field in range (max_bins >=
// 2, fine_bins >= max_bins, pdo > 0, base_odds > 0, smoothing > 0, c > 0,
// probabilities in (0, 1) with yellow <= red, holdout_share in [0, 1),
// shares in [0, 0.5], all finite), named groups with features, no feature
// listed twice. InvalidArgument names the field.
absl::Status ValidateScorecardLearnOptions(
    const v1::ScorecardLearnOptions& options);

// Learns a scorecard from `x` (rows of named feature values; NaN =
// missing) and 0/1 churn `labels`, one per row. `as_of` holds each row's
// as-of time (FeatureMatrix.as_of) and is needed only by holdout_from.
// Errors (InvalidArgument unless noted), each naming what is wrong:
//   bad options; no rows or columns; a matrix whose size is not rows x
//   columns; labels or as_of of another length; a label other than 0/1; a
//   single class among the training rows (or no training row); an infinite
//   value (row and column); a feature named in the options that is not a
//   column; no usable feature left — every candidate constant, all
//   missing, below min_information_value or of the wrong sign (the message
//   lists each with its reason). Features dropped while others remain are
//   listed in report.dropped, not errors. FitLogistic's errors pass
//   through.
absl::StatusOr<LearnedScorecard> LearnScorecard(
    MatrixView x, absl::Span<const uint8_t> labels,
    const v1::ScorecardLearnOptions& options = {},
    absl::Span<const UnixSeconds> as_of = {});
inline absl::StatusOr<LearnedScorecard> LearnScorecard(
    const FeatureMatrix& x, absl::Span<const uint8_t> labels,
    const v1::ScorecardLearnOptions& options = {}) {
  return LearnScorecard(MatrixView::Of(x), labels, options, x.as_of);
}

}  // namespace churnkit

#endif  // CHURNKIT_SCORECARD_LEARN_H_
