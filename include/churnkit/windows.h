// churnkit/windows.h: passive-churn windows chosen from history (domain.md
// §1, §4, the "historical data method"). For each segment of customers
// (one overall, and one per value of an attribute), SuggestWindows() reads
// every spell without qualifying activity before a date, tabulates how
// often customers came back after N silent days, and suggests the shortest
// window after which few return, as a ready ChurnDefinition. The request
// and the result are protobuf messages (proto/churnkit/v1/windows.proto);
// docs/labels.md explains the method and its censoring.
//
// Example:
//   churnkit::v1::WindowsRequest request;
//   request.set_as_of("2026-01-01");
//   request.set_by("industry");
//   absl::StatusOr<churnkit::v1::WindowsResult> result =
//       churnkit::SuggestWindows(dataset, request);
//   for (const auto& s : result->segments()) s.value(), s.suggested_days();
//   churnkit::ChurnLabeler::Create(result->definition());
#ifndef CHURNKIT_WINDOWS_H_
#define CHURNKIT_WINDOWS_H_

#include "absl/status/statusor.h"
#include "churnkit/dataset.h"
#include "churnkit/v1/windows.pb.h"

namespace churnkit {

// Errors: InvalidArgument naming the field: as_of unset, unparsable or not
// after the first event; an unknown `by` attribute; an invalid activity
// filter; step_days, max_days, horizon_days or min_spells <= 0; step_days >
// max_days; max_return outside (0, 1). An empty data set gives a valid
// result without suggestions. Thread-safe; the data set is only read.
absl::StatusOr<v1::WindowsResult> SuggestWindows(
    const Dataset& dataset, const v1::WindowsRequest& request);

}  // namespace churnkit

#endif  // CHURNKIT_WINDOWS_H_
