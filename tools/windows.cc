// churnkit windows: passive-churn windows chosen from history, from
// churnkit::SuggestWindows (docs/labels.md, "Choosing windows from
// history").

#include "churnkit/windows.h"

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "args.h"
#include "churnkit/dataset.h"
#include "churnkit/io.h"
#include "commands.h"
#include "data_input.h"
#include "table.h"

namespace churnkit::cli {
namespace {

using Align = TextTable::Align;

std::string SegmentName(const v1::SegmentWindows& s) {
  if (s.overall()) return "(all)";
  return s.value().empty() ? "(none)" : s.value();
}

std::string Share(const v1::ReturnPoint& p) {
  return p.has_return_probability()
             ? absl::StrFormat("%.1f%%", 100 * p.return_probability())
             : "-";
}

std::string Days(bool has, double days) {
  return has ? absl::StrFormat("%.0f", days) : "-";
}

void PrintTable(const v1::LoadOptions& load, const v1::WindowsResult& r) {
  const v1::WindowsRequest& q = r.request();
  std::vector<std::string> kinds;
  for (const v1::EventFilter& f : q.activity()) {
    for (int k : f.kinds()) {
      std::string name = v1::EventKind_Name(static_cast<v1::EventKind>(k));
      if (f.subtypes_size() > 0) absl::StrAppend(&name, " (some)");
      kinds.push_back(std::move(name));
    }
  }
  std::printf("Inactivity windows from history\n");
  std::printf("  Data set %s, as of %s, by %s\n", DescribeInput(load).c_str(),
              r.as_of().c_str(), r.by().empty() ? "-" : r.by().c_str());
  std::printf(
      "  Activity %s; gaps every %d days up to %d; a return counts within "
      "%d days;\n  suggested: the shortest gap after which at most %g%% "
      "return, over >= %d followed spells\n\n",
      kinds.empty() ? "any event" : absl::StrJoin(kinds, ", ").c_str(),
      q.step_days(), q.max_days(), q.horizon_days(), 100 * q.max_return(),
      q.min_spells());

  TextTable summary({Align::kLeft, Align::kRight, Align::kRight, Align::kRight,
                     Align::kRight, Align::kRight, Align::kRight, Align::kRight,
                     Align::kRight, Align::kLeft});
  summary.AddRow({"Segment", "Customers", "Spells", "Open", "Median gap",
                  "P90 gap", "Window", "Return", "Followed", "Note"});
  for (const v1::SegmentWindows& s : r.segments()) {
    const bool has = s.suggested_days() > 0;
    summary.AddRow(
        {SegmentName(s), FormatCount(s.customers()), FormatCount(s.spells()),
         FormatCount(s.open_spells()),
         Days(s.has_median_gap_days(), s.median_gap_days()),
         Days(s.has_p90_gap_days(), s.p90_gap_days()),
         has ? absl::StrCat(s.suggested_days(), " days") : "-",
         has ? absl::StrFormat("%.1f%%", 100 * s.suggested_return_probability())
             : "-",
         has ? FormatCount(s.suggested_followed()) : "-", s.no_suggestion()});
  }
  std::printf("%s\n", summary.Render(2).c_str());

  // One row per gap length, one column per segment: return share (followed).
  std::printf("Returned after N silent days: share (followed spells)\n");
  std::vector<Align> aligns(r.segments_size() + 1, Align::kRight);
  TextTable grid(aligns);
  std::vector<std::string> header = {"Days"};
  for (const v1::SegmentWindows& s : r.segments()) {
    header.push_back(SegmentName(s));
  }
  grid.AddRow(header);
  const int points = r.segments().empty() ? 0 : r.segments(0).points_size();
  for (int i = 0; i < points; ++i) {
    std::vector<std::string> row = {
        absl::StrCat(r.segments(0).points(i).days())};
    for (const v1::SegmentWindows& s : r.segments()) {
      const v1::ReturnPoint& p = s.points(i);
      row.push_back(
          absl::StrCat(Share(p), " (", FormatCount(p.followed()), ")"));
    }
    grid.AddRow(row);
  }
  std::printf("%s", grid.Render(2).c_str());
}

// One row per segment and gap length (the chart's data).
void PrintCsv(const v1::WindowsResult& r) {
  std::string out =
      "segment,overall,days,reached,followed,returned,return_probability,"
      "suggested_days\n";
  for (const v1::SegmentWindows& s : r.segments()) {
    for (const v1::ReturnPoint& p : s.points()) {
      AppendCsvCell(s.value(), &out);
      absl::StrAppend(&out, ",", s.overall() ? 1 : 0, ",", p.days(), ",",
                      p.reached(), ",", p.followed(), ",", p.returned(), ",",
                      p.has_return_probability()
                          ? absl::StrFormat("%.10g", p.return_probability())
                          : "",
                      ",", s.suggested_days(), "\n");
    }
  }
  std::fputs(out.c_str(), stdout);
}

}  // namespace

int RunWindows(CommandArgs args) {
  ArgParser parser(
      "churnkit windows",
      "Passive-churn windows chosen from history (the \"historical data\n"
      "method\"): per segment, every spell without qualifying activity before\n"
      "--as-of, the share of customers who came back after N silent days on a\n"
      "grid of N, and the shortest N after which at most --max-return of "
      "them\n"
      "return. --out-definition writes the suggestion as a "
      "churnkit.v1.ChurnDefinition\n"
      "(churnkit labels --definition FILE). See docs/labels.md.");
  DataInput input;
  v1::WindowsRequest request;
  std::string definition_out, output = "table";
  int64_t step = 0, max_days = 0, horizon = 0, min_spells = 0;
  double max_return = 0;
  AddDataInputArgs(parser, &input);
  parser.AddOption("as-of", "DATE", "Analysis date (required)",
                   [&](absl::string_view v) -> absl::Status {
                     UnixSeconds t;
                     if (absl::Status s = ParseAsOf(v, &t); !s.ok()) {
                       return absl::InvalidArgumentError(
                           absl::StrCat("--as-of: ", s.message()));
                     }
                     request.set_as_of(std::string(v));
                     return absl::OkStatus();
                   });
  parser.AddString("by", "ATTR",
                   "Segment by industry, tier, region, size, owner, product "
                   "or attributes.<key> (default: overall only)",
                   request.mutable_by());
  parser.AddOption("max-return", "X",
                   "Suggest the shortest gap after which at most this share "
                   "returns, in (0, 1) (default 0.05)",
                   [&](absl::string_view v) -> absl::Status {
                     if (!absl::SimpleAtod(v, &max_return) ||
                         !(max_return > 0 && max_return < 1)) {
                       return absl::InvalidArgumentError(absl::StrCat(
                           "--max-return must be in (0, 1), not '", v, "'"));
                     }
                     return absl::OkStatus();
                   });
  parser.AddInt("step", "DAYS", "Grid step in days (default 7)", 1, 3650,
                &step);
  parser.AddInt("max-days", "DAYS", "Longest gap of the grid (default 365)", 1,
                3650, &max_days);
  parser.AddInt("horizon", "DAYS",
                "Days after a gap within which a return counts (default 365)",
                1, 3650, &horizon);
  parser.AddInt("min-spells", "N",
                "Followed spells a suggestion needs (default 100)", 1,
                1000000000, &min_spells);
  parser.AddOption(
      "activity", "KIND,...",
      "Qualifying event kinds, e.g. LOGIN,ORDER (default: the shipped "
      "catch-all rule's: anything the customer does)",
      [&](absl::string_view v) -> absl::Status {
        for (absl::string_view name :
             absl::StrSplit(v, ',', absl::SkipEmpty())) {
          v1::EventKind kind;
          if (!v1::EventKind_Parse(std::string(name), &kind) ||
              kind == v1::EVENT_KIND_UNSPECIFIED) {
            return absl::InvalidArgumentError(
                absl::StrCat("--activity: unknown event kind '", name, "'"));
          }
          if (request.activity().empty()) request.add_activity();
          request.mutable_activity(0)->add_kinds(kind);
        }
        return absl::OkStatus();
      });
  parser.AddString("out-definition", "FILE",
                   "Write the suggested churnkit.v1.ChurnDefinition "
                   "(text format)",
                   &definition_out);
  parser.AddOption(
      "output", "table|csv|json",
      "table: aligned text (default); csv: one row per segment "
      "and gap length; json: churnkit.v1.WindowsResult",
      [&](absl::string_view v) -> absl::Status {
        if (v != "table" && v != "csv" && v != "json") {
          return absl::InvalidArgumentError(absl::StrCat(
              "--output must be table, csv or json, not '", v, "'"));
        }
        output = std::string(v);
        return absl::OkStatus();
      });
  if (std::optional<int> exit_code = parser.Parse(args)) return *exit_code;
  if (request.as_of().empty()) return parser.UsageError("--as-of is required");
  request.set_step_days(static_cast<int32_t>(step));
  request.set_max_days(static_cast<int32_t>(max_days));
  request.set_horizon_days(static_cast<int32_t>(horizon));
  request.set_min_spells(static_cast<int32_t>(min_spells));
  request.set_max_return(max_return);

  v1::LoadOptions load;
  LoadResult loaded;
  if (int code = ReadInput(parser, input, &load, &loaded); code != kExitOk) {
    return code;
  }
  absl::StatusOr<v1::WindowsResult> result =
      SuggestWindows(loaded.dataset, request);
  if (!result.ok()) return Fail(parser, result.status());
  if (!definition_out.empty()) {
    if (absl::Status s =
            WriteTextProtoFile(definition_out, result->definition());
        !s.ok()) {
      return Fail(parser, s);
    }
  }
  if (output == "json") {
    if (absl::Status s = PrintJson(*result); !s.ok()) return Fail(parser, s);
  } else if (output == "csv") {
    PrintCsv(*result);
  } else {
    PrintTable(load, *result);
  }
  return kExitOk;
}

}  // namespace churnkit::cli
