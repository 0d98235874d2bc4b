// churnkit abtest: A/B tests of retention interventions, from
// churnkit::AnalyzeExperiments (docs/experiments.md).

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "args.h"
#include "churnkit/dataset.h"
#include "churnkit/experiments.h"
#include "churnkit/io.h"
#include "commands.h"
#include "data_input.h"
#include "google/protobuf/util/json_util.h"
#include "table.h"

namespace churnkit::cli {
namespace {

using Align = TextTable::Align;

template <typename M>
std::string Pct(const M& m, bool (M::*has)() const, double (M::*get)() const) {
  return (m.*has)() ? absl::StrFormat("%.1f%%", (m.*get)()) : "-";
}

std::string PValue(double p) {
  return p < 1e-4 ? absl::StrFormat("%.1e", p) : absl::StrFormat("%.4f", p);
}

std::string ArmName(const std::string& arm) {
  return arm.empty() ? "(none)" : arm;
}

// The last cycle with evaluated win-back subjects, as "r% (n/m)".
std::string WinBackText(const v1::WinBack& w) {
  for (int k = w.cycles_size() - 1; k >= 0; --k) {
    const v1::WinBackCycle& c = w.cycles(k);
    if (c.evaluated() > 0) {
      return absl::StrFormat("%.1f%% (%d/%d by cycle %d)", c.win_back_rate(),
                             c.won_back(), c.evaluated(), c.cycle());
    }
  }
  return w.attempts() > 0 ? absl::StrCat(w.attempts(), " pending") : "-";
}

void PrintStrategy(const v1::ExperimentReport& r,
                   const v1::StrategyFigures& s) {
  std::printf("Strategy %s (control arm: %s)\n", s.strategy().c_str(),
              ArmName(s.control_arm()).c_str());
  std::printf(
      "  Customers %s, cost %s, response %s, win-back %s%s\n",
      FormatCount(s.customers()).c_str(), FormatAmount(s.total_cost()).c_str(),
      Pct(s, &v1::StrategyFigures::has_response_rate,
          &v1::StrategyFigures::response_rate)
          .c_str(),
      WinBackText(s.win_back()).c_str(),
      s.low_response() ? absl::StrFormat("  FLAGGED: response under %.1f%%",
                                         r.min_response_rate())
                             .c_str()
                       : "");
  TextTable arms({Align::kLeft, Align::kRight, Align::kRight, Align::kRight,
                  Align::kRight, Align::kRight, Align::kRight, Align::kRight,
                  Align::kRight, Align::kRight, Align::kRight});
  arms.AddRow({"Arm", "Customers", "Cost", "Response", "Cycle", "Evaluated",
               "Pending", "Retained", "Retention", "Churn", "Cost/retained"});
  for (const v1::ArmFigures& a : s.arms()) {
    for (const v1::CycleFigures& c : a.cycles()) {
      const bool first = c.cycle() == 1;
      std::string response;
      if (first) {
        response = Pct(a, &v1::ArmFigures::has_response_rate,
                       &v1::ArmFigures::response_rate);
        if (a.low_response()) response += " (low)";
      }
      arms.AddRow({first ? ArmName(a.arm()) : "",
                   first ? FormatCount(a.customers()) : "",
                   first ? FormatAmount(a.total_cost()) : "", response,
                   absl::StrCat(c.cycle()), FormatCount(c.evaluated()),
                   FormatCount(c.pending()), FormatCount(c.retained()),
                   Pct(c, &v1::CycleFigures::has_retention_rate,
                       &v1::CycleFigures::retention_rate),
                   Pct(c, &v1::CycleFigures::has_churn_rate,
                       &v1::CycleFigures::churn_rate),
                   c.has_cost_per_retained()
                       ? FormatAmount(c.cost_per_retained(), 2)
                       : "-"});
    }
  }
  std::printf("%s", arms.Render(2).c_str());
  if (s.comparisons().empty()) {
    std::printf("  (one arm: nothing to compare)\n\n");
    return;
  }
  const int level = static_cast<int>(100 * (1 - r.alpha()) + 0.5);
  TextTable cmp({Align::kLeft, Align::kRight, Align::kRight, Align::kRight,
                 Align::kRight, Align::kRight, Align::kLeft, Align::kLeft,
                 Align::kRight, Align::kRight});
  cmp.AddRow({absl::StrCat("vs ", ArmName(s.control_arm())), "Cycle",
              "Difference", absl::StrCat(level, "% CI (Newcombe)"), "z-test p",
              "Fisher p", "Test", "Significant", "n/arm needed",
              "Cost/extra retained"});
  for (const v1::ArmComparison& c : s.comparisons()) {
    if (!c.has_difference()) {
      cmp.AddRow({ArmName(c.arm()), absl::StrCat(c.cycle()), "-", "-", "-", "-",
                  "-", "no data", "-", "-"});
      continue;
    }
    cmp.AddRow({ArmName(c.arm()), absl::StrCat(c.cycle()),
                absl::StrFormat("%+.1f pp", c.difference()),
                absl::StrFormat("[%+.1f, %+.1f]", c.newcombe_lower(),
                                c.newcombe_upper()),
                PValue(c.p_value()), PValue(c.fisher_p_value()), c.test(),
                c.significant() ? "yes" : "no",
                c.has_sample_size_per_arm()
                    ? FormatCount(c.sample_size_per_arm())
                    : "-",
                c.has_incremental_cost_per_retained()
                    ? FormatAmount(c.incremental_cost_per_retained(), 2)
                    : "-"});
  }
  std::printf("%s\n", cmp.Render(2).c_str());
}

// ---- --out ------------------------------------------------------------------

std::string CsvCell(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"') out += '"';
    out += ch;
  }
  return out + "\"";
}

std::string Num(double x) { return absl::StrFormat("%.10g", x); }

template <typename M>
std::string Opt(const M& m, bool (M::*has)() const, double (M::*get)() const) {
  return (m.*has)() ? Num((m.*get)()) : "";
}

// One row per strategy x arm x cycle; comparison columns empty for the
// control arm.
std::string ReportCsv(const v1::ExperimentReport& r) {
  std::string out =
      "strategy,arm,control_arm,cycle,customers,total_cost,evaluated,pending,"
      "retained,retention_rate,churn_rate,cost_per_retained,response_rate,"
      "low_response,win_back_attempts,won_back,win_back_rate,difference,"
      "newcombe_lower,newcombe_upper,wald_lower,wald_upper,z,p_value,"
      "fisher_p_value,test,significant,sample_size_per_arm,"
      "incremental_cost_per_retained\n";
  for (const v1::StrategyFigures& s : r.strategies()) {
    for (const v1::ArmFigures& a : s.arms()) {
      for (int k = 0; k < a.cycles_size(); ++k) {
        const v1::CycleFigures& c = a.cycles(k);
        const v1::WinBackCycle& w = a.win_back().cycles(k);
        std::vector<std::string> row = {
            CsvCell(s.strategy()),
            CsvCell(a.arm()),
            CsvCell(s.control_arm()),
            absl::StrCat(c.cycle()),
            absl::StrCat(a.customers()),
            Num(a.total_cost()),
            absl::StrCat(c.evaluated()),
            absl::StrCat(c.pending()),
            absl::StrCat(c.retained()),
            Opt(c, &v1::CycleFigures::has_retention_rate,
                &v1::CycleFigures::retention_rate),
            Opt(c, &v1::CycleFigures::has_churn_rate,
                &v1::CycleFigures::churn_rate),
            Opt(c, &v1::CycleFigures::has_cost_per_retained,
                &v1::CycleFigures::cost_per_retained),
            Opt(a, &v1::ArmFigures::has_response_rate,
                &v1::ArmFigures::response_rate),
            a.low_response() ? "1" : "0",
            absl::StrCat(a.win_back().attempts()),
            absl::StrCat(w.won_back()),
            Opt(w, &v1::WinBackCycle::has_win_back_rate,
                &v1::WinBackCycle::win_back_rate)};
        const v1::ArmComparison* cmp = nullptr;
        for (const v1::ArmComparison& x : s.comparisons()) {
          if (x.arm() == a.arm() && x.cycle() == c.cycle()) cmp = &x;
        }
        if (cmp == nullptr || !cmp->has_difference()) {
          row.resize(row.size() + 12);
        } else {
          for (double x :
               {cmp->difference(), cmp->newcombe_lower(), cmp->newcombe_upper(),
                cmp->wald_lower(), cmp->wald_upper(), cmp->z(), cmp->p_value(),
                cmp->fisher_p_value()}) {
            row.push_back(Num(x));
          }
          row.push_back(cmp->test());
          row.push_back(cmp->significant() ? "1" : "0");
          row.push_back(cmp->has_sample_size_per_arm()
                            ? absl::StrCat(cmp->sample_size_per_arm())
                            : "");
          row.push_back(
              Opt(*cmp, &v1::ArmComparison::has_incremental_cost_per_retained,
                  &v1::ArmComparison::incremental_cost_per_retained));
        }
        absl::StrAppend(&out, absl::StrJoin(row, ","), "\n");
      }
    }
  }
  return out;
}

// One line per strategy (churnkit.v1.StrategyFigures as JSON).
absl::StatusOr<std::string> ReportJsonl(const v1::ExperimentReport& r) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  std::string out;
  for (const v1::StrategyFigures& s : r.strategies()) {
    std::string line;
    auto status =
        google::protobuf::util::MessageToJsonString(s, &line, options);
    if (!status.ok()) return absl::InternalError(status.ToString());
    absl::StrAppend(&out, line, "\n");
  }
  return out;
}

absl::Status WriteOut(const std::string& path, const v1::ExperimentReport& r) {
  std::string text;
  if (absl::EndsWith(path, ".csv")) {
    text = ReportCsv(r);
  } else {
    absl::StatusOr<std::string> json = ReportJsonl(r);
    if (!json.ok()) return json.status();
    text = *std::move(json);
  }
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << text;
  file.close();
  if (!file) {
    return absl::PermissionDeniedError(absl::StrCat(path, ": cannot write"));
  }
  return absl::OkStatus();
}

// An option holding a number, checked at parse time.
std::function<absl::Status(absl::string_view)> NumberOption(
    const std::string& flag, double* out) {
  return [flag, out](absl::string_view text) -> absl::Status {
    if (!absl::SimpleAtod(text, out)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", flag, ": not a number: '", text, "'"));
    }
    return absl::OkStatus();
  };
}

}  // namespace

int RunAbTest(CommandArgs args) {
  ArgParser parser(
      "churnkit abtest",
      "A/B tests of retention interventions (INTERVENTION events: key =\n"
      "strategy, group = arm, amount = cost). Per strategy and arm: customers\n"
      "treated (first intervention each), cost, response rate, retention "
      "after\n"
      "each cycle; each arm against the control arm: difference with a\n"
      "Newcombe interval, z-test and Fisher p-values, significance and the\n"
      "sample size per arm a conclusive test needs; win-back rate of "
      "customers\n"
      "already churned when treated; strategies with a response rate under\n"
      "--min-response flagged. Churn per the shipped churn definition.\n"
      "See docs/experiments.md.");
  DataInput input;
  v1::ExperimentOptions options;
  std::string definition_file, out_path, output = "table";
  int64_t cycle_days = 0, cycles = 0;
  double alpha = 0, power = 0, min_response = 0, lift = 0;
  AddDataInputArgs(parser, &input);
  parser.AddOption("as-of", "DATE",
                   "Analysis date (default: midnight after the last event)",
                   [&](absl::string_view v) -> absl::Status {
                     UnixSeconds t;
                     if (absl::Status s = ParseAsOf(v, &t); !s.ok()) {
                       return absl::InvalidArgumentError(
                           absl::StrCat("--as-of: ", s.message()));
                     }
                     options.set_as_of(std::string(v));
                     return absl::OkStatus();
                   });
  parser.AddInt("cycle-days", "N", "Days per cycle (default 30)", 1, 3650,
                &cycle_days);
  parser.AddInt("cycles", "N", "Cycles evaluated, 1..3 (default 3)", 1, 3,
                &cycles);
  parser.AddString("control", "ARM",
                   "Control arm (default: \"control\" if present, else the "
                   "first arm by name)",
                   options.mutable_control_arm());
  parser.AddOption("alpha", "X", "Significance level in (0, 1) (default 0.05)",
                   NumberOption("alpha", &alpha));
  parser.AddOption("power", "X",
                   "Power for the sample-size advice (default 0.8)",
                   NumberOption("power", &power));
  parser.AddOption("min-response", "PCT",
                   "Flag strategies and arms whose response rate is under "
                   "PCT percent (default 0: none)",
                   NumberOption("min-response", &min_response));
  parser.AddOption("lift", "PP",
                   "Smallest retention gain worth detecting, percentage "
                   "points (default 5)",
                   NumberOption("lift", &lift));
  parser.AddOption(
      "strategy", "ID,...", "Only these strategies", [&](absl::string_view v) {
        for (absl::string_view id : absl::StrSplit(v, ',', absl::SkipEmpty())) {
          options.add_strategies(std::string(id));
        }
        return absl::OkStatus();
      });
  parser.AddString("definition", "FILE",
                   "A churnkit.v1.ChurnDefinition textproto (default: the "
                   "shipped one)",
                   &definition_file);
  parser.AddString("out", "FILE",
                   "Also write the report: CSV when FILE ends in .csv (one row "
                   "per strategy, arm and cycle), else JSON lines (one "
                   "churnkit.v1.StrategyFigures per line)",
                   &out_path);
  parser.AddOption("output", "table|json",
                   "table: aligned text (default); json: "
                   "churnkit.v1.ExperimentReport",
                   [&](absl::string_view v) -> absl::Status {
                     if (v != "table" && v != "json") {
                       return absl::InvalidArgumentError(absl::StrCat(
                           "--output must be table or json, not '", v, "'"));
                     }
                     output = std::string(v);
                     return absl::OkStatus();
                   });
  if (std::optional<int> exit_code = parser.Parse(args)) return *exit_code;
  options.set_cycle_days(static_cast<int32_t>(cycle_days));
  options.set_cycles(static_cast<int32_t>(cycles));
  options.set_alpha(alpha);
  options.set_power(power);
  options.set_min_response_rate(min_response);
  options.set_min_detectable_lift(lift);
  // Checked here too, so that a bad value is a usage error (exit 2).
  if ((alpha != 0 && !(alpha > 0 && alpha < 1)) ||
      (power != 0 && !(power > 0 && power < 1))) {
    return parser.UsageError("--alpha and --power must be in (0, 1)");
  }
  if (!(min_response >= 0 && min_response <= 100)) {
    return parser.UsageError("--min-response must be a percentage in [0, 100]");
  }
  if (!definition_file.empty()) {
    if (absl::Status s =
            ReadConfigFile(definition_file, options.mutable_definition());
        !s.ok()) {
      return Fail(parser, s);
    }
  }

  v1::LoadOptions load;
  LoadResult loaded;
  if (int code = ReadInput(parser, input, &load, &loaded); code != kExitOk) {
    return code;
  }

  absl::StatusOr<v1::ExperimentReport> report =
      AnalyzeExperiments(loaded.dataset, options);
  if (!report.ok()) return Fail(parser, report.status());
  if (!out_path.empty()) {
    if (absl::Status s = WriteOut(out_path, *report); !s.ok()) {
      return Fail(parser, s);
    }
  }
  if (output == "json") {
    if (absl::Status s = PrintJson(*report); !s.ok()) return Fail(parser, s);
    return kExitOk;
  }
  std::printf("A/B tests of interventions\n");
  std::printf("  Data set %s, as of %s\n", DescribeInput(load).c_str(),
              report->as_of().empty() ? "-" : report->as_of().c_str());
  std::printf(
      "  Cycles %d x %d days, alpha %g, power %g, min response %g%%, lift "
      "%g pp; %s interventions\n\n",
      report->cycles(), report->cycle_days(), report->alpha(), report->power(),
      report->min_response_rate(), report->min_detectable_lift(),
      FormatCount(report->interventions()).c_str());
  if (report->strategies().empty()) {
    std::printf("No interventions: nothing to compare.\n");
    return kExitOk;
  }
  for (const v1::StrategyFigures& s : report->strategies()) {
    PrintStrategy(*report, s);
  }
  return kExitOk;
}

}  // namespace churnkit::cli
