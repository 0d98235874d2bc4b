// The file layout of churnkit inputs, shared by loading (io.cc) and
// partitioning (partition.cc).
#ifndef CHURNKIT_SRC_INTERNAL_INPUT_FILES_H_
#define CHURNKIT_SRC_INTERNAL_INPUT_FILES_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "churnkit/v1/ingest.pb.h"

namespace churnkit::internal {

// The tables of a CSV directory in load order (owners first: customers
// name them).
inline constexpr v1::Table kTables[] = {v1::OWNERS, v1::CUSTOMERS, v1::CONTACTS,
                                        v1::CONTRACTS, v1::EVENTS};

// Schema fields of the event table, in the churnkit CSV column order.
namespace event_field {
enum EventField {
  kCustomerId,
  kKind,
  kTime,
  kSubtype,
  kAmount,
  kValue,
  kKey,
  kGroup,
  kComplaint,
  kStockout,
  kDecisionMaker,
  kNegativeFeedback,
  kCreditUsed,
  kNumEventFields
};
}  // namespace event_field
inline constexpr const char* kEventFields[event_field::kNumEventFields] = {
    "customer_id", "kind",           "time",
    "subtype",     "amount",         "value",
    "key",         "group",          "complaint",
    "stockout",    "decision_maker", "negative_feedback",
    "credit_used"};

// Scalar schema fields of a table, in CSV column order (the map
// `attributes` is handled apart: columns prefixed kAttrPrefix).
std::vector<std::string> TableFields(v1::Table table);
inline constexpr absl::string_view kAttrPrefix = "attributes.";

// The file name of a table in a CSV directory ("customers.csv"); "" for
// TABLE_UNSPECIFIED.
const char* TableFile(v1::Table table);

// The format of an input path: a directory is CSV, *.jsonl / *.json JSONL,
// *.pb / *.binpb PB. NotFound for a missing path; InvalidArgument when the
// name does not tell.
absl::StatusOr<v1::Format> InferFormat(const std::string& path);

}  // namespace churnkit::internal

#endif  // CHURNKIT_SRC_INTERNAL_INPUT_FILES_H_
