// churnkit/report.h: churn and retention reports computed from churn labels
// (domain.md §1 and §8).
//
// A report answers, for a data set and a churn definition:
//   - the churn rate of a period [start, end): of the customers at the
//     start (signed up before it and not churned as of it), the share
//     churned as of the end; the retention rate (100 - churn rate); the
//     revenue (annual value) lost; the mix of churn types, reasons and
//     lifecycle stages; all of it per value of any customer attribute;
//   - a monthly churn-rate trend;
//   - cohort retention tables (signup month x months since signup);
//   - Kaplan–Meier retention curves with a confidence band and the median
//     lifetime, overall and per group.
// The request and the report are protobuf messages
// (proto/churnkit/v1/report.proto), documented field by field there and in
// docs/reports.md.
//
// Example:
//   churnkit::v1::ReportRequest request;
//   request.mutable_period()->set_start("2024-01-01");
//   request.mutable_period()->set_end("2024-07-01");
//   request.add_breakdowns("tier");
//   request.mutable_survival();  // present: add Kaplan–Meier curves
//   absl::StatusOr<churnkit::v1::ChurnReport> report =
//       churnkit::BuildChurnReport(dataset, request);
//   report->period().overall().churn_rate();  // percent
#ifndef CHURNKIT_REPORT_H_
#define CHURNKIT_REPORT_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "churnkit/dataset.h"
#include "churnkit/v1/report.pb.h"

namespace churnkit {

// Builds the report `request` asks for: always the period figures (the
// headline churn rate), and the trend, cohort tables and survival curves
// when their options are present. Labels come from request.definition()
// (the shipped default when absent) as of the period ends, month ends and
// as_of; no event at or after as_of is used.
//
// Errors (InvalidArgument, the message names the request field):
//   an unparsable date ("period.start: ..."); a period or trend range whose
//   end is not after its start, or after as_of, or whose start is not after
//   the data set's first event; an unknown attribute
//   ("breakdowns[1]: unknown attribute 'colour' ...", or attributes.<key>
//   that no customer has); a confidence outside (0, 1), a horizon <= 0, a
//   negative max_months or lifecycle length; an invalid definition
//   ("definition.passive[0].inactive_days: must be > 0").
// An empty data set gives a valid report of zero counts and absent rates.
// Thread-safe; `dataset` is only read.
absl::StatusOr<v1::ChurnReport> BuildChurnReport(
    const Dataset& dataset, const v1::ReportRequest& request);

// ---- Reports over customer partitions -----------------------------------
//
// BuildChurnReport(ds, r) is RenderChurnReport(SummarizeChurnReport(ds, r)).
// Over partitions (docs/scale-out.md, "Reports"):
//   1. ReportExtentOf(part) for each partition (skip when the request
//      already gives as_of or period.end, period.start and revenue_source);
//   2. resolved = ResolveReportRequest(request, extents);
//   3. SummarizeChurnReport(part, resolved) for each partition;
//   4. RenderChurnReport(MergeReportSummaries(summaries)).
// The report equals BuildChurnReport on the whole data set, bit for bit.

// What the request's defaults and checks depend on in `dataset`.
// Thread-safe; `dataset` is only read.
v1::ReportExtent ReportExtentOf(const Dataset& dataset);

// `request` with its data-dependent defaults fixed from the extents of the
// whole data set (one per partition, merged; none: an empty data set):
// as_of, period, trend.range (with trend), revenue_source and the
// definition (the shipped default when absent) are set, dates written as
// FormatTime does. Resolving a resolved request changes nothing.
// Errors: those of BuildChurnReport that the request alone or the dates
// show (InvalidArgument naming the field); attribute keys and dates before
// the first event are checked when rendering.
absl::StatusOr<v1::ReportRequest> ResolveReportRequest(
    const v1::ReportRequest& request,
    absl::Span<const v1::ReportExtent> extents);

// The partial aggregates of the report `request` asks for over the
// customers of `dataset`: request resolved from `dataset` itself (so a
// partition needs a request resolved for the whole, or its summary will
// not merge with the others'), labels as of as_of, counts and cents.
// An attributes.<key> that no customer of `dataset` has is not an error
// here (every customer is in the group ""); it is when rendering, if no
// customer of the merged data has it.
// Errors: as ResolveReportRequest; OutOfRange when revenue overflows
// int64 cents. Thread-safe; `dataset` is only read.
absl::StatusOr<v1::ReportSummary> SummarizeChurnReport(
    const Dataset& dataset, const v1::ReportRequest& request);

// The summary of the union of the summaries' (disjoint) customers: counts
// and cents add up, keyed lists are united in key order, so the result does
// not depend on the order of `summaries`.
// Errors (InvalidArgument): no summary; summaries made with different
// resolved requests ("summaries[2]: made with another request: modified:
// as_of: ..."), or whose parts do not line up (a malformed summary);
// negative counts; OutOfRange when a sum overflows int64.
absl::StatusOr<v1::ReportSummary> MergeReportSummaries(
    absl::Span<const v1::ReportSummary> summaries);

// The report of a (merged) summary: rates, shares, cohort retention and
// Kaplan–Meier curves from the counts; defaults that depend on the first
// event (cohort signups, left-censored cells) from the summary's extent.
// Errors (InvalidArgument): the date checks of BuildChurnReport against the
// whole data's first event ("period.start: ... is not after the first
// event ..."), an attributes.<key> no customer has, a malformed summary
// (negative counts, unparsable dates, an unparsable request).
absl::StatusOr<v1::ChurnReport> RenderChurnReport(
    const v1::ReportSummary& summary);

// The Kaplan–Meier estimator on raw observations, for any time unit:
// `durations[i]` is observation i's time (>= 0, finite), `churned[i]` is 1
// for an event at that time and 0 for an observation censored then.
// Returns the curve's counts, one point per distinct event time (Greenwood
// variance, log(-log) band at `confidence`), the median (first time with
// S <= 0.5) and S at each of `horizons` not beyond the longest duration.
// `days` fields of the result carry the input unit.
// Errors: InvalidArgument when the spans differ in length, a duration is
// negative or not finite, a flag is not 0/1, `confidence` is not in (0, 1)
// or a horizon is <= 0.
absl::StatusOr<v1::SurvivalCurve> KaplanMeier(
    absl::Span<const double> durations, absl::Span<const uint8_t> churned,
    double confidence = 0.95, absl::Span<const int32_t> horizons = {});

}  // namespace churnkit

#endif  // CHURNKIT_REPORT_H_
