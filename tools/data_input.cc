#include "data_input.h"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <system_error>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/util/json_util.h"
#include "table.h"

namespace churnkit::cli {

namespace fs = std::filesystem;

void AddDataInputArgs(ArgParser& parser, DataInput* input) {
  parser.AddPositional(
      "PATH", "Data set: a directory of CSV tables, or JSONL / PB record files",
      /*min=*/0, /*max=*/INT_MAX, &input->paths);
  parser.AddOption(
      "format", "csv|jsonl|pb",
      "Input format (default: csv for a directory, jsonl for "
      "*.jsonl / *.json, pb for *.pb / *.binpb)",
      [input](absl::string_view name) {
        absl::StatusOr<v1::Format> format = ParseFormat(name);
        if (!format.ok()) {
          return absl::InvalidArgumentError(absl::StrCat(
              "--format must be csv, jsonl or pb, got '", name, "'"));
        }
        input->format = *format;
        return absl::OkStatus();
      });
  parser.AddString("load-options", "FILE",
                   "churnkit.v1.LoadOptions textproto (vendor column "
                   "mappings, validation)",
                   &input->load_options_file);
  parser.AddFlag("strict", "Stop at the first invalid row (exit 1)",
                 &input->strict);
  parser.AddInt("max-errors", "N",
                "Keep at most N errors in the report (default 1000)", 1,
                INT32_MAX, &input->max_errors);
}

absl::StatusOr<v1::LoadOptions> MakeLoadOptions(const DataInput& input) {
  v1::LoadOptions options;
  if (!input.load_options_file.empty()) {
    absl::Status status = ReadConfigFile(input.load_options_file, &options);
    if (!status.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat("--load-options: ", status.message()));
    }
  }
  for (const std::string& path : input.paths) {
    std::error_code ec;
    if (!fs::exists(path, ec)) {
      return absl::NotFoundError(
          absl::StrCat(path, ": no such file or directory"));
    }
  }

  if (options.tables_size() > 0) {
    // A vendor mapping names its files; PATH is the directory holding them.
    if (input.paths.size() > 1) {
      return absl::InvalidArgumentError(
          "--load-options maps vendor tables: give at most one PATH, the "
          "directory holding them");
    }
    if (input.paths.size() == 1) {
      std::error_code ec;
      if (!fs::is_directory(input.paths[0], ec)) {
        return absl::InvalidArgumentError(absl::StrCat(
            input.paths[0],
            " is not a directory (with vendor tables PATH is their base "
            "directory)"));
      }
      options.set_base_dir(input.paths[0]);
    }
  } else if (!input.paths.empty()) {
    options.clear_paths();
    for (const std::string& path : input.paths) options.add_paths(path);
  }
  if (options.paths_size() == 0 && options.tables_size() == 0) {
    return absl::InvalidArgumentError("missing PATH (the data set to read)");
  }

  if (input.format != v1::FORMAT_UNSPECIFIED) {
    options.set_format(input.format);
  }

  v1::ValidationOptions& validation = *options.mutable_validation();
  if (input.strict) validation.set_policy(v1::STRICT);
  if (input.max_errors > 0) {
    validation.set_max_errors(static_cast<uint32_t>(input.max_errors));
  }
  return options;
}

absl::StatusOr<LoadResult> LoadWithProgress(const v1::LoadOptions& options,
                                            absl::string_view command) {
  constexpr int64_t kShowFrom = int64_t{256} << 20;
  std::string current;
  std::optional<ProgressLine> line;
  return LoadDataset(
      options, [&](absl::string_view source, int64_t done, int64_t total) {
        if (total < kShowFrom) return;
        if (source != current) {
          current = std::string(source);
          line.emplace(std::string(command));
        }
        line->Show(absl::StrCat("reading ", current, ", ", done >> 20, " of ",
                                total >> 20, " MiB"),
                   static_cast<int>(100 * std::min(done, total) / total));
      });
}

int ReadInput(const ArgParser& parser, const DataInput& input,
              v1::LoadOptions* options, LoadResult* loaded) {
  absl::StatusOr<v1::LoadOptions> made = MakeLoadOptions(input);
  if (!made.ok()) return InputError(parser, made.status());
  *options = *std::move(made);
  absl::StatusOr<LoadResult> read =
      LoadWithProgress(*options, parser.program());
  if (!read.ok()) return Fail(parser, read.status());
  *loaded = *std::move(read);
  WarnSkippedRows(parser, loaded->report);
  return kExitOk;
}

bool IsStrict(const v1::LoadOptions& options) {
  return options.validation().policy() == v1::STRICT;
}

std::string FormatName(v1::Format format) {
  return absl::AsciiStrToLower(v1::Format_Name(format));
}

std::string DescribeInput(const v1::LoadOptions& options) {
  std::string what;
  if (options.tables_size() > 0) {
    std::vector<std::string> files;
    for (const v1::TableMapping& table : options.tables()) {
      files.push_back(table.path());
    }
    what = absl::StrCat(absl::StrJoin(files, ", "), " under ",
                        options.base_dir().empty() ? "." : options.base_dir());
  } else {
    what = absl::StrJoin(options.paths(), ", ");
  }
  std::string mode = IsStrict(options) ? "strict" : "lenient";
  if (options.format() == v1::FORMAT_UNSPECIFIED) {
    return absl::StrCat(what, " (", mode, ")");
  }
  return absl::StrCat(what, " (", FormatName(options.format()), ", ", mode,
                      ")");
}

int Fail(const ArgParser& parser, const absl::Status& status) {
  std::fprintf(stderr, "%s: error: %s\n", parser.program().c_str(),
               std::string(status.message()).c_str());
  return kExitFailure;
}

int InputError(const ArgParser& parser, const absl::Status& status) {
  if (status.code() == absl::StatusCode::kInvalidArgument) {
    return parser.UsageError(std::string(status.message()));
  }
  return Fail(parser, status);
}

void WarnSkippedRows(const ArgParser& parser, const v1::ErrorReport& report) {
  int64_t errors = report.total_errors();
  if (errors == 0) return;
  std::fprintf(stderr,
               "%s: warning: %lld %s in the input, invalid rows skipped "
               "('churnkit validate' lists them)\n",
               parser.program().c_str(), static_cast<long long>(errors),
               errors == 1 ? "error" : "errors");
}

absl::Status PrintJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions json_options;
  json_options.preserve_proto_field_names = true;
  json_options.always_print_primitive_fields = true;
  std::string json;
  auto status =
      google::protobuf::util::MessageToJsonString(message, &json, json_options);
  if (!status.ok()) {
    return absl::InternalError(
        absl::StrCat("cannot print JSON: ", status.ToString()));
  }
  std::printf("%s\n", json.c_str());
  return absl::OkStatus();
}

}  // namespace churnkit::cli
