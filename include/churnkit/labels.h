// churnkit/labels.h: churn as a lifecycle state. Every customer's history
// is a sequence of churn episodes (active, passive, hidden), each with a
// start, the moment it was detected and the return that ended it (a
// reactivation); labels as of a date, reports and training panels all read
// the same episodes.
//
// Definitions are config (proto/churnkit/v1/labels.proto); the shipped
// default (configs/labels/default.textproto) follows domain.md §1: SaaS 90
// days without login, e-commerce 180 days without a repeat purchase, core
// customers (annual value over 100,000) 30 inactive days, others a 60-day
// observation period; hidden churn as a sustained, significant decline.
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

struct ChurnLabel;

// One spell of churn. Episodes of a customer never overlap and are in time
// order; the customer is churned at t when start < t and the episode had
// not ended before t (end == kNoTime or end >= t).
struct ChurnEpisode {
  v1::ChurnType type = v1::CHURN_TYPE_UNSPECIFIED;
  // When churn began: the active event; the last qualifying activity before
  // the silence (signup when there was none); the start of the first
  // declined period. Never before the signup.
  UnixSeconds start = kNoTime;
  // The first moment the evidence was complete (>= start): the active
  // event; last activity + window; the hidden check that fired.
  UnixSeconds detected = kNoTime;
  // The return that ended it (a reactivation event, the next qualifying
  // activity, the check that saw the rate recover); kNoTime while it lasts.
  UnixSeconds end = kNoTime;
  // ACTIVE: the CANCELLATION's key (e.g. "price"); empty otherwise.
  std::string reason;
  std::string rule;  // "active", or the passive / hidden rule's name
};

// Every customer's episodes as known from the events strictly before
// `known_at` (episodes detected by then; an episode whose return is not
// yet seen is open).
class ChurnHistory {
 public:
  UnixSeconds known_at() const { return known_at_; }
  size_t num_customers() const { return offsets_.size() - 1; }
  absl::Span<const ChurnEpisode> episodes(CustomerIndex c) const {
    return absl::MakeConstSpan(episodes_).subspan(
        offsets_[c], offsets_[c + 1] - offsets_[c]);
  }
  // The episode customer c is in at t (see ChurnEpisode), or nullptr.
  // Meaningful for t <= known_at(): later episodes are not known yet.
  const ChurnEpisode* At(CustomerIndex c, UnixSeconds t) const;
  // Latest qualifying activity under the passive rule that applies to c
  // (kNoTime when none applies or there was none).
  UnixSeconds last_activity(CustomerIndex c) const { return last_activity_[c]; }

  // Every customer's state at t <= known_at() (index = CustomerIndex), as
  // known at known_at(): passive churn that began before t but was
  // detected after it counts (e.g. a report's month ends, known at its
  // as_of date).
  std::vector<ChurnLabel> Labels(const Dataset& dataset, UnixSeconds t) const;

 private:
  friend class ChurnLabeler;
  UnixSeconds known_at_ = kNoTime;
  std::vector<UnixSeconds> last_activity_;
  std::vector<uint32_t> offsets_ = {0};  // per customer, into episodes_
  std::vector<ChurnEpisode> episodes_;
};

// A customer existed at t: signed up before t, or, when the signup is
// unknown, had an event before t.
bool ExistedAt(const Dataset& dataset, CustomerIndex c, UnixSeconds t);

// A customer's churn state as of a date.
struct ChurnLabel {
  // False for a customer that did not exist yet (then never churned).
  bool existed = false;
  bool churned = false;
  v1::ChurnType type = v1::CHURN_TYPE_UNSPECIFIED;
  // When the current episode began (ChurnEpisode::start) and was detected.
  UnixSeconds churn_time = kNoTime;
  UnixSeconds detected_time = kNoTime;
  // The reason when known: the key of the CANCELLATION event (e.g.
  // "price"), also when a non-renewal came first; empty otherwise.
  std::string reason;
  // The rule that fired: "active", or the passive/hidden rule's name.
  std::string rule;
  // Latest qualifying activity under the passive rule that applies
  // (kNoTime when none applies or there was none).
  UnixSeconds last_activity = kNoTime;
  int reactivations = 0;  // returns after churn before the date
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

  // Every customer's episodes from the events strictly before `known_at`.
  // Errors: InvalidArgument when known_at is not after the data set's first
  // event. `threads` <= 0 means hardware concurrency; results do not
  // depend on it.
  absl::StatusOr<ChurnHistory> History(const Dataset& dataset,
                                       UnixSeconds known_at,
                                       int threads = 0) const;

  // Labels every customer (index = CustomerIndex) from events strictly
  // before `as_of`: the state at as_of of History(dataset, as_of).
  // Customers that did not exist at as_of have existed == false.
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

  // Rule selectors naming an industry or tier that no customer of
  // `dataset` has (a likely typo: the rule never applies), one message per
  // name, e.g. "passive[1].applies_to.industries[0]: no customer has
  // industry 'ecomerce'". Empty when every name occurs.
  std::vector<std::string> UnmatchedSelectors(const Dataset& dataset) const;

 private:
  struct Impl;
  explicit ChurnLabeler(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Labels (index = CustomerIndex) as a churnkit.v1.LabelSet message, of
// the customers that existed at as_of; with `history` (known at as_of),
// each label lists its customer's episodes.
v1::LabelSet ToLabelSet(const Dataset& dataset,
                        absl::Span<const ChurnLabel> labels, UnixSeconds as_of,
                        const ChurnHistory* history = nullptr);

// The shipped definitions (configs/labels/default.textproto).
absl::StatusOr<v1::ChurnDefinition> DefaultChurnDefinition();

// What a panel's label 1 means.
enum class PanelLabel {
  // A churn episode began within the horizon, [t, t + horizon), as known
  // from the whole data set (passive churn is dated back to the last
  // activity, so it counts once its window has run out in the data).
  kChurnBegan,
  // The customer is churned at t + horizon (as known then): churn that
  // began in the horizon and had not ended by its end.
  kChurnedAtEnd,
};

// Feature rows at several as-of dates t, one per customer that existed and
// was not churned at t (as known from the whole data set, so customers
// already silently gone get no row), labelled by `label`. Features only see
// events before t, so a model trained on a panel has no look-ahead.
struct TrainingPanel {
  FeatureMatrix features;       // rows in (as-of date, customer) order
  std::vector<uint8_t> labels;  // 0/1 per row
  std::vector<v1::ChurnType> churn_types;  // per row, for positive rows
};

// Errors: InvalidArgument for no dates, dates out of order, horizon_days
// <= 0, or a date whose horizon ends after the data set's last event (its
// labels would be unknown; the message names the date and the last date
// allowed).
absl::StatusOr<TrainingPanel> BuildTrainingPanel(
    const Dataset& dataset, const FeatureEngine& features,
    const ChurnLabeler& labeler, absl::Span<const UnixSeconds> as_of_dates,
    int horizon_days, const ComputeOptions& options = {},
    PanelLabel label = PanelLabel::kChurnBegan);

}  // namespace churnkit

#endif  // CHURNKIT_LABELS_H_
