// churnkit/labels.h: churn labels (active, passive, hidden) as of a date,
// and training panels that pair point-in-time features with churn in the
// following days.
//
// Definitions are config (proto/churnkit/v1/labels.proto); the shipped
// default (configs/labels/default.textproto) reproduces domain.md §1: SaaS
// 90 days without login, e-commerce 180 days without a repeat purchase,
// core customers (annual value over 100,000) 30 days, others 60, ...
//
// Example:
//   auto labeler = churnkit::ChurnLabeler::Create(
//       churnkit::DefaultChurnDefinition().value());
//   std::vector<churnkit::ChurnLabel> labels =
//       labeler->Label(dataset, as_of).value();
#ifndef CHURNKIT_LABELS_H_
#define CHURNKIT_LABELS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "churnkit/dataset.h"
#include "churnkit/features.h"
#include "churnkit/v1/labels.pb.h"

namespace churnkit {

// A customer's churn state as of a date.
struct ChurnLabel {
  bool churned = false;
  v1::ChurnType type = v1::CHURN_TYPE_UNSPECIFIED;
  // When it happened: the active-churn event; for passive churn the day
  // the inactivity window ran out; for hidden churn the as-of date.
  UnixSeconds churn_time = kNoTime;
  // The reason when known: the key of the CANCELLATION event (e.g.
  // "price"), also when a non-renewal came first; empty otherwise.
  std::string reason;
  // The rule that fired: "active", or the passive/hidden rule's name.
  std::string rule;
  // Latest qualifying activity under the passive rule that applies
  // (kNoTime when none applies or there was none).
  UnixSeconds last_activity = kNoTime;
};

// A validated ChurnDefinition. Immutable and thread-safe.
class ChurnLabeler {
 public:
  // Errors name the config path, e.g. "passive[1].inactive_days: must be
  // > 0".
  static absl::StatusOr<ChurnLabeler> Create(const v1::ChurnDefinition& def);
  ChurnLabeler(ChurnLabeler&&) noexcept;
  ChurnLabeler& operator=(ChurnLabeler&&) noexcept;
  ~ChurnLabeler();

  // Labels every customer (index = CustomerIndex) from events strictly
  // before `as_of`. Customers not yet signed up at as_of are not churned.
  // `threads` <= 0 means hardware concurrency; results do not depend on it.
  absl::StatusOr<std::vector<ChurnLabel>> Label(const Dataset& dataset,
                                                UnixSeconds as_of,
                                                int threads = 0) const;

  // Labels customers[i] as of as_of[i] (each from its own events strictly
  // before that date), e.g. at the time of an intervention and at the end
  // of the cycles after it. Same rules as Label().
  // Errors: InvalidArgument when the spans differ in length, a customer
  // index is out of range (named by position), or a date is unset or not
  // after the data set's first event.
  absl::StatusOr<std::vector<ChurnLabel>> LabelAt(
      const Dataset& dataset, absl::Span<const CustomerIndex> customers,
      absl::Span<const UnixSeconds> as_of, int threads = 0) const;

  const v1::ChurnDefinition& definition() const;

 private:
  struct Impl;
  explicit ChurnLabeler(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Labels (index = CustomerIndex) as a churnkit.v1.LabelSet message.
v1::LabelSet ToLabelSet(const Dataset& dataset,
                        absl::Span<const ChurnLabel> labels, UnixSeconds as_of);

// The shipped definitions (configs/labels/default.textproto).
absl::StatusOr<v1::ChurnDefinition> DefaultChurnDefinition();

// Feature rows at several as-of dates, each labelled 1 when the customer,
// not churned at that date, churns within the following `horizon_days`
// (churn time in [as_of, as_of + horizon]). Customers already churned or
// not yet signed up at a date get no row for it. Features only see events
// before each as-of date, so a model trained on a panel has no look-ahead.
struct TrainingPanel {
  FeatureMatrix features;       // rows in (as-of date, customer) order
  std::vector<uint8_t> labels;  // 0/1 per row
  std::vector<v1::ChurnType> churn_types;  // per row, for positive rows
};

// Errors: InvalidArgument for no dates, dates out of order, or
// horizon_days <= 0.
absl::StatusOr<TrainingPanel> BuildTrainingPanel(
    const Dataset& dataset, const FeatureEngine& features,
    const ChurnLabeler& labeler, absl::Span<const UnixSeconds> as_of_dates,
    int horizon_days, const ComputeOptions& options = {});

}  // namespace churnkit

#endif  // CHURNKIT_LABELS_H_
