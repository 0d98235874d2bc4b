// capi/jobs.cc: the jobs of churnkit/c_api_experimental.h over jobs.h.
#include "churnkit/jobs.h"

#include "absl/status/status.h"
#include "churnkit/c_api_experimental.h"
#include "churnkit/partition.h"
#include "churnkit/report.h"
#include "churnkit/v1/jobs.pb.h"
#include "internal.h"

using churnkit::capi::Guard;
using churnkit::capi::NullArgument;
using churnkit::capi::ParseBytes;
using churnkit::capi::RunJob;
using churnkit::capi::RunRequest;
using churnkit::capi::ToBuffer;

extern "C" {

ck_status ck_job_train(const ck_dataset_t* dataset, const void* request,
                       size_t request_size, ck_buffer_t** out) {
  return RunJob<churnkit::v1::TrainRequest>("ck_job_train", dataset, request,
                                            request_size, out,
                                            churnkit::TrainChurnModel);
}

ck_status ck_job_train_panel(const ck_dataset_t* dataset, const void* request,
                             size_t request_size, ck_matrix_t** panel_out,
                             ck_buffer_t** resolved_out) {
  return Guard("ck_job_train_panel", [&]() -> absl::Status {
    if (panel_out == nullptr) return NullArgument("panel_out");
    *panel_out = nullptr;
    if (resolved_out == nullptr) return NullArgument("resolved_out");
    *resolved_out = nullptr;
    if (dataset == nullptr) return NullArgument("dataset");
    churnkit::v1::TrainRequest parsed;
    if (absl::Status s = ParseBytes(request, request_size, "request",
                                    "request_size", &parsed);
        !s.ok()) {
      return s;
    }
    churnkit::capi::UseCallerThreads(&parsed);
    absl::StatusOr<churnkit::TrainPanel> built =
        churnkit::BuildTrainPanel(dataset->rep.dataset, parsed);
    if (!built.ok()) return built.status();
    ck_buffer_t* resolved = nullptr;
    if (absl::Status s = ToBuffer(built->request, &resolved); !s.ok()) {
      return s;
    }
    *panel_out = new ck_matrix_t{std::move(built->panel.features),
                                 std::move(built->panel.labels)};
    *resolved_out = resolved;
    return absl::OkStatus();
  });
}

ck_status ck_job_train_table(const void* request, size_t request_size,
                             ck_buffer_t** out) {
  return RunRequest<churnkit::v1::TrainTableRequest>(
      "ck_job_train_table", request, request_size, out,
      [] { return absl::OkStatus(); }, churnkit::TrainOnTable);
}

ck_status ck_job_scorecard(const ck_dataset_t* dataset, const void* request,
                           size_t request_size, ck_buffer_t** out) {
  return RunJob<churnkit::v1::ScorecardRequest>("ck_job_scorecard", dataset,
                                                request, request_size, out,
                                                churnkit::LearnHealthScorecard);
}

ck_status ck_job_scorecard_table(const void* request, size_t request_size,
                                 ck_buffer_t** out) {
  return RunRequest<churnkit::v1::ScorecardTableRequest>(
      "ck_job_scorecard_table", request, request_size, out,
      [] { return absl::OkStatus(); }, churnkit::LearnHealthScorecardOnTable);
}

ck_status ck_job_generate(const void* request, size_t request_size,
                          ck_buffer_t** out) {
  return RunRequest<churnkit::v1::GenerateRequest>(
      "ck_job_generate", request, request_size, out,
      [] { return absl::OkStatus(); },
      [](const churnkit::v1::GenerateRequest& r) {
        return churnkit::GenerateData(r);
      });
}

ck_status ck_job_partition(const void* request, size_t request_size,
                           ck_buffer_t** out) {
  return RunRequest<churnkit::v1::PartitionRequest>(
      "ck_job_partition", request, request_size, out,
      [] { return absl::OkStatus(); }, churnkit::PartitionData);
}

ck_status ck_job_assess(const ck_dataset_t* dataset, const void* request,
                        size_t request_size, ck_buffer_t** out) {
  return RunJob<churnkit::v1::AssessRequest>("ck_job_assess", dataset, request,
                                             request_size, out,
                                             churnkit::AssessCustomers);
}

ck_status ck_job_segment(const ck_dataset_t* dataset, const void* request,
                         size_t request_size, ck_buffer_t** out) {
  return RunJob<churnkit::v1::SegmentRequest>("ck_job_segment", dataset,
                                              request, request_size, out,
                                              churnkit::SegmentCustomers);
}

ck_status ck_job_report(const ck_dataset_t* dataset, const void* request,
                        size_t request_size, ck_buffer_t** out) {
  return RunJob<churnkit::v1::ReportRequest>("ck_job_report", dataset, request,
                                             request_size, out,
                                             churnkit::BuildChurnReport);
}

ck_status ck_job_clv(const ck_dataset_t* dataset, const void* request,
                     size_t request_size, ck_buffer_t** out) {
  return RunJob<churnkit::v1::ClvRequest>(
      "ck_job_clv", dataset, request, request_size, out, churnkit::ComputeClv);
}

}  // extern "C"
