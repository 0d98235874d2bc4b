#include "model_args.h"

#include <cmath>
#include <cstdio>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "args.h"
#include "churnkit/io.h"
#include "churnkit/metrics.h"
#include "table.h"

namespace churnkit::cli {
namespace {
using Align = TextTable::Align;
}  // namespace

void AddTableArgs(ArgParser& parser, TableArgs* args) {
  parser.AddPositional("TABLE",
                       "A CSV with a header, one row per customer (e.g. "
                       "Telco-Customer-Churn.csv)",
                       1, 1, &args->paths);
  parser.AddString("delimiter", "CHAR", "Field separator (default ',')",
                   &args->delimiter);
}

absl::StatusOr<PlainTable> ReadTable(const TableArgs& args) {
  if (args.delimiter.size() != 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--delimiter must be one character, not '", args.delimiter, "'"));
  }
  return ReadPlainTable(args.paths[0], args.delimiter[0]);
}

std::string Fixed(double v, int decimals) {
  return absl::StrFormat("%.*f", decimals, v);
}

// The figures of an evaluation, as a person reads them.
void PrintEvaluation(const v1::Evaluation& e, const std::string& title) {
  std::printf("%s: %s rows, %s churned (%s)\n", title.c_str(),
              FormatCount(e.count()).c_str(),
              FormatCount(e.positives()).c_str(),
              FormatShare(e.positives(), e.count()).c_str());
  std::string line =
      absl::StrCat("  ROC-AUC ", Fixed(e.roc_auc(), 4), "   PR-AUC ",
                   Fixed(e.average_precision(), 4));
  if (e.has_log_loss()) {
    absl::StrAppend(&line, "   log-loss ", Fixed(e.log_loss(), 4), "   Brier ",
                    Fixed(e.brier(), 4));
  }
  std::printf("%s\n\n", line.c_str());
  TextTable lift({Align::kRight, Align::kRight, Align::kRight, Align::kRight,
                  Align::kRight, Align::kRight, Align::kRight});
  lift.AddRow({"Decile", "Customers", "Churned", "Rate", "Lift", "Cum. gain",
               "Score range"});
  for (const v1::LiftBin& b : e.lift()) {
    lift.AddRow(
        {absl::StrCat(b.bin()), FormatCount(b.count()),
         FormatCount(b.positives()), Fixed(100 * b.rate(), 1) + "%",
         Fixed(b.lift(), 2), Fixed(100 * b.cumulative_gain(), 1) + "%",
         absl::StrCat(Fixed(b.min_score(), 3), "-", Fixed(b.max_score(), 3))});
  }
  std::printf("  Lift and gains (highest scores first)\n%s\n",
              lift.Render(2).c_str());
  if (e.reliability_size() > 0) {
    TextTable rel({Align::kLeft, Align::kRight, Align::kRight, Align::kRight});
    rel.AddRow({"Predicted", "Customers", "Mean predicted", "Observed"});
    for (const v1::ReliabilityBin& b : e.reliability()) {
      rel.AddRow({absl::StrCat(Fixed(b.lower(), 1), "-", Fixed(b.upper(), 1)),
                  FormatCount(b.count()), Fixed(b.mean_predicted(), 3),
                  Fixed(b.observed_rate(), 3)});
    }
    std::printf("  Reliability\n%s\n", rel.Render(2).c_str());
  }
  const v1::ConfusionMatrix& m = e.confusion();
  std::printf(
      "  At threshold %s: %s flagged, precision %s, recall %s, F1 %s\n"
      "    churned and flagged %s, churned and missed %s, retained and "
      "flagged %s, retained and not flagged %s\n",
      std::isinf(m.threshold()) ? "+inf (flag nobody)"
                                : Fixed(m.threshold(), 4).c_str(),
      FormatCount(m.true_positives() + m.false_positives()).c_str(),
      Fixed(m.precision(), 3).c_str(), Fixed(m.recall(), 3).c_str(),
      Fixed(m.f1(), 3).c_str(), FormatCount(m.true_positives()).c_str(),
      FormatCount(m.false_negatives()).c_str(),
      FormatCount(m.false_positives()).c_str(),
      FormatCount(m.true_negatives()).c_str());
  if (m.expected_cost() != 0) {
    std::printf("    expected cost %s\n", Fixed(m.expected_cost(), 2).c_str());
  }
  std::printf("\n");
}

std::function<absl::Status(absl::string_view)> DoubleOption(
    std::function<void(double)> set) {
  return [set](absl::string_view v) {
    double d;
    if (!absl::SimpleAtod(v, &d) || std::isnan(d)) {
      return absl::InvalidArgumentError(
          absl::StrCat("'", v, "' is not a number"));
    }
    set(d);
    return absl::OkStatus();
  };
}

void AddThresholdArgs(ArgParser& parser, ThresholdArgs* t) {
  parser.AddOption("threshold", "P",
                   "Flag customers with probability >= P (default: the "
                   "threshold of maximum F1)",
                   DoubleOption([t](double v) { t->threshold = v; }));
  parser.AddOption("target-recall", "R",
                   "Choose the highest threshold reaching recall R",
                   DoubleOption([t](double v) {
                     t->rule.set_rule(v1::THRESHOLD_TARGET_RECALL);
                     t->rule.set_target(v);
                   }));
  parser.AddOption("target-precision", "P",
                   "Choose the lowest threshold reaching precision P",
                   DoubleOption([t](double v) {
                     t->rule.set_rule(v1::THRESHOLD_TARGET_PRECISION);
                     t->rule.set_target(v);
                   }));
  parser.AddOption("contact-cost", "AMOUNT",
                   "Choose the threshold of least expected cost: a retention "
                   "action costs AMOUNT per flagged customer",
                   DoubleOption([t](double v) {
                     t->rule.set_rule(v1::THRESHOLD_MIN_COST);
                     t->rule.set_contact_cost(v);
                   }));
  parser.AddOption("churn-loss", "AMOUNT",
                   "... and a missed churner loses AMOUNT (customer value)",
                   DoubleOption([t](double v) {
                     t->rule.set_rule(v1::THRESHOLD_MIN_COST);
                     t->rule.set_churn_loss(v);
                   }));
}

v1::EvaluationOptions EvaluationOptionsOf(const ThresholdArgs& t) {
  v1::EvaluationOptions o;
  if (t.threshold.has_value()) o.set_threshold(*t.threshold);
  *o.mutable_threshold_rule() = t.rule;
  return o;
}

}  // namespace churnkit::cli
