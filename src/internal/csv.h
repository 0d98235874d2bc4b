// Streaming RFC 4180 CSV reading and writing, private to io.
#ifndef CHURNKIT_SRC_INTERNAL_CSV_H_
#define CHURNKIT_SRC_INTERNAL_CSV_H_

#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace churnkit::internal {

struct CsvOptions {
  // Field separator. Ignored when `whitespace` is set.
  char delimiter = ',';
  // Fields are separated by runs of spaces and tabs; no quoting.
  bool whitespace = false;
  // Longest record accepted; a longer one (e.g. an unterminated quote that
  // swallows the file) is an error, so memory stays bounded.
  size_t max_record_bytes = size_t{16} << 20;
  // Called after each chunk read from a file with the bytes read so far.
  std::function<void(int64_t)> on_read;
};

// Reads records from a file in fixed-size chunks, or from a buffer.
// Handles quoted fields (with "" escapes and embedded delimiters and line
// breaks), LF / CRLF / CR line ends, a UTF-8 BOM, and skips blank lines.
class CsvReader {
 public:
  // Opens `path`, a regular file (internal::OpenRegularFile's errors).
  static absl::StatusOr<std::unique_ptr<CsvReader>> Open(
      const std::string& path, const CsvOptions& options);
  // Reads from `data`, which must outlive the reader.
  static std::unique_ptr<CsvReader> FromBuffer(absl::string_view data,
                                               const CsvOptions& options);
  ~CsvReader();

  // Reads the next record into `fields`; the views stay valid until the
  // next call. Returns false at the end of input. After a broken record (an
  // unterminated quote, an oversized record) the error names its line and
  // the next call resumes on the line after that record's first line; a
  // read failure (DataLoss) or UTF-16 text ends the input.
  absl::StatusOr<bool> Next(std::vector<absl::string_view>* fields);

  // 1-based line on which the last record returned (or the one that
  // failed) started.
  int64_t line() const { return record_line_; }

 private:
  CsvReader(std::FILE* file, absl::string_view data, const CsvOptions& o);
  // Makes at least one more byte available past `end_`, moving the unread
  // tail to the front of the buffer. Returns false at end of input.
  absl::StatusOr<bool> Refill();
  absl::StatusOr<bool> ParseRecord(std::vector<absl::string_view>* fields);
  // Records a failure: fatal, or the broken record's line is skipped next.
  absl::Status Broken(absl::Status status);
  // Moves past the first line of the record that failed.
  absl::Status SkipBrokenLine();

  std::FILE* file_;
  CsvOptions options_;
  std::string buffer_;  // owned chunk storage when reading a file
  const char* data_;    // current window: [data_ + pos_, data_ + end_)
  size_t pos_ = 0;
  size_t end_ = 0;
  bool eof_ = false;
  bool failed_ = false;
  bool skip_line_ = false;
  bool utf16_ = false;
  bool first_ = true;
  int64_t line_ = 1;
  int64_t record_line_ = 0;
  size_t record_offset_ = 0;  // start of the current record, from pos_
  int64_t bytes_read_ = 0;
  std::string scratch_;                           // unescaped quoted fields
  std::vector<std::pair<size_t, size_t>> spans_;  // per field: start, len
  std::vector<uint8_t> in_scratch_;
};

// Appends `field` to `out`, quoted when it holds the delimiter, a quote, a
// line break or leading/trailing spaces.
void AppendCsvField(absl::string_view field, std::string* out,
                    char delimiter = ',');

}  // namespace churnkit::internal

#endif  // CHURNKIT_SRC_INTERNAL_CSV_H_
