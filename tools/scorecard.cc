// churnkit scorecard: learn a health scorecard from churn history (binning,
// weight of evidence, logistic fit, PDO points), from an event data set's
// training panel or from a plain customer table.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "args.h"
#include "churnkit/features.h"
#include "churnkit/health.h"
#include "churnkit/io.h"
#include "churnkit/jobs.h"
#include "churnkit/labels.h"
#include "churnkit/metrics.h"
#include "churnkit/model.h"
#include "churnkit/scorecard_learn.h"
#include "commands.h"
#include "data_input.h"
#include "table.h"

namespace churnkit::cli {
namespace {

using Align = TextTable::Align;

std::string Fixed(double v, int decimals) {
  return absl::StrFormat("%.*f", decimals, v);
}

std::string Points(double v) {
  return v == std::floor(v) ? absl::StrFormat("%+.0f", v)
                            : absl::StrFormat("%+.2f", v);
}

// "Shipped Zoho scorecard on the same rows: ROC-AUC train .., holdout .."
// when the rows have the default scorecard's features; else empty.
std::string CompareWithZoho(const v1::ScorecardResult& r) {
  if (!r.has_default_train_auc() && !r.has_default_holdout_auc()) return "";
  auto auc = [](bool has, double v) { return has ? Fixed(v, 4) : "n/a"; };
  return absl::StrCat(
      "Shipped Zoho scorecard on the same rows: train ",
      auc(r.has_default_train_auc(), r.default_train_auc()), ", holdout ",
      auc(r.has_default_holdout_auc(), r.default_holdout_auc()), "\n");
}

const char* TrendName(v1::LearnedFeature::Trend trend) {
  switch (trend) {
    case v1::LearnedFeature::ASCENDING:
      return "ascending";
    case v1::LearnedFeature::DESCENDING:
      return "descending";
    case v1::LearnedFeature::PEAK:
      return "peak";
    case v1::LearnedFeature::VALLEY:
      return "valley";
    case v1::LearnedFeature::ZIGZAG:
      return "zigzag";
    default:
      return "-";
  }
}

const char* TrendDescription(v1::LearnedFeature::Trend trend) {
  switch (trend) {
    case v1::LearnedFeature::ASCENDING:
      return "churn rises with the value";
    case v1::LearnedFeature::DESCENDING:
      return "churn falls with the value";
    case v1::LearnedFeature::PEAK:
      return "churn peaks in the middle";
    case v1::LearnedFeature::VALLEY:
      return "churn is lowest in the middle";
    case v1::LearnedFeature::ZIGZAG:
      return "churn zig-zags";
    default:
      return "a single bin";
  }
}

void PrintReport(const v1::ScorecardResult& learned, bool bins) {
  const v1::ScorecardReport& r = learned.report();
  const v1::Scorecard& card = learned.scorecard();
  const std::string comparison = CompareWithZoho(learned);
  std::printf("Training rows: %s (%s churned, %s)\n",
              FormatCount(r.train_rows()).c_str(),
              FormatCount(r.train_events()).c_str(),
              FormatShare(r.train_events(), r.train_rows()).c_str());
  std::printf("Holdout rows:  %s (%s churned)\n",
              FormatCount(r.holdout_rows()).c_str(),
              FormatCount(r.holdout_events()).c_str());
  std::string cv = "n/a";
  if (r.has_cv_auc()) {
    double lo = 1, hi = 0;
    for (double a : r.cv_fold_aucs())
      lo = std::min(lo, a), hi = std::max(hi, a);
    cv = absl::StrCat(Fixed(r.cv_auc(), 4), " (", r.cv_fold_aucs_size(),
                      "-fold on the training rows, folds ", Fixed(lo, 4),
                      " .. ", Fixed(hi, 4), ")");
  }
  std::printf(
      "ROC-AUC of the total: train %s, holdout %s, cross-validated %s\n%s\n",
      Fixed(r.train_auc(), 4).c_str(),
      r.has_holdout_auc() ? Fixed(r.holdout_auc(), 4).c_str()
                          : "n/a (no holdout with both classes)",
      cv.c_str(), comparison.c_str());
  for (const std::string& w : r.warnings()) {
    std::printf("WARNING: %s\n", w.c_str());
  }
  if (!r.warnings().empty()) std::printf("\n");

  std::vector<const v1::LearnedFeature*> order;
  for (const v1::LearnedFeature& f : r.features()) order.push_back(&f);
  std::stable_sort(order.begin(), order.end(),
                   [](const auto* a, const auto* b) {
                     return a->information_value() > b->information_value();
                   });
  TextTable table({Align::kLeft, Align::kLeft, Align::kRight, Align::kLeft,
                   Align::kRight, Align::kRight, Align::kRight, Align::kLeft});
  table.AddRow({"Dimension", "Feature", "Bins", "Trend", "IV", "AUC", "Coef.",
                "Points"});
  for (const v1::LearnedFeature* f : order) {
    double lo = INFINITY, hi = -INFINITY;
    int range = 0;
    for (const v1::ScorecardBin& b : f->bins()) {
      lo = std::min(lo, b.points());
      hi = std::max(hi, b.points());
      range += !b.missing();
    }
    table.AddRow({f->dimension(), f->feature(), absl::StrCat(range),
                  f->binary() ? "yes/no" : TrendName(f->trend()),
                  Fixed(f->information_value(), 3), Fixed(f->auc(), 3),
                  Fixed(f->coefficient(), 3),
                  absl::StrCat(Points(lo), " .. ", Points(hi))});
  }
  std::printf(
      "Dimensions, by information value (IV >= 0.3 strong, 0.1 "
      "medium, 0.02 weak)\n%s\n",
      table.Render(2).c_str());
  if (bins) {
    for (const v1::LearnedFeature& f : r.features()) {
      TextTable t({Align::kLeft, Align::kRight, Align::kRight, Align::kRight,
                   Align::kRight, Align::kRight});
      t.AddRow({"Bin", "Rows", "Churned", "Rate", "WoE", "Points"});
      // Rows worth 0 points are summed into one "other values" line (the
      // scorecard covers them with otherwise_points: 0); a bin holding no
      // training row (an empty missing bin) is not shown.
      int64_t other_rows = 0, other_events = 0;
      int other_bins = 0;
      for (const v1::ScorecardBin& b : f.bins()) {
        if (b.count() == 0 && b.missing()) continue;
        if (b.points() == 0) {
          other_rows += b.count();
          other_events += b.events();
          ++other_bins;
          continue;
        }
        t.AddRow({b.label(), FormatCount(b.count()), FormatCount(b.events()),
                  Fixed(100 * b.event_rate(), 1) + "%", Fixed(b.woe(), 3),
                  Points(b.points())});
      }
      if (other_bins > 0) {
        t.AddRow(
            {"other values", FormatCount(other_rows), FormatCount(other_events),
             other_rows > 0 ? Fixed(100.0 * static_cast<double>(other_events) /
                                        static_cast<double>(other_rows),
                                    1) +
                                  "%"
                            : "",
             "", "0"});
      }
      std::printf("  %s (%s)\n%s\n", f.feature().c_str(),
                  f.binary() ? "yes/no: the lower value is the reference"
                             : TrendDescription(f.trend()),
                  t.Render(4).c_str());
    }
  }
  if (r.dropped_size() > 0) {
    std::map<std::string, int> why;
    for (const v1::DroppedFeature& d : r.dropped()) {
      // The reason without its numbers: "wrong sign", "constant"...
      std::string key(absl::StripTrailingAsciiWhitespace(
          d.reason().substr(0, d.reason().find_first_of("0123456789:<"))));
      if (key == "information value") key = "low information value";
      ++why[key];
    }
    std::string line;
    for (const auto& [reason, n] : why) {
      absl::StrAppend(&line, line.empty() ? "" : ", ", n, " ", reason);
    }
    std::printf("Dropped %d features: %s\n\n", r.dropped_size(), line.c_str());
  }
  std::printf(
      "Points: base %s; totals from %s to %s; %s points double the odds of "
      "staying\n",
      Points(card.base_points()).c_str(), Points(r.min_total()).c_str(),
      Points(r.max_total()).c_str(),
      Fixed(r.factor() * std::log(2.0), 2).c_str());
  std::printf(
      "Calibration, log-odds of churn = a + b x total: implied a = %.4f, b = "
      "%.5f; fitted a = %.4f, b = %.5f\n\n",
      r.implied().intercept(), r.implied().slope(), r.fitted().intercept(),
      r.fitted().slope());
  TextTable colours({Align::kLeft, Align::kLeft, Align::kRight, Align::kRight,
                     Align::kRight, Align::kRight});
  colours.AddRow({"Colour", "Total", "Train rows", "Churn rate", "Holdout rows",
                  "Churn rate"});
  for (const v1::ColourSummary& c : r.colours()) {
    std::string range;
    switch (c.colour()) {
      case v1::GREEN:
        range = absl::StrCat(">= ", Points(card.colours().green_min()));
        break;
      case v1::YELLOW:
        range = absl::StrCat(">= ", Points(card.colours().yellow_min()));
        break;
      default:
        range = absl::StrCat("< ", Points(card.colours().yellow_min()));
    }
    colours.AddRow({ColourName(c.colour()), range, FormatCount(c.train_rows()),
                    Fixed(100 * c.train_churn_rate(), 1) + "%",
                    FormatCount(c.holdout_rows()),
                    Fixed(100 * c.holdout_churn_rate(), 1) + "%"});
  }
  std::printf("Colours from history\n%s", colours.Render(2).c_str());
}

}  // namespace

int RunScorecard(CommandArgs args) {
  ArgParser parser(
      "churnkit scorecard",
      "Learns a health scorecard from churn history (docs/scorecards.md):\n"
      "each feature is binned (monotonic churn rates by default), each bin\n"
      "weighted by its weight of evidence, a logistic model fitted on them\n"
      "and scaled into points (--options: a churnkit.v1.ScorecardLearnOptions\n"
      "textproto). Rows come from an event data set (panel mode: PATH...,\n"
      "features as of each --dates date labelled by churn within --horizon\n"
      "days; dates from --test-from, default the last, are held out) or from\n"
      "a plain table (table mode: one CSV PATH and --label; a stratified 30%\n"
      "holdout). Prints each dimension's information value and AUC and the\n"
      "AUC of the total; --out writes the churnkit.v1.Scorecard,\n"
      "--assess-config an AssessmentConfig for `churnkit assess --config`.\n"
      "Examples:\n"
      "  churnkit scorecard data/ --dates 2024-09-01,2024-12-01,2025-03-01\n"
      "      --horizon 90 --out learned.textproto --assess-config "
      "assess.textproto\n"
      "  churnkit scorecard Telco-Customer-Churn.csv --label Churn "
      "--positive Yes\n"
      "      --id customerID");
  DataInput input;
  PanelArgs panel;
  std::string options_file;
  std::string out_file, assess_file, report_file, binning;
  int64_t max_bins = 0;
  bool bins = false;
  v1::TableOptions table_options;
  AddDataInputArgs(parser, &input);
  parser.AddOption(
      "dates", "D1,D2,...",
      "Panel mode: as-of dates of the training panel, increasing",
      [&](absl::string_view v) { return ParseDates(v, &panel.dates); });
  parser.AddInt("horizon", "DAYS",
                "Panel mode: label churn within this many days after each "
                "date (default 90)",
                1, 3650, &panel.horizon_days);
  parser.AddOption(
      "test-from", "DATE",
      "Panel mode: dates from this one on are held out (default: the last "
      "date)",
      [&](absl::string_view v) { return ParseAsOf(v, &panel.test_from); });
  parser.AddString("features", "FILE",
                   "Panel mode: a churnkit.v1.FeatureSet (default: the "
                   "shipped one, as `churnkit assess` uses)",
                   &panel.features_file);
  AddPanelLabelArgs(parser, &panel.definition_file, &panel.label);
  parser.AddOption("label", "COLUMN",
                   "Table mode: the churn label column of the CSV PATH",
                   [&](absl::string_view v) {
                     table_options.set_label_column(std::string(v));
                     return absl::OkStatus();
                   });
  parser.AddOption("positive", "VALUE",
                   "Table mode: label value meaning churned (default: "
                   "1/true/yes)",
                   [&](absl::string_view v) {
                     table_options.set_positive_label(std::string(v));
                     return absl::OkStatus();
                   });
  parser.AddOption("id", "COLUMN", "Table mode: customer id column",
                   [&](absl::string_view v) {
                     table_options.set_id_column(std::string(v));
                     return absl::OkStatus();
                   });
  parser.AddOption(
      "ignore", "A,B", "Table mode: columns left out",
      [&](absl::string_view v) {
        for (absl::string_view c : absl::StrSplit(v, ',', absl::SkipEmpty())) {
          table_options.add_ignore(std::string(c));
        }
        return absl::OkStatus();
      });
  parser.AddString("options", "FILE",
                   "A churnkit.v1.ScorecardLearnOptions textproto",
                   &options_file);
  parser.AddString("binning", "auto|monotonic|quantile",
                   "Binning method (overrides --options)", &binning);
  parser.AddInt("max-bins", "N", "Most bins per feature (overrides --options)",
                2, 1000, &max_bins);
  parser.AddFlag("bins", "Print every feature's bins", &bins);
  parser.AddString("out", "FILE", "Write the churnkit.v1.Scorecard here",
                   &out_file);
  parser.AddString("assess-config", "FILE",
                   "Write a churnkit.v1.AssessmentConfig holding the "
                   "scorecard (and --features) here",
                   &assess_file);
  parser.AddString("report", "FILE",
                   "Write the churnkit.v1.ScorecardReport here", &report_file);
  if (std::optional<int> exit_code = parser.Parse(args)) return *exit_code;
  const bool from_table = !table_options.label_column().empty();
  if (from_table && (!panel.dates.empty() || panel.test_from != kNoTime)) {
    return parser.UsageError(
        "give either --label (table mode) or --dates (panel mode)");
  }
  if (from_table && input.paths.size() != 1) {
    return parser.UsageError("table mode reads exactly one CSV PATH");
  }
  if (from_table && !assess_file.empty()) {
    return parser.UsageError(
        "--assess-config needs an event data set: an assessment computes "
        "features from events, not table columns");
  }
  if (!from_table && panel.dates.empty()) {
    return parser.UsageError(
        "--dates (panel mode) or --label (table mode) is required");
  }

  v1::ScorecardLearnOptions options;
  if (!options_file.empty()) {
    if (absl::Status s = ReadConfigFile(options_file, &options); !s.ok()) {
      return Fail(parser, s);
    }
  }
  if (binning == "auto") {
    options.set_binning(v1::ScorecardLearnOptions::AUTO);
  } else if (binning == "monotonic") {
    options.set_binning(v1::ScorecardLearnOptions::MONOTONIC);
  } else if (binning == "quantile") {
    options.set_binning(v1::ScorecardLearnOptions::QUANTILE);
  } else if (!binning.empty()) {
    return parser.UsageError(absl::StrCat(
        "--binning must be auto, monotonic or quantile, not '", binning, "'"));
  }
  if (max_bins > 0) options.set_max_bins(static_cast<int32_t>(max_bins));
  // Check the options before the (long) load.
  if (absl::Status s = ValidateScorecardLearnOptions(options); !s.ok()) {
    return parser.UsageError(std::string(s.message()));
  }

  absl::StatusOr<v1::ScorecardResult> learned;
  if (from_table) {
    v1::ScorecardTableRequest request;
    request.set_path(input.paths[0]);
    *request.mutable_table() = table_options;
    *request.mutable_options() = options;
    learned = LearnHealthScorecardOnTable(request);
    if (!learned.ok()) return Fail(parser, learned.status());
    std::printf("%s: %s customers, %d columns\n", request.path().c_str(),
                FormatCount(learned->rows()).c_str(), learned->num_features());
  } else {
    v1::ScorecardRequest request;
    if (absl::Status s = FillPanelRequest(panel, &request); !s.ok()) {
      return Fail(parser, s);
    }
    *request.mutable_options() = options;
    v1::LoadOptions load;
    LoadResult loaded;
    if (int code = ReadInput(parser, input, &load, &loaded); code != kExitOk) {
      return code;
    }
    learned = LearnHealthScorecard(loaded.dataset, request);
    if (!learned.ok()) return Fail(parser, learned.status());
    std::printf(
        "%s: %s rows at %d dates (%s), churn within %d days; %d features\n",
        DescribeInput(load).c_str(), FormatCount(learned->rows()).c_str(),
        learned->as_of_dates_size(),
        absl::StrJoin(learned->as_of_dates(), ", ").c_str(),
        learned->horizon_days(), learned->num_features());
  }
  if (learned->options().has_holdout_from()) {
    std::printf("Holdout: rows as of %s and later\n",
                FormatTime(learned->options().holdout_from()).c_str());
  }
  PrintReport(*learned, bins);

  for (const auto& [file, message] :
       {std::pair<const std::string&, const google::protobuf::Message&>{
            out_file, learned->scorecard()},
        {assess_file, learned->assessment_config()},
        {report_file, learned->report()}}) {
    if (file.empty()) continue;
    if (absl::Status s = WriteTextProtoFile(file, message); !s.ok()) {
      return Fail(parser, s);
    }
  }
  return kExitOk;
}

}  // namespace churnkit::cli
