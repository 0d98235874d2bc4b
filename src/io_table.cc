// io: plain tables (one row per entity) read from a CSV with a header.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "churnkit/io.h"
#include "internal/csv.h"
#include "internal/utf8.h"

namespace churnkit {

std::optional<size_t> PlainTable::ColumnIndex(absl::string_view name) const {
  for (size_t c = 0; c < columns.size(); ++c) {
    if (columns[c] == name) return c;
  }
  return std::nullopt;
}

absl::StatusOr<PlainTable> ReadPlainTable(const std::string& path,
                                          char delimiter) {
  internal::CsvOptions options;
  options.delimiter = delimiter;
  absl::StatusOr<std::unique_ptr<internal::CsvReader>> reader =
      internal::CsvReader::Open(path, options);
  if (!reader.ok()) return reader.status();
  PlainTable table;
  table.source = path;
  std::vector<absl::string_view> fields;
  absl::StatusOr<bool> got = (*reader)->Next(&fields);
  if (!got.ok()) return got.status();
  if (!*got) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": empty file (no header)"));
  }
  absl::flat_hash_set<std::string> seen;
  for (absl::string_view f : fields) {
    std::string name(absl::StripAsciiWhitespace(f));
    if (!internal::IsValidUtf8(name)) {
      return absl::InvalidArgumentError(absl::StrCat(path, ":1: header column ",
                                                     table.columns.size() + 1,
                                                     " is not valid UTF-8"));
    }
    if (name.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ":1: header column ", table.columns.size() + 1, " is empty"));
    }
    if (!seen.insert(name).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":1: duplicate header column '", name, "'"));
    }
    table.columns.push_back(std::move(name));
  }
  while (true) {
    got = (*reader)->Next(&fields);
    if (!got.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ":", (*reader)->line(), ": ", got.status().message()));
    }
    if (!*got) break;
    if (fields.size() != table.columns.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", (*reader)->line(), ": ", fields.size(),
                       " fields; the header has ", table.columns.size()));
    }
    for (size_t c = 0; c < fields.size(); ++c) {
      if (!internal::IsValidUtf8(fields[c])) {
        return absl::InvalidArgumentError(
            absl::StrCat(path, ":", (*reader)->line(), ": column '",
                         table.columns[c], "': not valid UTF-8"));
      }
      table.cells.emplace_back(fields[c]);
    }
    table.lines.push_back((*reader)->line());
  }
  return table;
}

}  // namespace churnkit
