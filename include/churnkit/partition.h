// Customer partitions: a data set split into N data sets by a stable hash
// of the customer id, so that per-customer work (features, labels,
// assessments, scores) runs on each partition alone and gives the same
// rows as on the whole (docs/scale-out.md).
//
//   churnkit::v1::PartitionRequest request;
//   request.mutable_input()->add_paths("data");  // a CSV directory
//   request.set_partitions(8);
//   request.set_out_dir("data.parts");
//   absl::StatusOr<churnkit::v1::PartitionResult> parts =
//       churnkit::PartitionData(request);
//   // churnkit::LoadDataset(parts->parts(3).load()) loads partition 3.
#ifndef CHURNKIT_PARTITION_H_
#define CHURNKIT_PARTITION_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "churnkit/v1/jobs.pb.h"

namespace churnkit {

// The partition of a customer id among `partitions` (> 0): FNV-1a 64 of
// its bytes modulo partitions. Stable across runs, machines and versions.
int PartitionOf(absl::string_view customer_id, int partitions);

// Splits the input into request.partitions data sets under
// request.out_dir, streaming (memory bounded by a 64 KiB buffer per
// partition): CSV tables row by row in their own format (header and
// delimiter kept), PB and JSONL records as they are. Errors:
// InvalidArgument naming the field ("partitions: must be in 1..4096",
// "out_dir: required", "input...."); AlreadyExists when out_dir holds
// something; the input's NotFound / PermissionDenied; Unavailable when
// out_dir cannot be written. On error nothing is left under out_dir.
absl::StatusOr<v1::PartitionResult> PartitionData(
    const v1::PartitionRequest& request);

}  // namespace churnkit

#endif  // CHURNKIT_PARTITION_H_
