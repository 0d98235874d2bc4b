#include "internal/csv.h"

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "internal/file.h"

namespace churnkit::internal {
namespace {

constexpr size_t kChunkBytes = size_t{1} << 20;

}  // namespace

CsvReader::CsvReader(std::FILE* file, absl::string_view data,
                     const CsvOptions& o)
    : file_(file), options_(o), data_(data.data()), end_(data.size()) {
  if (file_ == nullptr) eof_ = true;
}

CsvReader::~CsvReader() {
  if (file_ != nullptr) std::fclose(file_);
}

absl::StatusOr<std::unique_ptr<CsvReader>> CsvReader::Open(
    const std::string& path, const CsvOptions& options) {
  absl::StatusOr<std::FILE*> f = OpenRegularFileStream(path);
  if (!f.ok()) return f.status();
  auto reader = std::unique_ptr<CsvReader>(
      new CsvReader(*f, absl::string_view(), options));
  reader->buffer_.resize(kChunkBytes);
  reader->data_ = reader->buffer_.data();
  return reader;
}

std::unique_ptr<CsvReader> CsvReader::FromBuffer(absl::string_view data,
                                                 const CsvOptions& options) {
  return std::unique_ptr<CsvReader>(new CsvReader(nullptr, data, options));
}

absl::StatusOr<bool> CsvReader::Refill() {
  if (eof_) return false;
  const size_t tail = end_ - pos_;
  if (tail >= options_.max_record_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "line ", record_line_, ": record longer than ",
        options_.max_record_bytes,
        " bytes (unterminated quote?); its first line is skipped"));
  }
  if (pos_ > 0) {
    std::memmove(buffer_.data(), buffer_.data() + pos_, tail);
    pos_ = 0;
    end_ = tail;
  }
  if (end_ == buffer_.size()) buffer_.resize(buffer_.size() * 2);
  data_ = buffer_.data();
  const size_t n =
      std::fread(buffer_.data() + end_, 1, buffer_.size() - end_, file_);
  if (n == 0) {
    if (std::ferror(file_)) {
      return absl::DataLossError(
          absl::StrCat("read failed: ", std::strerror(errno)));
    }
    eof_ = true;
    return false;
  }
  end_ += n;
  bytes_read_ += static_cast<int64_t>(n);
  if (options_.on_read) options_.on_read(bytes_read_);
  return true;
}

absl::StatusOr<bool> CsvReader::Next(std::vector<absl::string_view>* fields) {
  if (failed_) return false;
  if (skip_line_) {
    skip_line_ = false;
    if (absl::Status s = SkipBrokenLine(); !s.ok()) {
      failed_ = true;
      return s;
    }
  }
  for (;;) {
    absl::StatusOr<bool> parsed = ParseRecord(fields);
    if (!parsed.ok()) return Broken(parsed.status());
    if (*parsed) return true;
    // Not a record: either the end, or more bytes are needed.
    if (eof_ && pos_ == end_) return false;
    absl::StatusOr<bool> more = Refill();
    if (!more.ok()) return Broken(more.status());
  }
}

absl::Status CsvReader::Broken(absl::Status status) {
  // A failed read or a UTF-16 file cannot be resynchronised; a broken
  // record loses its first line only.
  if (status.code() == absl::StatusCode::kDataLoss || utf16_) {
    failed_ = true;
  } else {
    skip_line_ = true;
  }
  return status;
}

absl::Status CsvReader::SkipBrokenLine() {
  pos_ += record_offset_;
  line_ = record_line_ + 1;
  first_ = false;
  for (;;) {
    for (size_t p = pos_; p < end_; ++p) {
      if (data_[p] == '\n' || data_[p] == '\r') {
        // A CR LF split across chunks leaves an LF: a blank line, skipped.
        pos_ =
            p + 1 + (data_[p] == '\r' && p + 1 < end_ && data_[p + 1] == '\n');
        return absl::OkStatus();
      }
    }
    pos_ = end_;
    absl::StatusOr<bool> more = Refill();
    if (!more.ok()) return more.status();
    if (!*more) return absl::OkStatus();
  }
}

// Returns true with a record, false when more input is needed or at the end
// (pos_ == end_ && eof_), or an error.
absl::StatusOr<bool> CsvReader::ParseRecord(
    std::vector<absl::string_view>* fields) {
  const char* d = data_;
  const size_t e = end_;
  size_t p = pos_;
  int64_t line = line_;
  const bool at_eof = eof_;

  if (first_) {
    if (e - p < 3 && !at_eof) return false;
    if (e - p >= 3 && std::memcmp(d + p, "\xEF\xBB\xBF", 3) == 0) p += 3;
    if (StartsWithUtf16Bom(absl::string_view(d + p, e - p))) {
      utf16_ = true;
      return Utf16Error("");
    }
  }
  // Skip blank lines.
  while (p < e) {
    const char c = d[p];
    if (c == '\n') {
      ++p;
      ++line;
    } else if (c == '\r') {
      if (p + 1 < e) {
        p += d[p + 1] == '\n' ? 2 : 1;
      } else if (at_eof) {
        ++p;
      } else {
        return false;
      }
      ++line;
    } else {
      break;
    }
  }
  if (p == e) {
    // Blank lines are consumed even mid-input, so that a broken record's
    // start (record_offset_) never lies behind a run of them.
    pos_ = p;
    line_ = line;
    first_ = false;
    return false;
  }

  const int64_t record_line = line;
  record_line_ = record_line;  // also names the record in errors
  record_offset_ = p - pos_;
  scratch_.clear();
  spans_.clear();
  in_scratch_.clear();
  const char delim = options_.delimiter;

  if (options_.whitespace) {
    for (;;) {
      while (p < e && (d[p] == ' ' || d[p] == '\t')) ++p;
      if (p == e && !at_eof) return false;
      if (p == e || d[p] == '\n' || d[p] == '\r') break;
      const size_t s = p;
      while (p < e && d[p] != ' ' && d[p] != '\t' && d[p] != '\n' &&
             d[p] != '\r') {
        ++p;
      }
      if (p == e && !at_eof) return false;
      spans_.emplace_back(s, p - s);
      in_scratch_.push_back(0);
    }
  } else {
    for (;;) {
      if (p < e && d[p] == '"') {
        ++p;
        const size_t s0 = scratch_.size();
        for (;;) {
          if (p >= e) {
            if (!at_eof) return false;
            return absl::InvalidArgumentError(
                absl::StrCat("line ", record_line,
                             ": unterminated quoted field; its first line is "
                             "skipped"));
          }
          const char* q =
              static_cast<const char*>(std::memchr(d + p, '"', e - p));
          const size_t stop = q == nullptr ? e : static_cast<size_t>(q - d);
          for (size_t i = p; i < stop; ++i) line += d[i] == '\n';
          scratch_.append(d + p, stop - p);
          p = stop;
          if (q == nullptr) continue;  // p == e: need more or error
          if (p + 1 < e) {
            if (d[p + 1] == '"') {
              scratch_.push_back('"');
              p += 2;
              continue;
            }
            ++p;
            break;
          }
          if (!at_eof) return false;
          ++p;
          break;
        }
        // Text after the closing quote is kept literally (as most readers
        // do) rather than rejected.
        while (p < e && d[p] != delim && d[p] != '\n' && d[p] != '\r') {
          scratch_.push_back(d[p++]);
        }
        if (p == e && !at_eof) return false;
        spans_.emplace_back(s0, scratch_.size() - s0);
        in_scratch_.push_back(1);
      } else {
        const size_t s = p;
        while (p < e && d[p] != delim && d[p] != '\n' && d[p] != '\r') ++p;
        if (p == e && !at_eof) return false;
        spans_.emplace_back(s, p - s);
        in_scratch_.push_back(0);
      }
      if (p < e && d[p] == delim) {
        ++p;
        continue;
      }
      break;
    }
  }
  // End of record: a line break or the end of input.
  if (p < e) {
    if (d[p] == '\r') {
      if (p + 1 < e) {
        p += d[p + 1] == '\n' ? 2 : 1;
      } else if (at_eof) {
        ++p;
      } else {
        return false;
      }
    } else {
      ++p;
    }
    ++line;
  }
  if (p - pos_ > options_.max_record_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "line ", record_line, ": record longer than ",
        options_.max_record_bytes, " bytes; its first line is skipped"));
  }
  pos_ = p;
  line_ = line;
  first_ = false;
  record_line_ = record_line;
  fields->clear();
  for (size_t i = 0; i < spans_.size(); ++i) {
    const char* base = in_scratch_[i] ? scratch_.data() : d;
    fields->emplace_back(base + spans_[i].first, spans_[i].second);
  }
  return true;
}

void AppendCsvField(absl::string_view field, std::string* out, char delimiter) {
  bool quote = !field.empty() && (field.front() == ' ' || field.back() == ' ');
  for (char c : field) {
    if (c == delimiter || c == '"' || c == '\n' || c == '\r') {
      quote = true;
      break;
    }
  }
  if (!quote) {
    out->append(field.data(), field.size());
    return;
  }
  out->push_back('"');
  for (char c : field) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

}  // namespace churnkit::internal
