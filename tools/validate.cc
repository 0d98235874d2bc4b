// churnkit validate: ingest a data set and print the error report.

#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "args.h"
#include "churnkit/io.h"
#include "commands.h"
#include "data_input.h"
#include "table.h"

namespace churnkit::cli {
namespace {

// "source:row: field: reason", leaving out a zero row or an empty field.
std::string FormatDataError(const v1::DataError& error) {
  std::string out = error.source();
  if (error.row() > 0) absl::StrAppend(&out, ":", error.row());
  absl::StrAppend(&out, ": ");
  if (!error.field().empty()) absl::StrAppend(&out, error.field(), ": ");
  absl::StrAppend(&out, error.reason());
  return out;
}

// Per-table row counts, tables in schema order (customers, events,
// contacts, contracts, owners) and then any other name the report uses.
struct TableCounts {
  std::string table;
  int64_t read = 0;
  int64_t kept = 0;
};

std::vector<TableCounts> CountsByTable(const v1::ErrorReport& report) {
  std::map<std::string, TableCounts> by_name;
  for (const auto& [name, n] : report.rows_read()) {
    by_name[absl::AsciiStrToLower(name)].read += n;
  }
  for (const auto& [name, n] : report.rows_kept()) {
    by_name[absl::AsciiStrToLower(name)].kept += n;
  }
  std::vector<TableCounts> out;
  for (int t = v1::Table_MIN; t <= v1::Table_MAX; ++t) {
    if (!v1::Table_IsValid(t) || t == v1::TABLE_UNSPECIFIED) continue;
    std::string name = absl::AsciiStrToLower(v1::Table_Name(t));
    auto it = by_name.find(name);
    TableCounts counts = it == by_name.end() ? TableCounts{} : it->second;
    counts.table = name;
    out.push_back(counts);
    if (it != by_name.end()) by_name.erase(it);
  }
  for (auto& [name, counts] : by_name) {
    counts.table = name;
    out.push_back(counts);
  }
  return out;
}

void PrintReport(const v1::LoadOptions& options,
                 const v1::ErrorReport& report) {
  std::printf("Validating %s\n\n", DescribeInput(options).c_str());
  if (report.total_errors() == 0) {
    std::printf("No errors.\n\n");
  } else {
    std::printf("%s %s:\n", FormatCount(report.total_errors()).c_str(),
                report.total_errors() == 1 ? "error" : "errors");
    for (const v1::DataError& error : report.errors()) {
      std::printf("  %s\n", FormatDataError(error).c_str());
    }
    int64_t unlisted = report.total_errors() - report.errors_size();
    if (unlisted > 0) {
      std::printf("  ... and %s more not listed (raise --max-errors)\n",
                  FormatCount(unlisted).c_str());
    }
    std::printf("\n");
  }
  if (report.total_warnings() > 0) {
    std::printf("%s %s (the rows are kept):\n",
                FormatCount(report.total_warnings()).c_str(),
                report.total_warnings() == 1 ? "warning" : "warnings");
    for (const v1::DataError& warning : report.warnings()) {
      std::printf("  %s\n", FormatDataError(warning).c_str());
    }
    int64_t unlisted = report.total_warnings() - report.warnings_size();
    if (unlisted > 0) {
      std::printf("  ... and %s more not listed (raise --max-errors)\n",
                  FormatCount(unlisted).c_str());
    }
    std::printf("\n");
  }

  using Align = TextTable::Align;
  TextTable table({Align::kLeft, Align::kRight, Align::kRight, Align::kRight});
  table.AddRow({"Table", "Read", "Kept", "Rejected"});
  TableCounts total{"total"};
  for (const TableCounts& counts : CountsByTable(report)) {
    table.AddRow({counts.table, FormatCount(counts.read),
                  FormatCount(counts.kept),
                  FormatCount(counts.read - counts.kept)});
    total.read += counts.read;
    total.kept += counts.kept;
  }
  table.AddRow({total.table, FormatCount(total.read), FormatCount(total.kept),
                FormatCount(total.read - total.kept)});
  std::printf("%s\n", table.Render().c_str());
  if (report.implicit_customers() > 0) {
    std::printf(
        "%s customers created from the events' customer ids "
        "(implicit_customers).\n",
        FormatCount(report.implicit_customers()).c_str());
  }

  if (report.total_errors() == 0) {
    std::printf("Result: OK, %s rows read, all kept.\n",
                FormatCount(total.read).c_str());
  } else {
    std::printf(
        "Result: %s %s; %s of %s rows kept, %s rejected (lenient mode keeps "
        "every valid row; --strict fails instead).\n",
        FormatCount(report.total_errors()).c_str(),
        report.total_errors() == 1 ? "error" : "errors",
        FormatCount(total.kept).c_str(), FormatCount(total.read).c_str(),
        FormatCount(total.read - total.kept).c_str());
  }
}

}  // namespace

int RunValidate(CommandArgs args) {
  ArgParser parser(
      "churnkit validate",
      "Ingests a data set, checking every row, and prints the error report:\n"
      "each error as 'source:row: field: reason', then the rows read and\n"
      "kept per table. Exit status: 0 when the data set loads (lenient mode\n"
      "keeps every valid row and lists the rest), 1 when loading fails or,\n"
      "with --strict, at the first invalid row, 2 on a usage error.");
  DataInput input;
  bool json = false;
  AddDataInputArgs(parser, &input);
  parser.AddFlag("json", "Print the report as churnkit.v1.ErrorReport JSON",
                 &json);
  if (std::optional<int> exit_code = parser.Parse(args)) return *exit_code;

  absl::StatusOr<v1::LoadOptions> options = MakeLoadOptions(input);
  if (!options.ok()) return InputError(parser, options.status());

  absl::StatusOr<LoadResult> loaded =
      LoadWithProgress(*options, "churnkit validate");
  if (!loaded.ok()) {
    Fail(parser, loaded.status());
    std::fprintf(stderr, "Result: FAILED (%s)\n",
                 IsStrict(*options) ? "strict mode stops at the first error"
                                    : "the data set could not be read");
    return kExitFailure;
  }
  if (json) {
    if (absl::Status status = PrintJson(loaded->report); !status.ok()) {
      return Fail(parser, status);
    }
  } else {
    PrintReport(*options, loaded->report);
  }
  return IsStrict(*options) && loaded->report.total_errors() > 0 ? kExitFailure
                                                                 : kExitOk;
}

}  // namespace churnkit::cli
