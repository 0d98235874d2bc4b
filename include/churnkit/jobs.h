// The steps of the main job as library calls (docs/jobs.md): one request
// message in, one result message out, defaults resolved here and nowhere
// else, so the CLI, the C ABI (ck_job_train) and every host compute the same.
//
//   churnkit::v1::TrainRequest request;
//   for (const char* d : {"2025-01-01", "2025-04-01", "2025-07-01"})
//     request.add_as_of_dates(d);
//   absl::StatusOr<churnkit::v1::TrainResult> trained =
//       churnkit::TrainChurnModel(dataset, request);
//   // trained->model() scores with churnkit::Predict or an Assessor.
#ifndef CHURNKIT_JOBS_H_
#define CHURNKIT_JOBS_H_

#include <cstdint>
#include <functional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "churnkit/clv.h"
#include "churnkit/dataset.h"
#include "churnkit/labels.h"
#include "churnkit/v1/health.pb.h"
#include "churnkit/v1/jobs.pb.h"

namespace churnkit {

// The request with every default filled in (dates normalised to
// FormatTime, horizon, test_from, panel label, fit options, counts) and
// every field checked that can be checked without data. Errors:
// InvalidArgument naming the field ("as_of_dates[2]: 2025-01-01 is not
// after 2025-04-01", "horizon_days: must be in 1..3650, got 0",
// "fit.winsorize: ...", "features.features[3]...").
absl::StatusOr<v1::TrainRequest> ResolveTrainRequest(
    const v1::TrainRequest& request);

// The training panel TrainChurnModel fits and tests on, with the request
// resolved (ResolveTrainRequest): for the same fit over customer
// partitions (docs/scale-out.md), where each partition builds its own
// panel. Rows dated from request.test_from() on are the held-out ones.
// Errors: those of ResolveTrainRequest; InvalidArgument when a date's
// horizon ends after the data (naming it and the last date allowed).
struct TrainPanel {
  v1::TrainRequest request;
  TrainingPanel panel;
};
absl::StatusOr<TrainPanel> BuildTrainPanel(const Dataset& dataset,
                                           const v1::TrainRequest& request);

// Trains the churn model on a training panel of `dataset` (jobs.proto
// TrainRequest): builds the panel (BuildTrainingPanel), splits it by time
// at test_from, fits on the earlier dates, evaluates on the later ones,
// and returns the model with its held-out evaluation, strongest factors
// and the riskiest customers of the last date. Deterministic: the same
// data and request give the same bytes for every thread count. Errors:
// those of ResolveTrainRequest; InvalidArgument when a date's horizon ends
// after the data (naming it and the last date allowed) or one side of the
// split has no rows; FailedPrecondition when the training rows hold one
// class only; the fit's errors.
absl::StatusOr<v1::TrainResult> TrainChurnModel(
    const Dataset& dataset, const v1::TrainRequest& request);

// Trains the churn model on the plain table at request.path (jobs.proto
// TrainTableRequest): ReadPlainTable, EncodeTable, FitLogistic on every
// row, CrossValidateLogistic, Evaluate of the out-of-fold scores, and the
// strongest and adjusting factors. Errors: InvalidArgument naming the
// field ("path: required", "table.label_column: required", "delimiter:
// ...", "folds: ...", "fit.c: ..."); those of reading (NotFound naming
// the path), encoding and fitting.
absl::StatusOr<v1::TrainTableResult> TrainOnTable(
    const v1::TrainTableRequest& request);

// Learns a health scorecard from the history of `dataset` (jobs.proto
// ScorecardRequest): the training panel as TrainChurnModel builds it (one
// date is enough), the rows from test_from (default: the last of two or
// more dates) held out, then LearnScorecard; the result holds the
// scorecard, its report, an AssessmentConfig carrying it and the shipped
// Zoho scorecard's AUC on the same rows. Errors: InvalidArgument naming
// the field ("as_of_dates: at least one date is needed",
// "options.max_bins: ..."); those of the panel and the learner.
absl::StatusOr<v1::ScorecardResult> LearnHealthScorecard(
    const Dataset& dataset, const v1::ScorecardRequest& request);

// The same on the plain table at request.path (jobs.proto
// ScorecardTableRequest), with a stratified holdout; no
// assessment_config (a table's columns are no event features). Errors:
// InvalidArgument naming the field ("path: required",
// "options.holdout_from: ..."); those of reading, encoding and learning.
absl::StatusOr<v1::ScorecardResult> LearnHealthScorecardOnTable(
    const v1::ScorecardTableRequest& request);

// Assesses every customer of `dataset` as of request.as_of (jobs.proto
// AssessRequest): Assessor::Assess with the request's config (shipped
// default when absent), model, previous assessment and alert history;
// plus the counts of the summary, the at-risk ranking and, when asked,
// the backtest (Assessor::Backtest). Errors: InvalidArgument naming the
// field ("as_of: required", "config.scorecard...", "model: ...",
// "model_reasons: must be -1 (none), 0 (default) or 1..100000, got -3",
// "backtest_days: ..."); those of Assess and Backtest.
absl::StatusOr<v1::AssessResponse> AssessCustomers(
    const Dataset& dataset, const v1::AssessRequest& request);
// Everything AssessCustomers checks before it reads data (dates, counts,
// the config compiled), so a host can refuse a request before a long load.
absl::Status CheckAssessRequest(const v1::AssessRequest& request);

// AssessCustomers over customer partitions, step by step (the steps of
// Assessor, assess.h; docs/scale-out.md, "Alert routing"): every step
// takes the same request; backtest_days must be 0 (the backtest reads the
// whole history). Errors: those of AssessCustomers.
//  1. with config.red_share: AssessTotals of each partition, then
//     AssessCutoffs of them all: an AlertPlan holding only the run's colour
//     cut-offs (a plan before routing; `colours` always present);
absl::StatusOr<v1::HealthTotals> AssessTotals(const Dataset& dataset,
                                              const v1::AssessRequest& request);
absl::StatusOr<v1::AlertPlan> AssessCutoffs(
    const v1::AssessRequest& request,
    absl::Span<const v1::HealthTotals> totals);
//  2. AssessCandidates of each partition under cutoffs.colours (absent:
//     the scorecard's cut-offs, an error with red_share);
absl::StatusOr<v1::AlertCandidates> AssessCandidates(
    const Dataset& dataset, const v1::AssessRequest& request,
    const v1::AlertPlan& cutoffs);
//  3. AssessRoute of every partition's candidates: plans[i] for
//     candidates[i];
absl::StatusOr<std::vector<v1::AlertPlan>> AssessRoute(
    const v1::AssessRequest& request,
    absl::Span<const v1::AlertCandidates> candidates);
//  4. AssessPartition of each partition under its plan: the response of
//     AssessCustomers for its customers, equal to the whole run's; its
//     summary counts and at-risk ranking are the partition's own, and
//     assessment.alert_summary its part (MergeAlertSummaries).
absl::StatusOr<v1::AssessResponse> AssessPartition(
    const Dataset& dataset, const v1::AssessRequest& request,
    const v1::AlertPlan& plan);

// Segments every customer of `dataset` (jobs.proto SegmentRequest): the
// assessment as of options.as_of gives the risk (the model's churn
// probability when a model is given and the options name no risk source),
// the assessment evidence_days earlier gives evidence for churn reasons,
// then SegmentWithAssessment. Errors: InvalidArgument naming the field
// ("options.as_of: required", "options.tiers.a_share: ...",
// "evidence_days: ...", "assess_config...."); those of Assess and
// SegmentWithAssessment. An evidence assessment that cannot be made (its
// date before the data) is no error: evidence_note says why.
absl::StatusOr<v1::SegmentResponse> SegmentCustomers(
    const Dataset& dataset, const v1::SegmentRequest& request);
// Everything SegmentCustomers checks before it reads data.
absl::Status CheckSegmentRequest(const v1::SegmentRequest& request);

// Customer lifetime value from the orders of `dataset` before
// request.as_of (jobs.proto ClvRequest): ComputeRfmSummaries, FitClv,
// PredictClv with the defaults resolved. Errors: InvalidArgument naming
// the field ("as_of: required", "rfm.time_unit: ...", "predict.horizon:
// ..."); those of the fits (FailedPrecondition without repeat buyers).
absl::StatusOr<v1::ClvResponse> ComputeClv(const Dataset& dataset,
                                           const v1::ClvRequest& request);

// The same from summaries the host already has (e.g. a CSV of frequency,
// recency, age and monetary values); request.as_of and request.rfm are not
// used. Gamma-Gamma is fitted when the summaries carry monetary values.
absl::StatusOr<v1::ClvResponse> ClvFromSummaries(const RfmSummaries& summaries,
                                                 const v1::ClvRequest& request);

// Generates a synthetic CRM history (jobs.proto GenerateRequest): the
// config resolved (ResolveGeneratorConfig) and checked
// (ValidateGeneratorConfig), then, unless resolve_only, Generate() into
// out_dir. `progress`, when set, is called on the calling thread with the
// customers done and the total. Errors: InvalidArgument naming the field
// ("config.industries[2].share: ...", "out_dir: required", "format:
// unknown value 9", "threads: ..."); those of Generate().
absl::StatusOr<v1::GenerateResult> GenerateData(
    const v1::GenerateRequest& request,
    const std::function<void(int64_t done, int64_t total)>& progress = {});

}  // namespace churnkit

#endif  // CHURNKIT_JOBS_H_
