// churnkit/segment.h: customer value, A/B/C value tiers, the value x risk
// matrix with its four strategies and save-first ranking, and the
// churn-reason matrix (domain.md §7 and §8).
//
// Options and report are protobuf messages (proto/churnkit/v1/segment.proto,
// docs/segmentation.md); unset option fields take the shipped defaults
// (configs/segment/default.textproto). Risk is an input: the caller passes
// one value per customer id (health scores from churnkit/assess.h, colours,
// or a model's churn probabilities), or a whole v1::Assessment.
//
// Example:
//   churnkit::v1::SegmentOptions options;
//   options.set_as_of("2025-01-01");
//   absl::StatusOr<churnkit::v1::SegmentReport> report =
//       churnkit::SegmentWithAssessment(dataset, options, assessment);
//   for (const auto& q : report->quadrants()) q.customers(), q.strategy();
#ifndef CHURNKIT_SEGMENT_H_
#define CHURNKIT_SEGMENT_H_

#include <limits>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "churnkit/dataset.h"
#include "churnkit/v1/health.pb.h"
#include "churnkit/v1/model.pb.h"
#include "churnkit/v1/report.pb.h"
#include "churnkit/v1/segment.pb.h"

namespace churnkit {

// The shipped options (configs/segment/default.textproto), without as_of.
absl::StatusOr<v1::SegmentOptions> DefaultSegmentOptions();

// `options` with every unset field taken from DefaultSegmentOptions()
// (an empty strategy text, an empty taxonomy, an empty revenue-source
// list each take the shipped ones). Does not validate.
absl::StatusOr<v1::SegmentOptions> ResolveSegmentOptions(
    const v1::SegmentOptions& options);

// Checks resolved options without computing anything. InvalidArgument names
// the field path, e.g. "tiers.a_share: must be in (0, 1], got 1.5",
// "reasons.taxonomy.reasons[2].id: duplicate 'price'", "as_of: required".
absl::Status ValidateSegmentOptions(const v1::SegmentOptions& options);

// One risk value per customer id (the meaning is options.risk.source).
// Both spans are borrowed for the call and must have the same length.
// Every active (not churned) customer existing at as_of needs a value;
// churned customers may have one (used by the BY_QUADRANT reason matrix).
struct RiskInput {
  absl::Span<const std::string> customer_ids;
  absl::Span<const double> values;
};

// Evidence for inferring a churned customer's reason when no cancellation
// names it: indicator names (a model's reason-code features, fired
// warning-rule names), strongest first.
struct ReasonEvidence {
  std::string customer_id;
  std::vector<std::string> indicators;
};

// Segments every customer existing at options.as_of (signed up before it,
// or with an unknown signup). Errors (InvalidArgument unless noted):
//   bad options (ValidateSegmentOptions); risk spans of different lengths
//   ("risk: 3 ids for 2 values"); an id not in the data set, or twice
//   ("risk.customer_ids[4]: unknown customer 'x'"); a NaN, infinite or
//   out-of-range value ("risk.values[2]: must be a churn probability in
//   [0, 1], got -0.1"); an active customer without a value; as_of not after
//   the data set's first event; a margin attribute that is not a number in
//   [0, 1] ("customer 'x': attribute 'margin_rate' ..."); evidence naming
//   an unknown customer. An empty data set gives an empty report.
// Thread-safe; `dataset` is only read.
absl::StatusOr<v1::SegmentReport> Segment(
    const Dataset& dataset, const v1::SegmentOptions& options, RiskInput risk,
    absl::Span<const ReasonEvidence> evidence = {});

// Reason evidence from an assessment: per customer, its model reasons
// (churn_reasons features) then its fired rules (the reasons of its alert
// or routed_alert).
// Customers without any are left out.
std::vector<ReasonEvidence> EvidenceFromAssessment(
    const v1::Assessment& assessment);

// Reason evidence from a model's explanations: the risk-raising features of
// each row with a customer id.
std::vector<ReasonEvidence> EvidenceFromExplanations(
    const v1::Explanations& explanations);

// Segment() with risks read from `assessment` per options.risk.source
// (score, colour or churn_probability; a NaN churn probability is an
// error: assess with a model) and its evidence (EvidenceFromAssessment)
// followed by `extra_evidence`. options.as_of defaults to the assessment's
// as_of.
absl::StatusOr<v1::SegmentReport> SegmentWithAssessment(
    const Dataset& dataset, const v1::SegmentOptions& options,
    const v1::Assessment& assessment,
    absl::Span<const ReasonEvidence> extra_evidence = {});

// ---- Building blocks (used by Segment, public for tests and hosts) -------

enum class Tier { kA = 0, kB = 1, kC = 2 };

// "A", "B" or "C".
const char* TierName(Tier tier);

// The tiers of a set of values as thresholds: the smallest value of tier A
// and of tier B (+inf when the tier is empty). TierOf places any value by
// them, so tiers computed over partitions from the thresholds of their
// merged values equal the single-process tiers exactly.
struct TierThresholds {
  double a_min = std::numeric_limits<double>::infinity();
  double b_min = std::numeric_limits<double>::infinity();
};

// The thresholds of `values` (>= 0, finite) per `options` (resolved; see
// TierOptions for the rules, ties and zero values). Depends only on the
// multiset of values (they are sorted, and summed in that order), so the
// values of any partitions concatenated in any order give the thresholds
// of the whole. Errors: InvalidArgument naming values[i] or the option.
absl::StatusOr<TierThresholds> ComputeTierThresholds(
    absl::Span<const double> values, const v1::TierOptions& options);

// A (value > 0 and >= a_min), else B (value > 0 and >= b_min), else C.
Tier TierOf(double value, const TierThresholds& thresholds);

// Tiers of `values`: TierOf each under ComputeTierThresholds(values).
// Errors: those of ComputeTierThresholds.
absl::StatusOr<std::vector<Tier>> AssignTiers(absl::Span<const double> values,
                                              const v1::TierOptions& options);

// Expected remaining lifetime in days of a customer of tenure `tenure_days`
// under the Kaplan–Meier `curve`, counted at most `horizon_days` ahead:
// integral of S over [t, t + horizon] divided by S(t), S held at its last
// value beyond the curve; 0 when S(t) = 0.
double ExpectedRemainingDays(const v1::SurvivalCurve& curve, double tenure_days,
                             double horizon_days);

// The strategy text of a quadrant under resolved options.
const std::string& StrategyOf(const v1::SegmentOptions& options,
                              v1::Quadrant quadrant);

}  // namespace churnkit

#endif  // CHURNKIT_SEGMENT_H_
