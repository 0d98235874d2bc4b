// capi/assess.cc: assessors and assessments.
#include "churnkit/assess.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "churnkit/c_api.h"
#include "churnkit/c_api_experimental.h"
#include "churnkit/jobs.h"
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

ck_status ck_assessor_assess_customer(const ck_assessor_t* assessor,
                                      const ck_dataset_t* dataset,
                                      const void* update, size_t update_size,
                                      const ck_model_t* model,
                                      ck_buffer_t** out) {
  return Guard("ck_assessor_assess_customer", [&]() -> absl::Status {
    if (out == nullptr) return NullArgument("out");
    *out = nullptr;
    if (absl::Status s =
            CheckNotNull({{"assessor", assessor}, {"dataset", dataset}});
        !s.ok()) {
      return s;
    }
    churnkit::v1::CustomerUpdate parsed;
    if (absl::Status s =
            ParseBytes(update, update_size, "update", "update_size", &parsed);
        !s.ok()) {
      return s;
    }
    if (parsed.as_of().empty()) {
      return absl::InvalidArgumentError("update.as_of: required");
    }
    absl::StatusOr<churnkit::UnixSeconds> as_of =
        churnkit::ParseTime(parsed.as_of());
    if (!as_of.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("update.as_of: ", as_of.status().message()));
    }
    std::vector<churnkit::EventInput> added;
    added.reserve(parsed.events_size());
    for (const churnkit::v1::Event& e : parsed.events()) {
      added.push_back(churnkit::ToEventInput(e));
    }
    churnkit::AssessOptions options;
    options.history = &parsed.history();
    churnkit::v1::Assessment previous;
    if (parsed.has_previous_score()) {
      churnkit::v1::CustomerAssessment* p = previous.add_customers();
      p->set_customer_id(parsed.customer_id());
      p->set_score(parsed.previous_score());
      options.previous = &previous;
    }
    if (model != nullptr) options.model = &model->model;
    absl::StatusOr<churnkit::CustomerAssessResult> r =
        assessor->assessor.AssessCustomer(dataset->rep.dataset,
                                          parsed.customer_id(), added, *as_of,
                                          parsed.colours(), options);
    if (!r.ok()) return r.status();
    churnkit::v1::CustomerUpdateResult result;
    *result.mutable_assessment() = std::move(r->assessment);
    *result.mutable_history() = std::move(r->history);
    return ToBuffer(result, out);
  });
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
    *out =
        static_cast<size_t>(assessment->result.assessment().customers_size());
    return absl::OkStatus();
  });
}

ck_status ck_assessment_customer(const ck_assessment_t* assessment,
                                 size_t index, const char** id, double* score,
                                 int* colour, size_t* num_alerts,
                                 size_t* num_tasks) {
  return Guard("ck_assessment_customer", [&]() -> absl::Status {
    if (assessment == nullptr) return NullArgument("assessment");
    const auto& customers = assessment->result.assessment().customers();
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
    const auto& customers = assessment->result.assessment().customers();
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
    return ToBuffer(assessment->result.assessment(), out);
  });
}

ck_status ck_assessment_history(const ck_assessment_t* assessment,
                                ck_buffer_t** out) {
  return Guard("ck_assessment_history", [&]() -> absl::Status {
    if (out == nullptr) return NullArgument("out");
    *out = nullptr;
    if (assessment == nullptr) return NullArgument("assessment");
    return ToBuffer(assessment->result.history(), out);
  });
}

}  // extern "C"

// ---- Alert routing over partitions ------------------------------------------

namespace {

using churnkit::capi::ParseArray;

// One step of a partition's assessment: the request (as_of required) and
// the serialized message `arg` named `arg_name`, parsed, then `step`.
template <typename Arg, typename Step>
ck_status PartitionStep(const char* function, const ck_dataset_t* dataset,
                        const void* request, size_t request_size,
                        const void* arg, size_t arg_size, const char* arg_name,
                        const char* arg_size_name, ck_buffer_t** out,
                        Step step) {
  return churnkit::capi::RunJob<churnkit::v1::AssessRequest>(
      function, dataset, request, request_size, out,
      [&](const churnkit::Dataset& ds, const churnkit::v1::AssessRequest& r)
          -> decltype(step(ds, r, Arg())) {
        Arg parsed_arg;
        if (absl::Status s =
                ParseBytes(arg, arg_size, arg_name, arg_size_name, &parsed_arg);
            !s.ok()) {
          return s;
        }
        return step(ds, r, parsed_arg);
      });
}

}  // namespace

extern "C" {

ck_status ck_assess_totals(const ck_dataset_t* dataset, const void* request,
                           size_t request_size, ck_buffer_t** out) {
  return PartitionStep<churnkit::v1::HealthTotals>(
      "ck_assess_totals", dataset, request, request_size, nullptr, 0, "", "",
      out,
      [](const churnkit::Dataset& ds, const churnkit::v1::AssessRequest& r,
         const churnkit::v1::HealthTotals&) {
        return churnkit::AssessTotals(ds, r);
      });
}

ck_status ck_assess_cutoffs(const void* request, size_t request_size,
                            const void* const* totals,
                            const size_t* totals_sizes, size_t num_totals,
                            ck_buffer_t** out) {
  return Guard("ck_assess_cutoffs", [&]() -> absl::Status {
    if (out == nullptr) return NullArgument("out");
    *out = nullptr;
    churnkit::v1::AssessRequest parsed;
    if (absl::Status s = ParseBytes(request, request_size, "request",
                                    "request_size", &parsed);
        !s.ok()) {
      return s;
    }
    absl::StatusOr<std::vector<churnkit::v1::HealthTotals>> parts =
        ParseArray<churnkit::v1::HealthTotals>(totals, totals_sizes, num_totals,
                                               "totals", "totals_sizes",
                                               "num_totals");
    if (!parts.ok()) return parts.status();
    absl::StatusOr<churnkit::v1::AlertPlan> plan =
        churnkit::AssessCutoffs(parsed, *parts);
    if (!plan.ok()) return plan.status();
    return ToBuffer(*plan, out);
  });
}

ck_status ck_assess_candidates(const ck_dataset_t* dataset, const void* request,
                               size_t request_size, const void* cutoffs,
                               size_t cutoffs_size, ck_buffer_t** out) {
  return PartitionStep<churnkit::v1::AlertPlan>(
      "ck_assess_candidates", dataset, request, request_size, cutoffs,
      cutoffs_size, "cutoffs", "cutoffs_size", out, churnkit::AssessCandidates);
}

ck_status ck_assess_route(const void* request, size_t request_size,
                          const void* const* candidates,
                          const size_t* candidates_sizes, size_t num_candidates,
                          ck_buffer_t** plans) {
  return Guard("ck_assess_route", [&]() -> absl::Status {
    if (plans == nullptr) return NullArgument("plans");
    if (absl::Status s = churnkit::capi::CheckCount(
            num_candidates, sizeof(void*), "num_candidates");
        !s.ok()) {
      return s;
    }
    std::fill(plans, plans + num_candidates, nullptr);
    churnkit::v1::AssessRequest parsed;
    if (absl::Status s = ParseBytes(request, request_size, "request",
                                    "request_size", &parsed);
        !s.ok()) {
      return s;
    }
    absl::StatusOr<std::vector<churnkit::v1::AlertCandidates>> parts =
        ParseArray<churnkit::v1::AlertCandidates>(
            candidates, candidates_sizes, num_candidates, "candidates",
            "candidates_sizes", "num_candidates");
    if (!parts.ok()) return parts.status();
    absl::StatusOr<std::vector<churnkit::v1::AlertPlan>> routed =
        churnkit::AssessRoute(parsed, *parts);
    if (!routed.ok()) return routed.status();
    // Every plan serialized before any is handed out: all or none.
    std::vector<std::unique_ptr<ck_buffer_t>> made;
    for (const churnkit::v1::AlertPlan& plan : *routed) {
      ck_buffer_t* buffer = nullptr;
      if (absl::Status s = ToBuffer(plan, &buffer); !s.ok()) return s;
      made.emplace_back(buffer);
    }
    for (size_t i = 0; i < made.size(); ++i) plans[i] = made[i].release();
    return absl::OkStatus();
  });
}

ck_status ck_assess_partition(const ck_dataset_t* dataset, const void* request,
                              size_t request_size, const void* plan,
                              size_t plan_size, ck_buffer_t** out) {
  return PartitionStep<churnkit::v1::AlertPlan>(
      "ck_assess_partition", dataset, request, request_size, plan, plan_size,
      "plan", "plan_size", out, churnkit::AssessPartition);
}

ck_status ck_assess_merge_summaries(const void* const* summaries,
                                    const size_t* summary_sizes,
                                    size_t num_summaries, ck_buffer_t** out) {
  return Guard("ck_assess_merge_summaries", [&]() -> absl::Status {
    if (out == nullptr) return NullArgument("out");
    *out = nullptr;
    absl::StatusOr<std::vector<churnkit::v1::AlertSummary>> parts =
        ParseArray<churnkit::v1::AlertSummary>(
            summaries, summary_sizes, num_summaries, "summaries",
            "summary_sizes", "num_summaries");
    if (!parts.ok()) return parts.status();
    absl::StatusOr<churnkit::v1::AlertSummary> merged =
        churnkit::MergeAlertSummaries(*parts);
    if (!merged.ok()) return merged.status();
    return ToBuffer(*merged, out);
  });
}

}  // extern "C"
