// capi/analytics.cc: reports, segmentation, inactivity windows, A/B tests and
// customer lifetime value: the analyses over a data set.
#include <algorithm>
#include <climits>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "churnkit/c_api.h"
#include "churnkit/c_api_experimental.h"
#include "churnkit/clv.h"
#include "churnkit/dataset.h"
#include "churnkit/experiments.h"
#include "churnkit/io.h"
#include "churnkit/model.h"
#include "churnkit/report.h"
#include "churnkit/segment.h"
#include "churnkit/windows.h"
#include "internal.h"

using churnkit::capi::BytesArg;
using churnkit::capi::CheckCount;
using churnkit::capi::CheckNotNull;
using churnkit::capi::Guard;
using churnkit::capi::NullArgument;
using churnkit::capi::ParseArray;
using churnkit::capi::ParseBytes;
using churnkit::capi::ToBuffer;

extern "C" {

// ---- Reports ----------------------------------------------------------------

ck_status ck_report_churn(const ck_dataset_t* dataset, const void* request,
                          size_t request_size, ck_buffer_t** out) {
  return churnkit::capi::RunJob<churnkit::v1::ReportRequest>(
      "ck_report_churn", dataset, request, request_size, out,
      churnkit::BuildChurnReport);
}

}  // extern "C"

extern "C" {

ck_status ck_report_extent(const ck_dataset_t* dataset, ck_buffer_t** out) {
  return Guard("ck_report_extent", [&]() -> absl::Status {
    if (out == nullptr) return NullArgument("out");
    *out = nullptr;
    if (dataset == nullptr) return NullArgument("dataset");
    return ToBuffer(churnkit::ReportExtentOf(dataset->rep.dataset), out);
  });
}

ck_status ck_report_resolve(const void* request, size_t request_size,
                            const void* const* extents,
                            const size_t* extent_sizes, size_t num_extents,
                            ck_buffer_t** out) {
  return Guard("ck_report_resolve", [&]() -> absl::Status {
    if (out == nullptr) return NullArgument("out");
    *out = nullptr;
    churnkit::v1::ReportRequest parsed;
    if (absl::Status s = ParseBytes(request, request_size, "request",
                                    "request_size", &parsed);
        !s.ok()) {
      return s;
    }
    absl::StatusOr<std::vector<churnkit::v1::ReportExtent>> parts =
        ParseArray<churnkit::v1::ReportExtent>(extents, extent_sizes,
                                               num_extents, "extents",
                                               "extent_sizes", "num_extents");
    if (!parts.ok()) return parts.status();
    absl::StatusOr<churnkit::v1::ReportRequest> resolved =
        churnkit::ResolveReportRequest(parsed, *parts);
    if (!resolved.ok()) return resolved.status();
    return ToBuffer(*resolved, out);
  });
}

ck_status ck_report_summarize(const ck_dataset_t* dataset, const void* request,
                              size_t request_size, ck_buffer_t** out) {
  return churnkit::capi::RunJob<churnkit::v1::ReportRequest>(
      "ck_report_summarize", dataset, request, request_size, out,
      churnkit::SummarizeChurnReport);
}

ck_status ck_report_merge(const void* const* summaries,
                          const size_t* summary_sizes, size_t num_summaries,
                          ck_buffer_t** out) {
  return Guard("ck_report_merge", [&]() -> absl::Status {
    if (out == nullptr) return NullArgument("out");
    *out = nullptr;
    absl::StatusOr<std::vector<churnkit::v1::ReportSummary>> parts =
        ParseArray<churnkit::v1::ReportSummary>(
            summaries, summary_sizes, num_summaries, "summaries",
            "summary_sizes", "num_summaries");
    if (!parts.ok()) return parts.status();
    absl::StatusOr<churnkit::v1::ReportSummary> merged =
        churnkit::MergeReportSummaries(*parts);
    if (!merged.ok()) return merged.status();
    return ToBuffer(*merged, out);
  });
}

ck_status ck_report_render(const void* summary, size_t summary_size,
                           ck_buffer_t** out) {
  return Guard("ck_report_render", [&]() -> absl::Status {
    if (out == nullptr) return NullArgument("out");
    *out = nullptr;
    churnkit::v1::ReportSummary parsed;
    if (absl::Status s = ParseBytes(summary, summary_size, "summary",
                                    "summary_size", &parsed);
        !s.ok()) {
      return s;
    }
    absl::StatusOr<churnkit::v1::ChurnReport> report =
        churnkit::RenderChurnReport(parsed);
    if (!report.ok()) return report.status();
    return ToBuffer(*report, out);
  });
}

ck_status ck_segments_compute(const ck_dataset_t* dataset, const void* options,
                              size_t options_size, const char* const* risk_ids,
                              const double* risk, size_t num_risk,
                              const ck_assessment_t* assessment,
                              ck_buffer_t** out) {
  return Guard("ck_segments_compute", [&]() -> absl::Status {
    if (out == nullptr) return NullArgument("out");
    *out = nullptr;
    if (dataset == nullptr) return NullArgument("dataset");
    if (options == nullptr && options_size != 0) return NullArgument("options");
    if (absl::Status s = CheckCount(num_risk, sizeof(double), "num_risk");
        !s.ok()) {
      return s;
    }
    if (num_risk != 0) {
      if (absl::Status s =
              CheckNotNull({{"risk_ids", risk_ids}, {"risk", risk}});
          !s.ok()) {
        return s;
      }
    }
    if (assessment != nullptr &&
        (risk_ids != nullptr || risk != nullptr || num_risk != 0)) {
      return absl::InvalidArgumentError(
          "give the risk either as arrays or as an assessment, not both");
    }
    churnkit::v1::SegmentOptions parsed;
    if (absl::Status s = ParseBytes(options, options_size, "options",
                                    "options_size", &parsed);
        !s.ok()) {
      return s;
    }
    churnkit::capi::UseCallerThreads(&parsed);
    const churnkit::Dataset& ds = dataset->rep.dataset;
    absl::StatusOr<churnkit::v1::SegmentReport> report;
    if (assessment != nullptr) {
      report = churnkit::SegmentWithAssessment(ds, parsed,
                                               assessment->result.assessment());
    } else {
      std::vector<std::string> ids;
      ids.reserve(num_risk);
      for (size_t i = 0; i < num_risk; ++i) {
        if (risk_ids[i] == nullptr) {
          return absl::InvalidArgumentError(
              absl::StrCat("argument 'risk_ids[", i, "]' is NULL"));
        }
        ids.emplace_back(risk_ids[i]);
      }
      report = churnkit::Segment(
          ds, parsed,
          churnkit::RiskInput{ids, absl::MakeConstSpan(risk, num_risk)});
    }
    if (!report.ok()) return report.status();
    return ToBuffer(*report, out);
  });
}

}  // extern "C"

// ---- Experiments (A/B tests) ------------------------------------------------

namespace {

// Stores `value` in *out when out is not NULL.
template <typename T>
void SetIf(T* out, T value) {
  if (out != nullptr) *out = value;
}

}  // namespace

extern "C" {

ck_status ck_abtest_analyze(const ck_dataset_t* dataset, const void* options,
                            size_t options_size, ck_buffer_t** out) {
  return Guard("ck_abtest_analyze", [&]() -> absl::Status {
    if (out == nullptr) return NullArgument("out");
    *out = nullptr;
    if (dataset == nullptr) return NullArgument("dataset");
    churnkit::v1::ExperimentOptions parsed;
    if (absl::Status s = ParseBytes(options, options_size, "options",
                                    "options_size", &parsed);
        !s.ok()) {
      return s;
    }
    churnkit::capi::UseCallerThreads(&parsed);
    absl::StatusOr<churnkit::v1::ExperimentReport> report =
        churnkit::AnalyzeExperiments(dataset->rep.dataset, parsed);
    if (!report.ok()) return report.status();
    return ToBuffer(*report, out);
  });
}

ck_status ck_windows_suggest(const ck_dataset_t* dataset, const void* request,
                             size_t request_size, ck_buffer_t** out) {
  return Guard("ck_windows_suggest", [&]() -> absl::Status {
    if (out == nullptr) return NullArgument("out");
    *out = nullptr;
    if (dataset == nullptr) return NullArgument("dataset");
    churnkit::v1::WindowsRequest parsed;
    if (absl::Status s = ParseBytes(request, request_size, "request",
                                    "request_size", &parsed);
        !s.ok()) {
      return s;
    }
    absl::StatusOr<churnkit::v1::WindowsResult> result =
        churnkit::SuggestWindows(dataset->rep.dataset, parsed);
    if (!result.ok()) return result.status();
    return ToBuffer(*result, out);
  });
}

ck_status ck_stats_two_proportion_test(int64_t successes1, int64_t trials1,
                                       int64_t successes2, int64_t trials2,
                                       double* z, double* p_value,
                                       double* p_value_greater) {
  return Guard("ck_stats_two_proportion_test", [&]() -> absl::Status {
    absl::StatusOr<churnkit::TwoProportionTest> t =
        churnkit::TwoProportionZTest(successes1, trials1, successes2, trials2);
    if (!t.ok()) return t.status();
    SetIf(z, t->z);
    SetIf(p_value, t->p_value);
    SetIf(p_value_greater, t->p_value_greater);
    return absl::OkStatus();
  });
}

ck_status ck_stats_difference_interval(int64_t successes1, int64_t trials1,
                                       int64_t successes2, int64_t trials2,
                                       double alpha, int method, double* lower,
                                       double* upper) {
  return Guard("ck_stats_difference_interval", [&]() -> absl::Status {
    if (method != CK_INTERVAL_WALD && method != CK_INTERVAL_NEWCOMBE) {
      return absl::InvalidArgumentError(absl::StrCat(
          "argument 'method': ", method,
          " is neither CK_INTERVAL_WALD (1) nor CK_INTERVAL_NEWCOMBE (2)"));
    }
    absl::StatusOr<churnkit::Interval> ci = churnkit::DifferenceInterval(
        successes1, trials1, successes2, trials2, alpha,
        method == CK_INTERVAL_WALD ? churnkit::IntervalMethod::kWald
                                   : churnkit::IntervalMethod::kNewcombe);
    if (!ci.ok()) return ci.status();
    SetIf(lower, ci->lower);
    SetIf(upper, ci->upper);
    return absl::OkStatus();
  });
}

ck_status ck_stats_fisher_exact(int64_t a, int64_t b, int64_t c, int64_t d,
                                double* p_value, double* p_less,
                                double* p_greater, double* odds_ratio) {
  return Guard("ck_stats_fisher_exact", [&]() -> absl::Status {
    absl::StatusOr<churnkit::FisherExactResult> r =
        churnkit::FisherExact(a, b, c, d);
    if (!r.ok()) return r.status();
    SetIf(p_value, r->p_value);
    SetIf(p_less, r->p_less);
    SetIf(p_greater, r->p_greater);
    SetIf(odds_ratio, r->odds_ratio.value_or(-1.0));
    return absl::OkStatus();
  });
}

ck_status ck_stats_sample_size(double p1, double p2, double alpha, double power,
                               int64_t* out) {
  return Guard("ck_stats_sample_size", [&]() -> absl::Status {
    if (out == nullptr) return NullArgument("out");
    absl::StatusOr<int64_t> n =
        churnkit::SampleSizePerArm(p1, p2, alpha, power);
    if (!n.ok()) return n.status();
    *out = *n;
    return absl::OkStatus();
  });
}

}  // extern "C"

// ---- Customer lifetime value ------------------------------------------------

namespace {

// Copies caller arrays into summaries (monetary only when not NULL).
absl::Status RfmFromArrays(const double* frequency, const double* recency,
                           const double* age, const double* monetary, size_t n,
                           churnkit::RfmSummaries* rfm) {
  if (absl::Status s = CheckNotNull(
          {{"frequency", frequency}, {"recency", recency}, {"age", age}});
      !s.ok()) {
    return s;
  }
  if (n == 0) return absl::InvalidArgumentError("argument 'n' is 0");
  if (absl::Status s = CheckCount(n, sizeof(double), "n"); !s.ok()) return s;
  rfm->frequency.assign(frequency, frequency + n);
  rfm->recency.assign(recency, recency + n);
  rfm->age.assign(age, age + n);
  if (monetary != nullptr) rfm->monetary.assign(monetary, monetary + n);
  rfm->time_unit = churnkit::v1::CLV_TIME_UNIT_UNSPECIFIED;
  return absl::OkStatus();
}

}  // namespace

extern "C" {

ck_status ck_clv_summaries(const ck_dataset_t* dataset, int64_t as_of,
                           const void* options, size_t options_size,
                           ck_buffer_t** out) {
  return Guard("ck_clv_summaries", [&]() -> absl::Status {
    if (out == nullptr) return NullArgument("out");
    *out = nullptr;
    if (dataset == nullptr) return NullArgument("dataset");
    churnkit::v1::RfmOptions parsed_options;
    if (absl::Status s = ParseBytes(options, options_size, "options",
                                    "options_size", &parsed_options);
        !s.ok()) {
      return s;
    }
    absl::StatusOr<churnkit::RfmSummaries> rfm = churnkit::ComputeRfmSummaries(
        dataset->rep.dataset, as_of, parsed_options);
    if (!rfm.ok()) return rfm.status();
    return ToBuffer(churnkit::ToProto(*rfm, as_of), out);
  });
}

ck_status ck_clv_fit(const double* frequency, const double* recency,
                     const double* age, const double* monetary, size_t n,
                     const void* options, size_t options_size,
                     ck_buffer_t** out) {
  return Guard("ck_clv_fit", [&]() -> absl::Status {
    if (out == nullptr) return NullArgument("out");
    *out = nullptr;
    churnkit::RfmSummaries rfm;
    if (absl::Status s =
            RfmFromArrays(frequency, recency, age, monetary, n, &rfm);
        !s.ok()) {
      return s;
    }
    churnkit::v1::ClvFitOptions parsed_options;
    if (absl::Status s = ParseBytes(options, options_size, "options",
                                    "options_size", &parsed_options);
        !s.ok()) {
      return s;
    }
    absl::StatusOr<churnkit::v1::ClvModel> model =
        churnkit::FitClv(rfm, parsed_options);
    if (!model.ok()) return model.status();
    return ToBuffer(*model, out);
  });
}

ck_status ck_clv_predict(const void* model, size_t model_size,
                         const double* frequency, const double* recency,
                         const double* age, const double* monetary, size_t n,
                         const void* options, size_t options_size,
                         double* p_alive, double* expected_purchases,
                         double* expected_spend, double* clv) {
  return Guard("ck_clv_predict", [&]() -> absl::Status {
    if (model == nullptr) return NullArgument("model");
    absl::StatusOr<absl::string_view> bytes =
        BytesArg(model, model_size, "model", "model_size", INT_MAX);
    if (!bytes.ok()) return bytes.status();
    churnkit::v1::ClvModel m;
    if (!churnkit::ParseBinaryProto(*bytes, &m).ok() || !m.has_bg_nbd()) {
      return absl::InvalidArgumentError(
          "argument 'model' is not a churnkit.v1.ClvModel with a BG/NBD part");
    }
    const bool spend = m.has_gamma_gamma();
    if (spend && monetary == nullptr) return NullArgument("monetary");
    churnkit::RfmSummaries rfm;
    if (absl::Status s = RfmFromArrays(frequency, recency, age,
                                       spend ? monetary : nullptr, n, &rfm);
        !s.ok()) {
      return s;
    }
    churnkit::v1::ClvPredictOptions parsed_options;
    if (absl::Status s = ParseBytes(options, options_size, "options",
                                    "options_size", &parsed_options);
        !s.ok()) {
      return s;
    }
    absl::StatusOr<churnkit::ClvPredictions> p = churnkit::PredictClv(
        rfm, m.bg_nbd(), spend ? &m.gamma_gamma() : nullptr, parsed_options);
    if (!p.ok()) return p.status();
    for (auto [dst, src] :
         {std::pair<double*, const std::vector<double>*>{p_alive, &p->p_alive},
          {expected_purchases, &p->expected_purchases},
          {expected_spend, &p->expected_spend},
          {clv, &p->clv}}) {
      if (dst != nullptr) std::copy(src->begin(), src->end(), dst);
    }
    return absl::OkStatus();
  });
}

ck_status ck_clv_patterns(const void* summaries, size_t summaries_size,
                          ck_buffer_t** out) {
  return Guard("ck_clv_patterns", [&]() -> absl::Status {
    if (out == nullptr) return NullArgument("out");
    *out = nullptr;
    if (summaries == nullptr) return NullArgument("summaries");
    churnkit::v1::RfmSummaries parsed;
    if (absl::Status s = ParseBytes(summaries, summaries_size, "summaries",
                                    "summaries_size", &parsed);
        !s.ok()) {
      return s;
    }
    absl::StatusOr<churnkit::v1::RfmPatterns> patterns =
        churnkit::SummarizeRfmPatterns(churnkit::FromProto(parsed));
    if (!patterns.ok()) return patterns.status();
    return ToBuffer(*patterns, out);
  });
}

ck_status ck_clv_patterns_merge(const void* const* parts, const size_t* sizes,
                                size_t count, ck_buffer_t** out) {
  return Guard("ck_clv_patterns_merge", [&]() -> absl::Status {
    if (out == nullptr) return NullArgument("out");
    *out = nullptr;
    if (absl::Status s = CheckNotNull({{"parts", parts}, {"sizes", sizes}});
        !s.ok()) {
      return s;
    }
    if (count == 0) return absl::InvalidArgumentError("argument 'count' is 0");
    if (absl::Status s =
            CheckCount(count, sizeof(churnkit::v1::RfmPatterns), "count");
        !s.ok()) {
      return s;
    }
    // Every part is a message: NULL is refused even with size 0.
    for (size_t i = 0; i < count; ++i) {
      if (parts[i] == nullptr) {
        return NullArgument(absl::StrCat("parts[", i, "]").c_str());
      }
    }
    absl::StatusOr<std::vector<churnkit::v1::RfmPatterns>> parsed =
        ParseArray<churnkit::v1::RfmPatterns>(parts, sizes, count, "parts",
                                              "sizes", "count");
    if (!parsed.ok()) return parsed.status();
    absl::StatusOr<churnkit::v1::RfmPatterns> merged =
        churnkit::MergeRfmPatterns(*parsed);
    if (!merged.ok()) return merged.status();
    return ToBuffer(*merged, out);
  });
}

ck_status ck_clv_fit_patterns(const void* patterns, size_t patterns_size,
                              const void* options, size_t options_size,
                              ck_buffer_t** out) {
  return Guard("ck_clv_fit_patterns", [&]() -> absl::Status {
    if (out == nullptr) return NullArgument("out");
    *out = nullptr;
    if (patterns == nullptr) return NullArgument("patterns");
    churnkit::v1::RfmPatterns parsed_patterns;
    if (absl::Status s = ParseBytes(patterns, patterns_size, "patterns",
                                    "patterns_size", &parsed_patterns);
        !s.ok()) {
      return s;
    }
    churnkit::v1::ClvFitOptions parsed_options;
    if (absl::Status s = ParseBytes(options, options_size, "options",
                                    "options_size", &parsed_options);
        !s.ok()) {
      return s;
    }
    absl::StatusOr<churnkit::v1::ClvModel> model =
        churnkit::FitClv(parsed_patterns, parsed_options);
    if (!model.ok()) return model.status();
    return ToBuffer(*model, out);
  });
}

}  // extern "C"

// ---- Value tiers
// --------------------------------------------------------------

static_assert(CK_TIER_A == static_cast<int>(churnkit::Tier::kA));
static_assert(CK_TIER_B == static_cast<int>(churnkit::Tier::kB));
static_assert(CK_TIER_C == static_cast<int>(churnkit::Tier::kC));

namespace {

// `n` values (NULL only when n is 0), each finite and >= 0.
absl::StatusOr<absl::Span<const double>> TierValues(const double* values,
                                                    size_t n) {
  if (values == nullptr && n != 0) return NullArgument("values");
  if (absl::Status s = CheckCount(n, sizeof(double), "n"); !s.ok()) return s;
  if (n == 0) return absl::Span<const double>();
  return absl::Span<const double>(values, n);
}

}  // namespace

extern "C" {

ck_status ck_tier_thresholds(const double* values, size_t n,
                             const void* options, size_t options_size,
                             double* a_min, double* b_min) {
  return Guard("ck_tier_thresholds", [&]() -> absl::Status {
    if (absl::Status s = CheckNotNull({{"a_min", a_min}, {"b_min", b_min}});
        !s.ok()) {
      return s;
    }
    absl::StatusOr<absl::Span<const double>> v = TierValues(values, n);
    if (!v.ok()) return v.status();
    // Unset fields take the shipped defaults of the method, as in
    // SegmentOptions.
    churnkit::v1::SegmentOptions segment;
    if (absl::Status s = ParseBytes(options, options_size, "options",
                                    "options_size", segment.mutable_tiers());
        !s.ok()) {
      return s;
    }
    absl::StatusOr<churnkit::v1::SegmentOptions> resolved =
        churnkit::ResolveSegmentOptions(segment);
    if (!resolved.ok()) return resolved.status();
    absl::StatusOr<churnkit::TierThresholds> t =
        churnkit::ComputeTierThresholds(*v, resolved->tiers());
    if (!t.ok()) return t.status();
    *a_min = t->a_min;
    *b_min = t->b_min;
    return absl::OkStatus();
  });
}

ck_status ck_tier_assign(const double* values, size_t n, double a_min,
                         double b_min, int* tiers) {
  return Guard("ck_tier_assign", [&]() -> absl::Status {
    if (tiers == nullptr && n != 0) return NullArgument("tiers");
    absl::StatusOr<absl::Span<const double>> v = TierValues(values, n);
    if (!v.ok()) return v.status();
    for (auto [name, t] :
         {std::pair<const char*, double>{"a_min", a_min}, {"b_min", b_min}}) {
      if (!(t > 0)) {  // +inf (an empty tier) is a threshold too
        return absl::InvalidArgumentError(
            absl::StrCat("argument '", name, "' must be > 0, got ", t));
      }
    }
    const churnkit::TierThresholds thresholds{a_min, b_min};
    for (size_t i = 0; i < n; ++i) {
      if (!std::isfinite((*v)[i]) || (*v)[i] < 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            "values[", i, "]: must be finite and >= 0, got ", (*v)[i]));
      }
    }
    for (size_t i = 0; i < n; ++i) {
      tiers[i] = static_cast<int>(churnkit::TierOf((*v)[i], thresholds));
    }
    return absl::OkStatus();
  });
}

}  // extern "C"
