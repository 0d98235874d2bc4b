// churnkit/assess.h: one call that assesses every customer as of a date —
// health score and colour with the dimension breakdown, fired warning
// rules with alerts and tasks, and the care-plan tasks coming due — as a
// churnkit.v1.Assessment.
//
// Example:
//   churnkit::Assessor assessor =
//       churnkit::Assessor::Create(churnkit::v1::AssessmentConfig()).value();
//   churnkit::AssessResult r =
//       assessor.Assess(dataset, churnkit::ParseTime("2025-01-01").value())
//           .value();
//   // r.assessment().customers(i).colour(), .alerts() (0 or 1), .tasks() ...
//   // keep r.history() and pass it to the next assessment (cool-downs,
//   // escalation).
#ifndef CHURNKIT_ASSESS_H_
#define CHURNKIT_ASSESS_H_

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "churnkit/dataset.h"
#include "churnkit/features.h"
#include "churnkit/v1/health.pb.h"
#include "churnkit/v1/model.pb.h"
#include "google/protobuf/arena.h"

namespace churnkit {

struct AssessOptions {
  // Earlier firings, for cool-downs and escalation (may be null).
  const v1::AlertHistory* history = nullptr;
  // The previous assessment, for each customer's score_change (may be
  // null: score_change is then NaN).
  const v1::Assessment* previous = nullptr;
  // A churn model (churnkit/model.h) over features this assessment
  // computes, e.g. fitted on a training panel of the same feature set (may
  // be null). With it every customer gets churn_probability and the
  // model's strongest risk reasons (churn_reasons); without it
  // churn_probability is NaN. It also ranks the alerts (expected revenue
  // at risk) and sets their risk floor (AlertPolicy.min_relative_risk). A
  // model feature the assessment's feature set does not compute is an
  // InvalidArgument error naming it.
  const v1::LogisticModel* model = nullptr;
  // Risk-raising reasons kept per customer with a model (>= 0).
  int model_reasons = 3;
  // Worker threads (0: all cores); results do not depend on it.
  int threads = 0;
  // Builds the result's messages on an arena it owns (AssessResult), which
  // is faster to fill and to free. false: on the heap, for a caller that
  // moves them into messages of its own (e.g. a job's response), which it
  // could not do from an arena without a copy.
  bool arena = true;
};

// What one assessment run gives. Its messages live on one arena the result
// owns (unless AssessOptions.arena is false): a run builds several small
// messages per customer, and allocating and freeing them one by one was a
// third of its cost (docs/performance.md, "Assessment vs features
// alone"). Copy a message out (e.g. `v1::Assessment a = r.assessment();`)
// to keep it past the result. Movable, not copyable; a moved-from result
// holds nothing and its accessors must not be called.
class AssessResult {
 public:
  AssessResult();
  AssessResult(AssessResult&& other) noexcept;
  AssessResult& operator=(AssessResult&& other) noexcept;
  ~AssessResult();

  // Customers in data-set order.
  const v1::Assessment& assessment() const { return *assessment_; }
  v1::Assessment* mutable_assessment() { return assessment_; }
  // `options.history` updated by this run.
  const v1::AlertHistory& history() const { return *history_; }
  v1::AlertHistory* mutable_history() { return history_; }
  // The features the assessment read.
  const FeatureMatrix& features() const { return features_; }
  FeatureMatrix* mutable_features() { return &features_; }
  // The arena of the messages (null when they are on the heap): a message
  // created on it moves into them (Swap, AddAllocated) without a copy.
  google::protobuf::Arena* arena() const { return arena_.get(); }

 private:
  friend class Assessor;
  // The arena's first block: `initial_block` (owned by the caller, who
  // destroys the result before reusing it) when not null.
  AssessResult(char* initial_block, size_t size);
  // The messages on the heap, owned by the result.
  static AssessResult OnHeap();
  struct Empty {};
  explicit AssessResult(Empty) {}
  void Free();

  std::unique_ptr<google::protobuf::Arena> arena_;
  v1::Assessment* assessment_ = nullptr;
  v1::AlertHistory* history_ = nullptr;
  FeatureMatrix features_;
};

// One customer's assessment (Assessor::AssessCustomer).
struct CustomerAssessResult {
  v1::CustomerAssessment assessment;
  // `options.history` (pass this customer's entries) updated by this
  // assessment: the customer's entries to store back.
  v1::AlertHistory history;
};

// A validated AssessmentConfig: features, scorecard, rules and care plan
// (each empty part is the shipped default). Immutable and thread-safe.
class Assessor {
 public:
  // Errors name the config path with its part, e.g.
  // "scorecard.dimensions[2].criteria[0].bands[1].max: ...",
  // "rules.rules[0].when.compare.feature: unknown feature 'x'".
  static absl::StatusOr<Assessor> Create(const v1::AssessmentConfig& config);
  Assessor(Assessor&&) noexcept;
  Assessor& operator=(Assessor&&) noexcept;
  ~Assessor();

  // Assesses every customer signed up before `as_of`. Churned customers
  // (per the default churn definition) are scored too but get only
  // win-back care tasks, no warning rules. The rules that fire for a
  // customer become one alert, ranked by expected revenue at risk; each
  // owner gets at most the AlertPolicy's capacity of them, the rest (and,
  // with a model, those below the risk floor) a routed_alert and one
  // automated-care task; assessment.alert_summary counts them
  // (docs/rules.md, "The alert stream").
  absl::StatusOr<AssessResult> Assess(const Dataset& dataset, UnixSeconds as_of,
                                      const AssessOptions& options = {}) const;

  // ---- The same run over customer partitions (docs/scale-out.md, "Alert
  // routing"). Assess is these steps on one partition, the whole data set;
  // over several, each partition's customers come out exactly as Assess of
  // the whole gives them (bit for bit), and MergeAlertSummaries of the
  // partitions' alert summaries is the whole run's:
  //  1. with red_share only: Totals of each partition, then Cutoffs of them
  //     all, the run's colour cut-offs (else the scorecard's);
  //  2. Candidates of each partition under those cut-offs;
  //  3. Route of every partition's candidates: one AlertPlan each;
  //  4. AssessPartition of each partition under its plan.
  // Each step recomputes the partition's features and scores (nothing is
  // kept between the steps). The options must be the same at every step.

  // The health totals of the customers of `dataset` not churned at `as_of`.
  absl::StatusOr<v1::HealthTotals> Totals(const Dataset& dataset,
                                          UnixSeconds as_of,
                                          int threads = 0) const;
  // The run's colour cut-offs from the Totals of all its partitions (the
  // scorecard's without red_share). InvalidArgument for malformed totals,
  // named "totals[i]...".
  absl::StatusOr<v1::ColourCutoffs> Cutoffs(
      absl::Span<const v1::HealthTotals> totals) const;
  // The alert candidates of `dataset`'s customers under the run's colour
  // cut-offs `colours`.
  absl::StatusOr<v1::AlertCandidates> Candidates(
      const Dataset& dataset, UnixSeconds as_of,
      const v1::ColourCutoffs& colours,
      const AssessOptions& options = {}) const;
  // Ranks every partition's candidates together and fills each owner's
  // capacity above the risk floor: plans[i] routes candidates[i]. Errors
  // (InvalidArgument, named "candidates[i]..."): none given; cut-offs or
  // model use that differ between partitions; a customer in two
  // partitions; a non-finite or negative figure.
  absl::StatusOr<std::vector<v1::AlertPlan>> Route(
      absl::Span<const v1::AlertCandidates> candidates) const;
  // `dataset`'s customers assessed under `plan` (its part of the run):
  // assessment.alert_summary counts them. InvalidArgument ("plan: ...")
  // when the plan was routed for other candidates or another config.
  absl::StatusOr<AssessResult> AssessPartition(
      const Dataset& dataset, UnixSeconds as_of, const v1::AlertPlan& plan,
      const AssessOptions& options = {}) const;

  // ---- One customer whose events just changed (the host's hot path,
  // docs/rules.md "One customer at a time"): the customer `customer_id` of
  // `dataset` with the `added` events (Dataset::CustomerSlice) assessed as
  // of `as_of` as Assess of the data set with those events appended
  // assesses it — features, churn label, health and colour, model
  // probability and reasons, rules, alert and tasks, care tasks — at the
  // cost of its own events, not the data set's. The run-wide parts come
  // from the last full run: `colours` are its cut-offs (Assessment.colours;
  // left empty, the scorecard's, which red_share forbids); its alert goes
  // to its owner unranked (rank 0), as capacity and risk floor are a run's.
  // options.history and options.previous are read for this customer only:
  // pass its entries (a whole history works but costs its size). One
  // thread. Errors: NotFound for an unknown customer id; FailedPrecondition
  // when it signed up after as_of; InvalidArgument for empty `colours`
  // under red_share, and those of CustomerSlice and Assess.
  absl::StatusOr<CustomerAssessResult> AssessCustomer(
      const Dataset& dataset, absl::string_view customer_id,
      absl::Span<const EventInput> added, UnixSeconds as_of,
      const v1::ColourCutoffs& colours,
      const AssessOptions& options = {}) const;

  // Backtests this assessment's health score on the history: the
  // customers signed up and not churned at `to` - `horizon_days` (`to` =
  // `as_of`, or the day after the data set's last event if earlier) are
  // scored and coloured as of then (red_share applied among them), and
  // compared with who began churning in the following `horizon_days` days:
  // customers and churn per colour, and the score's ROC-AUC. A window
  // without churners (or without stayers) leaves `auc` unset with a
  // `note`, never NaN. Errors (InvalidArgument): horizon_days <= 0; a
  // window starting before the data set's first event ("longer than the
  // history", naming the longest possible); a data set without events.
  absl::StatusOr<v1::Backtest> Backtest(const Dataset& dataset,
                                        UnixSeconds as_of, int horizon_days,
                                        int threads = 0) const;

 private:
  struct Impl;
  explicit Assessor(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The alert summaries of disjoint parts of one run (AssessPartition) as
// the run's: counts added, owners merged by id. InvalidArgument for none,
// parts of different runs (capacity or risk floor; "summaries[i]...") or
// negative counts; OutOfRange when a count overflows.
absl::StatusOr<v1::AlertSummary> MergeAlertSummaries(
    absl::Span<const v1::AlertSummary> parts);

}  // namespace churnkit

#endif  // CHURNKIT_ASSESS_H_
