// churnkit convert: write a data set in another format.

#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "args.h"
#include "churnkit/io.h"
#include "commands.h"
#include "data_input.h"
#include "table.h"

namespace churnkit::cli {

int RunConvert(CommandArgs args) {
  ArgParser parser(
      "churnkit convert",
      "Loads a data set and writes it in another format: csv (a directory of\n"
      "table files), jsonl (one churnkit.v1.Record per line, protobuf JSON)\n"
      "or pb (length-delimited binary churnkit.v1.Record). Only valid rows\n"
      "are written; invalid ones are skipped with a warning (see 'churnkit\n"
      "validate'), or stop the conversion with --strict. The output appears\n"
      "only once it is complete.");
  DataInput input;
  v1::Format to = v1::FORMAT_UNSPECIFIED;
  std::string out;
  AddDataInputArgs(parser, &input);
  parser.AddOption("to", "csv|jsonl|pb", "Output format (required)",
                   [&to](absl::string_view name) {
                     absl::StatusOr<v1::Format> format = ParseFormat(name);
                     if (!format.ok()) {
                       return absl::InvalidArgumentError(absl::StrCat(
                           "--to must be csv, jsonl or pb, got '", name, "'"));
                     }
                     to = *format;
                     return absl::OkStatus();
                   });
  parser.AddString("out", "PATH",
                   "Output: a directory for csv, a file for jsonl and pb "
                   "(required)",
                   &out);
  if (std::optional<int> exit_code = parser.Parse(args)) return *exit_code;
  if (to == v1::FORMAT_UNSPECIFIED) return parser.UsageError("missing --to");
  if (out.empty()) return parser.UsageError("missing --out");

  v1::LoadOptions options;
  LoadResult loaded;
  if (int code = ReadInput(parser, input, &options, &loaded); code != kExitOk) {
    return code;
  }

  const Dataset& dataset = loaded.dataset;
  if (absl::Status status = WriteDataset(dataset, to, out); !status.ok()) {
    return Fail(parser, status);
  }
  std::printf(
      "Wrote %s customers, %s events, %s contacts, %s contracts and %s "
      "owners to %s (%s)\n",
      FormatCount(dataset.num_customers()).c_str(),
      FormatCount(dataset.num_events()).c_str(),
      FormatCount(dataset.num_contacts()).c_str(),
      FormatCount(dataset.num_contracts()).c_str(),
      FormatCount(dataset.num_owners()).c_str(), out.c_str(),
      FormatName(to).c_str());
  return kExitOk;
}

}  // namespace churnkit::cli
