// churnkit train: fits a logistic churn model on a plain table (one row per
// customer, k-fold cross-validation) or on a training panel of an event data
// set (the train job, jobs.h).

#include <climits>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "args.h"
#include "churnkit/features.h"
#include "churnkit/io.h"
#include "churnkit/jobs.h"
#include "churnkit/labels.h"
#include "churnkit/metrics.h"
#include "churnkit/model.h"
#include "commands.h"
#include "data_input.h"
#include "model_args.h"
#include "table.h"

namespace churnkit::cli {
namespace {

using Align = TextTable::Align;

// A comma-separated list option appended to `out`.
std::function<absl::Status(absl::string_view)> ListOption(
    google::protobuf::RepeatedPtrField<std::string>* out) {
  return [out](absl::string_view v) {
    for (absl::string_view item : absl::StrSplit(v, ',', absl::SkipEmpty())) {
      out->Add(std::string(item));
    }
    return absl::OkStatus();
  };
}

// Writes the model bytes atomically.
absl::Status WriteModel(const v1::LogisticModel& model,
                        const std::string& path) {
  absl::StatusOr<std::string> bytes = SerializeModel(model);
  if (!bytes.ok()) return bytes.status();
  return WriteFileBytes(path, *bytes);
}

// The strongest factors, largest magnitude first.
// The believable factors (sign as the feature's own direction), then the
// coefficients that adjust for correlated features (StrongestFactors,
// AdjustingFactors).
void PrintFactors(const std::vector<v1::Factor>& factors,
                  const std::vector<v1::Factor>& adjusting) {
  auto render = [](const std::vector<v1::Factor>& list, bool believable) {
    TextTable table({Align::kRight, Align::kRight, Align::kLeft, Align::kLeft});
    table.AddRow({"Log-odds/sd", "Alone (r)", "Feature", "Effect"});
    for (const v1::Factor& f : list) {
      const bool up = f.coefficient() > 0;
      table.AddRow({absl::StrFormat("%+.3f", f.coefficient()),
                    f.has_univariate_correlation()
                        ? absl::StrFormat("%+.3f", f.univariate_correlation())
                        : "-",
                    f.feature(),
                    believable
                        ? (up ? "raises churn risk" : "protective")
                        : (up ? "raises risk given the correlated features"
                              : "lowers risk given the correlated features")});
    }
    return table.Render(2);
  };
  std::printf(
      "Strongest factors (per standard deviation of the feature; sign as the "
      "feature's own direction)\n%s",
      render(factors, true).c_str());
  if (adjusting.empty()) return;
  std::printf(
      "Adjusting for correlated features (the sign differs from the "
      "feature's own direction; never given as a reason)\n%s",
      render(adjusting, false).c_str());
}

// What `churnkit train` reads, besides the fit options.
struct TrainArgs {
  DataInput input;
  std::string delimiter = ",";
  // Plain-table mode (--label).
  v1::TableOptions table;
  bool drop_first = false;
  int64_t folds = 5, seed = 1;
  // Training-panel mode (--dates).
  PanelArgs panel;
  int64_t top = 10;
  ThresholdArgs threshold;
  std::string out_path;
};

// Prints the fit line of `model` (fitted on `cols` features).
void PrintFit(const v1::LogisticModel& model, const v1::FitOptions& options,
              size_t cols) {
  const v1::FitReport& r = model.report();
  std::printf(
      "Fit: %s, %d iterations, objective %.6f, largest gradient %.2e, %s\n"
      "     penalty %s, C = %g, %d of %zu coefficients nonzero\n",
      v1::Solver_Name(r.solver()).c_str(), r.iterations(), r.objective(),
      r.gradient_norm(), r.converged() ? "converged" : "NOT converged",
      v1::Penalty_Name(options.penalty() == v1::PENALTY_UNSPECIFIED
                           ? v1::PENALTY_L2
                           : options.penalty())
          .c_str(),
      r.c(), r.nonzero_coefficients(), cols);
  // Features with no information on these rows (a feature set written for
  // another CRM's data) are left out of the fit: say which.
  for (const char* reason : {"undefined", "constant"}) {
    std::vector<std::string> names;
    for (const v1::DroppedFeature& f : r.dropped()) {
      if (f.reason() == reason) names.push_back(f.feature());
    }
    if (names.empty()) continue;
    std::printf("     left out, %s on these rows (%zu): %s\n", reason,
                names.size(), absl::StrJoin(names, ", ").c_str());
  }
  std::printf("\n");
}

absl::Status MaybeWriteModel(const v1::LogisticModel& model,
                             const std::string& path) {
  if (path.empty()) return absl::OkStatus();
  if (absl::Status s = WriteModel(model, path); !s.ok()) return s;
  std::printf("\nModel written to %s\n", path.c_str());
  return absl::OkStatus();
}

// Trains on a plain table with k-fold cross-validation.
absl::Status TrainOnTable(const TrainArgs& a, const v1::FitOptions& options) {
  if (a.input.paths.size() != 1) {
    return absl::InvalidArgumentError("a table is one CSV file");
  }
  v1::TrainTableRequest request;
  request.set_path(a.input.paths[0]);
  request.set_delimiter(a.delimiter);
  *request.mutable_table() = a.table;
  request.mutable_table()->set_drop_first_level(a.drop_first);
  *request.mutable_fit() = options;
  request.set_folds(a.folds == 0 ? -1 : static_cast<int32_t>(a.folds));
  request.set_seed(static_cast<uint64_t>(a.seed));
  *request.mutable_evaluation() = EvaluationOptionsOf(a.threshold);
  request.set_top_factors(a.top == 0 ? -1 : static_cast<int32_t>(a.top));
  absl::StatusOr<v1::TrainTableResult> t = churnkit::TrainOnTable(request);
  if (!t.ok()) return t.status();
  std::printf(
      "%s: %s customers, %s churned (%s); %d numeric and %d categorical "
      "columns -> %d features\n\n",
      request.path().c_str(), FormatCount(t->rows()).c_str(),
      FormatCount(t->churned()).c_str(),
      FormatShare(t->churned(), t->rows()).c_str(), t->numeric_columns(),
      t->categorical_columns(), t->num_features());
  PrintFit(t->model(), t->fit(), t->num_features());
  if (t->folds() > 0) {
    PrintEvaluation(t->cross_validated(),
                    absl::StrCat(t->folds(),
                                 "-fold cross-validation (each customer "
                                 "scored by a model fitted without them)"));
  }
  PrintFactors({t->factors().begin(), t->factors().end()},
               {t->adjusting_factors().begin(), t->adjusting_factors().end()});
  return MaybeWriteModel(t->model(), a.out_path);
}

// Trains on a training panel of an event data set (TrainChurnModel):
// fits on the dates before --test-from, evaluates on the others.
absl::Status TrainOnPanel(const TrainArgs& a, const v1::FitOptions& options) {
  v1::TrainRequest request;
  if (absl::Status s = FillPanelRequest(a.panel, &request); !s.ok()) return s;
  *request.mutable_fit() = options;
  *request.mutable_evaluation() = EvaluationOptionsOf(a.threshold);
  request.set_top_factors(a.top == 0 ? -1 : static_cast<int32_t>(a.top));
  // Check the request before the (long) load.
  if (absl::StatusOr<v1::TrainRequest> r = ResolveTrainRequest(request);
      !r.ok()) {
    return r.status();
  }

  absl::StatusOr<v1::LoadOptions> load = MakeLoadOptions(a.input);
  if (!load.ok()) return load.status();
  absl::StatusOr<LoadResult> loaded = LoadWithProgress(*load, "churnkit train");
  if (!loaded.ok()) return loaded.status();
  absl::StatusOr<v1::TrainResult> trained =
      TrainChurnModel(loaded->dataset, request);
  if (!trained.ok()) return trained.status();
  const v1::TrainResult& t = *trained;
  std::printf(
      "Training panel of %s: %d dates, %d features, churn within %d "
      "days\n  train: %s rows before %s, %s churned (%s)\n  test:  %s rows "
      "from %s on, %s churned (%s)\n\n",
      DescribeInput(*load).c_str(), t.as_of_dates_size(), t.num_features(),
      t.horizon_days(), FormatCount(t.train().rows()).c_str(),
      t.test_from().c_str(), FormatCount(t.train().churned()).c_str(),
      FormatShare(t.train().churned(), t.train().rows()).c_str(),
      FormatCount(t.test().rows()).c_str(), t.test_from().c_str(),
      FormatCount(t.test().churned()).c_str(),
      FormatShare(t.test().churned(), t.test().rows()).c_str());
  PrintFit(t.model(), t.fit(), t.num_features());
  PrintEvaluation(t.held_out(),
                  "Held out (dates from --test-from on; trained before)");
  PrintFactors({t.factors().begin(), t.factors().end()},
               {t.adjusting_factors().begin(), t.adjusting_factors().end()});

  TextTable risk({Align::kLeft, Align::kRight, Align::kLeft, Align::kLeft});
  risk.AddRow({"Riskiest", "Probability", "Churned", "Top reasons"});
  for (const v1::RiskyCustomer& c : t.riskiest()) {
    std::vector<std::string> reasons;
    for (const v1::Reason& r : c.explanation().risk()) {
      reasons.push_back(r.text());
    }
    risk.AddRow({c.explanation().customer_id(),
                 Fixed(c.explanation().probability(), 3),
                 c.churned() ? "yes" : "no",
                 reasons.empty() ? "-" : absl::StrJoin(reasons, "; ")});
  }
  std::printf("\nAs of %s, within %d days\n%s",
              t.as_of_dates(t.as_of_dates_size() - 1).c_str(), t.horizon_days(),
              risk.Render(2).c_str());
  return MaybeWriteModel(t.model(), a.out_path);
}

}  // namespace

int RunTrain(CommandArgs args) {
  ArgParser parser(
      "churnkit train",
      "Fits a logistic churn model, on one of two inputs:\n"
      "- a plain table (--label; one row per customer): numeric columns are\n"
      "  used as they are, text columns one-hot encoded, missing numbers\n"
      "  replaced by the column mean; k-fold cross-validation;\n"
      "- an event data set (--dates): a training panel of point-in-time\n"
      "  features at each date, labelled by churn within --horizon days;\n"
      "  fitted on the dates before --test-from and evaluated on the rest.\n"
      "Every feature is standardized. Prints the fit, ROC-AUC, PR-AUC,\n"
      "log-loss, Brier and lift by decile, and the strongest factors;\n"
      "writes the model (churnkit.v1.LogisticModel) with --out. Examples:\n"
      "  churnkit train Telco-Customer-Churn.csv --label Churn --positive "
      "Yes\n"
      "      --id customerID --out model.pb\n"
      "  churnkit train build/data --dates 2024-07-01,2024-10-01,2025-01-01,"
      "\n      2025-04-01,2025-07-01 --horizon 90 --out model.pb");
  TrainArgs a;
  std::string options_file, penalty;
  std::optional<double> c, l1_ratio, winsorize;
  AddDataInputArgs(parser, &a.input);
  parser.AddString("delimiter", "CHAR",
                   "Table mode: field separator (default ',')", &a.delimiter);
  parser.AddOption("label", "COLUMN",
                   "Table mode: the churn label column (required there)",
                   [&](absl::string_view v) {
                     a.table.set_label_column(std::string(v));
                     return absl::OkStatus();
                   });
  parser.AddOption("positive", "VALUE",
                   "Label value meaning churned (default: 1/true/yes)",
                   [&](absl::string_view v) {
                     a.table.set_positive_label(std::string(v));
                     return absl::OkStatus();
                   });
  parser.AddOption("id", "COLUMN", "Customer id column (not a feature)",
                   [&](absl::string_view v) {
                     a.table.set_id_column(std::string(v));
                     return absl::OkStatus();
                   });
  parser.AddOption("categorical", "A,B", "Columns forced categorical",
                   ListOption(a.table.mutable_categorical()));
  parser.AddOption("numeric", "A,B", "Columns forced numeric",
                   ListOption(a.table.mutable_numeric()));
  parser.AddOption("ignore", "A,B", "Columns left out",
                   ListOption(a.table.mutable_ignore()));
  parser.AddFlag("drop-first",
                 "Leave out the first level of each categorical column",
                 &a.drop_first);
  parser.AddInt("cv", "K",
                "Table mode: stratified K-fold cross-validation (default 5; "
                "0: none)",
                0, 100, &a.folds);
  parser.AddInt("seed", "N", "Seed of the cross-validation folds", 0, INT64_MAX,
                &a.seed);
  parser.AddOption(
      "dates", "D1,D2,...",
      "Panel mode: as-of dates of the training panel, increasing",
      [&](absl::string_view v) { return ParseDates(v, &a.panel.dates); });
  parser.AddInt("horizon", "DAYS",
                "Panel mode: label churn within this many days after each "
                "date (default 90)",
                1, 3650, &a.panel.horizon_days);
  parser.AddOption(
      "test-from", "DATE",
      "Panel mode: dates from this one on are held out for "
      "evaluation (default: the last date)",
      [&](absl::string_view v) { return ParseAsOf(v, &a.panel.test_from); });
  parser.AddString("features", "FILE",
                   "Panel mode: a churnkit.v1.FeatureSet (default: the "
                   "shipped one, as `churnkit assess` uses)",
                   &a.panel.features_file);
  AddPanelLabelArgs(parser, &a.panel.definition_file, &a.panel.label);
  parser.AddString("options", "FILE",
                   "A churnkit.v1.FitOptions textproto (penalty, c, solver, "
                   "class weights...; missing_values defaults to "
                   "MISSING_IMPUTE_MEAN)",
                   &options_file);
  parser.AddString("penalty", "l2|l1|elastic-net|none",
                   "Penalty (default l2; overrides --options)", &penalty);
  parser.AddOption("c", "C",
                   "Inverse penalty strength, scikit-learn's C (default 1)",
                   DoubleOption([&](double v) { c = v; }));
  parser.AddOption("l1-ratio", "R", "Elastic-net share of L1 (default 0.5)",
                   DoubleOption([&](double v) { l1_ratio = v; }));
  parser.AddOption("winsorize", "Q",
                   "Clip each feature to its training [Q, 1-Q] quantiles "
                   "(default: 0.01 in panel mode, 0 in table mode)",
                   DoubleOption([&](double v) { winsorize = v; }));
  parser.AddInt("top", "N", "Strongest factors to print (default 10)", 0,
                100000, &a.top);
  AddThresholdArgs(parser, &a.threshold);
  parser.AddString("out", "FILE", "Write the model here", &a.out_path);
  if (std::optional<int> exit_code = parser.Parse(args)) return *exit_code;
  const bool table_mode = !a.table.label_column().empty();
  if (table_mode == !a.panel.dates.empty()) {
    return parser.UsageError(
        "give either --label (a plain table) or --dates (a training panel "
        "of an event data set)");
  }
  if (a.folds == 1) return parser.UsageError("--cv must be 0 or at least 2");

  v1::FitOptions options;
  if (!options_file.empty()) {
    if (absl::Status s = ReadConfigFile(options_file, &options); !s.ok()) {
      return Fail(parser, s);
    }
  }
  // Exports often have blank cells and some features are undefined for
  // some customers (days since a login that never happened): impute them
  // unless told otherwise.
  if (options.missing_values() == v1::MISSING_VALUES_UNSPECIFIED) {
    options.set_missing_values(v1::MISSING_IMPUTE_MEAN);
  }
  if (!penalty.empty()) {
    const std::pair<const char*, v1::Penalty> kPenalties[] = {
        {"l2", v1::PENALTY_L2},
        {"l1", v1::PENALTY_L1},
        {"elastic-net", v1::PENALTY_ELASTIC_NET},
        {"none", v1::PENALTY_NONE}};
    bool known = false;
    for (const auto& [name, value] : kPenalties) {
      if (penalty == name) {
        options.set_penalty(value);
        known = true;
      }
    }
    if (!known) {
      return parser.UsageError(
          absl::StrCat("--penalty must be l2, l1, elastic-net or none, not '",
                       penalty, "'"));
    }
  }
  if (c.has_value()) options.set_c(*c);
  if (l1_ratio.has_value()) options.set_l1_ratio(*l1_ratio);
  // Event features are heavy-tailed (order values, days since...): clip
  // them so one extreme value cannot decide a customer's risk.
  if (winsorize.has_value()) {
    options.set_winsorize(*winsorize);
  } else if (!table_mode && options_file.empty()) {
    options.set_winsorize(0.01);
  }
  if (absl::Status s = ValidateFitOptions(options); !s.ok()) {
    return parser.UsageError(std::string(s.message()));
  }
  const absl::Status s =
      table_mode ? TrainOnTable(a, options) : TrainOnPanel(a, options);
  if (!s.ok()) return Fail(parser, s);
  return kExitOk;
}

}  // namespace churnkit::cli
