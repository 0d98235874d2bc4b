#include "internal/input_files.h"

#include <filesystem>
#include <system_error>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "internal/file.h"

namespace churnkit::internal {

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

}  // namespace churnkit::internal
