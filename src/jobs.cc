#include "churnkit/jobs.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "churnkit/assess.h"
#include "churnkit/features.h"
#include "churnkit/generator.h"
#include "churnkit/health.h"
#include "churnkit/io.h"
#include "churnkit/labels.h"
#include "churnkit/metrics.h"
#include "churnkit/model.h"
#include "churnkit/scorecard_learn.h"
#include "churnkit/segment.h"
#include "internal/config_util.h"

namespace churnkit {
namespace {

using internal::PathError;

constexpr int kDefaultHorizonDays = 90;
constexpr int kMaxHorizonDays = 3650;
constexpr int kDefaultTopFactors = 10;
constexpr int kDefaultRiskiest = 5;
constexpr int kDefaultReasons = 3;
constexpr int kDefaultAtRisk = 10;
constexpr int kDefaultFolds = 5;
constexpr int kMaxFolds = 100;
constexpr uint64_t kDefaultSeed = 1;
constexpr int kDefaultEvidenceDays = 90;
constexpr int kMaxEvidenceDays = 3650;
constexpr int kMaxCount = 100000;
// Event features are heavy-tailed (order values, days since...): clipped
// at their 1% and 99% quantiles, one extreme value cannot decide a
// customer's risk.
constexpr double kDefaultWinsorize = 0.01;

// A count option: 0 means `fallback`, -1 none (0 is returned), else
// min..max.
absl::StatusOr<int> Count(int value, int fallback, const char* field,
                          int min = 1, int max = kMaxCount) {
  if (value == 0) return fallback;
  if (value == -1) return 0;
  if (value < min || value > max) {
    return PathError(field, absl::StrCat("must be -1 (none), 0 (default) or ",
                                         min, "..", max, ", got ", value));
  }
  return value;
}

absl::Status CheckThreads(int threads) {
  if (threads >= 0) return absl::OkStatus();
  return PathError("threads", absl::StrCat("must be >= 0, got ", threads));
}

// The required date `text` of the request field `field`.
absl::StatusOr<UnixSeconds> RequiredTime(const std::string& text,
                                         const char* field) {
  if (text.empty()) return PathError(field, "required");
  absl::StatusOr<UnixSeconds> t = ParseTime(text);
  if (!t.ok()) return PathError(field, t.status().message());
  return t;
}

// Exports have blank cells and some features are undefined for some
// customers (days since a login that never happened): unless told
// otherwise, the fit imputes them with the training means.
v1::FitOptions ImputingMeans(v1::FitOptions fit) {
  if (fit.missing_values() == v1::MISSING_VALUES_UNSPECIFIED) {
    fit.set_missing_values(v1::MISSING_IMPUTE_MEAN);
  }
  return fit;
}

// The strongest and the adjusting factors of `model` into a result's
// `factors` and `adjusting_factors`, at most `top` each.
template <typename Result>
void AddFactors(const v1::LogisticModel& model, int top, Result* out) {
  for (v1::Factor& f : StrongestFactors(model, top)) {
    *out->add_factors() = std::move(f);
  }
  for (v1::Factor& f : AdjustingFactors(model, top)) {
    *out->add_adjusting_factors() = std::move(f);
  }
}

// Adds the field path of a nested config to an InvalidArgument message.
absl::Status InField(const absl::Status& s, absl::string_view field) {
  if (s.ok()) return s;
  return absl::Status(s.code(), absl::StrCat(field, ".", s.message()));
}

// The panel of a train or scorecard request (the same field names): the
// parsed dates, and the features and labeler compiled.
struct ResolvedPanel {
  std::vector<UnixSeconds> dates;
  FeatureEngine features;
  ChurnLabeler labeler;
};

// Fills in the panel defaults of `r` (dates normalised, horizon, panel
// label, features, definition) and checks them; at least `min_dates`
// dates.
template <typename Request>
absl::StatusOr<ResolvedPanel> ResolvePanel(Request& r, size_t min_dates) {
  std::vector<UnixSeconds> dates;
  for (int i = 0; i < r.as_of_dates_size(); ++i) {
    absl::StatusOr<UnixSeconds> t = ParseTime(r.as_of_dates(i));
    if (!t.ok()) {
      return PathError(absl::StrCat("as_of_dates[", i, "]"),
                       t.status().message());
    }
    dates.push_back(*t);
  }
  if (dates.size() < min_dates) {
    return PathError(
        "as_of_dates",
        min_dates == 1
            ? std::string("at least one date is needed")
            : absl::StrCat("at least two dates are needed (one to train on, "
                           "one to test on), got ",
                           dates.size()));
  }
  for (size_t i = 0; i < dates.size(); ++i) {
    if (i > 0 && dates[i] <= dates[i - 1]) {
      return PathError(absl::StrCat("as_of_dates[", i, "]"),
                       absl::StrCat(FormatTime(dates[i]), " is not after ",
                                    FormatTime(dates[i - 1])));
    }
    r.set_as_of_dates(static_cast<int>(i), FormatTime(dates[i]));
  }
  if (r.horizon_days() == 0) r.set_horizon_days(kDefaultHorizonDays);
  if (r.horizon_days() < 1 || r.horizon_days() > kMaxHorizonDays) {
    return PathError("horizon_days",
                     absl::StrCat("must be in 1..", kMaxHorizonDays, ", got ",
                                  r.horizon_days()));
  }
  if (!v1::PanelLabelMeaning_IsValid(r.panel_label())) {
    return PathError("panel_label",
                     absl::StrCat("unknown value ", r.panel_label()));
  }
  if (r.panel_label() == v1::PANEL_LABEL_UNSPECIFIED) {
    r.set_panel_label(v1::PANEL_LABEL_CHURN_BEGAN);
  }
  if (!r.has_features()) {
    absl::StatusOr<v1::FeatureSet> set = DefaultFeatureSet();
    if (!set.ok()) return set.status();
    *r.mutable_features() = *std::move(set);
  }
  absl::StatusOr<FeatureEngine> engine = FeatureEngine::Create(r.features());
  if (!engine.ok()) return InField(engine.status(), "features");
  if (!r.has_definition()) {
    absl::StatusOr<v1::ChurnDefinition> def = DefaultChurnDefinition();
    if (!def.ok()) return def.status();
    *r.mutable_definition() = *std::move(def);
  }
  absl::StatusOr<ChurnLabeler> labeler = ChurnLabeler::Create(r.definition());
  if (!labeler.ok()) return InField(labeler.status(), "definition");
  if (absl::Status s = CheckThreads(r.threads()); !s.ok()) return s;
  return ResolvedPanel{std::move(dates), *std::move(engine),
                       *std::move(labeler)};
}

// The panel of a resolved request (BuildTrainingPanel).
template <typename Request>
absl::StatusOr<TrainingPanel> BuildPanel(const Dataset& dataset,
                                         const Request& r,
                                         const ResolvedPanel& panel) {
  return BuildTrainingPanel(dataset, panel.features, panel.labeler, panel.dates,
                            r.horizon_days(), {.threads = r.threads()},
                            r.panel_label() == v1::PANEL_LABEL_CHURNED_AT_END
                                ? PanelLabel::kChurnedAtEnd
                                : PanelLabel::kChurnBegan);
}

// The test_from of a request: its own, or `fallback`.
absl::StatusOr<UnixSeconds> TestFrom(const std::string& text,
                                     UnixSeconds fallback) {
  if (text.empty()) return fallback;
  absl::StatusOr<UnixSeconds> t = ParseTime(text);
  if (!t.ok()) return PathError("test_from", t.status().message());
  return t;
}

// A train request with every default filled in, and what it compiles to.
struct ResolvedTrain {
  v1::TrainRequest request;
  ResolvedPanel panel;
  UnixSeconds test_from = kNoTime;
};

absl::StatusOr<ResolvedTrain> ResolveTrain(const v1::TrainRequest& request) {
  v1::TrainRequest r = request;
  absl::StatusOr<ResolvedPanel> panel = ResolvePanel(r, 2);
  if (!panel.ok()) return panel.status();
  const std::vector<UnixSeconds>& dates = panel->dates;
  absl::StatusOr<UnixSeconds> test_from = TestFrom(r.test_from(), dates.back());
  if (!test_from.ok()) return test_from.status();
  if (*test_from <= dates.front()) {
    return PathError("test_from",
                     absl::StrCat(FormatTime(*test_from),
                                  " leaves no date to train on (the first "
                                  "date is ",
                                  FormatTime(dates.front()), ")"));
  }
  if (*test_from > dates.back()) {
    return PathError(
        "test_from",
        absl::StrCat(FormatTime(*test_from), " is after the last date ",
                     FormatTime(dates.back()), ": nothing to test on"));
  }
  r.set_test_from(FormatTime(*test_from));
  *r.mutable_fit() = ImputingMeans(r.fit());
  v1::FitOptions* fit = r.mutable_fit();
  if (!fit->has_winsorize()) fit->set_winsorize(kDefaultWinsorize);
  if (fit->threads() == 0) fit->set_threads(r.threads());
  if (absl::Status s = ValidateFitOptions(*fit); !s.ok()) {
    return InField(s, "fit");
  }
  absl::StatusOr<int> top =
      Count(r.top_factors(), kDefaultTopFactors, "top_factors");
  if (!top.ok()) return top.status();
  absl::StatusOr<int> riskiest =
      Count(r.riskiest(), kDefaultRiskiest, "riskiest");
  if (!riskiest.ok()) return riskiest.status();
  absl::StatusOr<int> reasons = Count(r.reasons(), kDefaultReasons, "reasons");
  if (!reasons.ok()) return reasons.status();
  // Resolved counts keep -1 for "none", so resolving twice is stable.
  r.set_top_factors(*top == 0 ? -1 : *top);
  r.set_riskiest(*riskiest == 0 ? -1 : *riskiest);
  r.set_reasons(*reasons == 0 ? -1 : *reasons);
  return ResolvedTrain{std::move(r), *std::move(panel), *test_from};
}

// The path, delimiter and label column of a table request (train or
// scorecard: the same field names).
template <typename Request>
absl::Status CheckTableRequest(const Request& request) {
  if (request.path().empty()) return PathError("path", "required");
  if (request.table().label_column().empty()) {
    return PathError("table.label_column", "required");
  }
  if (request.delimiter().size() > 1) {
    return PathError("delimiter", absl::StrCat("must be one character, not '",
                                               request.delimiter(), "'"));
  }
  return absl::OkStatus();
}

// The table of a checked request, read and encoded.
template <typename Request>
absl::StatusOr<EncodedTable> ReadTable(const Request& request) {
  absl::StatusOr<PlainTable> table = ReadPlainTable(
      request.path(),
      request.delimiter().empty() ? ',' : request.delimiter()[0]);
  if (!table.ok()) return table.status();
  return EncodeTable(*table, request.table());
}

// The shipped Zoho scorecard's ROC-AUC on the learned scorecard's training
// and holdout rows, when the rows have its features.
void CompareWithDefault(const FeatureMatrix& x, absl::Span<const uint8_t> y,
                        const LearnedScorecard& learned,
                        v1::ScorecardResult* out) {
  absl::StatusOr<v1::Scorecard> zoho = DefaultScorecard();
  if (!zoho.ok()) return;
  absl::StatusOr<HealthScorer> scorer = HealthScorer::Create(*zoho, x.columns);
  if (!scorer.ok()) return;
  std::vector<double> risk[2];
  std::vector<uint8_t> labels[2];
  for (size_t i = 0; i < x.num_rows(); ++i) {
    const int part = learned.holdout[i];
    risk[part].push_back(-scorer->Score(x.row(i)).total);
    labels[part].push_back(y[i]);
  }
  if (absl::StatusOr<double> a = RocAuc(labels[0], risk[0]); a.ok()) {
    out->set_default_train_auc(*a);
  }
  if (absl::StatusOr<double> a = RocAuc(labels[1], risk[1]); a.ok()) {
    out->set_default_holdout_auc(*a);
  }
}

// Learns the scorecard of rows `x` labelled `y` into `out`.
absl::Status Learn(const FeatureMatrix& x, absl::Span<const uint8_t> y,
                   const v1::ScorecardLearnOptions& options,
                   v1::ScorecardResult* out) {
  absl::StatusOr<LearnedScorecard> learned = LearnScorecard(x, y, options);
  if (!learned.ok()) return learned.status();
  *out->mutable_options() = options;
  out->set_rows(static_cast<int64_t>(x.num_rows()));
  out->set_num_features(static_cast<int32_t>(x.num_cols()));
  CompareWithDefault(x, y, *learned, out);
  *out->mutable_scorecard() = std::move(learned->scorecard);
  *out->mutable_report() = std::move(learned->report);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<v1::TrainRequest> ResolveTrainRequest(
    const v1::TrainRequest& request) {
  absl::StatusOr<ResolvedTrain> resolved = ResolveTrain(request);
  if (!resolved.ok()) return resolved.status();
  return std::move(resolved->request);
}

absl::StatusOr<TrainPanel> BuildTrainPanel(const Dataset& dataset,
                                           const v1::TrainRequest& request) {
  absl::StatusOr<ResolvedTrain> resolved = ResolveTrain(request);
  if (!resolved.ok()) return resolved.status();
  absl::StatusOr<TrainingPanel> panel =
      BuildPanel(dataset, resolved->request, resolved->panel);
  if (!panel.ok()) return panel.status();
  return TrainPanel{std::move(resolved->request), *std::move(panel)};
}

absl::StatusOr<v1::TrainResult> TrainChurnModel(
    const Dataset& dataset, const v1::TrainRequest& request) {
  absl::StatusOr<ResolvedTrain> resolved = ResolveTrain(request);
  if (!resolved.ok()) return resolved.status();
  const v1::TrainRequest& r = resolved->request;
  absl::StatusOr<TrainingPanel> panel = BuildPanel(dataset, r, resolved->panel);
  if (!panel.ok()) return panel.status();
  const FeatureMatrix& x = panel->features;
  const TimeSplitRows split = TimeSplit(x.as_of, resolved->test_from);
  if (split.train.empty() || split.test.empty()) {
    return PathError(
        "test_from",
        absl::StrCat("the panel has no rows ",
                     split.train.empty() ? "before " : "from ", r.test_from(),
                     split.train.empty() ? "" : " on",
                     " (no customer existed and was active at those dates)"));
  }
  std::vector<uint8_t> train_y, test_y;
  for (size_t row : split.train) train_y.push_back(panel->labels[row]);
  for (size_t row : split.test) test_y.push_back(panel->labels[row]);

  v1::TrainResult out;
  *out.mutable_as_of_dates() = r.as_of_dates();
  out.set_horizon_days(r.horizon_days());
  out.set_test_from(r.test_from());
  out.set_panel_label(r.panel_label());
  *out.mutable_fit() = r.fit();
  out.set_num_features(static_cast<int32_t>(x.num_cols()));
  auto side = [](v1::PanelSide* s, const std::vector<uint8_t>& y) {
    s->set_rows(static_cast<int64_t>(y.size()));
    s->set_churned(std::count(y.begin(), y.end(), uint8_t{1}));
  };
  side(out.mutable_train(), train_y);
  side(out.mutable_test(), test_y);

  absl::StatusOr<v1::LogisticModel> model =
      FitLogistic(SelectRows(x, split.train), train_y, r.fit());
  if (!model.ok()) return model.status();
  const FeatureMatrix test = SelectRows(x, split.test);
  const int reasons = std::max(0, r.reasons());
  absl::StatusOr<v1::Explanations> why =
      Explain(*model, MatrixView::Of(test),
              {.top_k = reasons, .feature_set = &r.features()});
  if (!why.ok()) return why.status();
  std::vector<double> p;
  p.reserve(why->rows_size());
  for (const v1::Explanation& e : why->rows()) p.push_back(e.probability());
  absl::StatusOr<v1::Evaluation> held_out = Evaluate(test_y, p, r.evaluation());
  if (!held_out.ok()) {
    return absl::Status(held_out.status().code(),
                        absl::StrCat("held-out rows (from ", r.test_from(),
                                     " on): ", held_out.status().message()));
  }
  *out.mutable_held_out() = *std::move(held_out);

  AddFactors(*model, std::max(0, r.top_factors()), &out);

  // The riskiest customers at the last date, highest probability first
  // (ties in panel order).
  std::vector<int> last;
  for (int i = 0; i < why->rows_size(); ++i) {
    if (test.as_of[i] == resolved->panel.dates.back()) last.push_back(i);
  }
  std::stable_sort(last.begin(), last.end(),
                   [&](int i, int j) { return p[i] > p[j]; });
  for (int i : last) {
    if (out.riskiest_size() >= std::max(0, r.riskiest())) break;
    v1::RiskyCustomer* c = out.add_riskiest();
    *c->mutable_explanation() = why->rows(i);
    c->set_churned(test_y[i] != 0);
  }
  *out.mutable_model() = *std::move(model);
  return out;
}

absl::StatusOr<v1::TrainTableResult> TrainOnTable(
    const v1::TrainTableRequest& request) {
  if (absl::Status s = CheckTableRequest(request); !s.ok()) return s;
  absl::StatusOr<int> folds =
      Count(request.folds(), kDefaultFolds, "folds", 2, kMaxFolds);
  if (!folds.ok()) return folds.status();
  absl::StatusOr<int> top =
      Count(request.top_factors(), kDefaultTopFactors, "top_factors");
  if (!top.ok()) return top.status();
  if (absl::Status s = CheckThreads(request.threads()); !s.ok()) return s;
  v1::FitOptions fit = ImputingMeans(request.fit());
  if (fit.threads() == 0) fit.set_threads(request.threads());
  if (absl::Status s = ValidateFitOptions(fit); !s.ok()) {
    return InField(s, "fit");
  }

  absl::StatusOr<EncodedTable> encoded = ReadTable(request);
  if (!encoded.ok()) return encoded.status();
  const FeatureMatrix& x = encoded->features;
  const std::vector<uint8_t>& y = encoded->labels;

  v1::TrainTableResult out;
  *out.mutable_fit() = fit;
  out.set_rows(static_cast<int64_t>(x.num_rows()));
  out.set_churned(std::count(y.begin(), y.end(), uint8_t{1}));
  for (const v1::ColumnEncoding& col : encoded->encoding.columns()) {
    if (col.categorical()) {
      out.set_categorical_columns(out.categorical_columns() + 1);
    } else {
      out.set_numeric_columns(out.numeric_columns() + 1);
    }
  }
  out.set_num_features(static_cast<int32_t>(x.num_cols()));
  absl::StatusOr<v1::LogisticModel> model = FitLogistic(x, y, fit);
  if (!model.ok()) return model.status();
  *model->mutable_encoding() = encoded->encoding;
  out.set_folds(*folds);
  if (*folds > 0) {
    absl::StatusOr<CrossValidation> cv = CrossValidateLogistic(
        x, y, fit, *folds, request.has_seed() ? request.seed() : kDefaultSeed);
    if (!cv.ok()) return cv.status();
    absl::StatusOr<v1::Evaluation> e =
        Evaluate(y, cv->probabilities, request.evaluation());
    if (!e.ok()) return e.status();
    *out.mutable_cross_validated() = *std::move(e);
  }
  AddFactors(*model, *top, &out);
  *out.mutable_model() = *std::move(model);
  return out;
}

namespace {

// An assess request checked and compiled.
struct ResolvedAssess {
  UnixSeconds as_of;
  int reasons;
  int at_risk;
  Assessor assessor;
};

absl::StatusOr<ResolvedAssess> ResolveAssess(const v1::AssessRequest& request) {
  absl::StatusOr<UnixSeconds> as_of = RequiredTime(request.as_of(), "as_of");
  if (!as_of.ok()) return as_of.status();
  absl::StatusOr<int> reasons =
      Count(request.model_reasons(), kDefaultReasons, "model_reasons");
  if (!reasons.ok()) return reasons.status();
  absl::StatusOr<int> at_risk =
      Count(request.at_risk(), kDefaultAtRisk, "at_risk");
  if (!at_risk.ok()) return at_risk.status();
  if (request.backtest_days() < 0) {
    return PathError("backtest_days", absl::StrCat("must be >= 0, got ",
                                                   request.backtest_days()));
  }
  if (absl::Status s = CheckThreads(request.threads()); !s.ok()) return s;
  absl::StatusOr<Assessor> assessor = Assessor::Create(request.config());
  if (!assessor.ok()) return InField(assessor.status(), "config");
  return ResolvedAssess{*as_of, *reasons, *at_risk, *std::move(assessor)};
}

// The options of an assessment of a resolved request.
AssessOptions OptionsOf(const v1::AssessRequest& request,
                        const ResolvedAssess& resolved) {
  AssessOptions options;
  if (request.has_history()) options.history = &request.history();
  if (request.has_previous()) options.previous = &request.previous();
  if (request.has_model()) options.model = &request.model();
  options.model_reasons = resolved.reasons;
  options.threads = request.threads();
  options.arena = false;  // moved into the response, not copied
  return options;
}

// The response of an assessment: its counts and at-risk ranking.
v1::AssessResponse ResponseOf(AssessResult result,
                              const v1::AssessRequest& request,
                              const ResolvedAssess& resolved) {
  v1::AssessResponse out;
  const v1::Assessment& a = result.assessment();
  v1::AssessSummary& sum = *out.mutable_summary();
  sum.set_customers(a.customers_size());
  for (v1::Colour c : {v1::GREEN, v1::YELLOW, v1::RED}) {
    (*sum.mutable_colours())[v1::Colour_Name(c)] = 0;
  }
  for (v1::Level l : {v1::L1, v1::L2, v1::L3}) {
    (*sum.mutable_alert_levels())[v1::Level_Name(l)] = 0;
  }
  for (const v1::CustomerAssessment& c : a.customers()) {
    ++(*sum.mutable_colours())[v1::Colour_Name(c.colour())];
    sum.set_churned(sum.churned() + (c.churned() ? 1 : 0));
    for (const v1::Alert& al : c.alerts()) {
      ++(*sum.mutable_alert_levels())[v1::Level_Name(al.level())];
    }
    for (const v1::Task& t : c.tasks()) ++(*sum.mutable_task_types())[t.type()];
    sum.set_alerts(sum.alerts() + c.alerts_size());
    sum.set_tasks(sum.tasks() + c.tasks_size());
  }

  // At risk: the customers not churned (the churned need win-back),
  // highest churn probability first with a model, else lowest health.
  std::vector<int> order;
  for (int i = 0; i < a.customers_size(); ++i) {
    if (!a.customers(i).churned()) order.push_back(i);
  }
  const bool with_model = request.has_model();
  std::sort(order.begin(), order.end(), [&](int i, int j) {
    const v1::CustomerAssessment &x = a.customers(i), &y = a.customers(j);
    if (with_model && x.churn_probability() != y.churn_probability()) {
      return x.churn_probability() > y.churn_probability();
    }
    if (x.score() != y.score()) return x.score() < y.score();
    return x.customer_id() < y.customer_id();
  });
  for (int k = 0; k < resolved.at_risk && k < static_cast<int>(order.size());
       ++k) {
    out.add_at_risk(order[k]);
  }
  out.mutable_assessment()->Swap(result.mutable_assessment());
  out.mutable_history()->Swap(result.mutable_history());
  return out;
}

// A request of a step over partitions, resolved.
absl::StatusOr<ResolvedAssess> ResolvePartitioned(
    const v1::AssessRequest& request) {
  if (request.backtest_days() != 0) {
    return PathError("backtest_days",
                     "must be 0 over partitions: the backtest reads the whole "
                     "history (run it on one data set)");
  }
  return ResolveAssess(request);
}

}  // namespace

absl::Status CheckAssessRequest(const v1::AssessRequest& request) {
  return ResolveAssess(request).status();
}

absl::StatusOr<v1::AssessResponse> AssessCustomers(
    const Dataset& dataset, const v1::AssessRequest& request) {
  absl::StatusOr<ResolvedAssess> resolved = ResolveAssess(request);
  if (!resolved.ok()) return resolved.status();
  absl::StatusOr<AssessResult> result = resolved->assessor.Assess(
      dataset, resolved->as_of, OptionsOf(request, *resolved));
  if (!result.ok()) return result.status();
  v1::AssessResponse out = ResponseOf(*std::move(result), request, *resolved);
  if (request.backtest_days() > 0) {
    absl::StatusOr<v1::Backtest> backtest = resolved->assessor.Backtest(
        dataset, resolved->as_of, request.backtest_days(), request.threads());
    if (!backtest.ok()) return backtest.status();
    *out.mutable_backtest() = *std::move(backtest);
  }
  return out;
}

absl::StatusOr<v1::HealthTotals> AssessTotals(
    const Dataset& dataset, const v1::AssessRequest& request) {
  absl::StatusOr<ResolvedAssess> resolved = ResolvePartitioned(request);
  if (!resolved.ok()) return resolved.status();
  return resolved->assessor.Totals(dataset, resolved->as_of, request.threads());
}

absl::StatusOr<v1::AlertPlan> AssessCutoffs(
    const v1::AssessRequest& request,
    absl::Span<const v1::HealthTotals> totals) {
  absl::StatusOr<ResolvedAssess> resolved = ResolvePartitioned(request);
  if (!resolved.ok()) return resolved.status();
  absl::StatusOr<v1::ColourCutoffs> colours =
      resolved->assessor.Cutoffs(totals);
  if (!colours.ok()) return colours.status();
  v1::AlertPlan plan;
  *plan.mutable_colours() = *std::move(colours);
  return plan;
}

absl::StatusOr<v1::AlertCandidates> AssessCandidates(
    const Dataset& dataset, const v1::AssessRequest& request,
    const v1::AlertPlan& cutoffs) {
  absl::StatusOr<ResolvedAssess> resolved = ResolvePartitioned(request);
  if (!resolved.ok()) return resolved.status();
  if (!cutoffs.has_colours() && request.config().has_red_share()) {
    return PathError("cutoffs",
                     "required with config.red_share: the run's cut-offs "
                     "(AssessCutoffs of every partition's AssessTotals)");
  }
  // Without red_share the scorecard's, which need no totals.
  absl::StatusOr<v1::ColourCutoffs> colours =
      cutoffs.has_colours() ? cutoffs.colours()
                            : resolved->assessor.Cutoffs(/*totals=*/{});
  if (!colours.ok()) return colours.status();
  return resolved->assessor.Candidates(dataset, resolved->as_of, *colours,
                                       OptionsOf(request, *resolved));
}

absl::StatusOr<std::vector<v1::AlertPlan>> AssessRoute(
    const v1::AssessRequest& request,
    absl::Span<const v1::AlertCandidates> candidates) {
  absl::StatusOr<ResolvedAssess> resolved = ResolvePartitioned(request);
  if (!resolved.ok()) return resolved.status();
  return resolved->assessor.Route(candidates);
}

absl::StatusOr<v1::AssessResponse> AssessPartition(
    const Dataset& dataset, const v1::AssessRequest& request,
    const v1::AlertPlan& plan) {
  absl::StatusOr<ResolvedAssess> resolved = ResolvePartitioned(request);
  if (!resolved.ok()) return resolved.status();
  absl::StatusOr<AssessResult> result = resolved->assessor.AssessPartition(
      dataset, resolved->as_of, plan, OptionsOf(request, *resolved));
  if (!result.ok()) return result.status();
  return ResponseOf(*std::move(result), request, *resolved);
}

namespace {

// A segment request checked and compiled: the options with the request's
// threads and the model's risk source.
struct ResolvedSegment {
  v1::SegmentOptions options;
  UnixSeconds as_of;
  int evidence_days;
  Assessor assessor;
};

absl::StatusOr<ResolvedSegment> ResolveSegment(
    const v1::SegmentRequest& request) {
  v1::SegmentOptions options = request.options();
  absl::StatusOr<UnixSeconds> as_of =
      RequiredTime(options.as_of(), "options.as_of");
  if (!as_of.ok()) return as_of.status();
  absl::StatusOr<int> evidence_days =
      Count(request.evidence_days(), kDefaultEvidenceDays, "evidence_days", 1,
            kMaxEvidenceDays);
  if (!evidence_days.ok()) return evidence_days.status();
  if (absl::Status s = CheckThreads(request.threads()); !s.ok()) return s;
  if (options.threads() == 0) options.set_threads(request.threads());
  if (request.has_model() &&
      options.risk().source() == v1::RISK_SOURCE_UNSPECIFIED) {
    options.mutable_risk()->set_source(v1::CHURN_PROBABILITY);
  }
  absl::StatusOr<v1::SegmentOptions> resolved = ResolveSegmentOptions(options);
  if (!resolved.ok()) return InField(resolved.status(), "options");
  if (absl::Status s = ValidateSegmentOptions(*resolved); !s.ok()) {
    return InField(s, "options");
  }
  absl::StatusOr<Assessor> assessor = Assessor::Create(request.assess_config());
  if (!assessor.ok()) return InField(assessor.status(), "assess_config");
  return ResolvedSegment{std::move(options), *as_of, *evidence_days,
                         *std::move(assessor)};
}

}  // namespace

absl::Status CheckSegmentRequest(const v1::SegmentRequest& request) {
  return ResolveSegment(request).status();
}

absl::StatusOr<v1::SegmentResponse> SegmentCustomers(
    const Dataset& dataset, const v1::SegmentRequest& request) {
  absl::StatusOr<ResolvedSegment> r = ResolveSegment(request);
  if (!r.ok()) return r.status();
  AssessOptions assess_options;
  assess_options.threads = request.threads();
  if (request.has_model()) assess_options.model = &request.model();
  absl::StatusOr<AssessResult> assessed =
      r->assessor.Assess(dataset, r->as_of, assess_options);
  if (!assessed.ok()) return assessed.status();

  v1::SegmentResponse out;
  std::vector<ReasonEvidence> evidence;
  if (r->evidence_days > 0) {
    absl::StatusOr<AssessResult> earlier = r->assessor.Assess(
        dataset, r->as_of - int64_t{r->evidence_days} * 86400, assess_options);
    if (earlier.ok()) {
      evidence = EvidenceFromAssessment(earlier->assessment());
    } else {
      out.set_evidence_note(
          absl::StrCat("no evidence assessment ", r->evidence_days,
                       " days earlier: ", earlier.status().message()));
    }
  }
  absl::StatusOr<v1::SegmentReport> report = SegmentWithAssessment(
      dataset, r->options, assessed->assessment(), evidence);
  if (!report.ok()) return report.status();
  *out.mutable_report() = *std::move(report);
  return out;
}

absl::StatusOr<v1::ClvResponse> ClvFromSummaries(
    const RfmSummaries& summaries, const v1::ClvRequest& request) {
  const bool weeks = summaries.time_unit == v1::CLV_WEEKS;
  v1::ClvPredictOptions predict = request.predict();
  if (predict.horizon() == 0) predict.set_horizon(weeks ? 52.0 : 365.0);
  if (predict.discount_rate() > 0 && predict.discount_period() == 0) {
    predict.set_discount_period(weeks ? 52.0 / 12 : 30.0);
  }
  absl::StatusOr<v1::ClvModel> model = FitClv(summaries, request.fit());
  if (!model.ok()) return model.status();
  absl::StatusOr<ClvPredictions> p = PredictClv(
      summaries, model->bg_nbd(),
      model->has_gamma_gamma() ? &model->gamma_gamma() : nullptr, predict);
  if (!p.ok()) return p.status();
  v1::ClvResponse out;
  *out.mutable_model() = *std::move(model);
  *out.mutable_predict() = predict;
  out.set_time_unit(summaries.time_unit);
  out.set_customers_without_orders(summaries.customers_without_orders);
  double p_alive = 0;
  for (size_t i = 0; i < summaries.size(); ++i) {
    *out.add_customers() = CustomerClvRow(summaries, *p, i);
    p_alive += p->p_alive[i];
    out.set_expected_purchases(out.expected_purchases() +
                               p->expected_purchases[i]);
    out.set_total_clv(out.total_clv() + p->clv[i]);
  }
  if (summaries.size() > 0) {
    out.set_mean_p_alive(p_alive / static_cast<double>(summaries.size()));
  }
  return out;
}

absl::StatusOr<v1::ClvResponse> ComputeClv(const Dataset& dataset,
                                           const v1::ClvRequest& request) {
  absl::StatusOr<UnixSeconds> as_of = RequiredTime(request.as_of(), "as_of");
  if (!as_of.ok()) return as_of.status();
  absl::StatusOr<RfmSummaries> rfm =
      ComputeRfmSummaries(dataset, *as_of, request.rfm());
  if (!rfm.ok()) return InField(rfm.status(), "rfm");
  return ClvFromSummaries(*rfm, request);
}

absl::StatusOr<v1::ScorecardResult> LearnHealthScorecard(
    const Dataset& dataset, const v1::ScorecardRequest& request) {
  v1::ScorecardRequest r = request;
  absl::StatusOr<ResolvedPanel> panel = ResolvePanel(r, 1);
  if (!panel.ok()) return panel.status();
  v1::ScorecardLearnOptions options = r.options();
  // A panel repeats customers at each date: hold out the last date(s), not
  // a random share of rows.
  if (!r.test_from().empty() ||
      (panel->dates.size() >= 2 && !options.has_holdout_from() &&
       !options.has_holdout_share())) {
    absl::StatusOr<UnixSeconds> from =
        TestFrom(r.test_from(), panel->dates.back());
    if (!from.ok()) return from.status();
    options.set_holdout_from(*from);
  }
  if (absl::Status s = ValidateScorecardLearnOptions(options); !s.ok()) {
    return InField(s, "options");
  }
  absl::StatusOr<TrainingPanel> rows = BuildPanel(dataset, r, *panel);
  if (!rows.ok()) return rows.status();

  v1::ScorecardResult out;
  if (absl::Status s = Learn(rows->features, rows->labels, options, &out);
      !s.ok()) {
    return s;
  }
  *out.mutable_as_of_dates() = r.as_of_dates();
  out.set_horizon_days(r.horizon_days());
  out.set_panel_label(r.panel_label());
  // The assessment computes the same features: the request's own set, or
  // the shipped one it defaults to as well.
  if (request.has_features()) {
    *out.mutable_assessment_config()->mutable_features() = r.features();
  }
  *out.mutable_assessment_config()->mutable_scorecard() = out.scorecard();
  return out;
}

absl::StatusOr<v1::ScorecardResult> LearnHealthScorecardOnTable(
    const v1::ScorecardTableRequest& request) {
  if (absl::Status s = CheckTableRequest(request); !s.ok()) return s;
  if (request.options().has_holdout_from()) {
    return PathError("options.holdout_from",
                     "a table's rows carry no as-of dates; use holdout_share");
  }
  if (absl::Status s = ValidateScorecardLearnOptions(request.options());
      !s.ok()) {
    return InField(s, "options");
  }
  absl::StatusOr<EncodedTable> encoded = ReadTable(request);
  if (!encoded.ok()) return encoded.status();
  v1::ScorecardResult out;
  if (absl::Status s =
          Learn(encoded->features, encoded->labels, request.options(), &out);
      !s.ok()) {
    return s;
  }
  return out;
}

absl::StatusOr<v1::GenerateResult> GenerateData(
    const v1::GenerateRequest& request,
    const std::function<void(int64_t done, int64_t total)>& progress) {
  v1::GenerateResult out;
  *out.mutable_config() = ResolveGeneratorConfig(request.config());
  if (absl::Status s = ValidateGeneratorConfig(out.config()); !s.ok()) {
    return InField(s, "config");
  }
  if (!v1::Format_IsValid(request.format())) {
    return PathError("format",
                     absl::StrCat("unknown value ", request.format()));
  }
  out.set_format(request.format() == v1::FORMAT_UNSPECIFIED ? v1::CSV
                                                            : request.format());
  if (absl::Status s = CheckThreads(request.threads()); !s.ok()) return s;
  if (request.resolve_only()) return out;
  if (request.out_dir().empty()) return PathError("out_dir", "required");
  out.set_out_dir(request.out_dir());
  absl::StatusOr<v1::GeneratorSummary> summary =
      Generate(out.config(), out.format(), out.out_dir(),
               {.threads = request.threads(), .progress = progress});
  if (!summary.ok()) return summary.status();
  *out.mutable_summary() = *std::move(summary);
  return out;
}

}  // namespace churnkit
