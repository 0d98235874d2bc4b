// churnkit info: what a data set holds, from Dataset::Summary().

#include <algorithm>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "args.h"
#include "churnkit/dataset.h"
#include "churnkit/io.h"
#include "commands.h"
#include "data_input.h"
#include "google/protobuf/map.h"
#include "table.h"

namespace churnkit::cli {
namespace {

// A count per key as a three-column table (key, count, share of `total`),
// largest first; an empty key shows as "(none)".
std::string MixTable(absl::string_view title, absl::string_view count_title,
                     const google::protobuf::Map<std::string, int64_t>& mix,
                     int64_t total) {
  std::vector<std::pair<std::string, int64_t>> rows(mix.begin(), mix.end());
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  using Align = TextTable::Align;
  TextTable table({Align::kLeft, Align::kRight, Align::kRight});
  table.AddRow({std::string(title), std::string(count_title), "Share"});
  for (const auto& [key, n] : rows) {
    table.AddRow(
        {key.empty() ? "(none)" : key, FormatCount(n), FormatShare(n, total)});
  }
  return table.Render();
}

// "2023-06-03 .. 2024-06-26 (389 days)", or "-" without events.
std::string DateSpan(const v1::DatasetSummary& summary) {
  if (summary.first_event_time().empty()) return "-";
  std::string span = absl::StrCat(summary.first_event_time(), " .. ",
                                  summary.last_event_time());
  absl::StatusOr<UnixSeconds> first = ParseTime(summary.first_event_time());
  absl::StatusOr<UnixSeconds> last = ParseTime(summary.last_event_time());
  if (first.ok() && last.ok()) {
    absl::StrAppend(&span, " (", FormatCount((*last - *first) / 86400),
                    " days)");
  }
  return span;
}

void PrintSummary(const v1::LoadOptions& options,
                  const v1::DatasetSummary& summary) {
  using Align = TextTable::Align;
  TextTable overview({Align::kLeft, Align::kLeft});
  overview.AddRow({"Data set", DescribeInput(options)});
  overview.AddRow({"Customers", FormatCount(summary.customers())});
  overview.AddRow({"Events", FormatCount(summary.events())});
  overview.AddRow({"Contacts", FormatCount(summary.contacts())});
  overview.AddRow({"Contracts", FormatCount(summary.contracts())});
  overview.AddRow({"Owners", FormatCount(summary.owners())});
  overview.AddRow({"Date span", DateSpan(summary)});
  std::string memory =
      absl::StrCat(FormatCount(summary.memory_bytes()), " bytes");
  if (summary.events() > 0) {
    absl::StrAppend(
        &memory, absl::StrFormat(" (%.1f bytes/event)",
                                 static_cast<double>(summary.memory_bytes()) /
                                     static_cast<double>(summary.events())));
  }
  overview.AddRow({"Memory", memory});
  std::printf("%s\n", overview.Render().c_str());
  std::printf("%s\n", MixTable("Event kind", "Events", summary.events_by_kind(),
                               summary.events())
                          .c_str());
  std::printf("%s\n",
              MixTable("Industry", "Customers", summary.customers_by_industry(),
                       summary.customers())
                  .c_str());
  std::printf("%s", MixTable("Tier", "Customers", summary.customers_by_tier(),
                             summary.customers())
                        .c_str());
}

}  // namespace

int RunInfo(CommandArgs args) {
  ArgParser parser(
      "churnkit info",
      "Loads a data set and prints what it holds: rows per table, the span of\n"
      "event dates, events per kind, customers per industry and tier, and the\n"
      "memory the columnar data set takes (bytes in total and per event).\n"
      "Invalid rows are skipped with a warning (see 'churnkit validate').");
  DataInput input;
  bool json = false;
  AddDataInputArgs(parser, &input);
  parser.AddFlag("json", "Print churnkit.v1.DatasetSummary JSON", &json);
  if (std::optional<int> exit_code = parser.Parse(args)) return *exit_code;

  v1::LoadOptions options;
  LoadResult loaded;
  if (int code = ReadInput(parser, input, &options, &loaded); code != kExitOk) {
    return code;
  }

  v1::DatasetSummary summary = loaded.dataset.Summary();
  if (json) {
    if (absl::Status status = PrintJson(summary); !status.ok()) {
      return Fail(parser, status);
    }
  } else {
    PrintSummary(options, summary);
  }
  return kExitOk;
}

}  // namespace churnkit::cli
