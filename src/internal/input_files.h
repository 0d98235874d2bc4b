// The file layout of churnkit inputs, shared by loading (io.cc) and
// partitioning (partition.cc).
#ifndef CHURNKIT_SRC_INTERNAL_INPUT_FILES_H_
#define CHURNKIT_SRC_INTERNAL_INPUT_FILES_H_

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "churnkit/io.h"
#include "churnkit/v1/ingest.pb.h"
#include "internal/csv.h"

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

// Largest single record accepted from a JSONL line or a PB stream; a length
// prefix above it is treated as corruption, never allocated.
inline constexpr size_t kMaxRecordBytes = size_t{64} << 20;

// Reads the lines of a file in chunks, with a bounded line length (JSONL).
class LineReader {
 public:
  // Takes ownership of `file`. `progress` (may be empty) must outlive the
  // reader.
  LineReader(std::FILE* file, const ReadProgress& progress)
      : file_(file), progress_(progress) {}
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;
  ~LineReader() { std::fclose(file_); }
  // Next line without its terminator (LF or CRLF) and, on the first line,
  // without a UTF-8 byte-order mark; false at the end. A line longer than
  // kMaxRecordBytes sets *too_long and is skipped.
  bool Next(std::string* line, bool* too_long);
  // Whether reading the file failed (rather than ended).
  bool failed() const { return std::ferror(file_) != 0; }

 private:
  std::FILE* file_;
  const ReadProgress& progress_;
  int64_t bytes_read_ = 0;
  int64_t lines_ = 0;
  char buf_[1 << 16];
  size_t pos_ = 0;
  size_t end_ = 0;
  bool eof_ = false;
};

// The file name of a table in a CSV directory ("customers.csv"); "" for
// TABLE_UNSPECIFIED.
const char* TableFile(v1::Table table);

// The format of an input path: a directory is CSV, *.jsonl / *.json JSONL,
// *.pb / *.binpb PB. NotFound for a missing path; InvalidArgument when the
// name does not tell.
absl::StatusOr<v1::Format> InferFormat(const std::string& path);

// The CSV reader options of a table mapping's `delimiter` ("," by default,
// "tab" or "\\t", "whitespace", or one character other than a quote or a
// line break). Errors: InvalidArgument naming the mapping's path.
absl::StatusOr<CsvOptions> CsvOptionsOf(const v1::TableMapping& mapping);

}  // namespace churnkit::internal

#endif  // CHURNKIT_SRC_INTERNAL_INPUT_FILES_H_
