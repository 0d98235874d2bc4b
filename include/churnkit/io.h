// churnkit/io.h: reading and writing data sets and configs.
//
// Formats (see docs/formats.md):
//   CSV   a directory of tables (customers.csv, events.csv, contacts.csv,
//         contracts.csv, owners.csv) with header-named columns, RFC 4180
//         quoting, LF or CRLF, UTF-8 (a leading BOM is ignored); or vendor
//         files mapped to the schema by a TableMapping (no code needed).
//   JSONL one churnkit.v1.Record per line in protobuf's JSON mapping.
//   PB    churnkit.v1.Record messages, each prefixed by its varint size.
// io is the only module that knows file formats.
//
// Example:
//   churnkit::v1::LoadOptions options;
//   options.set_format(churnkit::v1::CSV);
//   options.add_paths("examples/data");
//   absl::StatusOr<churnkit::LoadResult> r = churnkit::LoadDataset(options);
//   if (!r.ok()) ...;  // STRICT policy: the first error
//   r->report;         // LENIENT policy: every error, capped
#ifndef CHURNKIT_IO_H_
#define CHURNKIT_IO_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "churnkit/dataset.h"
#include "churnkit/v1/data.pb.h"
#include "churnkit/v1/ingest.pb.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace churnkit {

// A built data set and what ingestion found wrong on the way.
struct LoadResult {
  Dataset dataset;
  v1::ErrorReport report;
};

// Progress of reading one source: the bytes consumed from it so far.
// Called on the reading thread every few hundred KiB and at the end.
using ReadProgress = std::function<void(int64_t bytes_read)>;

// Progress of LoadDataset: the file being read, the bytes consumed from it
// so far and its size (0 when unknown), called as ReadProgress is.
using LoadProgress = std::function<void(
    absl::string_view source, int64_t bytes_read, int64_t bytes_total)>;

// Reads the data set that `options` describes. Under the STRICT policy the
// first bad row fails the call with InvalidArgument naming file, row and
// field. Under LENIENT bad rows are skipped and listed in `report`; only
// unreadable files (NotFound, PermissionDenied) fail the call. `progress`
// (optional) follows a long load.
absl::StatusOr<LoadResult> LoadDataset(const v1::LoadOptions& options,
                                       const LoadProgress& progress = nullptr);

// Builds a data set from an in-memory PB record stream (as sent through the
// C ABI). `source` names the bytes in error messages.
absl::StatusOr<LoadResult> LoadRecordStream(
    absl::string_view bytes, const v1::ValidationOptions& validation,
    absl::string_view source = "<memory>");

// Lower level: feed one source into a builder, so that several sources can
// make one Dataset. Errors follow the builder's policy.
absl::Status ReadCsvTable(const v1::TableMapping& mapping,
                          DatasetBuilder& builder,
                          const ReadProgress& progress = nullptr);
absl::Status ReadJsonl(const std::string& path, DatasetBuilder& builder,
                       const ReadProgress& progress = nullptr);
absl::Status ReadPbStream(const std::string& path, DatasetBuilder& builder,
                          const ReadProgress& progress = nullptr);
absl::Status ReadPbStreamBytes(absl::string_view bytes,
                               absl::string_view source,
                               DatasetBuilder& builder);
// Adds one Record (whichever table it holds) to `builder`.
absl::Status AddRecord(const v1::Record& record, RowRef where,
                       DatasetBuilder& builder);

// Streams records to disk in one format, table by table or interleaved.
// Output appears only on a successful Close(): files are written under a
// temporary name and renamed, so a failed or abandoned writer never leaves
// files that look complete.
class RecordWriter {
 public:
  // CSV: `path` is a directory (created if missing) that receives the
  // five table files. JSONL / PB: `path` is the output file.
  static absl::StatusOr<std::unique_ptr<RecordWriter>> Open(
      v1::Format format, const std::string& path);
  virtual ~RecordWriter() = default;

  virtual absl::Status Write(const v1::Record& record) = 0;
  // Writes one event without building a message (the fast path for large
  // logs, e.g. the generator's). Same output as Write() of the Event.
  virtual absl::Status WriteEvent(const EventInput& event) = 0;
  // Flushes, checks every write succeeded and publishes the files.
  virtual absl::Status Close() = 0;
};

// Writes a whole data set (owners, customers, contacts, contracts, events).
absl::Status WriteDataset(const Dataset& dataset, v1::Format format,
                          const std::string& path);

// The whole data set as the bytes of a PB record stream (the binary file
// format, in memory): what LoadDataset reads from a .pb file and
// ck_dataset_from_records from memory. Deterministic: the same data set
// gives the same bytes. Errors: ResourceExhausted past PTRDIFF_MAX / 2.
absl::StatusOr<std::string> SerializeDataset(const Dataset& dataset);

// Parses a format name: "csv", "jsonl" or "pb" (case-insensitive).
absl::StatusOr<v1::Format> ParseFormat(absl::string_view name);

// Parses a text-format protobuf (a config) into `message`. Errors name the
// line and column.
absl::Status ParseTextProto(absl::string_view text,
                            google::protobuf::Message* message);
// Parses binary protobuf `bytes` into `message`. InvalidArgument naming the
// type and, where protobuf tells, the field (e.g. a string field holding
// invalid UTF-8); bytes with field numbers the type lacks (another message)
// are refused too. Nothing is logged to stderr.
absl::Status ParseBinaryProto(absl::string_view bytes,
                              google::protobuf::Message* message);
// `text` with each byte that is not well-formed UTF-8, and each NUL,
// replaced by U+FFFD: safe to show, serialize or hand out as a C string.
std::string ToValidUtf8(absl::string_view text);
// Reads a config file: text format, or binary when the name ends in ".pb"
// or ".binpb".
absl::Status ReadConfigFile(const std::string& path,
                            google::protobuf::Message* message);
// The bytes of the regular file `path`, at most `max_bytes`. Every input
// churnkit reads is opened this way: NotFound (missing, or a dangling
// symbolic link), PermissionDenied, InvalidArgument for a directory, FIFO,
// device or symbolic link loop (never read as empty, never waited on) or a
// file over `max_bytes`, DataLoss when a read fails half-way.
absl::StatusOr<std::string> ReadFileBytes(const std::string& path,
                                          size_t max_bytes);
// Writes `message` in text format to `path`, atomically (a temporary file
// renamed when complete), so that ReadConfigFile reads it back.
absl::Status WriteTextProtoFile(const std::string& path,
                                const google::protobuf::Message& message);
// Writes `bytes` to `path` atomically: a temporary file next to it,
// renamed when complete, so a reader never sees half a file and a failed
// write leaves any earlier file as it was. Errors name the path.
absl::Status WriteFileBytes(const std::string& path, absl::string_view bytes);

// A plain table of text cells, one row per entity (e.g. a customer snapshot
// export such as Telco's), as read from a CSV with a header. Turned into a
// FeatureMatrix by EncodeTable (churnkit/model.h).
struct PlainTable {
  std::vector<std::string> columns;  // header names, trimmed
  std::vector<std::string> cells;    // num_rows() * num_cols(), row-major
  // 1-based line of each row in its file, for error messages.
  std::vector<int64_t> lines;
  std::string source;  // file name, for error messages

  size_t num_rows() const { return lines.size(); }
  size_t num_cols() const { return columns.size(); }
  const std::string& cell(size_t row, size_t col) const {
    return cells[row * columns.size() + col];
  }
  // Index of a column by name.
  std::optional<size_t> ColumnIndex(absl::string_view name) const;
};

// Reads a CSV file with a header line (RFC 4180 quoting, LF or CRLF, UTF-8
// with an optional BOM; `delimiter` separates fields). Errors: NotFound /
// PermissionDenied when unreadable; InvalidArgument naming file and line for
// an empty file, a duplicate or empty header name, or a row whose field
// count differs from the header's.
absl::StatusOr<PlainTable> ReadPlainTable(const std::string& path,
                                          char delimiter = ',');

// Writes flat messages of one type as a CSV file: a header of the field
// names, then one row per Write() with every scalar field (numbers in
// shortest round-trip form, booleans 0/1, enums by name, strings quoted per
// RFC 4180, google.protobuf.Timestamp fields as ISO-8601 and empty when
// unset); repeated, map and other message fields are not written. The file
// appears only on a successful Close(), like RecordWriter's.
class MessageCsvWriter {
 public:
  static absl::StatusOr<std::unique_ptr<MessageCsvWriter>> Open(
      const std::string& path, const google::protobuf::Descriptor* type);
  ~MessageCsvWriter();

  // InvalidArgument when `message` is not of the writer's type.
  absl::Status Write(const google::protobuf::Message& message);
  // Flushes, checks every write succeeded and publishes the file.
  absl::Status Close();

 private:
  struct Impl;
  explicit MessageCsvWriter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace churnkit

#endif  // CHURNKIT_IO_H_
