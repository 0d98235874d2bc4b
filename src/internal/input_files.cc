#include "internal/input_files.h"

#include <cstring>
#include <filesystem>
#include <system_error>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "churnkit/v1/data.pb.h"
#include "internal/file.h"

namespace churnkit::internal {

namespace {

const google::protobuf::Descriptor* TableDescriptor(v1::Table t) {
  switch (t) {
    case v1::CUSTOMERS:
      return v1::Customer::descriptor();
    case v1::CONTACTS:
      return v1::Contact::descriptor();
    case v1::CONTRACTS:
      return v1::Contract::descriptor();
    case v1::OWNERS:
      return v1::Owner::descriptor();
    default:
      return nullptr;
  }
}

}  // namespace

std::vector<std::string> TableFields(v1::Table t) {
  if (t == v1::EVENTS) {
    return std::vector<std::string>(std::begin(kEventFields),
                                    std::end(kEventFields));
  }
  std::vector<std::string> names;
  const google::protobuf::Descriptor* d = TableDescriptor(t);
  for (int i = 0; i < d->field_count(); ++i) {
    if (!d->field(i)->is_map()) names.push_back(d->field(i)->name());
  }
  return names;
}

const char* TableFile(v1::Table table) {
  switch (table) {
    case v1::CUSTOMERS:
      return "customers.csv";
    case v1::EVENTS:
      return "events.csv";
    case v1::CONTACTS:
      return "contacts.csv";
    case v1::CONTRACTS:
      return "contracts.csv";
    case v1::OWNERS:
      return "owners.csv";
    default:
      return "";
  }
}

absl::StatusOr<v1::Format> InferFormat(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return v1::CSV;
  if (absl::EndsWith(path, ".jsonl") || absl::EndsWith(path, ".json")) {
    return v1::JSONL;
  }
  if (absl::EndsWith(path, ".pb") || absl::EndsWith(path, ".binpb")) {
    return v1::PB;
  }
  if (!PathEntryExists(path)) {
    return absl::NotFoundError(
        absl::StrCat(path, ": no such file or directory"));
  }
  return absl::InvalidArgumentError(absl::StrCat(
      path,
      ": cannot tell the format (a directory is CSV; *.jsonl is JSONL; "
      "*.pb is PB); set LoadOptions.format"));
}

bool LineReader::Next(std::string* line, bool* too_long) {
  line->clear();
  *too_long = false;
  for (;;) {
    if (pos_ == end_) {
      if (eof_) {
        if (line->empty() && !*too_long) return false;
        break;
      }
      end_ = std::fread(buf_, 1, sizeof(buf_), file_);
      pos_ = 0;
      bytes_read_ += static_cast<int64_t>(end_);
      if (progress_ && end_ > 0) progress_(bytes_read_);
      if (end_ == 0) {
        eof_ = true;
        continue;
      }
    }
    const char* nl =
        static_cast<const char*>(std::memchr(buf_ + pos_, '\n', end_ - pos_));
    const size_t stop = nl == nullptr ? end_ : nl - buf_;
    if (!*too_long) {
      if (line->size() + (stop - pos_) > kMaxRecordBytes) {
        *too_long = true;
        line->clear();
      } else {
        line->append(buf_ + pos_, stop - pos_);
      }
    }
    pos_ = stop;
    if (nl != nullptr) {
      ++pos_;
      if (!line->empty() && line->back() == '\r') line->pop_back();
      break;
    }
  }
  if (++lines_ == 1 && line->rfind("\xEF\xBB\xBF", 0) == 0) line->erase(0, 3);
  return true;
}

absl::StatusOr<CsvOptions> CsvOptionsOf(const v1::TableMapping& mapping) {
  CsvOptions o;
  const std::string& d = mapping.delimiter();
  if (d.empty() || d == ",") {
    o.delimiter = ',';
  } else if (d == "whitespace") {
    o.whitespace = true;
  } else if (d == "\\t" || d == "tab") {
    o.delimiter = '\t';
  } else if (d.size() == 1 && d[0] != '"' && d[0] != '\n' && d[0] != '\r') {
    o.delimiter = d[0];
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat(mapping.path(), ": delimiter: '", d,
                     "' is not a single character or \"whitespace\""));
  }
  return o;
}

}  // namespace churnkit::internal
