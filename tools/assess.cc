// churnkit assess: health, colour, warnings and tasks of every customer.

#include "churnkit/assess.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "args.h"
#include "churnkit/dataset.h"
#include "churnkit/health.h"
#include "churnkit/io.h"
#include "churnkit/jobs.h"
#include "commands.h"
#include "data_input.h"
#include "google/protobuf/util/json_util.h"
#include "table.h"

namespace churnkit::cli {
namespace {

std::string Points(double v) {
  if (std::isnan(v)) return "";
  return v == std::floor(v) ? absl::StrFormat("%.0f", v)
                            : absl::StrFormat("%.2f", v);
}

// The customer's consolidated alert, sent to the owner or routed to
// automated care; null when no rule fired.
const v1::Alert* ConsolidatedAlert(const v1::CustomerAssessment& c) {
  if (c.has_routed_alert()) return &c.routed_alert();
  return c.alerts().empty() ? nullptr : &c.alerts(0);
}

void PrintSummary(const v1::AssessResponse& r) {
  using Align = TextTable::Align;
  const v1::Assessment& a = r.assessment();
  const v1::AssessSummary& sum = r.summary();
  const int64_t n = sum.customers();
  auto count = [](const google::protobuf::Map<std::string, int64_t>& m,
                  const std::string& key) {
    auto it = m.find(key);
    return it == m.end() ? int64_t{0} : it->second;
  };
  std::printf(
      "Assessment as of %s: %s customers (%s already churned), %s alerts, "
      "%s tasks\n\n",
      FormatTime(a.as_of().seconds()).c_str(), FormatCount(n).c_str(),
      FormatCount(sum.churned()).c_str(), FormatCount(sum.alerts()).c_str(),
      FormatCount(sum.tasks()).c_str());
  TextTable by_colour({Align::kLeft, Align::kRight, Align::kRight});
  by_colour.AddRow({"Health", "Customers", "Share"});
  for (v1::Colour c : {v1::GREEN, v1::YELLOW, v1::RED}) {
    const int64_t k = count(sum.colours(), v1::Colour_Name(c));
    by_colour.AddRow({ColourName(c), FormatCount(k), FormatShare(k, n)});
  }
  std::printf("%s\n", by_colour.Render().c_str());
  const v1::AlertSummary& stream = a.alert_summary();
  std::printf(
      "Alerts: %s raised to %s customers (%s rules fired in them); %s "
      "customers routed to automated care (%s below the risk floor of %.3f, "
      "the rest over owners' capacity of %s this run)\n\n",
      FormatCount(stream.alerts()).c_str(),
      FormatCount(stream.alerts()).c_str(),
      FormatCount(stream.reasons()).c_str(),
      FormatCount(stream.routed_to_automated_care()).c_str(),
      FormatCount(stream.routed_below_risk_floor()).c_str(),
      stream.risk_floor(), FormatCount(stream.capacity_per_owner()).c_str());
  TextTable by_level({Align::kLeft, Align::kRight});
  by_level.AddRow({"Alert level", "Alerts"});
  for (v1::Level l : {v1::L3, v1::L2, v1::L1}) {
    by_level.AddRow({v1::Level_Name(l), FormatCount(count(sum.alert_levels(),
                                                          v1::Level_Name(l)))});
  }
  std::printf("%s\n", by_level.Render().c_str());
  std::vector<std::pair<std::string, int64_t>> types(sum.task_types().begin(),
                                                     sum.task_types().end());
  std::sort(types.begin(), types.end(), [](const auto& x, const auto& y) {
    return x.second != y.second ? x.second > y.second : x.first < y.first;
  });
  TextTable by_type({Align::kLeft, Align::kRight});
  by_type.AddRow({"Task type", "Tasks"});
  for (const auto& [type, count] : types)
    by_type.AddRow({type, FormatCount(count)});
  std::printf("%s\n", by_type.Render().c_str());

  // Top at-risk (AssessResponse.at_risk): the consolidated alert's leading
  // reason, and the model's strongest reason.
  const bool with_model =
      n > 0 && !std::isnan(a.customers(0).churn_probability());
  std::vector<std::string> header = {"At risk", "Score", "Health"};
  std::vector<Align> align = {Align::kLeft, Align::kRight, Align::kLeft};
  if (with_model) {
    header.insert(header.end(), {"Churn p", "Model's top reason"});
    align.insert(align.end(), {Align::kRight, Align::kLeft});
  }
  header.push_back("Most severe alert");
  align.push_back(Align::kLeft);
  TextTable risk(align);
  risk.AddRow(header);
  for (int i : r.at_risk()) {
    const v1::CustomerAssessment& c = a.customers(i);
    const v1::Alert* worst = ConsolidatedAlert(c);
    std::vector<std::string> row = {c.customer_id(), Points(c.score()),
                                    ColourName(c.colour())};
    if (with_model) {
      row.push_back(absl::StrFormat("%.3f", c.churn_probability()));
      row.push_back(c.churn_reasons().empty() ? "-"
                                              : c.churn_reasons(0).text());
    }
    row.push_back(
        worst == nullptr
            ? "-"
            : absl::StrCat(
                  v1::Level_Name(worst->level()), " ", worst->message(),
                  c.has_routed_alert() ? " (routed to automated care)" : ""));
    risk.AddRow(row);
  }
  std::printf("%s", risk.Render().c_str());
}

void PrintCsv(const v1::Assessment& a) {
  const bool with_model =
      a.customers_size() > 0 && !std::isnan(a.customers(0).churn_probability());
  std::string header =
      "customer_id,churned,score,colour,score_change,alerts,tasks";
  if (with_model) header += ",churn_probability";
  header += ",routed_to_automated_care,expected_revenue_at_risk";
  if (a.customers_size() > 0) {
    for (const v1::DimensionScore& d : a.customers(0).dimensions()) {
      absl::StrAppend(&header, ",", d.name());
    }
  }
  std::printf("%s\n", header.c_str());
  for (const v1::CustomerAssessment& c : a.customers()) {
    std::string line = absl::StrCat(
        CsvCell(c.customer_id()), ",", c.churned() ? 1 : 0, ",",
        Points(c.score()), ",", ColourName(c.colour()), ",",
        Points(c.score_change()), ",", c.alerts_size(), ",", c.tasks_size());
    if (with_model) {
      absl::StrAppend(&line, ",",
                      absl::StrFormat("%.6f", c.churn_probability()));
    }
    const v1::Alert* alert = ConsolidatedAlert(c);
    absl::StrAppend(
        &line, ",", c.has_routed_alert() ? 1 : 0, ",",
        alert == nullptr ? "" : Points(alert->expected_revenue_at_risk()));
    for (const v1::DimensionScore& d : c.dimensions()) {
      absl::StrAppend(&line, ",", Points(d.points()));
    }
    std::printf("%s\n", line.c_str());
  }
}

absl::Status PrintJsonLines(const v1::Assessment& a) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  for (const v1::CustomerAssessment& c : a.customers()) {
    std::string json;
    auto status =
        google::protobuf::util::MessageToJsonString(c, &json, options);
    if (!status.ok()) {
      return absl::InternalError(absl::StrCat("JSON: ", status.ToString()));
    }
    std::printf("%s\n", json.c_str());
  }
  return absl::OkStatus();
}

void PrintBacktest(const v1::Backtest& b, std::FILE* out) {
  using Align = TextTable::Align;
  std::fprintf(out,
               "\nBacktest: customers active on %s, scored then, and their "
               "churn by %s (%d days): %s customers, %s churned (%s)\n",
               FormatTime(b.from().seconds()).c_str(),
               FormatTime(b.to().seconds()).c_str(), b.horizon_days(),
               FormatCount(b.customers()).c_str(),
               FormatCount(b.churned()).c_str(),
               FormatShare(b.churned(), b.customers()).c_str());
  TextTable t({Align::kLeft, Align::kRight, Align::kRight, Align::kRight,
               Align::kRight});
  t.AddRow({"Health", "Customers", "Share", "Churned", "Churn rate"});
  for (const v1::Backtest::ByColour& c : b.colours()) {
    t.AddRow({ColourName(c.colour()), FormatCount(c.customers()),
              FormatShare(c.customers(), b.customers()),
              FormatCount(c.churned()),
              absl::StrFormat("%.1f%%", 100 * c.churn_rate())});
  }
  std::fprintf(out, "%s", t.Render().c_str());
  std::fprintf(out, "Colour cut-offs: GREEN >= %s, YELLOW >= %s\n",
               Points(b.cutoffs().green_min()).c_str(),
               Points(b.cutoffs().yellow_min()).c_str());
  if (b.has_auc()) {
    std::fprintf(out, "ROC-AUC of the score on the history: %.3f\n", b.auc());
  } else {
    std::fprintf(out, "ROC-AUC of the score on the history: n/a (%s)\n",
                 b.note().c_str());
  }
}

// Writes `message` in binary to `path`, atomically (for --history-out /
// --save).
absl::Status WriteBinary(const google::protobuf::Message& message,
                         const std::string& path) {
  return WriteFileBytes(path, message.SerializeAsString());
}

}  // namespace

int RunAssess(CommandArgs args) {
  ArgParser parser(
      "churnkit assess",
      "Assesses every customer as of --as-of: health score and colour with\n"
      "the points of each dimension, the warning rules that fired with their\n"
      "alerts and tasks, and the care-plan tasks coming due. Defaults: the\n"
      "shipped features, Zoho scorecard, rules and care plan.");
  DataInput input;
  std::string config_file, history_in, history_out, previous_in, save_file,
      model_file;
  std::string output = "summary";
  int64_t top = 10;
  int64_t backtest_days = 0;
  std::optional<double> red_share;
  UnixSeconds as_of = kNoTime;
  AddDataInputArgs(parser, &input);
  parser.AddOption("as-of", "DATE", "Assess as of this date (required)",
                   [&](absl::string_view v) { return ParseAsOf(v, &as_of); });
  parser.AddString("config", "FILE",
                   "A churnkit.v1.AssessmentConfig (features, scorecard, "
                   "rules, care_plan, horizon_days); parts left out use the "
                   "shipped defaults",
                   &config_file);
  parser.AddOption(
      "output", "summary|csv|jsonl",
      "summary: customers by colour, alerts raised and routed to "
      "automated care, alerts by level, tasks by type, top at-risk "
      "customers (default); csv: one row per customer (alerts: its "
      "consolidated alert, 0 or 1); jsonl: churnkit.v1.CustomerAssessment "
      "per line",
      [&](absl::string_view v) -> absl::Status {
        if (v != "summary" && v != "csv" && v != "jsonl") {
          return absl::InvalidArgumentError(absl::StrCat(
              "--output must be summary, csv or jsonl, not '", v, "'"));
        }
        output = std::string(v);
        return absl::OkStatus();
      });
  parser.AddInt("top", "N", "At-risk customers listed in the summary", 0,
                100000, &top);
  parser.AddString("history", "FILE",
                   "churnkit.v1.AlertHistory of earlier runs (cool-downs, "
                   "escalation)",
                   &history_in);
  parser.AddString("history-out", "FILE",
                   "Write the updated AlertHistory (binary) here",
                   &history_out);
  parser.AddString("previous", "FILE",
                   "A saved churnkit.v1.Assessment, for each score's change",
                   &previous_in);
  parser.AddString("save", "FILE", "Write the Assessment (binary) here",
                   &save_file);
  parser.AddString("model", "FILE",
                   "A model from `churnkit train --dates` (trained on this "
                   "feature set): adds each customer's churn probability and "
                   "the model's reasons, and ranks the at-risk list by it",
                   &model_file);
  parser.AddOption(
      "red-share", "SHARE",
      "Colours from capacity: RED is the riskiest SHARE of the customers "
      "not churned, in (0, 1) (overrides the config's red_share)",
      [&](absl::string_view v) -> absl::Status {
        double x;
        if (!absl::SimpleAtod(v, &x)) {
          return absl::InvalidArgumentError(
              absl::StrCat("--red-share: not a number: '", v, "'"));
        }
        red_share = x;
        return absl::OkStatus();
      });
  parser.AddInt("backtest", "DAYS",
                "Also backtest the health score on the history: customers "
                "scored DAYS before --as-of (or before the data's end), "
                "their churn in the next DAYS by colour and the score's AUC",
                1, 100000, &backtest_days);
  if (std::optional<int> exit_code = parser.Parse(args)) return *exit_code;
  if (as_of == kNoTime) return parser.UsageError("--as-of is required");

  v1::AssessRequest request;
  request.set_as_of(FormatTime(as_of));
  request.set_at_risk(top == 0 ? -1 : static_cast<int32_t>(top));
  request.set_backtest_days(static_cast<int32_t>(backtest_days));
  if (!config_file.empty()) {
    if (absl::Status s = ReadConfigFile(config_file, request.mutable_config());
        !s.ok()) {
      return Fail(parser, s);
    }
  }
  if (red_share.has_value())
    request.mutable_config()->set_red_share(*red_share);
  // Check the request before the (long) load.
  if (absl::Status s = CheckAssessRequest(request); !s.ok()) {
    return Fail(parser, s);
  }
  if (!history_in.empty()) {
    if (absl::Status s = ReadConfigFile(history_in, request.mutable_history());
        !s.ok()) {
      return Fail(parser, s);
    }
  }
  if (!previous_in.empty()) {
    if (absl::Status s =
            ReadConfigFile(previous_in, request.mutable_previous());
        !s.ok()) {
      return Fail(parser, s);
    }
  }
  if (!model_file.empty()) {
    absl::StatusOr<v1::LogisticModel> read = ReadModel(model_file);
    if (!read.ok()) return Fail(parser, read.status());
    *request.mutable_model() = *std::move(read);
  }

  v1::LoadOptions load;
  LoadResult loaded;
  if (int code = ReadInput(parser, input, &load, &loaded); code != kExitOk) {
    return code;
  }

  absl::StatusOr<v1::AssessResponse> result =
      AssessCustomers(loaded.dataset, request);
  if (!result.ok()) return Fail(parser, result.status());
  if (output == "csv") {
    PrintCsv(result->assessment());
  } else if (output == "jsonl") {
    if (absl::Status s = PrintJsonLines(result->assessment()); !s.ok()) {
      return Fail(parser, s);
    }
  } else {
    PrintSummary(*result);
  }
  if (result->has_backtest()) {
    // On stdout with the summary; on stderr beside csv / jsonl rows.
    PrintBacktest(result->backtest(), output == "summary" ? stdout : stderr);
  }
  if (!history_out.empty()) {
    if (absl::Status s = WriteBinary(result->history(), history_out); !s.ok()) {
      return Fail(parser, s);
    }
  }
  if (!save_file.empty()) {
    if (absl::Status s = WriteBinary(result->assessment(), save_file);
        !s.ok()) {
      return Fail(parser, s);
    }
  }
  return kExitOk;
}

}  // namespace churnkit::cli
