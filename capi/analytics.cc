// capi/analytics.cc: reports, segmentation, inactivity windows, A/B tests and
// customer lifetime value: the analyses over a data set.
#include <algorithm>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "churnkit/c_api.h"
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
using churnkit::capi::ParseBytes;
using churnkit::capi::ToBuffer;

extern "C" {

// ---- Reports ----------------------------------------------------------------

ck_status ck_report_churn(const ck_dataset_t* dataset, const void* request,
                          size_t request_size, ck_buffer_t** out) {
  return Guard("ck_report_churn", [&]() -> absl::Status {
    if (out == nullptr) return NullArgument("out");
    *out = nullptr;
    if (dataset == nullptr) return NullArgument("dataset");
    churnkit::v1::ReportRequest parsed_request;
    if (absl::Status s = ParseBytes(request, request_size, "request",
                                    "request_size", &parsed_request);
        !s.ok()) {
      return s;
    }
    churnkit::capi::UseCallerThreads(&parsed_request);
    absl::StatusOr<churnkit::v1::ChurnReport> report =
        churnkit::BuildChurnReport(dataset->rep.dataset, parsed_request);
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
                                               assessment->result.assessment);
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

}  // extern "C"
