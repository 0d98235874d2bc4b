// churnkit/health.h: health scorecards — weighted dimensions of banded
// features, a total score and a green / yellow / red colour.
//
// A Scorecard (proto/churnkit/v1/health.proto) is config; the shipped
// default is the Zoho table of domain.md §4 (configs/health/default.textproto)
// and a four-dimension weighted variant (configs/health/weighted.textproto).
// A scorecard learned from history has the same type, so it runs here too.
//
// Example:
//   churnkit::HealthScorer scorer = churnkit::HealthScorer::Create(
//       churnkit::DefaultScorecard().value(), matrix.columns).value();
//   churnkit::HealthScore h = scorer.Score(matrix.row(r));
#ifndef CHURNKIT_HEALTH_H_
#define CHURNKIT_HEALTH_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "churnkit/v1/health.pb.h"
#include "google/protobuf/repeated_ptr_field.h"

namespace churnkit {

struct DimensionResult {
  std::string name;
  double points = 0;  // after the dimension's weight
  std::string label;  // label of the deciding band ("missing" for a NaN
                      // value without a missing band)
  // Feature values behind the points, in criterion order (NaN = missing).
  std::vector<std::pair<std::string, double>> values;
};

struct HealthScore {
  double total = 0;
  v1::Colour colour = v1::COLOUR_UNSPECIFIED;
  std::vector<DimensionResult> dimensions;
};

// The colour of a health total under `cutoffs`: GREEN at or above
// green_min, YELLOW at or above yellow_min, else RED.
v1::Colour ColourUnder(const v1::ColourCutoffs& cutoffs, double total);

// A validated scorecard bound to a feature-matrix column layout. Immutable
// and thread-safe.
class HealthScorer {
 public:
  // Validates `scorecard` against the matrix `columns` it will read:
  // every criterion's feature must be a column; within a criterion, the
  // range bands must not overlap nor leave gaps, and must cover every
  // value from -inf to +inf; at most one `missing` band; weights finite and
  // >= 0; colour cut-offs with green_min >= yellow_min. Errors name the
  // config path, e.g. "dimensions[2].criteria[0].bands[1].max: leaves a gap
  // before 7 (next band starts at 9)".
  static absl::StatusOr<HealthScorer> Create(
      const v1::Scorecard& scorecard, const std::vector<std::string>& columns);
  HealthScorer(HealthScorer&&) noexcept;
  HealthScorer& operator=(HealthScorer&&) noexcept;
  ~HealthScorer();

  // Scores one matrix row (one value per column). A NaN value without a
  // `missing` band takes the criterion's lowest points, labelled
  // "missing" (unknown counts as risk).
  HealthScore Score(absl::Span<const double> row) const;
  // Score(row).total alone.
  double Total(absl::Span<const double> row) const;
  // Score(row)'s dimensions appended to `out` as messages (e.g. a
  // CustomerAssessment's on an assessment's arena), without the strings of
  // a HealthScore in between; returns the total.
  double ScoreInto(
      absl::Span<const double> row,
      google::protobuf::RepeatedPtrField<v1::DimensionScore>* out) const;
  // The colour of a total under the scorecard's cut-offs (ColourUnder).
  v1::Colour ColourOf(double total) const;
  // Lowest and highest totals the scorecard can give.
  double min_total() const;
  double max_total() const;
  const v1::Scorecard& scorecard() const;

 private:
  struct Impl;
  explicit HealthScorer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The shipped scorecards: the Zoho five-dimension table and the weighted
// four-dimension variant.
absl::StatusOr<v1::Scorecard> DefaultScorecard();
absl::StatusOr<v1::Scorecard> WeightedScorecard();

// "GREEN", "YELLOW", "RED" (or "UNSPECIFIED").
const char* ColourName(v1::Colour colour);

}  // namespace churnkit

#endif  // CHURNKIT_HEALTH_H_
