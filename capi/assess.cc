// capi/assess.cc: assessors and assessments.
#include "churnkit/assess.h"

#include <cstddef>
#include <cstdint>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "churnkit/c_api.h"
#include "internal.h"

using churnkit::capi::CheckNotNull;
using churnkit::capi::Guard;
using churnkit::capi::NullArgument;
using churnkit::capi::ParseBytes;
using churnkit::capi::ToBuffer;

// ---- Assessment
// ---------------------------------------------------------------

extern "C" {

ck_status ck_assessor_create(const void* config, size_t config_size,
                             ck_assessor_t** out) {
  return Guard("ck_assessor_create", [&]() -> absl::Status {
    if (out == nullptr) return NullArgument("out");
    *out = nullptr;
    churnkit::v1::AssessmentConfig parsed;
    if (absl::Status s =
            ParseBytes(config, config_size, "config", "config_size", &parsed);
        !s.ok()) {
      return s;
    }
    absl::StatusOr<churnkit::Assessor> a = churnkit::Assessor::Create(parsed);
    if (!a.ok()) return a.status();
    *out = new ck_assessor_t(*std::move(a));
    return absl::OkStatus();
  });
}

void ck_assessor_free(ck_assessor_t* assessor) {
  Guard("ck_assessor_free", [assessor] { delete assessor; });
}

namespace {

// ck_assessor_assess and ck_assessor_assess_with_model (`model` may be NULL).
ck_status AssessWith(const char* function, const ck_assessor_t* assessor,
                     const ck_dataset_t* dataset, int64_t as_of,
                     const void* history, size_t history_size,
                     const ck_model_t* model, ck_assessment_t** out) {
  return Guard(function, [&]() -> absl::Status {
    if (out == nullptr) return NullArgument("out");
    *out = nullptr;
    if (absl::Status s =
            CheckNotNull({{"assessor", assessor}, {"dataset", dataset}});
        !s.ok()) {
      return s;
    }
    churnkit::v1::AlertHistory parsed;
    if (absl::Status s = ParseBytes(history, history_size, "history",
                                    "history_size", &parsed);
        !s.ok()) {
      return s;
    }
    churnkit::AssessOptions options;
    options.threads = churnkit::capi::Threads();
    if (history_size > 0) options.history = &parsed;
    if (model != nullptr) options.model = &model->model;
    absl::StatusOr<churnkit::AssessResult> r =
        assessor->assessor.Assess(dataset->rep.dataset, as_of, options);
    if (!r.ok()) return r.status();
    *out = new ck_assessment_t{*std::move(r)};
    return absl::OkStatus();
  });
}

}  // namespace

ck_status ck_assessor_assess(const ck_assessor_t* assessor,
                             const ck_dataset_t* dataset, int64_t as_of,
                             const void* history, size_t history_size,
                             ck_assessment_t** out) {
  return AssessWith("ck_assessor_assess", assessor, dataset, as_of, history,
                    history_size, nullptr, out);
}

ck_status ck_assessor_assess_with_model(const ck_assessor_t* assessor,
                                        const ck_dataset_t* dataset,
                                        int64_t as_of, const void* history,
                                        size_t history_size,
                                        const ck_model_t* model,
                                        ck_assessment_t** out) {
  return AssessWith("ck_assessor_assess_with_model", assessor, dataset, as_of,
                    history, history_size, model, out);
}

void ck_assessment_free(ck_assessment_t* assessment) {
  Guard("ck_assessment_free", [assessment] { delete assessment; });
}

ck_status ck_assessment_num_customers(const ck_assessment_t* assessment,
                                      size_t* out) {
  return Guard("ck_assessment_num_customers", [&]() -> absl::Status {
    if (absl::Status s =
            CheckNotNull({{"assessment", assessment}, {"out", out}});
        !s.ok()) {
      return s;
    }
    *out = static_cast<size_t>(assessment->result.assessment.customers_size());
    return absl::OkStatus();
  });
}

ck_status ck_assessment_customer(const ck_assessment_t* assessment,
                                 size_t index, const char** id, double* score,
                                 int* colour, size_t* num_alerts,
                                 size_t* num_tasks) {
  return Guard("ck_assessment_customer", [&]() -> absl::Status {
    if (assessment == nullptr) return NullArgument("assessment");
    const auto& customers = assessment->result.assessment.customers();
    if (index >= static_cast<size_t>(customers.size())) {
      return absl::OutOfRangeError(
          absl::StrCat("argument 'index' is ", index, "; there are ",
                       customers.size(), " customers"));
    }
    const churnkit::v1::CustomerAssessment& c =
        customers.Get(static_cast<int>(index));
    if (id != nullptr) *id = c.customer_id().c_str();
    if (score != nullptr) *score = c.score();
    if (colour != nullptr) *colour = c.colour();
    if (num_alerts != nullptr) *num_alerts = c.alerts_size();
    if (num_tasks != nullptr) *num_tasks = c.tasks_size();
    return absl::OkStatus();
  });
}

ck_status ck_assessment_churn_probability(const ck_assessment_t* assessment,
                                          size_t index, double* out) {
  return Guard("ck_assessment_churn_probability", [&]() -> absl::Status {
    if (absl::Status s =
            CheckNotNull({{"assessment", assessment}, {"out", out}});
        !s.ok()) {
      return s;
    }
    const auto& customers = assessment->result.assessment.customers();
    if (index >= static_cast<size_t>(customers.size())) {
      return absl::OutOfRangeError(
          absl::StrCat("argument 'index' is ", index, "; there are ",
                       customers.size(), " customers"));
    }
    *out = customers.Get(static_cast<int>(index)).churn_probability();
    return absl::OkStatus();
  });
}

ck_status ck_assessment_serialize(const ck_assessment_t* assessment,
                                  ck_buffer_t** out) {
  return Guard("ck_assessment_serialize", [&]() -> absl::Status {
    if (out == nullptr) return NullArgument("out");
    *out = nullptr;
    if (assessment == nullptr) return NullArgument("assessment");
    return ToBuffer(assessment->result.assessment, out);
  });
}

ck_status ck_assessment_history(const ck_assessment_t* assessment,
                                ck_buffer_t** out) {
  return Guard("ck_assessment_history", [&]() -> absl::Status {
    if (out == nullptr) return NullArgument("out");
    *out = nullptr;
    if (assessment == nullptr) return NullArgument("assessment");
    return ToBuffer(assessment->result.history, out);
  });
}

}  // extern "C"
