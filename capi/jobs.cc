// capi/jobs.cc: the jobs of churnkit/c_api_experimental.h over jobs.h, and
// the text-to-bytes helper of the byte-taking functions.
#include "churnkit/jobs.h"

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "churnkit/c_api_experimental.h"
#include "churnkit/io.h"
#include "churnkit/report.h"
#include "churnkit/v1/jobs.pb.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/message.h"
#include "internal.h"

using churnkit::capi::Guard;
using churnkit::capi::NullArgument;
using churnkit::capi::ParseBytes;
using churnkit::capi::ParseOptional;
using churnkit::capi::ToBuffer;

namespace {

// One job over a data set: parse the request bytes (none: every default),
// run `job`, serialize its result into *out.
template <typename Request, typename Job>
ck_status RunJob(const char* function, const ck_dataset_t* dataset,
                 const void* request, size_t request_size, ck_buffer_t** out,
                 Job job) {
  return Guard(function, [&]() -> absl::Status {
    if (out == nullptr) return NullArgument("out");
    *out = nullptr;
    if (dataset == nullptr) return NullArgument("dataset");
    Request parsed;
    if (absl::Status s = ParseBytes(request, request_size, "request",
                                    "request_size", &parsed);
        !s.ok()) {
      return s;
    }
    auto result = job(dataset->rep.dataset, parsed);
    if (!result.ok()) return result.status();
    return ToBuffer(*result, out);
  });
}

}  // namespace

extern "C" {

ck_status ck_proto_from_text(const char* message_name, const char* text,
                             ck_buffer_t** out) {
  return Guard("ck_proto_from_text", [&]() -> absl::Status {
    if (out == nullptr) return NullArgument("out");
    *out = nullptr;
    if (message_name == nullptr) return NullArgument("message_name");
    // Every churnkit.v1 message is compiled in: link one of them so the
    // generated pool holds them all.
    churnkit::v1::TrainRequest::descriptor();
    const google::protobuf::Descriptor* d =
        absl::StartsWith(message_name, "churnkit.v1.")
            ? google::protobuf::DescriptorPool::generated_pool()
                  ->FindMessageTypeByName(message_name)
            : nullptr;
    if (d == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "argument 'message_name': '", message_name,
          "' is not a churnkit.v1 message (e.g. churnkit.v1.TrainRequest)"));
    }
    std::unique_ptr<google::protobuf::Message> message(
        google::protobuf::MessageFactory::generated_factory()
            ->GetPrototype(d)
            ->New());
    if (absl::Status s = ParseOptional(text, "text", message.get()); !s.ok()) {
      return s;
    }
    return ToBuffer(*message, out);
  });
}

ck_status ck_job_train(const ck_dataset_t* dataset, const void* request,
                       size_t request_size, ck_buffer_t** out) {
  return RunJob<churnkit::v1::TrainRequest>("ck_job_train", dataset, request,
                                            request_size, out,
                                            churnkit::TrainChurnModel);
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

}  // extern "C"
