// churnkit report: churn and retention rates, trend, cohorts and retention
// curves of a data set, from churnkit::BuildChurnReport (docs/reports.md).

#include "churnkit/report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
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

// ---- Numbers ------------------------------------------------------------

std::string Percent(double p) { return absl::StrFormat("%.1f%%", p); }

// A rate that may be absent (no customers at the start): "-".
template <typename Message>
std::string Rate(const Message& m, bool (Message::*has)() const,
                 double (Message::*get)() const) {
  return (m.*has)() ? Percent((m.*get)()) : "-";
}

std::string Group(const std::string& value) {
  return value.empty() ? "(none)" : value;
}

// ---- Sections -------------------------------------------------------------

// A titled table, rendered as aligned text or as Markdown.
struct Section {
  std::string title;
  std::string note;  // printed under the title when not empty
  std::vector<Align> aligns;
  std::vector<std::vector<std::string>> rows;  // rows[0] is the header
};

std::string RenderText(const Section& s) {
  std::string out = absl::StrCat(s.title, "\n");
  if (!s.note.empty()) absl::StrAppend(&out, s.note, "\n");
  TextTable table(s.aligns);
  for (const auto& row : s.rows) table.AddRow(row);
  absl::StrAppend(&out, table.Render(2), "\n");
  return out;
}

std::string MarkdownCell(const std::string& text) {
  return absl::StrReplaceAll(text, {{"|", "\\|"}});
}

std::string RenderMarkdown(const Section& s) {
  std::string out = absl::StrCat("## ", s.title, "\n\n");
  if (!s.note.empty()) absl::StrAppend(&out, s.note, "\n\n");
  for (size_t r = 0; r < s.rows.size(); ++r) {
    std::vector<std::string> cells;
    for (const std::string& cell : s.rows[r]) {
      cells.push_back(MarkdownCell(cell));
    }
    absl::StrAppend(&out, "| ", absl::StrJoin(cells, " | "), " |\n");
    if (r == 0) {
      std::vector<std::string> rule;
      for (Align a : s.aligns)
        rule.push_back(a == Align::kLeft ? "---" : "--:");
      absl::StrAppend(&out, "|", absl::StrJoin(rule, "|"), "|\n");
    }
  }
  absl::StrAppend(&out, "\n");
  return out;
}

Section Overview(const v1::ChurnReport& report, const std::string& input) {
  const v1::ChurnFigures& f = report.period().overall();
  Section s{"Churn report", "", {Align::kLeft, Align::kLeft}, {}};
  s.rows.push_back({"Figure", "Value"});
  s.rows.push_back({"Data set", input});
  s.rows.push_back({"As of", report.as_of()});
  s.rows.push_back(
      {"Period", absl::StrCat(report.period().start(), " .. ",
                              report.period().end(), " (end excluded)")});
  s.rows.push_back({"Customers at start", FormatCount(f.customers_at_start())});
  s.rows.push_back({"New customers", FormatCount(f.new_customers())});
  s.rows.push_back(
      {"Reactivated (returned after churn)", FormatCount(f.reactivated())});
  s.rows.push_back({"Churned", absl::StrCat(FormatCount(f.churned()), " (",
                                            FormatCount(f.churned_customers()),
                                            " customers)")});
  s.rows.push_back({"Churn rate", Rate(f, &v1::ChurnFigures::has_churn_rate,
                                       &v1::ChurnFigures::churn_rate)});
  s.rows.push_back(
      {"Retention rate", Rate(f, &v1::ChurnFigures::has_retention_rate,
                              &v1::ChurnFigures::retention_rate)});
  s.rows.push_back(
      {"Revenue at start", absl::StrCat(FormatAmount(f.revenue_at_start()),
                                        " (", report.revenue_source(), ")")});
  s.rows.push_back(
      {"Revenue lost",
       absl::StrCat(FormatAmount(f.revenue_lost()), " (",
                    Rate(f, &v1::ChurnFigures::has_revenue_churn_rate,
                         &v1::ChurnFigures::revenue_churn_rate),
                    ")")});
  s.rows.push_back({"Customers at end", FormatCount(f.customers_at_end())});
  return s;
}

// Churn per type, reason or stage; no section without churn.
void AddShares(const std::string& title, const std::string& key_title,
               const std::string& note,
               const google::protobuf::RepeatedPtrField<v1::ChurnShare>& shares,
               std::vector<Section>& out) {
  if (shares.empty()) return;
  Section s{title,
            note,
            {Align::kLeft, Align::kRight, Align::kRight, Align::kRight},
            {{key_title, "Churned", "Share", "Revenue lost"}}};
  for (const v1::ChurnShare& share : shares) {
    s.rows.push_back({share.key(), FormatCount(share.customers()),
                      Percent(share.share()),
                      FormatAmount(share.revenue_lost())});
  }
  out.push_back(std::move(s));
}

std::vector<std::string> FigureCells(const v1::ChurnFigures& f) {
  return {
      FormatCount(f.customers_at_start()),
      FormatCount(f.churned()),
      Rate(f, &v1::ChurnFigures::has_churn_rate, &v1::ChurnFigures::churn_rate),
      Rate(f, &v1::ChurnFigures::has_retention_rate,
           &v1::ChurnFigures::retention_rate),
      FormatAmount(f.revenue_lost()),
      FormatCount(f.new_customers()),
      FormatCount(f.reactivated()),
      FormatCount(f.customers_at_end())};
}

// At start + New + Reactivated - Churned = At end, in every row.
const std::vector<std::string> kFigureTitles = {
    "At start",     "Churned", "Churn rate",  "Retention",
    "Revenue lost", "New",     "Reactivated", "At end"};

Section FiguresTable(const std::string& title, const std::string& key_title) {
  Section s{title, "", {Align::kLeft}, {{key_title}}};
  for (const std::string& t : kFigureTitles) {
    s.aligns.push_back(Align::kRight);
    s.rows[0].push_back(t);
  }
  return s;
}

void AddPeriodSections(const v1::ChurnReport& report,
                       const v1::ReportRequest& request,
                       std::vector<Section>& out) {
  const v1::ChurnFigures& f = report.period().overall();
  AddShares("Churn by type", "Type", "", f.by_type(), out);
  AddShares("Churn by reason", "Reason",
            "The key of the cancellation event; passive and hidden churn "
            "have no reason (\"unknown\").",
            f.by_reason(), out);
  const int onboarding = request.lifecycle().onboarding_days() == 0
                             ? 90
                             : request.lifecycle().onboarding_days();
  const int renewal = request.lifecycle().default_renewal_days() == 0
                          ? 365
                          : request.lifecycle().default_renewal_days();
  AddShares("Churn by lifecycle stage", "Stage at churn",
            absl::StrFormat("Tenure at churn: onboarding = the first %d days; "
                            "before_first_renewal = until the first contract "
                            "renewal (else %d days); after_first_renewal = "
                            "later.",
                            onboarding, renewal),
            f.by_stage(), out);
  for (const v1::Breakdown& b : report.period().breakdowns()) {
    Section s =
        FiguresTable(absl::StrCat("Churn by ", b.attribute()), b.attribute());
    for (const v1::GroupFigures& g : b.groups()) {
      std::vector<std::string> row = {Group(g.value())};
      for (std::string& cell : FigureCells(g.figures())) {
        row.push_back(std::move(cell));
      }
      s.rows.push_back(std::move(row));
    }
    out.push_back(std::move(s));
  }
}

void AddTrendSections(const v1::ChurnReport& report,
                      std::vector<Section>& out) {
  if (report.trend().empty()) return;
  Section s = FiguresTable("Monthly trend", "Month");
  s.rows[0][0] = "Period";
  for (const v1::PeriodChurn& m : report.trend()) {
    std::vector<std::string> row = {absl::StrCat(m.start(), " .. ", m.end())};
    for (std::string& cell : FigureCells(m.overall())) {
      row.push_back(std::move(cell));
    }
    s.rows.push_back(std::move(row));
  }
  out.push_back(std::move(s));
  // One heat-map-like table of churn rates per breakdown attribute.
  for (int b = 0; b < report.trend(0).breakdowns_size(); ++b) {
    std::vector<std::string> values;
    for (const v1::PeriodChurn& m : report.trend()) {
      for (const v1::GroupFigures& g : m.breakdowns(b).groups()) {
        if (std::find(values.begin(), values.end(), g.value()) ==
            values.end()) {
          values.push_back(g.value());
        }
      }
    }
    std::sort(values.begin(), values.end());
    const std::string& attribute = report.trend(0).breakdowns(b).attribute();
    Section rates{absl::StrCat("Monthly churn rate by ", attribute),
                  "",
                  {Align::kLeft},
                  {{"Period"}}};
    for (const std::string& v : values) {
      rates.aligns.push_back(Align::kRight);
      rates.rows[0].push_back(Group(v));
    }
    for (const v1::PeriodChurn& m : report.trend()) {
      std::vector<std::string> row = {absl::StrCat(m.start(), " .. ", m.end())};
      for (const std::string& v : values) {
        std::string cell = "-";
        for (const v1::GroupFigures& g : m.breakdowns(b).groups()) {
          if (g.value() == v) {
            cell = Rate(g.figures(), &v1::ChurnFigures::has_churn_rate,
                        &v1::ChurnFigures::churn_rate);
          }
        }
        row.push_back(std::move(cell));
      }
      rates.rows.push_back(std::move(row));
    }
    out.push_back(std::move(rates));
  }
}

void AddCohortSections(const v1::ChurnReport& report,
                       std::vector<Section>& out) {
  for (const v1::CohortTable& t : report.cohorts()) {
    int32_t months = 0;
    for (const v1::CohortRow& row : t.rows()) {
      for (const v1::CohortCell& c : row.cells()) {
        months = std::max(months, c.month() + 1);
      }
    }
    Section s{t.attribute().empty()
                  ? std::string("Cohort retention")
                  : absl::StrCat("Cohort retention, ", t.attribute(), " = ",
                                 Group(t.value())),
              "Share of each signup month's customers not churned at the end "
              "of month M after signing up (M0 = the signup month); blank: "
              "after the report date or before the data.",
              {Align::kLeft, Align::kRight},
              {{"Cohort", "Customers"}}};
    for (int32_t m = 0; m < months; ++m) {
      s.aligns.push_back(Align::kRight);
      s.rows[0].push_back(absl::StrCat("M", m));
    }
    for (const v1::CohortRow& row : t.rows()) {
      std::vector<std::string> cells(2 + months);
      cells[0] = row.cohort();
      cells[1] = FormatCount(row.customers());
      for (const v1::CohortCell& c : row.cells()) {
        cells[2 + c.month()] = Percent(c.retention());
      }
      s.rows.push_back(std::move(cells));
    }
    out.push_back(std::move(s));
  }
}

void AddSurvivalSection(const v1::ChurnReport& report,
                        const v1::ReportRequest& request,
                        std::vector<Section>& out) {
  if (report.survival().empty()) return;
  std::vector<int32_t> horizons(request.survival().horizons_days().begin(),
                                request.survival().horizons_days().end());
  if (horizons.empty()) horizons = {90, 180, 365};
  Section s{absl::StrFormat("Retention curve (Kaplan-Meier), %g%% confidence",
                            100 * report.confidence()),
            "Median lifetime: first tenure with S(t) <= 50% (\"not reached\" "
            "when S stays above). S(t): share still a customer after t days, "
            "[band] by the log(-log) transform; \"-\" beyond the data.",
            {Align::kLeft, Align::kRight, Align::kRight, Align::kRight,
             Align::kRight},
            {{"Group", "Customers", "Churned", "Censored", "Median lifetime"}}};
  for (int32_t h : horizons) {
    s.aligns.push_back(Align::kRight);
    s.rows[0].push_back(absl::StrCat("S(", h, "d)"));
  }
  for (const v1::SurvivalCurve& c : report.survival()) {
    std::vector<std::string> row = {
        c.attribute().empty()
            ? std::string("all")
            : absl::StrCat(c.attribute(), " = ", Group(c.value())),
        FormatCount(c.customers()), FormatCount(c.churned()),
        FormatCount(c.censored()),
        c.has_median_days() ? absl::StrFormat("%.0f days", c.median_days())
                            : std::string("not reached")};
    for (int32_t h : horizons) {
      std::string cell = "-";
      for (const v1::SurvivalAt& at : c.at_horizons()) {
        if (at.days() == h) {
          cell = absl::StrFormat("%.1f%% [%.1f, %.1f]", 100 * at.survival(),
                                 100 * at.lower(), 100 * at.upper());
        }
      }
      row.push_back(std::move(cell));
    }
    s.rows.push_back(std::move(row));
  }
  out.push_back(std::move(s));
}

// ---- CSV --------------------------------------------------------------------

// Long ("tidy") CSV: one figure per line.
class CsvWriter {
 public:
  CsvWriter() {
    std::printf("section,start,end,attribute,group,item,measure,value\n");
  }
  // Fixes the first five columns of the lines that follow.
  void At(std::string section, std::string start, std::string end,
          std::string attribute, std::string group) {
    prefix_ = absl::StrJoin({CsvCell(section), CsvCell(start), CsvCell(end),
                             CsvCell(attribute), CsvCell(group)},
                            ",");
  }
  void Line(const std::string& item, const std::string& measure, double value) {
    std::printf("%s,%s,%s,%s\n", prefix_.c_str(), CsvCell(item).c_str(),
                measure.c_str(), absl::StrFormat("%.12g", value).c_str());
  }
  void Figures(const v1::ChurnFigures& f) {
    Line("", "customers_at_start", f.customers_at_start());
    Line("", "churned", f.churned());
    if (f.has_churn_rate()) Line("", "churn_rate", f.churn_rate());
    if (f.has_retention_rate()) Line("", "retention_rate", f.retention_rate());
    Line("", "revenue_at_start", f.revenue_at_start());
    Line("", "revenue_lost", f.revenue_lost());
    if (f.has_revenue_churn_rate()) {
      Line("", "revenue_churn_rate", f.revenue_churn_rate());
    }
    Line("", "new_customers", f.new_customers());
    Line("", "reactivated", f.reactivated());
    Line("", "churned_customers", f.churned_customers());
    Line("", "customers_at_end", f.customers_at_end());
    auto shares = [&](const std::string& kind, const auto& list) {
      for (const v1::ChurnShare& s : list) {
        const std::string item = absl::StrCat(kind, ":", s.key());
        Line(item, "customers", s.customers());
        Line(item, "share", s.share());
        Line(item, "revenue_lost", s.revenue_lost());
      }
    };
    shares("type", f.by_type());
    shares("reason", f.by_reason());
    shares("stage", f.by_stage());
  }
  void Period(const std::string& section, const v1::PeriodChurn& p) {
    At(section, p.start(), p.end(), "", "");
    Figures(p.overall());
    for (const v1::Breakdown& b : p.breakdowns()) {
      for (const v1::GroupFigures& g : b.groups()) {
        At(section, p.start(), p.end(), b.attribute(), g.value());
        Figures(g.figures());
      }
    }
  }

 private:
  std::string prefix_;
};

void PrintCsv(const v1::ChurnReport& report) {
  CsvWriter csv;
  csv.Period("period", report.period());
  for (const v1::PeriodChurn& m : report.trend()) csv.Period("trend", m);
  for (const v1::CohortTable& t : report.cohorts()) {
    for (const v1::CohortRow& row : t.rows()) {
      csv.At("cohort", row.cohort(), "", t.attribute(), t.value());
      csv.Line("", "customers", row.customers());
      for (const v1::CohortCell& c : row.cells()) {
        csv.At("cohort", row.cohort(), c.as_of(), t.attribute(), t.value());
        csv.Line(absl::StrCat(c.month()), "retained", c.retained());
        csv.Line(absl::StrCat(c.month()), "retention", c.retention());
      }
    }
  }
  for (const v1::SurvivalCurve& c : report.survival()) {
    csv.At("survival", "", report.as_of(), c.attribute(), c.value());
    csv.Line("", "customers", c.customers());
    csv.Line("", "churned", c.churned());
    csv.Line("", "censored", c.censored());
    if (c.has_median_days()) csv.Line("", "median_days", c.median_days());
    for (const v1::SurvivalAt& at : c.at_horizons()) {
      const std::string item = absl::StrCat("horizon:", at.days());
      csv.Line(item, "survival", at.survival());
      csv.Line(item, "lower", at.lower());
      csv.Line(item, "upper", at.upper());
    }
    for (const v1::SurvivalPoint& p : c.points()) {
      const std::string item = absl::StrFormat("%.12g", p.days());
      csv.Line(item, "at_risk", p.at_risk());
      csv.Line(item, "churned", p.churned());
      csv.Line(item, "survival", p.survival());
      csv.Line(item, "variance", p.variance());
      csv.Line(item, "lower", p.lower());
      csv.Line(item, "upper", p.upper());
    }
  }
}

// ---- Options ----------------------------------------------------------------

// An option holding a date, checked at parse time and passed on as text.
std::function<absl::Status(absl::string_view)> DateOption(
    const std::string& flag, std::string* out) {
  return [flag, out](absl::string_view text) -> absl::Status {
    absl::StatusOr<UnixSeconds> t = ParseTime(text);
    if (!t.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", flag, ": ", t.status().message()));
    }
    *out = std::string(text);
    return absl::OkStatus();
  };
}

}  // namespace

int RunReport(CommandArgs args) {
  ArgParser parser(
      "churnkit report",
      "Churn report of a data set, from churn labels (default definitions:\n"
      "configs/labels/default.textproto): the churn rate of a period (of the\n"
      "customers at its start, the share churned by its end), retention rate\n"
      "and revenue lost; churn by type, reason and lifecycle stage; a monthly\n"
      "trend; with --by, every figure per value of customer attributes; with\n"
      "--cohorts, cohort retention tables; with --survival, Kaplan-Meier\n"
      "retention curves with 95% bands and median lifetime. Without dates the\n"
      "period is the year up to midnight after the last event.\n"
      "See docs/reports.md.");
  DataInput input;
  v1::ReportRequest request;
  std::string as_of, from, to, request_file, definition_file, cohorts_by;
  std::vector<std::string> by;
  bool cohorts = false, survival = false;
  std::string output = "table";
  AddDataInputArgs(parser, &input);
  parser.AddOption("from", "DATE", "Period start (default: a year before --to)",
                   DateOption("from", &from));
  parser.AddOption("to", "DATE", "Period end, excluded (default: --as-of)",
                   DateOption("to", &to));
  parser.AddOption("as-of", "DATE",
                   "Report date: labels from events before it (default: --to, "
                   "else midnight after the last event)",
                   DateOption("as-of", &as_of));
  parser.AddOption(
      "by", "ATTR,...",
      "Break down by tier, industry, region, size, owner, product or "
      "attributes.<key> (also groups the --survival curves)",
      [&](absl::string_view v) {
        by = absl::StrSplit(v, ',', absl::SkipEmpty());
        return absl::OkStatus();
      });
  parser.AddFlag("cohorts", "Add cohort retention tables by signup month",
                 &cohorts);
  parser.AddString("cohorts-by", "ATTR",
                   "Also one cohort table per value of ATTR (implies "
                   "--cohorts)",
                   &cohorts_by);
  parser.AddFlag("survival",
                 "Add Kaplan-Meier retention curves and median lifetime",
                 &survival);
  parser.AddString("definition", "FILE",
                   "A churnkit.v1.ChurnDefinition textproto (default: the "
                   "shipped one)",
                   &definition_file);
  parser.AddString("request", "FILE",
                   "A churnkit.v1.ReportRequest textproto; the options above "
                   "override its fields",
                   &request_file);
  parser.AddOption(
      "output", "table|markdown|csv|json",
      "table: aligned text (default); markdown: the same tables in Markdown; "
      "csv: one figure per line (section,start,end,attribute,group,item,"
      "measure,value); json: churnkit.v1.ChurnReport",
      [&](absl::string_view v) -> absl::Status {
        if (v != "table" && v != "markdown" && v != "csv" && v != "json") {
          return absl::InvalidArgumentError(absl::StrCat(
              "--output must be table, markdown, csv or json, not '", v, "'"));
        }
        output = std::string(v);
        return absl::OkStatus();
      });
  if (std::optional<int> exit_code = parser.Parse(args)) return *exit_code;
  if (!from.empty() && !to.empty() && *ParseTime(to) <= *ParseTime(from)) {
    return parser.UsageError(
        absl::StrCat("--to ", to, " is not after --from ", from));
  }

  if (!request_file.empty()) {
    if (absl::Status s = ReadConfigFile(request_file, &request); !s.ok()) {
      return Fail(parser, s);
    }
  }
  if (!definition_file.empty()) {
    if (absl::Status s =
            ReadConfigFile(definition_file, request.mutable_definition());
        !s.ok()) {
      return Fail(parser, s);
    }
  }
  if (!as_of.empty()) request.set_as_of(as_of);
  if (!from.empty()) request.mutable_period()->set_start(from);
  if (!to.empty()) request.mutable_period()->set_end(to);
  if (!by.empty()) {
    request.clear_breakdowns();
    for (const std::string& b : by) request.add_breakdowns(b);
  }
  // The CLI always shows the months of the period.
  request.mutable_trend();
  if (cohorts || !cohorts_by.empty()) {
    request.mutable_cohorts();
    if (!cohorts_by.empty())
      request.mutable_cohorts()->set_group_by(cohorts_by);
  }
  if (survival) {
    v1::SurvivalOptions& options = *request.mutable_survival();
    if (!by.empty()) {
      options.clear_group_by();
      for (const std::string& b : by) options.add_group_by(b);
    }
  }

  v1::LoadOptions options;
  LoadResult loaded;
  if (int code = ReadInput(parser, input, &options, &loaded); code != kExitOk) {
    return code;
  }

  absl::StatusOr<v1::ChurnReport> report =
      BuildChurnReport(loaded.dataset, request);
  if (!report.ok()) return Fail(parser, report.status());

  if (output == "json") {
    if (absl::Status s = PrintJson(*report); !s.ok()) return Fail(parser, s);
    return kExitOk;
  }
  if (output == "csv") {
    PrintCsv(*report);
    return kExitOk;
  }
  if (!report->has_period()) {
    std::printf("No customers or events: nothing to report.\n");
    return kExitOk;
  }
  std::vector<Section> sections = {Overview(*report, DescribeInput(options))};
  AddPeriodSections(*report, request, sections);
  AddTrendSections(*report, sections);
  AddCohortSections(*report, sections);
  AddSurvivalSection(*report, request, sections);
  std::string text;
  for (const Section& s : sections) {
    absl::StrAppend(&text,
                    output == "markdown" ? RenderMarkdown(s) : RenderText(s));
  }
  text.pop_back();  // no blank line at the very end
  std::printf("%s", text.c_str());
  return kExitOk;
}

}  // namespace churnkit::cli
