#include "churnkit/jobs.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "churnkit/features.h"
#include "churnkit/labels.h"
#include "churnkit/metrics.h"
#include "churnkit/model.h"
#include "internal/config_util.h"

namespace churnkit {
namespace {

using internal::PathError;

constexpr int kDefaultHorizonDays = 90;
constexpr int kMaxHorizonDays = 3650;
constexpr int kDefaultTopFactors = 10;
constexpr int kDefaultRiskiest = 5;
constexpr int kDefaultReasons = 3;
constexpr int kMaxCount = 100000;
// Event features are heavy-tailed (order values, days since...): clipped
// at their 1% and 99% quantiles, one extreme value cannot decide a
// customer's risk.
constexpr double kDefaultWinsorize = 0.01;

// A count option: 0 means `fallback`, -1 none, else 1..kMaxCount.
absl::StatusOr<int> Count(int value, int fallback, const char* field) {
  if (value == 0) return fallback;
  if (value == -1) return 0;
  if (value < -1 || value > kMaxCount) {
    return PathError(field, absl::StrCat("must be -1 (none), 0 (default) or "
                                         "1..",
                                         kMaxCount, ", got ", value));
  }
  return value;
}

// Adds the field path of a nested config to an InvalidArgument message.
absl::Status InField(const absl::Status& s, absl::string_view field) {
  if (s.ok()) return s;
  return absl::Status(s.code(), absl::StrCat(field, ".", s.message()));
}

absl::StatusOr<std::vector<UnixSeconds>> Dates(const v1::TrainRequest& r) {
  std::vector<UnixSeconds> dates;
  for (int i = 0; i < r.as_of_dates_size(); ++i) {
    absl::StatusOr<UnixSeconds> t = ParseTime(r.as_of_dates(i));
    if (!t.ok()) {
      return PathError(absl::StrCat("as_of_dates[", i, "]"),
                       t.status().message());
    }
    dates.push_back(*t);
  }
  return dates;
}

}  // namespace

absl::StatusOr<v1::TrainRequest> ResolveTrainRequest(
    const v1::TrainRequest& request) {
  v1::TrainRequest r = request;
  absl::StatusOr<std::vector<UnixSeconds>> dates = Dates(r);
  if (!dates.ok()) return dates.status();
  if (dates->size() < 2) {
    return PathError("as_of_dates",
                     absl::StrCat("at least two dates are needed (one to "
                                  "train on, one to test on), got ",
                                  dates->size()));
  }
  for (size_t i = 0; i < dates->size(); ++i) {
    if (i > 0 && (*dates)[i] <= (*dates)[i - 1]) {
      return PathError(absl::StrCat("as_of_dates[", i, "]"),
                       absl::StrCat(FormatTime((*dates)[i]), " is not after ",
                                    FormatTime((*dates)[i - 1])));
    }
    r.set_as_of_dates(static_cast<int>(i), FormatTime((*dates)[i]));
  }
  if (r.horizon_days() == 0) r.set_horizon_days(kDefaultHorizonDays);
  if (r.horizon_days() < 1 || r.horizon_days() > kMaxHorizonDays) {
    return PathError("horizon_days",
                     absl::StrCat("must be in 1..", kMaxHorizonDays, ", got ",
                                  r.horizon_days()));
  }
  UnixSeconds test_from = dates->back();
  if (!r.test_from().empty()) {
    absl::StatusOr<UnixSeconds> t = ParseTime(r.test_from());
    if (!t.ok()) return PathError("test_from", t.status().message());
    test_from = *t;
  }
  if (test_from <= dates->front()) {
    return PathError("test_from",
                     absl::StrCat(FormatTime(test_from),
                                  " leaves no date to train on (the first "
                                  "date is ",
                                  FormatTime(dates->front()), ")"));
  }
  if (test_from > dates->back()) {
    return PathError(
        "test_from",
        absl::StrCat(FormatTime(test_from), " is after the last date ",
                     FormatTime(dates->back()), ": nothing to test on"));
  }
  r.set_test_from(FormatTime(test_from));
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
  } else if (absl::StatusOr<FeatureEngine> e =
                 FeatureEngine::Create(r.features());
             !e.ok()) {
    return InField(e.status(), "features");
  }
  if (!r.has_definition()) {
    absl::StatusOr<v1::ChurnDefinition> def = DefaultChurnDefinition();
    if (!def.ok()) return def.status();
    *r.mutable_definition() = *std::move(def);
  } else if (absl::StatusOr<ChurnLabeler> l =
                 ChurnLabeler::Create(r.definition());
             !l.ok()) {
    return InField(l.status(), "definition");
  }
  v1::FitOptions* fit = r.mutable_fit();
  // Exports have blank cells and some features are undefined for some
  // customers (days since a login that never happened): impute them.
  if (fit->missing_values() == v1::MISSING_VALUES_UNSPECIFIED) {
    fit->set_missing_values(v1::MISSING_IMPUTE_MEAN);
  }
  if (!fit->has_winsorize()) fit->set_winsorize(kDefaultWinsorize);
  if (r.threads() < 0) {
    return PathError("threads",
                     absl::StrCat("must be >= 0, got ", r.threads()));
  }
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
  return r;
}

absl::StatusOr<v1::TrainResult> TrainChurnModel(
    const Dataset& dataset, const v1::TrainRequest& request) {
  absl::StatusOr<v1::TrainRequest> resolved = ResolveTrainRequest(request);
  if (!resolved.ok()) return resolved.status();
  const v1::TrainRequest& r = *resolved;
  absl::StatusOr<std::vector<UnixSeconds>> dates = Dates(r);
  if (!dates.ok()) return dates.status();
  const UnixSeconds test_from = *ParseTime(r.test_from());
  absl::StatusOr<FeatureEngine> engine = FeatureEngine::Create(r.features());
  if (!engine.ok()) return InField(engine.status(), "features");
  absl::StatusOr<ChurnLabeler> labeler = ChurnLabeler::Create(r.definition());
  if (!labeler.ok()) return InField(labeler.status(), "definition");

  const PanelLabel label = r.panel_label() == v1::PANEL_LABEL_CHURNED_AT_END
                               ? PanelLabel::kChurnedAtEnd
                               : PanelLabel::kChurnBegan;
  absl::StatusOr<TrainingPanel> panel =
      BuildTrainingPanel(dataset, *engine, *labeler, *dates, r.horizon_days(),
                         {.threads = r.threads()}, label);
  if (!panel.ok()) return panel.status();
  const FeatureMatrix& x = panel->features;
  const TimeSplitRows split = TimeSplit(x.as_of, test_from);
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

  for (v1::Factor& f : StrongestFactors(*model, std::max(0, r.top_factors()))) {
    *out.add_factors() = std::move(f);
  }
  for (v1::Factor& f : AdjustingFactors(*model, std::max(0, r.top_factors()))) {
    *out.add_adjusting_factors() = std::move(f);
  }

  // The riskiest customers at the last date, highest probability first
  // (ties in panel order).
  std::vector<int> last;
  for (int i = 0; i < why->rows_size(); ++i) {
    if (test.as_of[i] == dates->back()) last.push_back(i);
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

}  // namespace churnkit
