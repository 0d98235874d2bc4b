// churnkit segment: customer value, A/B/C tiers, the value x risk matrix
// with its strategies, the customers to save first and the churn-reason
// matrix.

#include "churnkit/segment.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "args.h"
#include "churnkit/assess.h"
#include "churnkit/dataset.h"
#include "churnkit/io.h"
#include "churnkit/jobs.h"
#include "commands.h"
#include "data_input.h"
#include "table.h"

namespace churnkit::cli {
namespace {

std::string Fraction(double v) { return absl::StrFormat("%.1f%%", 100 * v); }

const char* QuadrantTitle(v1::Quadrant q) {
  switch (q) {
    case v1::HIGH_VALUE_HIGH_RISK:
      return "High value, high risk";
    case v1::LOW_VALUE_HIGH_RISK:
      return "Low value, high risk";
    case v1::HIGH_VALUE_LOW_RISK:
      return "High value, low risk";
    default:
      return "Low value, low risk";
  }
}

const char* ValueSourceText(v1::ValueSource s) {
  switch (s) {
    case v1::GROSS_MARGIN:
      return "gross margin";
    case v1::CONTRACTUAL_CLV:
      return "contractual lifetime value (Kaplan-Meier)";
    case v1::NON_CONTRACTUAL_CLV:
      return "non-contractual lifetime value (BG/NBD x Gamma-Gamma)";
    default:
      return "historical revenue";
  }
}

const char* RiskSourceText(v1::RiskSource s) {
  switch (s) {
    case v1::HEALTH_COLOUR:
      return "health colour";
    case v1::CHURN_PROBABILITY:
      return "model churn probability";
    default:
      return "health score";
  }
}

void PrintReport(const v1::SegmentReport& r, int top) {
  using Align = TextTable::Align;
  int64_t churned = 0;
  for (const v1::CustomerSegment& c : r.customers()) churned += c.churned();
  std::printf(
      "Segmentation as of %s: %s customers, %s active, %s churned\n"
      "Value: %s; risk: %s (high at >= %.2f); revenue at risk = value x %s\n\n",
      r.as_of().c_str(), FormatCount(r.customers_size()).c_str(),
      FormatCount(r.active_customers()).c_str(), FormatCount(churned).c_str(),
      ValueSourceText(r.value_source()), RiskSourceText(r.risk_source()),
      r.risk_cutoff(),
      r.revenue_at_risk_basis() == "churn_probability"
          ? "churn probability"
          : "risk index (a proxy)");

  TextTable matrix({Align::kLeft, Align::kRight, Align::kRight, Align::kRight,
                    Align::kLeft});
  matrix.AddRow(
      {"Value x risk", "Customers", "Value", "Revenue at risk", "Strategy"});
  for (const v1::QuadrantSummary& q : r.quadrants()) {
    matrix.AddRow({QuadrantTitle(q.quadrant()), FormatCount(q.customers()),
                   FormatAmount(q.value(), 0),
                   FormatAmount(q.revenue_at_risk(), 0), q.strategy()});
  }
  matrix.AddRow({"Total", FormatCount(r.active_customers()),
                 FormatAmount(r.total_value(), 0),
                 FormatAmount(r.total_revenue_at_risk(), 0), ""});
  std::printf("%s\n", matrix.Render().c_str());

  TextTable tiers({Align::kLeft, Align::kRight, Align::kRight, Align::kRight,
                   Align::kRight, Align::kRight});
  tiers.AddRow(
      {"Tier", "Customers", "Share", "Value", "Value share", "Min value"});
  for (const v1::TierSummary& t : r.tiers()) {
    tiers.AddRow({t.tier(), FormatCount(t.customers()),
                  Fraction(t.customer_share()), FormatAmount(t.value(), 0),
                  Fraction(t.value_share()), FormatAmount(t.min_value(), 0)});
  }
  std::printf("%s\n", tiers.Render().c_str());

  std::vector<const v1::CustomerSegment*> order;
  for (const v1::CustomerSegment& c : r.customers()) {
    if (c.save_rank() > 0) order.push_back(&c);
  }
  std::sort(order.begin(), order.end(), [](const auto* a, const auto* b) {
    return a->save_rank() < b->save_rank();
  });
  TextTable save({Align::kRight, Align::kLeft, Align::kLeft, Align::kRight,
                  Align::kRight, Align::kRight, Align::kLeft});
  save.AddRow({"Save first", "Customer", "Tier", "Value", "Risk",
               "Revenue at risk", "Quadrant"});
  for (int i = 0; i < top && i < static_cast<int>(order.size()); ++i) {
    const v1::CustomerSegment& c = *order[i];
    save.AddRow({absl::StrCat(c.save_rank()), c.customer_id(), c.tier(),
                 FormatAmount(c.value(), 0), absl::StrFormat("%.2f", c.risk()),
                 FormatAmount(c.revenue_at_risk(), 0),
                 QuadrantTitle(c.quadrant())});
  }
  std::printf("%s\n", save.Render().c_str());

  const v1::ReasonMatrix& m = r.reasons();
  std::printf("Churn reasons since %s: %s churned, revenue lost %s\n",
              m.window_start().c_str(), FormatCount(m.churned()).c_str(),
              FormatAmount(m.revenue_lost(), 0).c_str());
  std::vector<TextTable::Align> aligns = {Align::kLeft, Align::kLeft,
                                          Align::kRight, Align::kRight};
  std::vector<std::string> header = {"Reason", "Recoverable", "Cancelled",
                                     "Inferred"};
  for (const std::string& s : m.segments()) {
    aligns.push_back(Align::kRight);
    header.push_back(s);
  }
  aligns.insert(aligns.end(), {Align::kRight, Align::kLeft});
  header.insert(header.end(), {"Revenue lost", "Counter-plan"});
  TextTable reasons(aligns);
  reasons.AddRow(header);
  for (const v1::ReasonRow& row : m.rows()) {
    std::vector<std::string> cells = {
        row.reason(),
        row.in_taxonomy() ? (row.recoverable() ? "yes" : "no") : "-",
        FormatCount(row.from_cancellation()), FormatCount(row.inferred())};
    for (const v1::ReasonCell& cell : row.cells()) {
      cells.push_back(FormatCount(cell.customers()));
    }
    cells.push_back(FormatAmount(row.revenue_lost(), 0));
    cells.push_back(row.counter_plan());
    reasons.AddRow(std::move(cells));
  }
  std::printf("%s", reasons.Render().c_str());
}

absl::Status WriteCsv(const v1::SegmentReport& r, const std::string& path) {
  std::ostringstream out;
  out << "customer_id,churned,tier,value,revenue,tenure_days,"
         "expected_remaining_days,risk,high_value,high_risk,quadrant,"
         "revenue_at_risk,save_rank,churn_reason,reason_source,strategy\n";
  for (const v1::CustomerSegment& c : r.customers()) {
    out << CsvCell(c.customer_id()) << ',' << (c.churned() ? 1 : 0) << ','
        << c.tier() << ',' << absl::StrFormat("%.2f", c.value()) << ','
        << absl::StrFormat("%.2f", c.revenue()) << ','
        << absl::StrFormat("%.1f", c.tenure_days()) << ','
        << absl::StrFormat("%.1f", c.expected_remaining_days()) << ','
        << (c.has_risk() ? absl::StrFormat("%.4f", c.risk()) : "") << ','
        << (c.high_value() ? 1 : 0) << ',' << (c.high_risk() ? 1 : 0) << ','
        << (c.churned() ? "" : v1::Quadrant_Name(c.quadrant())) << ','
        << absl::StrFormat("%.2f", c.revenue_at_risk()) << ',' << c.save_rank()
        << ',' << CsvCell(c.churn_reason()) << ','
        << (c.reason_source() == v1::REASON_SOURCE_UNSPECIFIED
                ? ""
                : v1::ReasonSource_Name(c.reason_source()))
        << ',' << CsvCell(c.strategy()) << '\n';
  }
  return WriteFileBytes(path, out.str());
}

}  // namespace

int RunSegment(CommandArgs args) {
  ArgParser parser(
      "churnkit segment",
      "Segments every customer as of --as-of: value (historical revenue,\n"
      "gross margin or contractual lifetime value) and A/B/C tiers, the\n"
      "value x risk matrix with its strategies, the customers to save first,\n"
      "and the churn-reason matrix. Risk is the health assessment computed\n"
      "on the fly, or a model's churn probability with --model.");
  DataInput input;
  std::string config_file, assess_config_file, model_file, out_file;
  int64_t top = 10, evidence_days = 90;
  UnixSeconds as_of = kNoTime;
  AddDataInputArgs(parser, &input);
  parser.AddOption("as-of", "DATE", "Segment as of this date (required)",
                   [&](absl::string_view v) { return ParseAsOf(v, &as_of); });
  parser.AddString("config", "FILE",
                   "A churnkit.v1.SegmentOptions (value, tiers, high_value, "
                   "risk, strategies, reasons); unset fields take the shipped "
                   "defaults",
                   &config_file);
  parser.AddString("assess-config", "FILE",
                   "A churnkit.v1.AssessmentConfig for the health assessment "
                   "that gives the risk",
                   &assess_config_file);
  parser.AddString("model", "FILE",
                   "A model from `churnkit train --dates`: risk is its churn "
                   "probability (unless --config sets risk.source), and its "
                   "reasons are evidence for churn reasons",
                   &model_file);
  parser.AddInt("top", "N", "Customers listed to save first (default 10)", 0,
                1000000, &top);
  parser.AddInt("evidence-days", "N",
                "Also assess N days before --as-of: the warnings then are "
                "evidence for the reasons of customers who churned since "
                "(default 90; 0: off)",
                0, 3650, &evidence_days);
  parser.AddString("out", "FILE", "Write one CSV row per customer here",
                   &out_file);
  if (std::optional<int> exit_code = parser.Parse(args)) return *exit_code;
  if (as_of == kNoTime) return parser.UsageError("--as-of is required");

  v1::SegmentRequest request;
  v1::SegmentOptions& options = *request.mutable_options();
  if (!config_file.empty()) {
    if (absl::Status s = ReadConfigFile(config_file, &options); !s.ok()) {
      return Fail(parser, s);
    }
  }
  options.set_as_of(FormatTime(as_of));
  if (!assess_config_file.empty()) {
    if (absl::Status s =
            ReadConfigFile(assess_config_file, request.mutable_assess_config());
        !s.ok()) {
      return Fail(parser, s);
    }
  }
  if (!model_file.empty()) {
    absl::StatusOr<v1::LogisticModel> read = ReadModel(model_file);
    if (!read.ok()) return Fail(parser, read.status());
    *request.mutable_model() = *std::move(read);
  }
  request.set_evidence_days(
      evidence_days == 0 ? -1 : static_cast<int32_t>(evidence_days));
  // Check the request before the (longer) load and assessment.
  if (absl::Status s = CheckSegmentRequest(request); !s.ok()) {
    return Fail(parser, s);
  }

  v1::LoadOptions load;
  LoadResult loaded;
  if (int code = ReadInput(parser, input, &load, &loaded); code != kExitOk) {
    return code;
  }
  absl::StatusOr<v1::SegmentResponse> segmented =
      SegmentCustomers(loaded.dataset, request);
  if (!segmented.ok()) return Fail(parser, segmented.status());
  if (!segmented->evidence_note().empty()) {
    std::fprintf(stderr, "%s: warning: %s\n", parser.program().c_str(),
                 segmented->evidence_note().c_str());
  }
  PrintReport(segmented->report(), static_cast<int>(top));
  if (!out_file.empty()) {
    if (absl::Status s = WriteCsv(segmented->report(), out_file); !s.ok()) {
      return Fail(parser, s);
    }
  }
  return kExitOk;
}

}  // namespace churnkit::cli
