// churnkit labels: active / passive / hidden churn of every customer.

#include "churnkit/labels.h"

#include <cstdio>
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "args.h"
#include "churnkit/dataset.h"
#include "churnkit/io.h"
#include "commands.h"
#include "data_input.h"
#include "table.h"

namespace churnkit::cli {
namespace {

std::string TypeName(v1::ChurnType t) {
  switch (t) {
    case v1::ACTIVE:
      return "active";
    case v1::PASSIVE:
      return "passive";
    case v1::HIDDEN:
      return "hidden";
    default:
      return "none";
  }
}

std::string TimeOrEmpty(UnixSeconds t) {
  return t == kNoTime ? "" : FormatTime(t);
}

}  // namespace

absl::StatusOr<ChurnLabeler> LabelerFromFile(const std::string& path) {
  absl::StatusOr<v1::ChurnDefinition> def = DefaultChurnDefinition();
  if (!path.empty()) {
    def = v1::ChurnDefinition();
    if (absl::Status s = ReadConfigFile(path, &*def); !s.ok()) return s;
  }
  if (!def.ok()) return def.status();
  return ChurnLabeler::Create(*def);
}

void AddPanelLabelArgs(ArgParser& parser, std::string* definition_file,
                       PanelLabel* label) {
  parser.AddString("definition", "FILE",
                   "A churnkit.v1.ChurnDefinition textproto (default: the "
                   "shipped one, as `churnkit labels` uses)",
                   definition_file);
  parser.AddOption(
      "panel-label", "began|at-end",
      "What label 1 means: churn began within the horizon (default), or "
      "the customer is churned at its end",
      [label](absl::string_view v) -> absl::Status {
        if (v == "began") {
          *label = PanelLabel::kChurnBegan;
        } else if (v == "at-end") {
          *label = PanelLabel::kChurnedAtEnd;
        } else {
          return absl::InvalidArgumentError(absl::StrCat(
              "--panel-label must be began or at-end, not '", v, "'"));
        }
        return absl::OkStatus();
      });
}

int RunLabels(CommandArgs args) {
  ArgParser parser(
      "churnkit labels",
      "Labels every customer that existed at --as-of: active churn\n"
      "(cancellation, non-renewal), passive churn (no qualifying activity\n"
      "for the window of its industry and tier) or hidden churn (usage down,\n"
      "period after period, against its own baseline), with the date the\n"
      "churn began, the reason when known, the rule that fired and the\n"
      "returns after earlier churn (reactivations). Default definitions:\n"
      "configs/labels/default.textproto.");
  DataInput input;
  std::string definition_file;
  std::string format = "table";
  UnixSeconds as_of = kNoTime;
  AddDataInputArgs(parser, &input);
  parser.AddOption("as-of", "DATE", "Label as of this date (required)",
                   [&](absl::string_view v) { return ParseAsOf(v, &as_of); });
  parser.AddString("definition", "FILE",
                   "A churnkit.v1.ChurnDefinition textproto (default: the "
                   "shipped one)",
                   &definition_file);
  parser.AddOption(
      "output", "table|csv|json",
      "table: counts by type and rule plus the churned "
      "customers (default); csv: one row per customer; json: "
      "churnkit.v1.LabelSet with every customer's churn episodes",
      [&](absl::string_view v) -> absl::Status {
        if (v != "table" && v != "csv" && v != "json") {
          return absl::InvalidArgumentError(absl::StrCat(
              "--output must be table, csv or json, not '", v, "'"));
        }
        format = std::string(v);
        return absl::OkStatus();
      });
  if (std::optional<int> exit_code = parser.Parse(args)) return *exit_code;
  if (as_of == kNoTime) return parser.UsageError("--as-of is required");

  absl::StatusOr<ChurnLabeler> labeler = LabelerFromFile(definition_file);
  if (!labeler.ok()) return Fail(parser, labeler.status());

  v1::LoadOptions options;
  LoadResult loaded;
  if (int code = ReadInput(parser, input, &options, &loaded); code != kExitOk) {
    return code;
  }
  const Dataset& ds = loaded.dataset;
  // The shipped rules name industries a data set may not have; a user's
  // own are checked for typos.
  if (!definition_file.empty()) {
    for (const std::string& w : labeler->UnmatchedSelectors(ds)) {
      std::fprintf(stderr, "churnkit labels: warning: %s: %s\n",
                   definition_file.c_str(), w.c_str());
    }
  }

  absl::StatusOr<ChurnHistory> history = labeler->History(ds, as_of);
  if (!history.ok()) return Fail(parser, history.status());
  const std::vector<ChurnLabel> labels = history->Labels(ds, as_of);

  if (format == "json") {
    if (absl::Status s = PrintJson(ToLabelSet(ds, labels, as_of, &*history));
        !s.ok()) {
      return Fail(parser, s);
    }
    return kExitOk;
  }
  if (format == "csv") {
    std::printf(
        "customer_id,churned,type,churn_time,detected,reason,rule,"
        "last_activity,reactivations\n");
    for (CustomerIndex c = 0; c < ds.num_customers(); ++c) {
      const ChurnLabel& l = labels[c];
      if (!l.existed) continue;
      std::string line;
      AppendCsvCell(ds.customer_id(c), &line);
      absl::StrAppend(&line, ",", l.churned ? 1 : 0, ",", TypeName(l.type), ",",
                      TimeOrEmpty(l.churn_time), ",",
                      TimeOrEmpty(l.detected_time), ",");
      AppendCsvCell(l.reason, &line);
      line.push_back(',');
      AppendCsvCell(l.rule, &line);
      absl::StrAppend(&line, ",", TimeOrEmpty(l.last_activity), ",",
                      l.reactivations);
      std::printf("%s\n", line.c_str());
    }
    return kExitOk;
  }
  // Table: counts by type and rule, then the churned customers.
  std::map<std::pair<std::string, std::string>, int64_t> by_rule;
  int64_t churned = 0, existed = 0, reactivated = 0;
  for (const ChurnLabel& l : labels) {
    existed += l.existed;
    reactivated += l.reactivations > 0;
    if (!l.churned) continue;
    ++churned;
    ++by_rule[{TypeName(l.type), l.rule}];
  }
  using Align = TextTable::Align;
  std::printf(
      "Churn labels as of %s: %s of %s customers churned (%s came back "
      "after an earlier churn; %s not signed up yet are left out)\n\n",
      FormatTime(as_of).c_str(), FormatCount(churned).c_str(),
      FormatCount(existed).c_str(), FormatCount(reactivated).c_str(),
      FormatCount(static_cast<int64_t>(ds.num_customers()) - existed).c_str());
  TextTable rules({Align::kLeft, Align::kLeft, Align::kRight, Align::kRight});
  rules.AddRow({"Type", "Rule", "Customers", "Share"});
  for (const auto& [key, n] : by_rule) {
    rules.AddRow(
        {key.first, key.second, FormatCount(n), FormatShare(n, churned)});
  }
  std::printf("%s\n", rules.Render().c_str());
  TextTable list(
      {Align::kLeft, Align::kLeft, Align::kLeft, Align::kLeft, Align::kLeft});
  list.AddRow({"Customer", "Type", "Churn began", "Reason", "Rule"});
  for (CustomerIndex c = 0; c < ds.num_customers(); ++c) {
    const ChurnLabel& l = labels[c];
    if (!l.churned) continue;
    list.AddRow({std::string(ds.customer_id(c)), TypeName(l.type),
                 FormatTime(l.churn_time), l.reason.empty() ? "-" : l.reason,
                 l.rule});
  }
  std::printf("%s", list.Render().c_str());
  return kExitOk;
}

}  // namespace churnkit::cli
